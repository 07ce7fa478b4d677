"""Trade ledger of :mod:`sensequant.evaluation.backtest`: one row per trade."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sensequant.settings import BacktestConfig

LEDGER_COLUMNS = (
    "date", "symbol", "side", "weight_traded", "notional_inr", "price", "cost_inr", "equity_inr"
)  # fmt: skip


def _ledger(
    trades: list[tuple[int, np.ndarray, np.ndarray, float]],
    idx: pd.Index,
    symbols: list[str],
    fill_px: np.ndarray,
    buy_cost: np.ndarray,
    sell_cost: np.ndarray,
    dp_inr: np.ndarray,
    j0: int,
    cfg: BacktestConfig,
) -> pd.DataFrame:
    if not trades:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LEDGER_COLUMNS})
    day = np.concatenate([np.full(t[1].size, t[0]) for t in trades])
    col = np.concatenate([t[1] for t in trades])
    delta = np.concatenate([t[2] for t in trades])
    eq_inr = np.concatenate([np.full(t[1].size, t[3]) for t in trades]) * cfg.capital_inr
    notional = np.abs(delta) * eq_inr
    is_buy = delta > 0
    k = day - j0
    rate = np.where(is_buy, buy_cost[k, col], sell_cost[k, col])
    cost = notional * rate + np.where(is_buy, 0, dp_inr[k])
    return pd.DataFrame(
        {
            "date": idx[day],
            "symbol": np.asarray(symbols, dtype=object)[col],
            "side": np.where(is_buy, "buy", "sell"),
            "weight_traded": np.abs(delta),
            "notional_inr": notional,
            "price": fill_px[day, col],
            "cost_inr": cost,
            "equity_inr": eq_inr,
        }
    )
