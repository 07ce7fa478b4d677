"""Tests for the walk-forward student (purge by window_end and t1, distillation, baseline)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from sensequant.errors import LeakageError, ModelError
from sensequant.models import student, student_data, teacher_direct
from sensequant.models.distill import distillation_target, fit_distilled
from sensequant.models.student import StudentPeriod, student_params, walk_forward_student
from sensequant.models.teacher_direct import teacher_direct_predictions
from sensequant.settings import StudentConfig
from sensequant.types import IST, PROBA_COLUMNS

H = 5
FEATURES = ["f0", "f1", "f2", "f3"]
CFG = StudentConfig(
    test_period_days=60,
    train_lookback_days=365,
    min_train_days=365,
    num_boost_round=15,
    num_leaves=7,
    min_data_in_leaf=20,
)


def make_panel(n_sym: int = 3, seed: int = 0) -> pd.DataFrame:
    """Business days 2016-2018; label = noisy sign class of f0; t1 = t + H sessions."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2016-01-01", "2018-12-31", tz=IST)
    frames = []
    for s in range(n_sym):
        n = len(days)
        X = rng.normal(size=(n, len(FEATURES)))
        score = X[:, 0] + rng.normal(0.0, 1.0, n)
        t1 = pd.Series(days).shift(-H)
        unknown = t1.isna().to_numpy()
        df = pd.DataFrame(X, columns=FEATURES)
        df.insert(0, "timestamp", days)
        df.insert(0, "symbol", f"S{s}")
        df["label"] = np.where(unknown, np.nan, np.digitize(score, [-0.5, 0.5]).astype(float))
        df["fwd_return"] = np.where(unknown, np.nan, 0.01 * score)
        df["t1"] = t1.to_numpy()
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def make_soft(panel: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Overlapping 180-day windows every 90 days; rows are samples with t in [start, end],
    so labels may end up to H sessions AFTER window_end (the strict window purge must bite)."""
    rng = np.random.default_rng(seed)
    out = []
    lab = panel.dropna(subset=["label"])
    first = panel["timestamp"].min()
    for sym, g in lab.groupby("symbol"):
        start, wid = first, 0
        while start + pd.Timedelta(days=180) <= panel["timestamp"].max():
            end = start + pd.Timedelta(days=180)
            gg = g[(g["timestamp"] >= start) & (g["timestamp"] <= end)]
            p = 0.6 * np.eye(3)[gg["label"].astype(int)] + 0.4 * rng.dirichlet([1, 1, 1], len(gg))
            out.append(
                pd.DataFrame(
                    {
                        "symbol": sym,
                        "timestamp": gg["timestamp"].to_numpy(),
                        "window_id": wid,
                        "window_end": end,
                        "t1": gg["t1"].to_numpy(),
                        **{c: p[:, i] for i, c in enumerate(PROBA_COLUMNS)},
                    }
                )
            )
            start, wid = start + pd.Timedelta(days=90), wid + 1
    return pd.concat(out, ignore_index=True)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    panel = make_panel()
    return panel, make_soft(panel)


@pytest.fixture(scope="module")
def result(data: tuple[pd.DataFrame, pd.DataFrame]) -> student.WalkForwardResult:
    panel, soft = data
    return walk_forward_student(panel, soft, cfg=CFG, horizon=H, seed=3, feature_names=FEATURES)


def test_no_training_row_or_window_reaches_the_test_period(
    data: tuple[pd.DataFrame, pd.DataFrame], result: student.WalkForwardResult
) -> None:
    _, soft = data
    assert len(result.periods) >= 5
    window_max_t1 = soft.groupby(["symbol", "window_id"])["t1"].transform("max")
    for p in result.periods:
        assert p.train_end < p.test_start
        assert p.max_window_end < p.test_start
        assert p.train_start >= p.test_start - pd.Timedelta(days=CFG.train_lookback_days + 180)
        # independent recount of the eligible samples
        T = p.test_start
        ok = (
            (soft["window_end"] < T)
            & (soft["window_end"] >= T - pd.Timedelta(days=CFG.train_lookback_days))
            & (window_max_t1 < T)
        )
        assert p.n_train == len(soft.loc[ok, ["symbol", "timestamp"]].drop_duplicates())
        assert soft.loc[ok, "t1"].max() == p.train_end


def test_window_end_rule_holds_even_when_labels_end_early(
    data: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Windows stamped to end long after their last label (e.g. a suspended stock)."""
    panel, soft = data
    soft = soft.copy()
    late = soft["window_id"] % 2 == 1
    soft.loc[late, "window_end"] = soft.loc[late, "window_end"] + pd.Timedelta(days=150)
    out = walk_forward_student(panel, soft, cfg=CFG, horizon=H, seed=3, feature_names=FEATURES)
    for p in out.periods:
        assert p.max_window_end < p.test_start and p.train_end < p.test_start
        ok = (soft["window_end"] < p.test_start) & (
            soft["window_end"] >= p.test_start - pd.Timedelta(days=CFG.train_lookback_days)
        )
        used = soft[ok]
        assert p.n_train <= len(used[["symbol", "timestamp"]].drop_duplicates())


def test_window_purge_drops_windows_with_late_label_ends(
    data: tuple[pd.DataFrame, pd.DataFrame], result: student.WalkForwardResult
) -> None:
    _, soft = data
    late = soft.groupby(["symbol", "window_id"]).agg(end=("window_end", "first"), t1=("t1", "max"))
    hit = [
        p
        for p in result.periods
        if ((late["end"] < p.test_start) & (late["t1"] >= p.test_start)).any()
    ]
    assert hit, "fixture should contain a window ending just before a test start"


def test_predictions_only_inside_their_period(
    data: tuple[pd.DataFrame, pd.DataFrame], result: student.WalkForwardResult
) -> None:
    panel, _ = data
    pred = result.predictions
    assert list(pred.columns) == ["symbol", "timestamp", *PROBA_COLUMNS, "period_id"]
    by_id = {p.period_id: p for p in result.periods}
    starts = pred["period_id"].map(lambda k: by_id[k].test_start)
    ends = pred["period_id"].map(lambda k: by_id[k].test_end)
    assert ((pred["timestamp"] >= starts) & (pred["timestamp"] < ends)).all()
    np.testing.assert_allclose(pred[list(PROBA_COLUMNS)].sum(axis=1), 1.0)
    # every panel row from the first test start to the last bar is predicted exactly once
    first = result.periods[0].test_start
    expected = panel.loc[panel["timestamp"] >= first, ["symbol", "timestamp"]]
    assert not result.skipped
    assert len(pred) == len(expected) == len(pred.drop_duplicates(["symbol", "timestamp"]))
    assert pred["timestamp"].max() == panel["timestamp"].max()  # last period runs to the end


def test_first_test_start_default_and_explicit(
    data: tuple[pd.DataFrame, pd.DataFrame], result: student.WalkForwardResult
) -> None:
    panel, soft = data
    expected = soft["timestamp"].min() + pd.Timedelta(days=CFG.min_train_days)
    assert result.periods[0].test_start == expected.ceil("D")
    cfg = CFG.model_copy(update={"first_test_start": dt.date(2017, 7, 3)})
    out = walk_forward_student(panel, soft, cfg=cfg, horizon=H, seed=3, feature_names=FEATURES)
    assert out.periods[0].test_start == pd.Timestamp("2017-07-03", tz=IST)


def test_too_few_rows_skips_period_with_reason(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    panel, soft = data
    cfg = CFG.model_copy(update={"first_test_start": dt.date(2016, 3, 1)})
    calls: list[tuple[int, int]] = []
    out = walk_forward_student(
        panel,
        soft,
        cfg=cfg,
        horizon=H,
        seed=3,
        feature_names=FEATURES,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert out.skipped and out.skipped[0].period_id == 0
    assert "training samples" in out.skipped[0].reason
    assert not (out.predictions["period_id"] == 0).any()
    assert calls[-1][0] == calls[-1][1] == len(out.periods) + len(out.skipped)


def test_deterministic(
    data: tuple[pd.DataFrame, pd.DataFrame], result: student.WalkForwardResult
) -> None:
    panel, soft = data
    again = walk_forward_student(panel, soft, cfg=CFG, horizon=H, seed=3, feature_names=FEATURES)
    pd.testing.assert_frame_equal(again.predictions, result.predictions)


def test_reward_weighting_changes_fit_and_sees_only_training_rows(
    data: tuple[pd.DataFrame, pd.DataFrame],
    result: student.WalkForwardResult,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel, soft = data
    sizes: list[int] = []
    real = student_data.reward_weights

    def spy(proba: np.ndarray, fwd: np.ndarray, **kw: Any) -> np.ndarray:
        assert np.isfinite(fwd).all()  # all realised: label ends before the test start
        sizes.append(len(fwd))
        return real(proba, fwd, **kw)

    monkeypatch.setattr(student_data, "reward_weights", spy)
    cfg = CFG.model_copy(update={"reward_weighting": True})
    out = walk_forward_student(panel, soft, cfg=cfg, horizon=H, seed=3, feature_names=FEATURES)
    assert sizes == [p.n_train for p in out.periods]
    assert not np.allclose(out.predictions["p_up"], result.predictions["p_up"])


def test_replication_with_alpha_zero_equals_hard_label_fit() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 4))
    y = np.digitize(X[:, 0] + rng.normal(0, 1, 600), [-0.5, 0.5])
    soft = rng.dirichlet([1, 1, 1], 600)
    params = student_params(CFG, seed=1)
    q = distillation_target(soft, y.astype(float), alpha=0.0)
    replicated = fit_distilled(X, q, params=params, num_boost_round=20)
    direct = lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=20)
    np.testing.assert_allclose(replicated.predict(X), direct.predict(X), atol=1e-9)


def test_replication_minimises_soft_cross_entropy_exactly() -> None:
    """With no usable feature the soft-CE optimum is the weighted mean target."""
    rng = np.random.default_rng(4)
    q = rng.dirichlet([1, 2, 3], 400)
    w = rng.uniform(0.5, 2.0, 400)
    model = fit_distilled(
        np.ones((400, 2)),
        q,
        params=student_params(CFG, seed=1),
        num_boost_round=10,
        sample_weight=w,
    )
    np.testing.assert_allclose(model.predict(np.ones((1, 2)))[0], w @ q / w.sum(), atol=1e-9)


def test_distillation_target_mixes_and_keeps_soft_for_unknown_labels() -> None:
    soft = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    q = distillation_target(soft, np.array([0.0, np.nan]), alpha=0.25)
    np.testing.assert_allclose(q[0], [0.25 * 0.2 + 0.75, 0.25 * 0.3, 0.25 * 0.5])
    np.testing.assert_allclose(q[1], soft[1])


class _FakeBooster:
    params: dict[str, str] = {"objective": "multiclass"}  # noqa: RUF012

    def __init__(self, code: int) -> None:
        self.code = code

    def num_model_per_iteration(self) -> int:
        return 3  # a class teacher

    def feature_name(self) -> list[str]:
        return FEATURES

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.tile([self.code / 1000.0, 0.0, 1.0 - self.code / 1000.0], (len(X), 1))


def test_teacher_direct_uses_latest_teacher_ending_before_test_start(
    data: tuple[pd.DataFrame, pd.DataFrame],
    result: student.WalkForwardResult,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel, soft = data
    teachers = soft.drop_duplicates(["symbol", "window_id"])[["symbol", "window_id", "window_end"]]
    teachers = teachers.reset_index(drop=True)
    teachers["model_text"] = [str(i) for i in range(len(teachers))]
    loads: list[str] = []

    def fake_load(text: str) -> _FakeBooster:
        loads.append(text)
        return _FakeBooster(int(text))

    monkeypatch.setattr(teacher_direct, "load_booster", fake_load)
    periods: tuple[StudentPeriod, ...] = result.periods
    out = teacher_direct_predictions(panel, teachers, periods)
    assert len(loads) == len(set(loads))  # cached
    by_id = {p.period_id: p for p in periods}
    for (sym, pid_), g in out.groupby(["symbol", "period_id"]):
        pid = int(pid_)  # type: ignore[call-overload]
        start = by_id[pid].test_start
        code = round(float(g["p_down"].iloc[0]) * 1000)
        used = teachers.loc[code]
        assert used["symbol"] == sym and used["window_end"] < start
        cands = teachers[(teachers["symbol"] == sym) & (teachers["window_end"] < start)]
        assert used["window_end"] == cands["window_end"].max()
        assert ((g["timestamp"] >= start) & (g["timestamp"] < by_id[pid].test_end)).all()


def test_teacher_direct_with_real_boosters(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    panel, _ = data
    rng = np.random.default_rng(0)
    Xtr = rng.normal(size=(200, 4))
    model = lgb.train(
        {"objective": "multiclass", "num_class": 3, "verbose": -1, "num_threads": 1},
        lgb.Dataset(Xtr, label=rng.integers(0, 3, 200), feature_name=FEATURES),
        num_boost_round=5,
    )
    teachers = pd.DataFrame(
        {
            "symbol": ["S0"],
            "window_id": [0],
            "window_end": [pd.Timestamp("2017-06-30", tz=IST)],
            "model_text": [model.model_to_string()],
        }
    )
    T = pd.Timestamp("2017-07-03", tz=IST)
    period = StudentPeriod(0, T, T + pd.Timedelta(days=30), T, T, T, 1, 1, "")
    out = teacher_direct_predictions(panel, teachers, [period])
    rows = panel[
        (panel["symbol"] == "S0")
        & (panel["timestamp"] >= T)
        & (panel["timestamp"] < period.test_end)
    ]
    assert set(out["symbol"]) == {"S0"} and len(out) == len(rows) == 22  # business days
    np.testing.assert_allclose(out[list(PROBA_COLUMNS)], model.predict(rows[FEATURES].to_numpy()))


def test_bad_inputs_raise(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    panel, soft = data
    bad = panel.copy()
    bad.loc[3, "label"] = 7.0
    with pytest.raises(ModelError, match=r"panel\.label"):
        walk_forward_student(bad, soft, cfg=CFG, horizon=H, seed=3, feature_names=FEATURES)
    with pytest.raises(ModelError, match="lacks columns"):
        walk_forward_student(
            panel.drop(columns="f3"), soft, cfg=CFG, horizon=H, seed=3, feature_names=FEATURES
        )
    with pytest.raises(ModelError, match="repeats"):
        walk_forward_student(
            pd.concat([panel, panel.head(1)]),
            soft,
            cfg=CFG,
            horizon=H,
            seed=3,
            feature_names=FEATURES,
        )


def test_panel_label_ending_after_test_start_is_leakage(
    data: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """A hard label that ends after T while its soft label ends before it is refused."""
    panel, soft = data
    bad = panel.copy()
    assert np.isfinite(bad.loc[10, "label"])
    bad.loc[10, "t1"] = pd.Timestamp("2019-06-03", tz=IST)
    with pytest.raises(LeakageError, match="disagree"):
        walk_forward_student(bad, soft, cfg=CFG, horizon=H, seed=3, feature_names=FEATURES)
