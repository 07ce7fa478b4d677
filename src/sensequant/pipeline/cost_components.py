"""Rupees paid per NSE charge on the student's trades, and the holdings the report plots.

:func:`save_holdings_and_costs` writes ``returns/holdings.parquet`` (end-of-day weights) and
``returns/cost_components.parquet`` (:func:`cost_components` of the trade ledger).

The backtest charges each trade ``notional x (buy or sell bps + slippage bps) / 1e4`` plus the
DP charge on every scrip sold that day (:mod:`sensequant.evaluation.backtest`), and records
the total in the trade ledger's ``cost_inr``. This module splits that total back into the
charges of the effective-dated fee schedule the run used (:class:`FeeSchedule`): STT,
exchange transaction charge, IPFT, SEBI fee, stamp duty, brokerage, DP charge and GST, each
for the trade's own date, side and segment, with brokerage at its uncapped rate as the
backtest charges it. Slippage is what remains of ``cost_inr`` (the slippage model's bps of the
notional), so the components add up to the ledger exactly.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from sensequant.errors import DataError
from sensequant.evaluation.backtest import BacktestResult
from sensequant.evaluation.costs import CHARGES, FeeSchedule, Segment
from sensequant.pipeline.rundir import RunPaths, write_parquet

COMPONENTS: Final[tuple[str, ...]] = (*CHARGES, "gst", "slippage")
"""Cost columns of :func:`cost_components`, in rupees."""
_LEDGER_NEEDS: Final = ("date", "symbol", "side", "notional_inr", "cost_inr")


def cost_components(ledger: pd.DataFrame, fees: FeeSchedule, segment: Segment) -> pd.DataFrame:
    """Split every trade's cost into the fee schedule's charges and slippage (rupees).

    Parameters
    ----------
    ledger : pandas.DataFrame
        The backtest's trade ledger (``date`` fill session, IST; ``symbol``; ``side``
        ``buy``/``sell``; ``notional_inr``; ``cost_inr``), one row per symbol and day.
    fees : FeeSchedule
        The schedule the backtest charged (``FeeSchedule.load()`` in a run).
    segment : {"delivery", "intraday"}
        The backtest's cost segment.

    Returns
    -------
    pandas.DataFrame
        ``date, symbol, side, notional_inr, cost_inr`` then one rupee column per
        :data:`COMPONENTS` (GST on the charges GST applies to; ``slippage`` =
        ``cost_inr`` minus the schedule's charges). Empty (same columns) for an empty ledger.

    Raises
    ------
    DataError
        If the ledger lacks a needed column.
    ConfigError
        If the schedule does not cover a trade date.
    """
    missing = [c for c in _LEDGER_NEEDS if c not in ledger.columns]
    if missing:
        raise DataError(
            f"trade ledger lacks columns {missing}",
            hint="pass BacktestResult.ledger (returns/ledger.parquet)",
        )
    out = ledger[list(_LEDGER_NEEDS)].copy().reset_index(drop=True)
    if out.empty:
        for c in COMPONENTS:
            out[c] = pd.Series(dtype=float)
        return out
    notional = out["notional_inr"].to_numpy(dtype=float)
    keys = list(zip(pd.DatetimeIndex(out["date"]).normalize(), out["side"], strict=True))
    # every charge is linear in the notional (brokerage uncapped, as the backtest charges it)
    # except the DP charge, a fixed amount per sell order: cost(n) = slope * n + fixed
    slope: dict[tuple[pd.Timestamp, str], np.ndarray] = {}
    fixed: dict[tuple[pd.Timestamp, str], np.ndarray] = {}
    names = (*CHARGES, "gst")
    for key in dict.fromkeys(keys):
        day, side = key
        one = fees.order_costs(1.0, side, day, segment)
        two = fees.order_costs(2.0, side, day, segment)
        a = np.array([getattr(one, n) for n in names])
        b = np.array([getattr(two, n) for n in names])
        slope[key], fixed[key] = b - a, 2.0 * a - b
    per_trade = np.array([slope[k] for k in keys]) * notional[:, None] + np.array(
        [fixed[k] for k in keys]
    )
    for i, name in enumerate(names):
        out[name] = per_trade[:, i]
    out["slippage"] = out["cost_inr"].to_numpy(dtype=float) - per_trade.sum(axis=1)
    return out


def save_holdings_and_costs(paths: RunPaths, bt: BacktestResult, fees: FeeSchedule) -> None:
    """Write the student's holdings and its costs by component into the run directory.

    Parameters
    ----------
    paths : RunPaths
        The run directory.
    bt : BacktestResult
        The student portfolio's backtest (``holdings``, ``ledger``, ``segment``).
    fees : FeeSchedule
        The schedule the backtest charged.

    Notes
    -----
    ``returns/holdings.parquet``: ``timestamp`` then one column per symbol, the end-of-day
    weight (fraction of that day's equity). ``returns/cost_components.parquet``: see
    :func:`cost_components`.
    """
    holdings = bt.holdings.rename_axis("timestamp").reset_index()
    write_parquet(holdings, paths.returns("holdings"))
    segment: Segment = "intraday" if bt.segment == "intraday" else "delivery"
    write_parquet(cost_components(bt.ledger, fees, segment), paths.returns("cost_components"))
