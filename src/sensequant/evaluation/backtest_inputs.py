"""Input checks and price arrays of :mod:`sensequant.evaluation.backtest`.

:func:`_check_inputs` validates target weights and price frames (calendar, columns, NaN,
shorts, leverage); :func:`_carried_prices` and :func:`_ratio` turn prices into the overnight,
intraday and close-to-close return arrays; :func:`_slippage_bps` checks a slippage model's
basis points. Pure computation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sensequant.errors import DataError
from sensequant.evaluation.portfolio_caps import weight_values
from sensequant.evaluation.slippage import SlippageModel


def _check_inputs(
    weights: pd.DataFrame,
    open_px: pd.DataFrame,
    close_px: pd.DataFrame,
    *,
    allow_short: bool = False,
    segment: str = "delivery",
) -> None:
    if allow_short and segment != "intraday":
        raise DataError(
            f"allow_short=True with cost_segment={segment!r}: NSE cash-equity delivery "
            "positions cannot be sold short",
            hint="set backtest.cost_segment='intraday' for a long-short book, or keep weights >= 0",
        )
    hint = "pass wide frames (session timestamp x symbol) sharing one sorted calendar"
    idx = close_px.index
    if not (idx.is_monotonic_increasing and idx.is_unique):
        raise DataError("close_px index must be sorted and unique", hint=hint)
    if not open_px.index.equals(idx):
        raise DataError("open_px and close_px must have the same index", hint=hint)
    for name, frame in (("open_px", open_px), ("close_px", close_px)):
        absent = [s for s in weights.columns if s not in frame.columns]
        if absent:
            raise DataError(f"{name} has no prices for {absent[:5]}", hint=hint)
    outside = weights.index.difference(idx)
    if len(outside):
        raise DataError(
            f"{len(outside)} decision date(s) are not price sessions, first {outside[0]}",
            hint="decision timestamps must be sessions of the price frames",
        )
    values = weight_values(weights)
    if not allow_short and (values < 0).any():
        r, c = np.argwhere(values < 0)[0]
        raise DataError(
            f"negative weight {values[r, c]} for {weights.columns[c]} on {weights.index[r]}",
            hint="the backtest is long-only by default (NSE delivery cannot be shorted); "
            "pass allow_short=True with the intraday cost segment for a long-short book",
        )
    gross = np.abs(values).sum(axis=1)
    if (gross > 1 + 1e-9).any():
        r = int(np.argmax(gross > 1 + 1e-9))
        raise DataError(
            f"weights sum to {gross[r]:.6f} > 1 on {weights.index[r]}"
            + (" (gross, sum of |w|)" if allow_short else ""),
            hint="no leverage: target weights (|w| for shorts) must sum to at most 1",
        )


def _carried_prices(open_: np.ndarray, close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward-fill prices along open_0, close_0, open_1, ... (carry the last known price)."""
    t, n = open_.shape
    seq = np.empty((2 * t, n))
    seq[0::2] = open_
    seq[1::2] = close
    seq = pd.DataFrame(seq).ffill().to_numpy()
    return seq[0::2], seq[1::2]


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        r = a / b - 1.0
    return np.where(np.isfinite(r), r, 0.0)


def _slippage_bps(
    model: SlippageModel, dates: pd.DatetimeIndex, symbols: list[str]
) -> tuple[np.ndarray, bool]:
    """The model's (n_days, n_sym) bps, checked, and whether each row is one number."""
    slip = np.asarray(model.per_side_bps(dates, symbols), dtype=float)
    if slip.shape != (len(dates), len(symbols)):
        raise DataError(
            f"slippage model {model!r} returned shape {slip.shape}, expected "
            f"{(len(dates), len(symbols))}",
            hint="per_side_bps must return one number per (fill session, symbol)",
        )
    bad = ~np.isfinite(slip) | (slip < 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"slippage model {model!r} gave {slip[r, c]} bps for {symbols[c]} on {dates[r]}",
            hint="slippage must be a finite number of basis points >= 0",
        )
    uniform = slip.shape[1] > 0 and bool((slip == slip[:, :1]).all())
    return slip, uniform
