"""Stress tests on synthetic data: model choice, gap-down arithmetic, baselines, rules, shape."""

from __future__ import annotations

import datetime as dt
import json
import math

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from sensequant.errors import ConfigError, DataError
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.stress import (
    CASH,
    EQUAL,
    NIFTY,
    ROW_NAMES,
    SIXTY_FORTY,
    STUDENT,
    PeriodResult,
    Skipped,
    StressInputs,
    StressPeriod,
    StressRow,
    StressRules,
    baseline_returns,
    classify_failure,
    inject_gap_down,
    parse_stress_periods,
    replay_period,
    resilience_score,
    row_metrics,
    run_stress_tests,
    select_model,
    shock_bars,
    synthetic_period,
)
from sensequant.fsutil import to_plain
from sensequant.settings import BacktestConfig, PortfolioConfig
from sensequant.types import IST

SYMBOLS = ["AAA", "BBB", "CCC", "DDD"]
FEATURES = ["f1", "f2"]
ZERO_FEES = FeeSchedule.from_mapping(
    {
        "version": 1,
        "currency": "INR",
        "charges": [
            {
                "charge": "stt",
                "segment": "delivery",
                "side": "both",
                "rate": 0.0,
                "gst_applies": False,
                "valid_from": dt.date(2000, 1, 1),
                "valid_to": None,
                "source": "test",
            }
        ],
        "gst": [{"rate": 0.0, "valid_from": dt.date(2000, 1, 1), "valid_to": None, "source": "t"}],
    }
)
C = (1.065) ** (1 / 252) - 1  # daily cash return at the default 6.5 %/yr


def _booster(p_up_class: int, seed: int) -> str:
    """A tiny 3-class LightGBM whose predictions favour ``p_up_class`` everywhere."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, len(FEATURES)))
    y = np.where(rng.random(300) < 0.9, p_up_class, rng.integers(0, 3, 300))
    params = {"objective": "multiclass", "num_class": 3, "verbose": -1, "num_threads": 1}
    data = lgb.Dataset(pd.DataFrame(X, columns=FEATURES), label=y)
    return lgb.train(params, data, num_boost_round=3).model_to_string()


def _world(n: int = 160, flat: bool = True, seed: int = 3) -> dict[str, pd.DataFrame | pd.Series]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-01-04", periods=n, tz=IST)
    if flat:
        close = pd.DataFrame(100.0, index=idx, columns=SYMBOLS)
        open_ = close.copy()
    else:
        close = pd.DataFrame(
            100 * np.exp(np.cumsum(rng.normal(0, 0.01, (n, 4)), axis=0)), idx, SYMBOLS
        )
        open_ = close * np.exp(rng.normal(0, 0.003, (n, 4)))
    bench_close = pd.Series(1000.0 if flat else 1000 * close.mean(axis=1) / 100, index=idx)
    rows = [
        {
            "symbol": s,
            "timestamp": t,
            "f1": rng.normal(),
            "f2": rng.normal(),
            "label": float(rng.integers(0, 3)),
            "t1": idx[i + 5] if i + 5 < n else pd.NaT,
        }
        for i, t in enumerate(idx)
        for s in SYMBOLS
    ]
    panel = pd.DataFrame(rows)
    panel["t1"] = pd.to_datetime(panel["t1"]).dt.tz_convert(IST)
    return {
        "open": open_,
        "close": close,
        "bench_open": bench_close,
        "bench": bench_close,
        "panel": panel,
    }


def _models(idx: pd.DatetimeIndex, start: pd.Timestamp) -> pd.DataFrame:
    """Three students: 0 (old, 'up'), 1 (latest before start, 'up'), 2 (train_end == start)."""
    rows = []
    for pid, (train_end, cls) in enumerate(
        [(idx[10], 2), (start - pd.Timedelta(days=3), 2), (start, 0)]
    ):
        rows.append(
            {
                "period_id": pid,
                "test_start": idx[20] + pd.Timedelta(days=30 * pid),
                "test_end": idx[20] + pd.Timedelta(days=30 * (pid + 1)),
                "train_end": train_end,
                "model_text": _booster(cls, seed=pid),
            }
        )
    return pd.DataFrame(rows)


def _inputs(world: dict, models: pd.DataFrame, top_k: int = 5) -> StressInputs:
    return StressInputs(
        panel=world["panel"],
        models=models,
        open_px=world["open"],
        close_px=world["close"],
        bench_open=world["bench_open"],
        bench_close=world["bench"],
        fees=ZERO_FEES,
        portfolio=PortfolioConfig(top_k=top_k, min_probability=0.4, hold_buffer=0),
        backtest=BacktestConfig(slippage_bps=0.0, rebalance_tolerance=0.0),
    )


def _period(a: pd.Timestamp, b: pd.Timestamp, name: str = "p") -> StressPeriod:
    return StressPeriod(name=name, start=a.date(), end=b.date())


def test_select_model_takes_latest_train_end_strictly_before_start() -> None:
    s = pd.Timestamp("2021-06-01", tz=IST)
    models = pd.DataFrame(
        {
            "period_id": [0, 1, 2, 3],
            "train_end": [
                s - pd.Timedelta(days=9),
                s - pd.Timedelta(days=2),
                s,
                s - pd.Timedelta(days=2),
            ],
        }
    )
    chosen = select_model(models, s)
    assert chosen is not None and int(chosen["period_id"]) == 3  # tie -> highest period_id
    assert select_model(models.iloc[[2]], s) is None  # train_end == start is not "before"


def test_replay_uses_only_the_model_trained_before_the_period() -> None:
    world = _world()
    idx = world["close"].index
    start = idx[100]
    models = _models(idx, start)
    res = replay_period(_period(start, idx[120]), _inputs(world, models))
    assert isinstance(res, PeriodResult)
    assert res.model_period_id == 1
    assert res.model_train_end < start
    assert res.first_decision == idx[99]
    # model 1 calls 'up' everywhere -> 4 of top 5 slots filled; model 2 ('down') would be flat
    assert res.diagnostics["mean_exposure"] == pytest.approx(0.8)
    assert [r.name for r in res.rows] == list(ROW_NAMES)


def test_synthetic_gap_down_loses_ten_percent_times_exposure() -> None:
    world = _world()
    idx = world["close"].index
    period, day = synthetic_period(idx, n_sessions=60, offset=20)
    assert period.kind == "synthetic" and day == idx[-40]
    o, c = inject_gap_down(world["open"], world["close"], day)
    bo, bc = inject_gap_down(world["bench_open"].to_frame("b"), world["bench"].to_frame("b"), day)
    shocked = {**world, "open": o, "close": c, "bench_open": bo["b"], "bench": bc["b"]}
    inputs = _inputs(shocked, _models(idx, pd.Timestamp(period.start).tz_localize(IST)))
    res = replay_period(period, inputs)
    assert isinstance(res, PeriodResult)
    daily = res.daily
    assert daily.loc[day, STUDENT] == pytest.approx(-0.10 * 0.8, abs=1e-12)  # exposure 0.8
    assert daily.loc[day, EQUAL] == pytest.approx(-0.10, abs=1e-12)
    assert daily.loc[day, NIFTY] == pytest.approx(-0.10, abs=1e-12)
    assert daily.loc[day, SIXTY_FORTY] == pytest.approx(-0.06 + 0.4 * C, abs=1e-12)
    others = daily.drop(index=day)
    assert np.allclose(others[[EQUAL, NIFTY]].to_numpy(), 0.0)
    assert res.row(EQUAL).total_return == pytest.approx(-0.10)
    assert res.row(STUDENT).max_drawdown == pytest.approx(0.08)
    assert res.failure_mode == "tail event"


def test_baselines_60_40_and_cash_by_hand() -> None:
    idx = pd.bdate_range("2022-03-01", periods=3, tz=IST)
    close = pd.DataFrame({"A": [100.0, 110.0, 99.0], "B": [50.0, np.nan, 55.0]}, index=idx)
    open_ = pd.DataFrame({"A": [100.0, 100.0, 108.0], "B": [50.0, np.nan, 54.0]}, index=idx)
    b_open = pd.Series([1000.0, 990.0, 1005.0], index=idx)
    b_close = pd.Series([1000.0, 1010.0, 1000.0], index=idx)
    out = baseline_returns(open_, close, b_open, b_close, fill="next_open", rules=StressRules())
    n1, n2 = 1010 / 990 - 1, 1000 / 1010 - 1
    assert out[NIFTY].tolist() == pytest.approx([n1, n2])
    assert out[CASH].tolist() == pytest.approx([C, C])
    assert out[SIXTY_FORTY].tolist() == pytest.approx([0.6 * n1 + 0.4 * C, 0.6 * n2 + 0.4 * C])
    assert out[EQUAL].tolist() == pytest.approx([0.10, 99 / 110 - 1])  # B unpriced both days
    later = baseline_returns(open_, close, b_open, b_close, fill="next_close", rules=StressRules())
    assert later[NIFTY].iloc[0] == 0.0 and later[CASH].iloc[0] == pytest.approx(C)
    tot = row_metrics(CASH, out[CASH], StressRules())
    assert tot.total_return == pytest.approx((1 + C) ** 2 - 1)
    assert tot.max_drawdown == 0.0 and tot.sharpe is None and "sharpe" in tot.na_reasons


def test_short_period_reports_no_ratios_with_a_reason() -> None:
    r = pd.Series([-0.02, 0.01], index=pd.bdate_range("2024-06-03", periods=2, tz=IST))
    row = row_metrics(STUDENT, r, StressRules(), scores={"precision": 0.5, "recall": math.nan})
    assert row.sharpe is None and row.sortino is None
    assert "2 session(s) < 5" in row.na_reasons["sharpe"]
    assert row.recall is None and "no realised 'up' label" in row.na_reasons["recall"]
    assert row.precision == 0.5
    assert row.max_drawdown == pytest.approx(0.02)
    assert row.to_dict()["recall"] is None


def _row(total: float, dd: float) -> StressRow:
    return StressRow("x", total, dd, None, None, None)


def test_resilience_score_formula_and_bounds() -> None:
    assert resilience_score(_row(-0.05, 0.10), _row(-0.15, 0.20)) == pytest.approx(62.5)
    assert resilience_score(_row(-0.15, 0.20), _row(-0.15, 0.20)) == pytest.approx(25.0)
    assert resilience_score(_row(5.0, 0.0), _row(-0.5, 0.5)) == 100.0
    assert resilience_score(_row(-0.9, 0.9), _row(0.5, 0.0)) == 0.0


def test_failure_mode_rules_each_trigger() -> None:
    idx = pd.bdate_range("2020-03-02", periods=10, tz=IST)
    rules = StressRules()
    calm = {"tail_days": [], "vol_period": 0.2, "vol_trailing": 0.18}
    small = pd.Series(-0.002, index=idx)
    crash = small.copy()
    crash.iloc[5] = -0.12

    assert classify_failure(70.0, small, calm, rules)[0] == "resilient"
    tail = calm | {"tail_days": [idx[5]], "nifty_worst_return": -0.13, "nifty_worst_day": "x"}
    mode, rule = classify_failure(20.0, crash, tail, rules)
    assert mode == "tail event" and "-13.0%" in rule
    # the same tail day, but the student lost elsewhere: not a tail event
    assert classify_failure(20.0, small, tail | {"tail_days": [idx[0]]}, rules)[0] != "tail event"
    assert classify_failure(20.0, small, calm | {"vol_period": 0.5}, rules)[0] == "regime change"
    overfit = calm | {"pre_precision_lift": 0.05, "period_precision_lift": -0.01}
    assert classify_failure(20.0, small, overfit, rules)[0] == "overfit"
    kept_edge = calm | {"pre_precision_lift": 0.05, "period_precision_lift": 0.03}
    assert classify_failure(20.0, small, kept_edge, rules)[0] == "unexplained"


def test_periods_outside_the_data_are_skipped_with_a_reason() -> None:
    world = _world()
    idx = world["close"].index
    models = _models(idx, idx[100])
    inputs = _inputs(world, models)
    later = idx[-1] + pd.Timedelta(days=30)
    cases = {
        "after": (later, later + pd.Timedelta(days=5), "after the run's last session"),
        "partly": (idx[150], later, "partly covered"),
        "before oos": (idx[5], idx[8], "before the first out-of-sample date"),
    }
    for name, (a, b, why) in cases.items():
        res = replay_period(_period(a, b, name), inputs)
        assert isinstance(res, Skipped) and why in res.reason, (name, res)
    odd = models.assign(train_end=idx[-1])  # no model trained before the period
    res = replay_period(_period(idx[100], idx[110]), _inputs(world, odd))
    assert isinstance(res, Skipped) and "no walk-forward student" in res.reason


def test_report_json_shape_and_worst_loss() -> None:
    world = _world(flat=False)
    idx = world["close"].index
    models = _models(idx, idx[100])
    periods = [
        _period(idx[100], idx[120], "one"),
        _period(idx[121], idx[122], "two-day"),
        _period(idx[-1] + pd.Timedelta(days=9), idx[-1] + pd.Timedelta(days=19), "future"),
    ]
    syn, _ = synthetic_period(idx, n_sessions=30, offset=10)
    inputs = _inputs(world, models)
    report = run_stress_tests(periods, inputs, synthetic=(syn, inputs))
    out = json.loads(json.dumps(to_plain(report.to_dict()), allow_nan=False))
    assert {"periods", "resilience_formula", "worst_period_loss", "skipped"} <= set(out)
    assert [p["name"] for p in out["periods"]] == ["one", "two-day", syn.name]
    assert out["skipped"] == [{"name": "future", "reason": out["skipped"][0]["reason"]}]
    keys = {"name", "start", "end", "kind", "model_period_id", "model_train_end", "rows"}
    keys |= {"resilience_score", "failure_mode", "failure_rule"}
    row_keys = {"name", "total_return", "max_drawdown", "sharpe", "sortino", "hit_rate"}
    row_keys |= {"precision", "recall"}
    for p in out["periods"]:
        assert keys <= set(p)
        assert [r["name"] for r in p["rows"]] == list(ROW_NAMES)
        assert all(row_keys <= set(r) for r in p["rows"])
        assert 0.0 <= p["resilience_score"] <= 100.0
        assert p["failure_mode"] in {
            "resilient",
            "tail event",
            "regime change",
            "overfit",
            "unexplained",
        }
    assert out["periods"][1]["rows"][0]["sharpe"] is None
    historical = [p["rows"][0]["total_return"] for p in out["periods"] if p["kind"] == "historical"]
    assert out["worst_period_loss"] == pytest.approx(min(historical))
    table = report.table()
    assert len(table) == 3 * len(ROW_NAMES) and table["sharpe"].dtype == float


def test_empty_report_has_no_worst_loss() -> None:
    world = _world()
    idx = world["close"].index
    report = run_stress_tests([], _inputs(world, _models(idx, idx[100])))
    assert report.worst_period_loss is None and report.table().empty


def test_inject_gap_down_and_shock_bars_agree() -> None:
    world = _world(flat=False)
    idx = world["close"].index
    day = idx[50]
    o, c = inject_gap_down(world["open"], world["close"], day, shock=-0.2)
    assert o.loc[: idx[49]].equals(world["open"].loc[: idx[49]])
    assert np.allclose(c.loc[day:], world["close"].loc[day:] * 0.8)
    r_before, r_after = world["close"].pct_change(), c.pct_change()
    assert np.allclose(r_after.loc[idx[51] :], r_before.loc[idx[51] :])
    bars = pd.DataFrame(
        {
            "timestamp": idx,
            "open": world["open"]["AAA"].to_numpy(),
            "high": world["close"]["AAA"].to_numpy() * 1.01,
            "low": world["close"]["AAA"].to_numpy() * 0.99,
            "close": world["close"]["AAA"].to_numpy(),
            "volume": 1.0,
        }
    )
    shocked = shock_bars(bars, day, shock=-0.2)
    assert np.allclose(shocked["close"].to_numpy(), c["AAA"].to_numpy())
    assert (shocked["volume"] == 1.0).all()
    with pytest.raises(DataError, match="not a session"):
        inject_gap_down(world["open"], world["close"], day + pd.Timedelta(hours=1))
    with pytest.raises(DataError, match="> -1"):
        inject_gap_down(world["open"], world["close"], day, shock=-1.0)


def test_parse_stress_periods_validates() -> None:
    ok = {"periods": [{"name": "a", "start": "2020-01-01", "end": "2020-02-01"}]}
    assert parse_stress_periods(ok)[0].end == dt.date(2020, 2, 1)
    with pytest.raises(ConfigError, match="duplicate"):
        parse_stress_periods({"periods": ok["periods"] * 2})
    with pytest.raises(ConfigError, match=r"periods\.0"):
        parse_stress_periods(
            {"periods": [{"name": "b", "start": "2020-03-01", "end": "2020-02-01"}]}
        )
    with pytest.raises(ConfigError, match="unknown"):
        parse_stress_periods(
            {"periods": [{"name": "c", "start": "2020-01-01", "end": "2020-01-02", "unknown": 1}]}
        )
