"""Intraday backtest: next-bar fills, square-off every session, MIS costs to the paisa."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.config_sections import IntradayConfig
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.intraday_backtest import run_intraday_backtest
from sensequant.settings import BacktestConfig
from sensequant.types import IST

PAISA = 0.005


def grid(days: list[str], bars: int = 75) -> pd.DatetimeIndex:
    stamps = [
        pd.Timestamp(d) + pd.Timedelta(minutes=555 + 5 * i) for d in days for i in range(bars)
    ]
    return pd.DatetimeIndex(stamps).tz_localize(IST)


def prices(idx: pd.DatetimeIndex, symbols: list[str], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    walk = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, (len(idx), len(symbols))), axis=0))
    return pd.DataFrame(walk, index=idx, columns=symbols)


def test_no_position_is_held_across_a_session_boundary() -> None:
    idx = grid(["2024-10-01", "2024-10-03", "2024-10-04"])
    px = prices(idx, ["A", "B"])
    day = idx.normalize()
    first = np.concatenate(([True], day[1:] != day[:-1]))
    last = np.append(day[1:] != day[:-1], True)
    # decided at every session's first bar; also asks for the book at the last bar's close
    weights = pd.DataFrame(0.5, index=idx[first | last], columns=["A", "B"])
    res = run_intraday_backtest(
        weights, px, px * 1.0001, fees=FeeSchedule.load(), cfg=BacktestConfig(),
        rules=IntradayConfig(), bar_minutes=5,
    )  # fmt: skip
    held = res.bars.holdings
    assert (held.loc[last] == 0).all().all()  # flat after the last bar of every session
    assert (held.loc[first] == 0).all().all()  # nothing carried into the first bar
    assert (held.abs().sum(axis=1).iloc[1:74] > 0.99).all()  # invested inside the session
    trades = res.bars.ledger
    assert set(pd.DatetimeIndex(trades["date"]).normalize()) == set(day.unique())
    # the square-off sells happen at the open of each session's last bar
    sells = trades[trades["side"] == "sell"]
    assert set(pd.DatetimeIndex(sells["date"])) == set(idx[last])
    assert len(res.sessions.returns_net) == 3
    assert res.sessions.turnover.iloc[0] == pytest.approx(2.0, rel=1e-6)  # in and out


def test_no_new_entries_in_the_last_minutes() -> None:
    idx = grid(["2024-10-01"])
    px = prices(idx, ["A", "B"])
    # A from bar 11; B asked at 15:15's close, fills at 15:20: in the last 15 minutes, refused
    weights = pd.DataFrame({"A": [0.5, 0.5], "B": [0.0, 0.5]}, index=idx[[10, 72]])
    res = run_intraday_backtest(
        weights, px, px, fees=FeeSchedule.load(), cfg=BacktestConfig(),
        rules=IntradayConfig(no_entry_minutes=15), bar_minutes=5,
    )  # fmt: skip
    assert (res.bars.holdings["B"] == 0).all()
    assert (res.bars.holdings["A"].iloc[11:74] > 0).all()
    assert res.bars.holdings["A"].iloc[74] == 0  # squared off


def test_round_trip_costs_match_the_reference_to_the_paisa() -> None:
    """One Rs 1,00,000 round trip on 2024-10-01 (reference/evaluation.md: MIS schedule)."""
    idx = grid(["2024-10-01"])
    px = pd.DataFrame(100.0, index=idx, columns=["A"])
    weights = pd.DataFrame({"A": [1.0]}, index=idx[:1])
    cfg = BacktestConfig(capital_inr=100_000.0, slippage_bps=0.0)
    res = run_intraday_backtest(
        weights, px, px, fees=FeeSchedule.load(), cfg=cfg, rules=IntradayConfig(), bar_minutes=5
    )
    ledger = res.bars.ledger.set_index("side")
    buy_n, sell_n = ledger.at["buy", "notional_inr"], ledger.at["sell", "notional_inr"]
    assert buy_n == pytest.approx(100_000.0)

    def reference(notional: float, side: str) -> float:  # the reference table, by hand
        brokerage = min(0.0003 * notional, 20.0)
        txn, sebi, ipft = 0.0000297 * notional, 0.000001 * notional, 0.000001 * notional
        stt = 0.00025 * notional if side == "sell" else 0.0
        stamp = 0.00003 * notional if side == "buy" else 0.0
        return brokerage + txn + sebi + ipft + stt + stamp + 0.18 * (brokerage + txn + sebi)

    assert ledger.at["buy", "cost_inr"] == pytest.approx(reference(buy_n, "buy"), abs=PAISA)
    assert ledger.at["sell", "cost_inr"] == pytest.approx(reference(sell_n, "sell"), abs=PAISA)
    # at Rs 1,00,000 each way the round trip is the reference's Rs 82.65 (about 8.3 bp)
    assert reference(100_000, "buy") + reference(100_000, "sell") == pytest.approx(
        82.6452, abs=PAISA
    )
    # equity: flat prices, so the session return is minus the two orders' costs
    lost = (ledger["cost_inr"].sum()) / 100_000
    assert res.sessions.returns_net.iloc[0] == pytest.approx(-lost, abs=1e-9)


def test_long_short_book_is_capped_and_squared_off() -> None:
    from sensequant.pipeline.intraday_evidence import intraday_weights
    from sensequant.settings import PortfolioConfig, RunConfig

    idx = grid(["2024-10-01"])
    symbols = ["A", "B", "C", "D", "E", "F"]
    pred = pd.DataFrame(
        [(s, t, float(i)) for t in idx for i, s in enumerate(symbols)],
        columns=["symbol", "timestamp", "score"],
    )
    cfg = RunConfig().with_overrides(interval="5m")
    cfg = cfg.model_copy(update={"intraday": IntradayConfig(long_short=True, max_gross=0.8)})
    w = intraday_weights(pred, PortfolioConfig(score="score", top_k=2, rebalance_every=6), cfg)
    assert len(w) == 13  # every 6th bar
    assert w.abs().sum(axis=1).max() == pytest.approx(0.8)
    assert (w[["E", "F"]] > 0).all().all() and (w[["A", "B"]] < 0).all().all()
    px = prices(idx, symbols)
    res = run_intraday_backtest(
        w, px, px, fees=FeeSchedule.load(), cfg=BacktestConfig(), rules=cfg.intraday,
        bar_minutes=5,
    )  # fmt: skip
    assert (res.bars.holdings.iloc[-1] == 0).all()
    assert (res.bars.holdings[["A", "B"]].iloc[1:70] < 0).all().all()
