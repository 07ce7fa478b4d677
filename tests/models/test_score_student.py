"""Tests for the walk-forward score student: blend variants, purged blend choice, leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from sensequant.dataset import cs_target
from sensequant.errors import ModelError
from sensequant.models.score_student import ScoreWalkForward, walk_forward_score_student
from sensequant.settings import StudentConfig
from sensequant.types import IST

H = 5
N_SYMBOLS = 20
N_SESSIONS = 1200
FEATURES = ["f0", "f1", "f2"]
GRID = (0.0, 0.5, 1.0)
CFG = StudentConfig(
    test_period_days=120,
    min_train_days=365,
    soft_label_weight=0.5,
    num_boost_round=25,
    min_data_in_leaf=50,
)


def make_panel(seed: int = 5) -> pd.DataFrame:
    """Long panel, sorted by timestamp: f0 predicts the next-H-session return's rank."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2015-01-01", periods=N_SESSIONS + H, tz=IST)
    ts = np.repeat(days[:N_SESSIONS], N_SYMBOLS)
    t1 = np.repeat(days[H : N_SESSIONS + H], N_SYMBOLS)
    sym = np.tile([f"S{i:02d}" for i in range(N_SYMBOLS)], N_SESSIONS)
    n = ts.size
    x = rng.normal(size=(n, len(FEATURES)))
    fwd = 0.01 * x[:, 0] + rng.normal(0.0, 0.02, n)
    panel = pd.DataFrame({"symbol": sym, "timestamp": ts, "t1": t1, "fwd_return": fwd})
    panel[FEATURES] = x
    # the last H sessions have no label yet
    unlabelled = panel["timestamp"] > days[N_SESSIONS - H - 1]
    panel.loc[unlabelled, ["fwd_return", "t1"]] = np.nan, pd.NaT
    panel["target"] = cs_target(panel, "cs_rank")
    return panel


def make_soft(panel: pd.DataFrame, seed: int = 6) -> pd.DataFrame:
    """Teacher-OOF-like rows: rolling 180-day windows every 90 days, score = noisy target."""
    rng = np.random.default_rng(seed)
    lab = panel.dropna(subset=["target"])
    first, last = lab["timestamp"].min(), lab["timestamp"].max()
    parts = []
    k = 0
    start = first
    while start + pd.Timedelta(days=180) <= last:
        end = start + pd.Timedelta(days=180)
        rows = lab[(lab["timestamp"] >= start) & (lab["timestamp"] < end)]
        w_end = rows["timestamp"].max()
        parts.append(
            pd.DataFrame(
                {
                    "symbol": rows["symbol"].to_numpy(),
                    "timestamp": rows["timestamp"].to_numpy(),
                    "window_id": f"w{k:03d}",
                    "window_end": w_end,
                    "t1": rows["t1"].to_numpy(),
                    "score": rows["target"].to_numpy() + rng.normal(0.0, 0.8, len(rows)),
                }
            )
        )
        start += pd.Timedelta(days=90)
        k += 1
    soft = pd.concat(parts, ignore_index=True)
    soft["timestamp"] = pd.DatetimeIndex(soft["timestamp"]).tz_convert(IST)
    soft["t1"] = pd.DatetimeIndex(soft["t1"]).tz_convert(IST)
    return soft


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    panel = make_panel()
    return panel, make_soft(panel)


def _run(data: tuple[pd.DataFrame, pd.DataFrame], **kw: object) -> ScoreWalkForward:
    panel, soft = data
    args: dict = {"cfg": CFG, "seed": 3, "feature_names": FEATURES, "blend_grid": GRID}
    args.update(kw)
    return walk_forward_score_student(panel, soft, **args)


@pytest.fixture(scope="module")
def wf(data: tuple[pd.DataFrame, pd.DataFrame]) -> ScoreWalkForward:
    return _run(data)


def _mean_rank_ic(pred: pd.DataFrame, panel: pd.DataFrame) -> float:
    m = pred.merge(panel[["symbol", "timestamp", "fwd_return"]], on=["symbol", "timestamp"])
    m = m.dropna(subset=["fwd_return"])
    ics = [spearmanr(g["score"], g["fwd_return"]).statistic for _, g in m.groupby("timestamp")]
    return float(np.nanmean(ics))


def test_predictions_have_scores_with_positive_rank_ic(
    wf: ScoreWalkForward, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    pred = wf.predictions
    assert {"symbol", "timestamp", "score", "period_id", "blend"} <= set(pred.columns)
    assert len(wf.periods) >= 5
    assert len(pred) == sum(p.n_test for p in wf.periods)
    assert np.isfinite(pred["score"].to_numpy()).all()
    assert _mean_rank_ic(pred, data[0]) > 0.1


def test_every_grid_weight_predicts_the_same_rows(wf: ScoreWalkForward) -> None:
    assert set(wf.variants) == set(GRID)
    keys = wf.predictions[["symbol", "timestamp"]].reset_index(drop=True)
    for w, frame in wf.variants.items():
        pd.testing.assert_frame_equal(frame[["symbol", "timestamp"]].reset_index(drop=True), keys)
        assert (frame["blend"] == w).all()
    # distinct targets give distinct models
    assert not np.allclose(wf.variants[0.0]["score"], wf.variants[1.0]["score"])


def test_blend_choice_is_the_best_earlier_rank_ic(wf: ScoreWalkForward) -> None:
    choice = wf.blend_choice.set_index("period_id")
    first = wf.periods[0].period_id
    assert choice.loc[first, "blend"] == CFG.soft_label_weight
    ic_cols = [f"rank_ic_{w:g}" for w in GRID]
    later = choice.drop(index=first)
    assert not later.empty
    assert later[ic_cols].notna().all(axis=None), "later periods have a validation slice"
    for pid, row in later.iterrows():
        best = GRID[int(np.argmax(row[ic_cols].to_numpy(dtype=float)))]
        assert row["blend"] == best, pid
    # the student's rows are the chosen variant's rows
    for p in wf.periods:
        w = float(choice.loc[p.period_id, "blend"])
        ours = wf.predictions[wf.predictions["period_id"] == p.period_id]
        theirs = wf.variants[w][wf.variants[w]["period_id"] == p.period_id]
        np.testing.assert_array_equal(ours["score"].to_numpy(), theirs["score"].to_numpy())


def test_blend_rank_ic_uses_only_earlier_rows_with_ended_labels(
    wf: ScoreWalkForward, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    panel = data[0]
    choice = wf.blend_choice.set_index("period_id")
    for p in (wf.periods[1], wf.periods[-1]):
        known = panel[panel["t1"] < p.test_start]
        for w in GRID:
            v = wf.variants[w]
            earlier = v[v["period_id"] < p.period_id]
            rows = earlier.merge(known[["symbol", "timestamp"]], on=["symbol", "timestamp"])
            assert choice.loc[p.period_id, "validation_rows"] == len(rows)
            assert choice.loc[p.period_id, f"rank_ic_{w:g}"] == pytest.approx(
                _mean_rank_ic(rows, panel), abs=1e-9
            )


def test_no_training_label_reaches_the_test_period(wf: ScoreWalkForward) -> None:
    for p in wf.periods:
        assert p.train_end < p.test_start
        assert p.max_window_end < p.test_start
        assert p.train_start < p.train_end
    for p in wf.periods:
        rows = wf.predictions[wf.predictions["period_id"] == p.period_id]
        assert rows["timestamp"].min() >= p.test_start
        assert rows["timestamp"].max() < p.test_end


def test_sample_every_thins_the_training_rows(
    wf: ScoreWalkForward, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    thin = _run(data, sample_every=5)
    dense = {p.period_id: p.n_train for p in wf.periods}
    sparse = {p.period_id: p.n_train for p in thin.periods}
    common = set(dense) & set(sparse)
    assert common
    for pid in common:
        assert sparse[pid] < dense[pid]
        assert sparse[pid] <= dense[pid] // 4


@pytest.mark.parametrize("grid", [(), (0.0, 1.5), (-0.1,), (0.5, 0.5)])
def test_bad_grid_is_a_model_error(
    data: tuple[pd.DataFrame, pd.DataFrame], grid: tuple[float, ...]
) -> None:
    with pytest.raises(ModelError, match="blend grid"):
        _run(data, blend_grid=grid)
