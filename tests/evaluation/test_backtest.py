"""Tests of the vectorised weights-based backtest."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sensequant.errors import DataError
from sensequant.evaluation.backtest import equal_weight_returns, index_returns, run_backtest
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.slippage import FixedBps, SpreadSlippage
from sensequant.settings import BacktestConfig
from sensequant.types import IST

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


ZERO_FEES = _fees([{"charge": "stt", "side": "both", "rate": 0.0}])
# buy 10 bp, sell 20 bp, Rs 100 DP charge per scrip per sell day, no GST
TOY_FEES = _fees(
    [
        {"charge": "stt", "side": "buy", "rate": 0.001},
        {"charge": "stt", "side": "sell", "rate": 0.002},
        {"charge": "dp_charge", "side": "sell", "amount_inr": 100.0},
    ]
)
NO_SLIP = BacktestConfig(slippage_bps=0.0)


def _days(n: int) -> pd.DatetimeIndex:
    return pd.bdate_range("2024-01-01", periods=n, tz=IST)


def _random_prices(n: int, symbols: list[str], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = _days(n)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (n, len(symbols))), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.01, (n, len(symbols))))
    return (
        pd.DataFrame(open_, index=idx, columns=symbols),
        pd.DataFrame(close, index=idx, columns=symbols),
    )


@pytest.mark.parametrize("fill", ["next_open", "next_close"])
def test_zero_cost_single_symbol_compounding_identity(fill: str) -> None:
    open_, close = _random_prices(40, ["A"], seed=1)
    weights = pd.DataFrame(1.0, index=close.index, columns=["A"])
    res = run_backtest(
        weights, open_, close, fees=ZERO_FEES, cfg=BacktestConfig(fill=fill, slippage_bps=0)
    )
    c, o = close["A"].to_numpy(), open_["A"].to_numpy()
    if fill == "next_open":  # bought at open_1, held to the last close
        assert res.equity.iloc[-1] == pytest.approx(c[-1] / o[1], rel=1e-12)
        assert res.returns_net.iloc[0] == pytest.approx(c[1] / o[1] - 1, rel=1e-12)
    else:  # bought at close_1: day 1 earns nothing
        assert res.equity.iloc[-1] == pytest.approx(c[-1] / c[1], rel=1e-12)
        assert res.returns_net.iloc[0] == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(res.returns_net.to_numpy()[1:], c[2:] / c[1:-1] - 1, rtol=1e-12)
    np.testing.assert_allclose(res.returns_gross, res.returns_net)
    assert res.equity.iloc[0] == 1.0 and res.equity.index[0] == close.index[0]
    assert res.costs.sum() == 0.0


def test_hand_computed_three_days_with_costs() -> None:
    idx = _days(4)
    open_ = pd.DataFrame({"A": [100, 100, 110, 99], "B": [50, 50, 50, 52]}, index=idx, dtype=float)
    close = pd.DataFrame({"A": [100, 105, 100, 99], "B": [50, 50, 51, 52]}, index=idx, dtype=float)
    weights = pd.DataFrame({"A": [0.5, 0.0, 0.0], "B": [0.0, 0.5, 0.5]}, index=idx[:3])
    cfg = BacktestConfig(fill="next_open", capital_inr=100_000, slippage_bps=5)
    res = run_backtest(weights, open_, close, fees=TOY_FEES, cfg=cfg)

    buy, sell, dp = (10 + 5) / 1e4, (20 + 5) / 1e4, 100 / 100_000  # DP in units of capital
    # day 1: buy A with half of equity 1.0 at open 100; A closes at 105
    cost1 = 0.5 * buy
    eq = 1.0 - cost1
    a = 0.5 * eq * 105 / 100
    cash = 0.5 * eq
    e1 = a + cash
    # day 2: A opens at 110; sell all A, put half of equity into B at 50; B closes at 51
    a_open = a * 110 / 105
    e_open = a_open + cash
    cost2 = a_open * sell + 0.5 * e_open * buy + dp
    eq = e_open - cost2
    b, cash = 0.5 * eq * 51 / 50, 0.5 * eq
    e2 = b + cash
    # day 3: B opens at 52; trim B back to half of equity (a sell: DP charge again)
    b_open = b * 52 / 51
    e_open3 = b_open + cash
    trim = b_open - 0.5 * e_open3
    cost3 = trim * sell + dp
    e3 = e_open3 - cost3  # B closes at its open price

    np.testing.assert_allclose(res.returns_net, [e1 - 1, e2 / e1 - 1, e3 / e2 - 1], rtol=1e-12)
    np.testing.assert_allclose(res.costs, [cost1, cost2 / e_open, cost3 / e_open3], rtol=1e-12)
    np.testing.assert_allclose(res.equity, [1.0, e1, e2, e3], rtol=1e-12)
    # gross: the same book without costs (overnight move x intraday move)
    np.testing.assert_allclose(
        res.returns_gross, [0.5 * 0.05, e_open / e1 * 1.01 - 1, e_open3 / e2 - 1], rtol=1e-12
    )
    ledger = res.ledger
    assert ledger[["symbol", "side"]].values.tolist() == [
        ["A", "buy"], ["A", "sell"], ["B", "buy"], ["B", "sell"]
    ]  # fmt: skip
    np.testing.assert_allclose(
        ledger["notional_inr"], np.array([0.5, a_open, 0.5 * e_open, trim]) * 100_000, rtol=1e-12
    )
    np.testing.assert_allclose(ledger["price"], [100, 110, 50, 52])
    np.testing.assert_allclose(
        ledger["cost_inr"],
        np.array([0.5 * buy, a_open * sell + dp, 0.5 * e_open * buy, trim * sell + dp]) * 100_000,
        rtol=1e-12,
    )
    assert res.turnover.iloc[1] == pytest.approx((a_open + 0.5 * e_open) / e_open)
    assert (res.returns_net <= res.returns_gross).all()


def test_no_fill_at_the_decision_bars_own_prices() -> None:
    open_, close = _random_prices(30, ["A", "B", "X"], seed=3)
    weights = pd.DataFrame(0.0, index=close.index[:25], columns=["A", "B", "X"])
    weights[["A", "B"]] = 0.4
    t = 10
    weights.iloc[t:, :] = [0.3, 0.3, 0.3]  # X is first chosen at decision bar t
    cfg = BacktestConfig(fill="next_open")
    fees = FeeSchedule.load()
    base = run_backtest(weights, open_, close, fees=fees, cfg=cfg)

    def bump(frame: pd.DataFrame, row: int) -> pd.DataFrame:
        values = frame.to_numpy(copy=True)
        values[row, 2] *= 1.37  # column 2 is X
        return pd.DataFrame(values, index=frame.index, columns=frame.columns)

    # move X's own open and close on the decision bar: nothing changes
    moved = run_backtest(weights, bump(open_, t), close, fees=fees, cfg=cfg)
    pd.testing.assert_series_equal(moved.returns_net, base.returns_net)
    moved = run_backtest(weights, open_, bump(close, t), fees=fees, cfg=cfg)
    pd.testing.assert_series_equal(moved.returns_net, base.returns_net)
    # control: moving the fill bar's open does change that day's return
    moved = run_backtest(weights, bump(open_, t + 1), close, fees=fees, cfg=cfg)
    assert moved.returns_net.loc[close.index[t + 1]] != base.returns_net.loc[close.index[t + 1]]


@pytest.mark.parametrize("fill", ["next_open", "next_close"])
def test_ledger_notional_equals_turnover_times_equity(fill: str) -> None:
    rng = np.random.default_rng(5)
    symbols = ["A", "B", "C", "D"]
    _, close = _random_prices(60, symbols, seed=5)
    open_ = close.shift(1).fillna(close.iloc[0])  # opens at the previous close: no gap
    raw = rng.random((60, 4))
    weights = pd.DataFrame(raw / raw.sum(axis=1, keepdims=True) * 0.9, index=close.index,
                           columns=symbols)  # fmt: skip
    cfg = BacktestConfig(fill=fill, capital_inr=2_500_000)
    res = run_backtest(weights, open_, close, fees=FeeSchedule.load(), cfg=cfg)
    per_day = res.ledger.groupby("date")["notional_inr"].sum().reindex(res.turnover.index)
    per_day = per_day.fillna(0.0)
    if fill == "next_open":  # with open == previous close, pre-trade equity = last close's
        pre_trade = res.equity.shift(1).loc[res.turnover.index]
    else:  # trades at the close, after the day's move
        pre_trade = res.equity.shift(1).loc[res.turnover.index] * (
            1 + res.returns_gross
        )  # fmt: skip
    np.testing.assert_allclose(per_day, res.turnover * pre_trade * cfg.capital_inr, rtol=1e-9)
    cost_per_day = res.ledger.groupby("date")["cost_inr"].sum().reindex(res.costs.index)
    np.testing.assert_allclose(
        cost_per_day.fillna(0.0), res.costs * pre_trade * cfg.capital_inr, rtol=1e-9
    )
    assert (res.exposure <= 1 + 1e-12).all()


def test_missing_prices_unlisted_not_bought_and_suspended_carried() -> None:
    open_, close = _random_prices(20, ["A", "NEW"], seed=7)
    open_.iloc[:6, 1] = np.nan  # NEW lists on day 6
    close.iloc[:6, 1] = np.nan
    open_.iloc[10:12, 0] = np.nan  # A suspended on days 10 and 11
    close.iloc[10:12, 0] = np.nan
    weights = pd.DataFrame({"A": 0.5, "NEW": 0.5}, index=close.index[:-1])
    weights.iloc[9:, 0] = 0.0  # decide to sell A on day 9 -> fill day 10 (suspended)
    res = run_backtest(weights, open_, close, fees=ZERO_FEES, cfg=NO_SLIP)
    held = res.holdings
    assert (held["NEW"].iloc[:5] == 0).all()  # days 1-5: no price, stays in cash
    assert held["NEW"].iloc[5] > 0  # bought at day 6's open
    assert (held["A"].iloc[9:11] > 0).all()  # cannot be sold while suspended
    assert held["A"].iloc[11] == 0.0  # sold at day 12's open, the first one with a price
    a_trades = res.ledger[res.ledger["symbol"] == "A"].set_index("date")
    assert close.index[10] not in a_trades.index and close.index[11] not in a_trades.index
    assert a_trades.loc[close.index[12], "side"] == "sell"
    o, c = open_["A"].to_numpy(), close["A"].to_numpy()
    assert a_trades.loc[close.index[12], "price"] == o[12]
    # carried at the last price: A's share of days 10-11 is zero, day 12 earns open12/close9
    a_only = run_backtest(weights[["A"]], open_[["A"]], close[["A"]], fees=ZERO_FEES, cfg=NO_SLIP)
    r = a_only.returns_net.to_numpy()  # r[k] is day k + 1
    assert np.abs(r[9:11]).max() == 0.0
    h = float(a_only.holdings["A"].to_numpy()[10])
    assert r[11] == pytest.approx(h * (o[12] / c[9] - 1))


def test_all_zero_row_sells_everything_and_no_trades_without_decisions() -> None:
    open_, close = _random_prices(12, ["A", "B"], seed=9)
    weights = pd.DataFrame({"A": [0.5, 0.5, 0.0], "B": [0.5, 0.5, 0.0]},
                           index=close.index[[0, 3, 6]])  # fmt: skip
    res = run_backtest(weights, open_, close, fees=FeeSchedule.load(), cfg=BacktestConfig())
    assert res.returns_net.index[0] == close.index[1]
    assert res.returns_net.index[-1] == close.index[7]
    traded_days = set(res.ledger["date"])
    assert traded_days == {close.index[1], close.index[4], close.index[7]}
    assert (res.turnover.drop([close.index[1], close.index[4], close.index[7]]) == 0).all()
    assert res.exposure.loc[close.index[7]] == 0.0
    assert res.exposure.loc[close.index[5]] > 0.9  # drifting, not rebalanced


def test_dp_charge_weighs_more_on_a_small_account() -> None:
    open_, close = _random_prices(30, ["A", "B", "C"], seed=11)
    rng = np.random.default_rng(11)
    weights = pd.DataFrame(rng.dirichlet([1, 1, 1], 30) * 0.95, index=close.index,
                           columns=["A", "B", "C"])  # fmt: skip
    small = run_backtest(weights, open_, close, fees=FeeSchedule.load(),
                         cfg=BacktestConfig(capital_inr=50_000))  # fmt: skip
    big = run_backtest(weights, open_, close, fees=FeeSchedule.load(),
                       cfg=BacktestConfig(capital_inr=50_000_000))  # fmt: skip
    assert small.costs.sum() > big.costs.sum()
    np.testing.assert_allclose(small.returns_gross, big.returns_gross)


def test_tolerance_band_skips_small_trims() -> None:
    open_, close = _random_prices(30, ["A", "B"], seed=13)
    weights = pd.DataFrame(0.5, index=close.index, columns=["A", "B"])
    exact = run_backtest(weights, open_, close, fees=FeeSchedule.load(), cfg=BacktestConfig())
    banded = run_backtest(weights, open_, close, fees=FeeSchedule.load(), cfg=BacktestConfig(),
                          tolerance=0.5)  # fmt: skip
    assert len(exact.ledger) > 2 and len(banded.ledger) == 2  # only the initial buys
    assert banded.costs.sum() < exact.costs.sum()


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda w: w.iloc[0, 0:1].replace(0.5, np.nan), "NaN"),
        (lambda w: -w, "negative weight"),
        (lambda w: w * 3, "sum to"),
        (lambda w: w.set_axis(w.index + pd.Timedelta(hours=1)), "not price sessions"),
    ],
)
def test_bad_weights_are_rejected(mutate: Any, match: str) -> None:
    open_, close = _random_prices(5, ["A", "B"], seed=1)
    weights = pd.DataFrame(0.5, index=close.index, columns=["A", "B"])
    bad = mutate(weights)
    if isinstance(bad, pd.Series):  # the NaN case
        weights.iloc[0, 0] = np.nan
        bad = weights
    with pytest.raises(DataError, match=match):
        run_backtest(bad, open_, close, fees=ZERO_FEES, cfg=NO_SLIP)


def test_index_and_equal_weight_returns() -> None:
    idx = _days(4)
    close = pd.Series([100.0, 110.0, np.nan, 99.0], index=idx, name="NIFTY 50")
    r = index_returns(close)
    np.testing.assert_allclose(r, [0.1, -0.1])
    assert list(r.index) == [idx[1], idx[3]]
    px = pd.DataFrame({"A": [10.0, 11.0, 12.1, 12.1], "B": [np.nan, 20.0, 18.0, 19.8]}, index=idx)
    ew = equal_weight_returns(px)
    np.testing.assert_allclose(ew, [0.1, (0.1 - 0.1) / 2, (0.0 + 0.1) / 2], atol=1e-15)


# ------------------------------------------------- shorts and slippage models (issue 4)

# intraday toy schedule: buys 10 bp, sells 20 bp, no DP charge
TOY_INTRADAY = FeeSchedule.from_mapping(
    {
        "version": 1,
        "currency": "INR",
        "charges": [
            {"charge": c, "segment": "intraday", "side": side, "rate": rate, "valid_from": START,
             "valid_to": None, "source": "test", "gst_applies": False}
            for c, side, rate in (("stamp_duty", "buy", 0.001), ("stt", "sell", 0.002))
        ],
        "gst": [{"rate": 0.0, "valid_from": START, "valid_to": None, "source": "test"}],
    }
)  # fmt: skip
INTRADAY = BacktestConfig(fill="next_open", cost_segment="intraday", slippage_bps=0.0,
                          capital_inr=100_000)  # fmt: skip


def test_short_is_opened_by_a_sell_and_covered_by_a_buy_hand_computed() -> None:
    idx = _days(3)
    open_ = pd.DataFrame({"A": [100.0, 100.0, 110.0]}, index=idx)
    close = pd.DataFrame({"A": [100.0, 105.0, 100.0]}, index=idx)
    weights = pd.DataFrame({"A": [-0.5, 0.0]}, index=idx[:2])
    res = run_backtest(weights, open_, close, fees=TOY_INTRADAY, cfg=INTRADAY, allow_short=True)
    # day 1: sell short half the equity at 100 (20 bp), A rises 5 % against us
    cost1 = 0.5 * 0.002
    e1 = (1 - cost1) * (1 - 0.5 * 0.05)
    short = -0.5 * (1 - cost1) * 1.05  # position value at the close (negative)
    cash = (1 - cost1) * 1.5  # proceeds of the short sale stay in cash
    assert e1 == pytest.approx(cash + short, rel=1e-12)
    # day 2: A opens at 110; cover the whole short with a buy (10 bp)
    short_open = short * 110 / 105
    e_open = cash + short_open
    cost2 = -short_open * 0.001
    e2 = e_open - cost2
    np.testing.assert_allclose(res.returns_net, [e1 - 1, e2 / e1 - 1], rtol=1e-12)
    np.testing.assert_allclose(res.returns_gross, [-0.025, e_open / e1 - 1], rtol=1e-12)
    np.testing.assert_allclose(res.costs, [cost1, cost2 / e_open], rtol=1e-12)
    assert res.ledger["side"].tolist() == ["sell", "buy"]
    np.testing.assert_allclose(
        res.ledger["cost_inr"], np.array([cost1, cost2]) * 100_000, rtol=1e-12
    )
    np.testing.assert_allclose(res.ledger["price"], [100.0, 110.0])
    assert res.holdings["A"].iloc[0] < -0.5  # the short grew as A rose
    assert res.exposure.iloc[0] == pytest.approx(-res.holdings["A"].iloc[0])


def test_dollar_neutral_book_earns_the_long_minus_short_return() -> None:
    open_, close = _random_prices(30, ["A", "B"], seed=21)
    weights = pd.DataFrame({"A": 0.5, "B": -0.5}, index=close.index)
    cfg = BacktestConfig(fill="next_close", cost_segment="intraday", slippage_bps=0.0)
    res = run_backtest(weights, open_, close, fees=ZERO_FEES, cfg=cfg, allow_short=True)
    r = close.pct_change()
    expected = 0.5 * r["A"] - 0.5 * r["B"]
    np.testing.assert_allclose(res.returns_net.iloc[1:], expected.iloc[2:], rtol=1e-12)
    assert res.returns_net.iloc[0] == 0.0  # filled at day 1's close
    np.testing.assert_allclose(res.exposure, 1.0)
    np.testing.assert_allclose(res.holdings.sum(axis=1), 0.0, atol=1e-15)


def test_shorts_are_refused_on_delivery_and_without_the_flag() -> None:
    open_, close = _random_prices(5, ["A", "B"], seed=1)
    weights = pd.DataFrame({"A": 0.5, "B": -0.5}, index=close.index)
    with pytest.raises(DataError, match="cannot be sold short"):
        run_backtest(weights, open_, close, fees=ZERO_FEES, cfg=NO_SLIP, allow_short=True)
    with pytest.raises(DataError, match="negative weight"):
        run_backtest(weights, open_, close, fees=TOY_INTRADAY, cfg=INTRADAY)
    with pytest.raises(DataError, match=r"sum to 1\.2"):
        run_backtest(weights * 1.2, open_, close, fees=TOY_INTRADAY, cfg=INTRADAY,
                     allow_short=True)  # fmt: skip


def test_allow_short_leaves_a_long_only_book_unchanged() -> None:
    open_, close = _random_prices(40, ["A", "B", "C"], seed=17)
    rng = np.random.default_rng(17)
    weights = pd.DataFrame(rng.dirichlet([1, 1, 1], 40) * 0.9, index=close.index,
                           columns=["A", "B", "C"]).iloc[::2]  # fmt: skip
    cfg = BacktestConfig(cost_segment="intraday")
    fees = FeeSchedule.load()
    base = run_backtest(weights, open_, close, fees=fees, cfg=cfg, tolerance=0.02)
    flag = run_backtest(weights, open_, close, fees=fees, cfg=cfg, tolerance=0.02,
                        allow_short=True)  # fmt: skip
    pd.testing.assert_series_equal(base.returns_net, flag.returns_net, check_exact=True)
    pd.testing.assert_frame_equal(base.ledger, flag.ledger, check_exact=True)


def test_a_short_that_loses_more_than_the_equity_ruins_the_account() -> None:
    idx = _days(4)
    open_ = pd.DataFrame({"A": [100.0, 100.0, 300.0, 300.0]}, index=idx)
    close = pd.DataFrame({"A": [100.0, 300.0, 300.0, 320.0]}, index=idx)
    weights = pd.DataFrame({"A": -1.0}, index=idx[:3])
    cfg = BacktestConfig(fill="next_open", cost_segment="intraday", slippage_bps=0.0)
    res = run_backtest(weights, open_, close, fees=ZERO_FEES, cfg=cfg, allow_short=True)
    assert res.returns_net.tolist() == [-1.0, 0.0, 0.0]
    assert res.equity.iloc[-1] == 0.0 and (res.holdings.to_numpy() == 0).all()


def test_default_slippage_is_fixed_bps_from_the_config() -> None:
    open_, close = _random_prices(30, ["A", "B"], seed=19)
    weights = pd.DataFrame({"A": 0.6, "B": 0.3}, index=close.index[::3])
    cfg = BacktestConfig(slippage_bps=7.5)
    fees = FeeSchedule.load()
    default = run_backtest(weights, open_, close, fees=fees, cfg=cfg)
    explicit = run_backtest(weights, open_, close, fees=fees, cfg=cfg, slippage=FixedBps(7.5))
    pd.testing.assert_series_equal(default.returns_net, explicit.returns_net, check_exact=True)
    pd.testing.assert_frame_equal(default.ledger, explicit.ledger, check_exact=True)
    other = run_backtest(weights, open_, close, fees=fees, cfg=cfg, slippage=FixedBps(20.0))
    assert other.costs.sum() > default.costs.sum()


def test_per_symbol_spread_slippage_is_charged_per_trade() -> None:
    open_, close = _random_prices(6, ["A", "B"], seed=23)
    weights = pd.DataFrame({"A": [0.5, 0.0], "B": [0.5, 0.0]}, index=close.index[[0, 2]])
    model = SpreadSlippage({"A": 10.0, "B": 40.0})
    res = run_backtest(weights, open_, close, fees=ZERO_FEES, cfg=NO_SLIP, slippage=model)
    assert res.costs.iloc[0] == pytest.approx(0.5 * 10e-4 + 0.5 * 40e-4, rel=1e-12)
    ledger = res.ledger.set_index(["date", "symbol"])
    per_bps = ledger["cost_inr"] / ledger["notional_inr"] * 1e4
    np.testing.assert_allclose(per_bps.xs("A", level="symbol"), 10.0, rtol=1e-12)
    np.testing.assert_allclose(per_bps.xs("B", level="symbol"), 40.0, rtol=1e-12)


class _BadModel:
    def __init__(self, value: float, shape: tuple[int, int] | None = None) -> None:
        self.value, self.shape = value, shape

    def per_side_bps(self, dates: pd.DatetimeIndex, symbols: Any) -> np.ndarray:
        return np.full(self.shape or (len(dates), len(symbols)), self.value)


@pytest.mark.parametrize(
    ("model", "match"), [(_BadModel(1.0, (1, 1)), "shape"), (_BadModel(-1.0), "gave -1.0")]
)
def test_a_bad_slippage_model_is_reported(model: _BadModel, match: str) -> None:
    open_, close = _random_prices(5, ["A", "B"], seed=1)
    weights = pd.DataFrame(0.5, index=close.index, columns=["A", "B"])
    with pytest.raises(DataError, match=match):
        run_backtest(weights, open_, close, fees=ZERO_FEES, cfg=NO_SLIP, slippage=model)
