"""Tests for the walk-forward score student: blend variants, purged blend choice, leakage,
regression and ranking objectives."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import spearmanr

from sensequant.dataset import cs_target
from sensequant.errors import ConfigError, ModelError
from sensequant.models.score_rank import MIN_GROUP_ROWS, grades_by_day, rank_training
from sensequant.models.score_student import (
    ScoreWalkForward,
    fit_release_score_student,
    score_student_params,
    walk_forward_score_student,
)
from sensequant.run_config import load_run_config
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


OBJECTIVES = ("regression", "lambdarank", "rank_xendcg")


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_each_objective_ranks_well_and_is_deterministic(
    data: tuple[pd.DataFrame, pd.DataFrame], objective: str
) -> None:
    cfg = CFG.model_copy(update={"objective": objective})
    first = _run(data, cfg=cfg)
    again = _run(data, cfg=cfg)
    pd.testing.assert_frame_equal(first.predictions, again.predictions)
    assert [p.model_text for p in first.periods] == [p.model_text for p in again.periods]
    pred = first.predictions
    assert len(first.periods) >= 5
    assert np.isfinite(pred["score"].to_numpy()).all()
    assert _mean_rank_ic(pred, data[0]) > 0.1
    for w, frame in first.variants.items():
        assert _mean_rank_ic(frame, data[0]) > 0.05, w
    assert f"objective={objective}" in first.periods[0].model_text


@pytest.mark.parametrize("objective", ["lambdarank", "rank_xendcg"])
def test_ranking_trains_one_group_per_date_on_grades(
    data: tuple[pd.DataFrame, pd.DataFrame], objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    set_group, set_label = lgb.Dataset.set_group, lgb.Dataset.set_label

    def spy_group(self: lgb.Dataset, group: np.ndarray) -> lgb.Dataset:
        groups.append(np.asarray(group))
        return set_group(self, group)

    def spy_label(self: lgb.Dataset, label: np.ndarray) -> lgb.Dataset:
        labels.append(np.asarray(label))
        return set_label(self, label)

    monkeypatch.setattr(lgb.Dataset, "set_group", spy_group)
    monkeypatch.setattr(lgb.Dataset, "set_label", spy_label)
    wf = _run(data, cfg=CFG.model_copy(update={"objective": objective}), sample_every=5)
    # set_group once per fitted period; every date of the panel holds all N_SYMBOLS names
    assert len(groups) == len(wf.periods)
    for g, p in zip(groups, wf.periods, strict=True):
        assert (g == N_SYMBOLS).all()
        assert g.sum() == p.n_train
    # one label per blend weight: each date's quantile grades 0..4, N_SYMBOLS / 5 per grade
    fit_labels = [lab for lab in labels if lab.size and lab.size == groups[0].sum()]
    assert len(fit_labels) >= len(GRID)
    for lab in fit_labels[: len(GRID)]:
        per_date = np.sort(lab.reshape(-1, N_SYMBOLS), axis=1)
        expected = np.repeat(np.arange(5.0), N_SYMBOLS // 5)
        assert (per_date == expected).all()


def test_rank_training_sorts_by_day_and_drops_small_days() -> None:
    day = np.array([2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 1, 2, 1, 1, 2, 0], dtype=np.int64)
    rows = np.arange(day.size, dtype=np.int64)[::-1].copy()
    soft = rows.astype(float) * 10.0
    r, s, g = rank_training(rows, soft, day, "lambdarank")
    assert g is not None
    assert g.tolist() == [6, 6]  # day 0 has 4 rows < MIN_GROUP_ROWS
    assert (np.bincount(day)[0] < MIN_GROUP_ROWS) and (day[r] == np.repeat([1, 2], 6)).all()
    np.testing.assert_array_equal(s, r * 10.0)
    r2, s2, g2 = rank_training(rows, soft, day, "regression")
    assert g2 is None and r2 is rows and s2 is soft


def test_grades_by_day_are_per_day_quantiles() -> None:
    day = np.repeat([5, 3], 10)
    values = np.concatenate([np.arange(10.0), -np.arange(10.0) * 100])
    grades = grades_by_day(values, day)
    np.testing.assert_array_equal(grades[:10], np.repeat(np.arange(5.0), 2))
    np.testing.assert_array_equal(grades[10:], np.repeat(np.arange(5.0), 2)[::-1])
    with pytest.raises(ModelError, match="finite"):
        grades_by_day(np.array([np.nan, 1.0]), np.array([0, 0]))


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_release_student_follows_the_objective(
    data: tuple[pd.DataFrame, pd.DataFrame], objective: str
) -> None:
    cfg = CFG.model_copy(update={"objective": objective})
    assert score_student_params(cfg, seed=3)["objective"] == objective
    model, n = fit_release_score_student(
        data[0], data[1], cfg=cfg, seed=3, feature_names=FEATURES, blend=0.5
    )
    assert str(model.params["objective"]).split(" ")[0] == objective
    assert n >= 200 and (objective == "regression" or n % N_SYMBOLS == 0)


def test_bad_objective_is_a_config_error(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"student": {"objective": "lambda_rank"}}))
    with pytest.raises(ConfigError, match=r"student\.objective"):
        load_run_config(p)
    p.write_text(yaml.safe_dump({"student": {"objective": "rank_xendcg"}}))
    assert load_run_config(p).student.objective == "rank_xendcg"
