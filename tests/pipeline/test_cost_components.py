"""Costs of the student's trades split by NSE charge (returns/cost_components.parquet)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sensequant.errors import DataError
from sensequant.evaluation.backtest import LEDGER_COLUMNS, BacktestResult, run_backtest
from sensequant.evaluation.costs import FeeSchedule
from sensequant.pipeline.cost_components import (
    COMPONENTS,
    cost_components,
    save_holdings_and_costs,
)
from sensequant.pipeline.rundir import RunPaths
from sensequant.settings import BacktestConfig
from sensequant.types import IST


def _backtest(slippage_bps: float = 5.0, segment: str = "delivery") -> BacktestResult:
    dates = pd.bdate_range("2024-11-04", periods=6, tz=IST)
    px = pd.DataFrame({"A": [100.0, 101, 102, 103, 104, 105], "B": [50.0] * 6}, dates)
    weights = pd.DataFrame({"A": [0.5, 0.2, 0.0], "B": [0.5, 0.5, 0.0]}, index=dates[[0, 2, 4]])
    cfg = BacktestConfig(slippage_bps=slippage_bps, cost_segment=segment)
    return run_backtest(weights, px, px, fees=FeeSchedule.load(), cfg=cfg)


@pytest.mark.parametrize("segment", ["delivery", "intraday"])
def test_components_add_up_to_the_ledger(segment: str) -> None:
    bt = _backtest(segment=segment)
    out = cost_components(bt.ledger, FeeSchedule.load(), segment)
    assert list(out.columns) == ["date", "symbol", "side", "notional_inr", "cost_inr",
                                 *COMPONENTS]  # fmt: skip
    assert out[list(COMPONENTS)].sum(axis=1).to_numpy() == pytest.approx(out["cost_inr"])
    # slippage is exactly 5 bp of each trade's notional
    assert (out["slippage"] / out["notional_inr"] * 1e4).to_numpy() == pytest.approx(5.0)
    buys, sells = out[out["side"] == "buy"], out[out["side"] == "sell"]
    assert (buys["dp_charge"] == 0).all() and (sells["stamp_duty"] == 0).all()
    if segment == "delivery":  # STT 0.1 % both sides; DP Rs 13 + GST per scrip sold
        assert (out["stt"] / out["notional_inr"]).to_numpy() == pytest.approx(1e-3)
        assert sells["dp_charge"].to_numpy() == pytest.approx(13.0)
        assert (buys["stamp_duty"] / buys["notional_inr"]).to_numpy() == pytest.approx(1.5e-4)
    else:  # intraday: STT on sells only, brokerage charged
        assert (buys["stt"] == 0).all() and (out["brokerage"] > 0).all()


def test_one_order_matches_the_fee_schedule() -> None:
    bt = _backtest(slippage_bps=0.0)
    fees = FeeSchedule.load()
    out = cost_components(bt.ledger, fees, "delivery")
    row = out.iloc[-1]
    exact = fees.order_costs(row["notional_inr"], row["side"], row["date"], "delivery")
    for name in ("stt", "exchange_txn", "sebi_fee", "stamp_duty", "dp_charge", "gst"):
        assert row[name] == pytest.approx(getattr(exact, name)), name
    assert row["slippage"] == pytest.approx(0.0, abs=1e-9)


def test_empty_and_malformed_ledgers() -> None:
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in LEDGER_COLUMNS})
    out = cost_components(empty, FeeSchedule.load(), "delivery")
    assert out.empty and "slippage" in out.columns
    with pytest.raises(DataError, match="cost_inr"):
        cost_components(empty.drop(columns=["cost_inr"]), FeeSchedule.load(), "delivery")


def test_saved_files(tmp_path: Path) -> None:
    bt = _backtest()
    (tmp_path / "returns").mkdir()
    save_holdings_and_costs(RunPaths(tmp_path), bt, FeeSchedule.load())
    holdings = pd.read_parquet(tmp_path / "returns" / "holdings.parquet")
    assert list(holdings.columns) == ["timestamp", "A", "B"]
    assert holdings[["A", "B"]].to_numpy() == pytest.approx(bt.holdings.to_numpy())
    costs = pd.read_parquet(tmp_path / "returns" / "cost_components.parquet")
    assert costs["cost_inr"].sum() == pytest.approx(bt.ledger["cost_inr"].sum())
