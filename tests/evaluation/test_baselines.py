"""Tests of the honest baselines: score baselines, return baselines and the comparison table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sensequant.errors import DataError
from sensequant.evaluation.baselines import (
    buy_and_hold_baseline,
    index_baseline,
    momentum_scores,
    month_start_decisions,
    monthly_rebalanced_baseline,
    reversal_scores,
)
from sensequant.evaluation.comparison import COMPARISON_COLUMNS, comparison_table
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.metrics import sharpe, summarize
from sensequant.evaluation.signal import ic_summary
from sensequant.settings import BacktestConfig

START = dt.date(2000, 1, 1)


def _fees(rows: list[dict[str, Any]]) -> FeeSchedule:
    base = {"segment": "delivery", "valid_from": START, "valid_to": None, "source": "test"}
    return FeeSchedule.from_mapping(
        {
            "version": 1,
            "currency": "INR",
            "charges": [{**base, "gst_applies": False, **r} for r in rows],
            "gst": [{"rate": 0.0, "valid_from": START, "valid_to": None, "source": "test"}],
        }
    )


# buy 10 bp, sell 20 bp, Rs 100 DP charge per scrip per sell day, no GST
TOY_FEES = _fees(
    [
        {"charge": "stt", "side": "buy", "rate": 0.001},
        {"charge": "stt", "side": "sell", "rate": 0.002},
        {"charge": "dp_charge", "side": "sell", "amount_inr": 100.0},
    ]
)


def _prices(n: int, start: str = "2024-01-01", seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random-walk opens and closes for A, B, C on business days; C is listed on day 3."""
    idx = pd.bdate_range(start, periods=n, tz="Asia/Kolkata")
    rng = np.random.default_rng(seed)
    close = pd.DataFrame(
        100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, (n, 3)), axis=0)), idx, ["A", "B", "C"]
    )
    open_ = close.shift(1) * np.exp(rng.normal(0, 0.003, (n, 3)))
    open_.iloc[0] = close.iloc[0]
    close.iloc[:3, 2] = np.nan
    open_.iloc[:3, 2] = np.nan
    return open_, close


# --------------------------------------------------------------------------- score baselines


def test_reversal_score_hand_checked_and_nan_dropped() -> None:
    idx = pd.bdate_range("2024-01-01", periods=4, tz="Asia/Kolkata")
    close = pd.DataFrame({"A": [100.0, 110.0, 90.0, 99.0], "B": [50.0, np.nan, 55.0, 40.0]}, idx)
    out = reversal_scores(close, idx, lookback=2)
    assert list(out.columns) == ["symbol", "timestamp", "score"]
    # t=2: A -(90/100-1)=0.1, B -(55/50-1)=-0.1; t=3: A -(99/110-1)=0.1, B has no close at t-2
    assert out[["symbol", "timestamp"]].values.tolist() == [
        ["A", idx[2]],
        ["B", idx[2]],
        ["A", idx[3]],
    ]
    np.testing.assert_allclose(out["score"], [0.1, -0.1, 0.1])


def test_reversal_score_uses_only_closes_up_to_t() -> None:
    _, close = _prices(40)
    dates = close.index[10:30]
    full = reversal_scores(close, dates)
    for t in dates[::5]:
        truncated = reversal_scores(close.loc[:t], [t])
        expected = full.loc[full["timestamp"] == t].reset_index(drop=True)
        pd.testing.assert_frame_equal(truncated, expected)
    shocked = close.copy()
    shocked.loc[shocked.index > dates[0]] *= 3.0  # the future changes, the score at t does not
    first = full.loc[full["timestamp"] == dates[0]]
    pd.testing.assert_frame_equal(reversal_scores(shocked, [dates[0]]), first)
    t = dates[0]
    a = close["A"]
    assert full.iloc[0]["score"] == pytest.approx(-(a[t] / a.iloc[close.index.get_loc(t) - 5] - 1))


def test_momentum_is_12_minus_1() -> None:
    _, close = _prices(300)
    t = close.index[280]
    out = momentum_scores(close, [t])
    a = close["A"].to_numpy()
    assert out.loc[out["symbol"] == "A", "score"].item() == pytest.approx(a[280 - 21] / a[28] - 1)
    # C has no close 252 sessions before t=255 (listed on day 3): dropped, A and B kept
    early = momentum_scores(close, [close.index[254]])
    assert early["symbol"].tolist() == ["A", "B"]
    assert momentum_scores(close.loc[:t], [t]).equals(out)
    small = momentum_scores(close, [close.index[10]], skip=1, lookback=3)
    b = close["B"].to_numpy()
    assert small.loc[small["symbol"] == "B", "score"].item() == pytest.approx(b[9] / b[7] - 1)


def test_score_baselines_reject_bad_input() -> None:
    _, close = _prices(10)
    with pytest.raises(DataError, match="not sessions"):
        reversal_scores(close, [pd.Timestamp("2030-01-01", tz="Asia/Kolkata")])
    with pytest.raises(ValueError):
        momentum_scores(close, close.index, skip=5, lookback=5)


# --------------------------------------------------------------------------- return baselines


def test_index_baseline_after_start_with_full_exposure() -> None:
    idx = pd.bdate_range("2024-01-01", periods=5, tz="Asia/Kolkata")
    bench = pd.Series([100.0, 101.0, 99.99, 102.0, 103.0], idx)
    b = index_baseline(bench, idx[1], end=idx[3])
    assert list(b.returns.index) == [idx[2], idx[3]]
    np.testing.assert_allclose(b.returns, [99.99 / 101 - 1, 102 / 99.99 - 1])
    assert (b.exposure == 1.0).all() and b.costs is None and b.turnover is None
    assert "not investable" in b.label and "PRICE index" in b.label


def test_buy_and_hold_trades_once_and_drifts() -> None:
    open_, close = _prices(30)
    cfg = BacktestConfig(slippage_bps=5.0, capital_inr=1e6)
    start = close.index[1]
    b = buy_and_hold_baseline(open_, close, start, fees=TOY_FEES, cfg=cfg)
    bt = b.backtest
    assert bt is not None and b.costs is not None and b.turnover is not None
    # one purchase at the next open, of A and B only (C was not listed on the decision date)
    fill = close.index[2]
    assert set(bt.ledger["date"]) == {fill}
    assert sorted(bt.ledger["symbol"]) == ["A", "B"] and set(bt.ledger["side"]) == {"buy"}
    assert b.turnover.loc[fill] == pytest.approx(1.0)
    assert (b.turnover.drop(fill) == 0).all() and (b.costs.drop(fill) == 0).all()
    assert b.costs.loc[fill] == pytest.approx((10 + 5) / 1e4)  # purchase: STT + slippage
    # runs to the last session, never rebalanced: equity = (1 - c) * mean(close_T / open_fill)
    assert b.returns.index[0] == fill and b.returns.index[-1] == close.index[-1]
    growth = (close[["A", "B"]].iloc[-1] / open_[["A", "B"]].loc[fill]).mean()
    assert float((1 + b.returns).prod()) == pytest.approx((1 - 15e-4) * growth, rel=1e-12)
    np.testing.assert_allclose(b.exposure, 1.0)
    assert "never rebalanced" in b.label and "2 symbols" in b.label


def test_month_start_decisions() -> None:
    idx = pd.DatetimeIndex(
        ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-29", "2024-03-01", "2024-03-04"],
        tz="Asia/Kolkata",
    )
    assert list(month_start_decisions(idx)) == [idx[0], idx[1], idx[3]]


def test_monthly_rebalancing_trades_on_month_starts_at_fee_schedule_costs() -> None:
    open_, close = _prices(70, start="2024-01-10", seed=3)
    cfg = BacktestConfig(slippage_bps=5.0, capital_inr=1e6, rebalance_tolerance=0.0)
    fees = FeeSchedule.load()
    b = monthly_rebalanced_baseline(open_, close, close.index[0], fees=fees, cfg=cfg)
    bt = b.backtest
    assert bt is not None and b.costs is not None and b.turnover is not None
    idx = close.index
    month_starts = idx[1:][idx.month[1:] != idx.month[:-1]]
    traded = sorted(set(bt.ledger["date"]))
    assert traded == [idx[1], *month_starts]  # the initial purchase, then month starts only
    assert (b.turnover.drop(traded) == 0).all() and (b.costs.drop(traded) == 0).all()
    rates = fees.daily_rates(pd.DatetimeIndex(traded)).set_index(pd.DatetimeIndex(traded))
    for day in traded:
        trades = bt.ledger.loc[bt.ledger["date"] == day]
        buys = trades.loc[trades["side"] == "buy", "weight_traded"].sum()
        sells = trades.loc[trades["side"] == "sell", "weight_traded"].sum()
        n_sold = int((trades["side"] == "sell").sum())
        equity_inr = float(trades["equity_inr"].iloc[0])
        expected = (
            buys * (rates.loc[day, "buy_bps"] + 5.0) / 1e4
            + sells * (rates.loc[day, "sell_bps"] + 5.0) / 1e4
            + n_sold * rates.loc[day, "dp_sell_inr"] / equity_inr
        )
        assert b.costs.loc[day] == pytest.approx(expected, rel=1e-9)
    # C, listed on day 3, is bought at the first month start (equal weight of three)
    first_c = bt.ledger.loc[bt.ledger["symbol"] == "C", "date"].min()
    assert first_c == month_starts[0]
    assert "rebalanced monthly" in b.label and "slippage" in b.label


# ---------------------------------------------------------------------- exposure + comparison


def test_summarize_reports_exposure_and_time_in_market() -> None:
    idx = pd.bdate_range("2024-01-01", periods=4, tz="Asia/Kolkata")
    r = pd.Series([0.01, 0.0, -0.005, 0.002], idx)
    s = summarize(r, exposure=pd.Series([1.0, 0.0, 0.5, 0.5], idx))
    assert s.mean_exposure == pytest.approx(0.5) and s.time_in_market == pytest.approx(0.75)
    assert summarize(r).time_in_market is None


def test_comparison_table_uses_project_metrics_on_common_dates() -> None:
    open_, close = _prices(60, seed=5)
    cfg = BacktestConfig(slippage_bps=5.0)
    bh = buy_and_hold_baseline(open_, close, close.index[0], fees=TOY_FEES, cfg=cfg)
    bench = close["A"].rename("bench")
    nifty = index_baseline(bench, close.index[5])
    ic = pd.DataFrame(
        {"ic": [0.1, 0.05, -0.02], "rank_ic": [0.2, 0.0, 0.1], "n": [3, 3, 3]},
        index=close.index[:3],
    )
    table = comparison_table(
        {
            "buy-hold": bh.as_comparison(),
            "nifty": nifty.as_comparison(),
            "model": (bh.returns, bh.exposure, ic),
        }
    )
    assert list(table.columns) == list(COMPARISON_COLUMNS)
    common = nifty.returns.index.intersection(bh.returns.index)
    assert (table["n_days"] == len(common)).all()
    assert table.loc["nifty", "sharpe"] == pytest.approx(sharpe(nifty.returns.loc[common]))
    assert table.loc["nifty", "time_in_market"] == 1.0
    assert np.isnan(table.loc["nifty", "annual_turnover"]) and np.isnan(table.loc["nifty", "icir"])
    summ = ic_summary(ic)
    assert table.loc["model", "mean_ic"] == pytest.approx(summ.mean_ic)
    assert table.loc["model", "rank_ic"] == pytest.approx(summ.mean_rank_ic)
    assert table.loc["buy-hold", "annual_turnover"] == 0.0  # the purchase is before common dates
    own = comparison_table({"buy-hold": bh.as_comparison()}, common_dates=False)
    assert own.loc["buy-hold", "n_days"] == len(bh.returns)
    assert own.loc["buy-hold", "annual_turnover"] == pytest.approx(252 / len(bh.returns))
    with pytest.raises(DataError):
        comparison_table({"bad": (bh.returns,)})
