"""Stress replay of score models (one-output regression students ranked by a ``score`` column)."""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from sensequant.errors import DataError, ModelError
from sensequant.evaluation.sizing import portfolio_weights
from sensequant.evaluation.stress import (
    EQUAL,
    ROW_NAMES,
    STUDENT,
    PeriodResult,
    StressInputs,
    inject_gap_down,
    is_score_model,
    predict_span,
    replay_period,
    run_stress_tests,
    synthetic_period,
    walk_forward_predictions,
)
from sensequant.evaluation.stress_inputs import _up_scores
from sensequant.fsutil import to_plain
from sensequant.settings import BacktestConfig, PortfolioConfig
from sensequant.types import IST, PROBA_COLUMNS
from tests.evaluation.test_stress import (
    FEATURES,
    SYMBOLS,
    ZERO_FEES,
    _booster,
    _inputs,
    _models,
    _period,
    _world,
)


def _regressor(seed: int) -> str:
    """A tiny regression booster whose score rises with ``f1`` (zero-centred target)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(400, len(FEATURES)))
    y = X[:, 0] + 0.1 * rng.normal(size=400)
    params = {"objective": "regression", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5}
    data = lgb.Dataset(pd.DataFrame(X, columns=FEATURES), label=y)
    return lgb.train(params, data, num_boost_round=10).model_to_string()


def _score_models(idx: pd.DatetimeIndex, start: pd.Timestamp) -> pd.DataFrame:
    """Walk-forward score students shaped like :func:`tests.evaluation.test_stress._models`."""
    models = _models(idx, start)
    models["model_text"] = [_regressor(seed=pid) for pid in models["period_id"]]
    return models


def _score_inputs(world: dict, models: pd.DataFrame, top_k: int = 2) -> StressInputs:
    return StressInputs(
        panel=world["panel"],
        models=models,
        open_px=world["open"],
        close_px=world["close"],
        bench_open=world["bench_open"],
        bench_close=world["bench"],
        fees=ZERO_FEES,
        portfolio=PortfolioConfig(score="score", top_k=top_k, hold_buffer=0),
        backtest=BacktestConfig(slippage_bps=0.0, rebalance_tolerance=0.0),
    )


def test_predict_span_gives_a_score_column_for_regression_students() -> None:
    world = _world()
    idx = world["close"].index
    inputs = _score_inputs(world, _score_models(idx, idx[100]))
    assert is_score_model(inputs.booster(1))
    pred = predict_span(inputs, 1, idx[90], idx[95])
    assert list(pred.columns) == ["symbol", "timestamp", "score", "label", "t1"]
    assert len(pred) == 5 * len(SYMBOLS) and pred["score"].notna().all()
    panel = world["panel"]
    part = panel.loc[(panel["timestamp"] >= idx[90]) & (panel["timestamp"] < idx[95])]
    want = inputs.booster(1).predict(part[FEATURES].to_numpy(dtype=np.float32))
    np.testing.assert_array_equal(pred["score"].to_numpy(), want)
    assert pred["score"].std() > 0  # the score varies with f1
    empty = predict_span(inputs, 1, idx[-1] + pd.Timedelta(days=5), idx[-1] + pd.Timedelta(days=9))
    assert list(empty.columns) == list(pred.columns) and empty.empty


def test_class_students_keep_probability_columns() -> None:
    world = _world()
    idx = world["close"].index
    inputs = _inputs(world, _models(idx, idx[100]))
    assert not is_score_model(inputs.booster(1))
    pred = predict_span(inputs, 1, idx[90], idx[95])
    assert list(pred.columns) == ["symbol", "timestamp", *PROBA_COLUMNS, "label", "t1"]
    oos = walk_forward_predictions(inputs)
    assert list(oos.columns) == ["symbol", "timestamp", *PROBA_COLUMNS, "label", "t1", "period_id"]


def test_walk_forward_predictions_of_score_students() -> None:
    world = _world()
    idx = world["close"].index
    inputs = _score_inputs(world, _score_models(idx, idx[100]))
    oos = walk_forward_predictions(inputs)
    assert list(oos.columns) == ["symbol", "timestamp", "score", "label", "t1", "period_id"]
    assert not any(c in oos.columns for c in PROBA_COLUMNS)
    assert set(oos["period_id"]) == {0, 1, 2}
    late = _score_models(idx, idx[100])
    late[["test_start", "test_end"]] = idx[-1] + pd.Timedelta(days=10)
    none = walk_forward_predictions(_score_inputs(world, late))
    assert none.empty and "score" in none.columns and "p_up" not in none.columns


def test_up_scores_of_a_score_model_call_up_above_the_dates_median() -> None:
    d1, d2 = pd.Timestamp("2024-01-01", tz=IST), pd.Timestamp("2024-01-02", tz=IST)
    pred = pd.DataFrame(
        {
            "timestamp": [d1, d1, d1, d2, d2, d2],
            # a ranking objective's raw scores: no zero point (all negative on day 2)
            "score": [0.5, -0.2, 0.1, -3.0, -1.0, -2.0],
            "label": [2.0, 2.0, 0.0, 2.0, 0.0, np.nan],
        }
    )
    out = _up_scores(pred)
    # known rows: medians 0.1 (day 1) and -2.0 (day 2, from the known rows -3 and -1);
    # calls = [1, 0, 0, 0, 1], truth (label == 2) = [1, 1, 0, 1, 0]
    assert out["precision"] == pytest.approx(0.5)
    assert out["recall"] == pytest.approx(1 / 3)
    assert out["base_rate"] == pytest.approx(0.6) and out["n"] == 5.0
    shifted = _up_scores(pred.assign(score=pred["score"] + 100.0))  # order is all that counts
    assert shifted == out
    with pytest.raises(DataError, match="neither"):
        _up_scores(pred.rename(columns={"score": "other"}))


def test_replay_of_a_score_model_holds_the_top_scores() -> None:
    world = _world(flat=False)
    idx = world["close"].index
    start = idx[100]
    inputs = _score_inputs(world, _score_models(idx, start), top_k=2)
    res = replay_period(_period(start, idx[120]), inputs)
    assert isinstance(res, PeriodResult)
    assert res.model_period_id == 1 and res.model_train_end < start
    assert [r.name for r in res.rows] == list(ROW_NAMES)
    # no probability floor: 2 of 4 names always qualify -> fully invested
    assert res.diagnostics["mean_exposure"] == pytest.approx(1.0)
    pred = predict_span(inputs, 1, idx[99], idx[120] + pd.Timedelta(1, "ns"))
    w = portfolio_weights(pred.loc[pred["timestamp"] < idx[120]], inputs.portfolio)
    first = pred.loc[pred["timestamp"] == idx[99]].sort_values("score", ascending=False)
    assert set(w.loc[idx[99]][w.loc[idx[99]] > 0].index) == set(first["symbol"].iloc[:2])
    student = res.rows[0]
    in_period = pred.loc[(pred["timestamp"] >= idx[100]) & pred["label"].notna()]
    median = in_period.groupby("timestamp")["score"].transform("median")
    calls = (in_period["score"] > median).to_numpy()  # top half of the day's ranking
    truth = in_period["label"].to_numpy() == 2
    assert student.precision == pytest.approx(truth[calls].mean())
    assert student.recall == pytest.approx(calls[truth].mean())
    assert np.isfinite(res.daily[STUDENT]).all()


def test_score_model_with_a_probability_portfolio_is_refused() -> None:
    world = _world()
    idx = world["close"].index
    inputs = _inputs(world, _score_models(idx, idx[100]))  # score="p_up_minus_p_down"
    with pytest.raises(DataError, match="lack column"):
        replay_period(_period(idx[100], idx[120]), inputs)


def test_binary_booster_is_not_a_score_model() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 2)), columns=FEATURES)
    params = {"objective": "binary", "verbose": -1, "num_threads": 1}
    text = lgb.train(params, lgb.Dataset(X, label=rng.integers(0, 2, 200)), 3).model_to_string()
    with pytest.raises(ModelError, match="objective 'binary'"):
        is_score_model(lgb.Booster(model_str=text))
    assert not is_score_model(lgb.Booster(model_str=_booster(2, seed=0)))


def test_run_stress_tests_with_score_models_and_a_gap_down() -> None:
    world = _world()
    idx = world["close"].index
    period, day = synthetic_period(idx, n_sessions=60, offset=20)
    o, c = inject_gap_down(world["open"], world["close"], day)
    bo, bc = inject_gap_down(world["bench_open"].to_frame("b"), world["bench"].to_frame("b"), day)
    shocked = {**world, "open": o, "close": c, "bench_open": bo["b"], "bench": bc["b"]}
    start = pd.Timestamp(period.start).tz_localize(IST)
    models = _score_models(idx, start)
    inputs = _score_inputs(world, models)
    report = run_stress_tests(
        [_period(idx[40], idx[60], "one")],
        inputs,
        synthetic=(period, _score_inputs(shocked, models)),
    )
    out = json.loads(json.dumps(to_plain(report.to_dict()), allow_nan=False))
    assert [p["name"] for p in out["periods"]] == ["one", period.name]
    syn = report.periods[1]
    assert isinstance(syn, PeriodResult)
    # fully invested (top 2 of 4, no floor) -> the student loses the whole 10 % gap
    assert syn.daily.loc[day, STUDENT] == pytest.approx(-0.10, abs=1e-12)
    assert syn.daily.loc[day, EQUAL] == pytest.approx(-0.10, abs=1e-12)
    for p in out["periods"]:
        assert 0.0 <= p["resilience_score"] <= 100.0
        assert p["rows"][0]["precision"] is None or 0.0 <= p["rows"][0]["precision"] <= 1.0


def test_saved_score_predictions_are_checked_on_the_score_column() -> None:
    from sensequant.pipeline.stress_phase import _saved_oos

    world = _world()
    idx = world["close"].index
    inputs = _score_inputs(world, _score_models(idx, idx[100]))
    saved = walk_forward_predictions(inputs).drop(columns=["label", "t1"]).assign(blend=0.5)
    oos, note = _saved_oos(saved, inputs)
    assert oos is not None and note is not None
    assert "reproduce the run's" in note and "max |score difference| 0.00e+00" in note
    assert len(oos) == len(saved) and {"score", "label", "t1"} <= set(oos.columns)
    off = saved.assign(score=saved["score"] + 1e-3)
    oos, note = _saved_oos(off, inputs)
    assert oos is None and note is not None and "DO NOT reproduce" in note
