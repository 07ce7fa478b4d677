"""Slippage models for the backtest: basis points paid per side on traded notional.

A model answers one question: for these fill sessions and symbols, how many basis points of
the traded notional does a fill cost on top of the fee schedule? The backtest multiplies each
trade's notional by ``(fee bps + slippage bps) / 1e4``; buys and sells pay the same slippage.

* :class:`FixedBps` -- one number for every symbol and session (``BacktestConfig.slippage_bps``,
  the backtest's default behaviour).
* :class:`SpreadSlippage` -- half the quoted spread, per symbol (a fixed mapping) or per
  (session, symbol) (a frame), e.g. estimated from daily highs and lows with
  :meth:`SpreadSlippage.from_high_low` (Corwin & Schultz 2012).

Any object with a matching :meth:`SlippageModel.per_side_bps` method works (the protocol is
structural); a model that depends on prices or volumes takes them when it is built, so the
backtest never hands it data from after the fill.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from sensequant.errors import ConfigError, DataError

_CS_DENOM = 3.0 - 2.0 * math.sqrt(2.0)


@runtime_checkable
class SlippageModel(Protocol):
    """Anything that prices slippage in basis points per side."""

    def per_side_bps(self, dates: pd.DatetimeIndex, symbols: Sequence[str]) -> np.ndarray:
        """Slippage per side for fills on ``dates`` in ``symbols``.

        Parameters
        ----------
        dates : pandas.DatetimeIndex, length n
            Fill sessions.
        symbols : sequence of str, length m

        Returns
        -------
        numpy.ndarray
            Shape (n, m), finite, >= 0, basis points of traded notional per side.
        """
        ...


def _check_bps(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value >= 0):
        raise ConfigError(
            f"{name} must be a finite number of basis points >= 0, got {value}",
            hint="slippage is a cost per side in basis points (5 = 0.05 %)",
        )
    return value


class FixedBps:
    """The same slippage for every symbol and session.

    Parameters
    ----------
    bps : float
        Basis points of traded notional per side, >= 0.

    Raises
    ------
    ConfigError
        Negative or non-finite ``bps``.
    """

    def __init__(self, bps: float) -> None:
        self.bps = _check_bps("bps", bps)

    def per_side_bps(self, dates: pd.DatetimeIndex, symbols: Sequence[str]) -> np.ndarray:
        """``bps`` everywhere; shape (len(dates), len(symbols))."""
        return np.full((len(dates), len(symbols)), self.bps)

    def __repr__(self) -> str:
        return f"FixedBps({self.bps:g})"


class SpreadSlippage:
    """Half the bid-ask spread, per symbol or per (session, symbol), plus an optional floor.

    Crossing the spread costs half of it per side (buy at the ask, sell at the bid, measured
    from the mid). ``multiplier`` scales the half spread (e.g. 1.5 to add some impact).

    Parameters
    ----------
    half_spread_bps : mapping of str to float, or pandas.DataFrame
        Either one half spread per symbol (basis points), or a frame (session x symbol) of half
        spreads known BEFORE each session (a session's value is used for fills on it; later
        sessions absent from the frame take the last known value).
    default_bps : float, default 5.0
        Used for a symbol missing from the mapping/frame and for sessions before its first
        estimate.
    multiplier : float, default 1.0
        Scale on the half spread (>= 0).
    floor_bps : float, default 0.0
        Minimum slippage per side after scaling.

    Raises
    ------
    ConfigError
        Negative or non-finite numbers.
    """

    def __init__(
        self,
        half_spread_bps: Mapping[str, float] | pd.DataFrame,
        *,
        default_bps: float = 5.0,
        multiplier: float = 1.0,
        floor_bps: float = 0.0,
    ) -> None:
        self.default_bps = _check_bps("default_bps", default_bps)
        self.multiplier = _check_bps("multiplier", multiplier)
        self.floor_bps = _check_bps("floor_bps", floor_bps)
        if isinstance(half_spread_bps, pd.DataFrame):
            values = half_spread_bps.to_numpy(dtype=float)
            bad = np.isfinite(values) & (values < 0)
            if bad.any():
                r, c = np.argwhere(bad)[0]
                raise ConfigError(
                    f"negative half spread {values[r, c]} for {half_spread_bps.columns[c]} on "
                    f"{half_spread_bps.index[r]}",
                    hint="half spreads are basis points >= 0 (NaN = unknown, uses default_bps)",
                )
            self.table: pd.DataFrame | None = half_spread_bps.sort_index()
            self.by_symbol: dict[str, float] = {}
        else:
            self.table = None
            self.by_symbol = {
                str(s): _check_bps(f"half_spread_bps[{s!r}]", v) for s, v in half_spread_bps.items()
            }

    @classmethod
    def from_high_low(
        cls,
        high: pd.DataFrame,
        low: pd.DataFrame,
        *,
        window: int = 21,
        default_bps: float = 5.0,
        multiplier: float = 1.0,
        floor_bps: float = 0.0,
    ) -> SpreadSlippage:
        """Half spreads estimated from daily highs and lows (Corwin & Schultz 2012).

        See :func:`corwin_schultz_spread` for the estimator. The half spread used for fills on
        session t is half the mean two-day estimate over the ``window`` sessions ending at
        t - 1 (nothing from the fill session itself).

        Parameters
        ----------
        high, low : pandas.DataFrame
            Session x symbol daily highs and lows (same shape; NaN = no bar).
        window : int, default 21
            Sessions averaged (at least 2 valid estimates are needed; else ``default_bps``).
        default_bps, multiplier, floor_bps : float
            As in the constructor.

        Returns
        -------
        SpreadSlippage
        """
        spread = corwin_schultz_spread(high, low)
        mean = spread.rolling(window, min_periods=2).mean().shift(1)
        return cls(
            mean * 0.5 * 1e4, default_bps=default_bps, multiplier=multiplier, floor_bps=floor_bps
        )

    def per_side_bps(self, dates: pd.DatetimeIndex, symbols: Sequence[str]) -> np.ndarray:
        """``max(floor_bps, multiplier * half spread)``; shape (len(dates), len(symbols))."""
        if self.table is None:
            row = np.array([self.by_symbol.get(s, self.default_bps) for s in symbols])
            half = np.broadcast_to(row, (len(dates), len(symbols)))
        else:
            table = self.table.reindex(columns=list(symbols))
            known = table.reindex(table.index.union(dates)).ffill().reindex(dates)
            half = known.fillna(self.default_bps).to_numpy(dtype=float)
        return np.maximum(self.floor_bps, self.multiplier * half)

    def __repr__(self) -> str:
        kind = "per-session table" if self.table is not None else f"{len(self.by_symbol)} symbols"
        return f"SpreadSlippage({kind}, default {self.default_bps:g} bp, x{self.multiplier:g})"


def corwin_schultz_spread(high: pd.DataFrame, low: pd.DataFrame) -> pd.DataFrame:
    """Two-day Corwin-Schultz bid-ask spread estimate (fraction of price).

    From Corwin & Schultz (2012), "A Simple Way to Estimate Bid-Ask Spreads from Daily High
    and Low Prices", Journal of Finance 67(2), eq. (14), for the pair of sessions (t-1, t)::

        beta  = ln(H_{t-1}/L_{t-1})^2 + ln(H_t/L_t)^2
        gamma = ln(max(H_{t-1}, H_t) / min(L_{t-1}, L_t))^2
        alpha = (sqrt(2 beta) - sqrt(beta)) / (3 - 2 sqrt 2) - sqrt(gamma / (3 - 2 sqrt 2))
        S_t   = 2 (e^alpha - 1) / (1 + e^alpha)

    Negative estimates are set to 0 (the paper's usual choice). The overnight-gap adjustment of
    the paper is NOT applied: keep this a rough, documented cost proxy, not a microstructure
    measurement.

    Parameters
    ----------
    high, low : pandas.DataFrame
        Session x symbol daily highs and lows, same index and columns.

    Returns
    -------
    pandas.DataFrame
        Same shape; row t is the estimate from sessions t-1 and t (first row NaN; NaN where a
        bar is missing or high < low).

    Raises
    ------
    DataError
        Frames of different shape, index or columns.
    """
    if not (high.index.equals(low.index) and high.columns.equals(low.columns)):
        raise DataError(
            "high and low frames must share index and columns",
            hint="build both from the same bars (session x symbol)",
        )
    h, lo = high.to_numpy(dtype=float), low.to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        hl = np.log(h / lo)
        hl[hl < 0] = np.nan
        sq = hl**2
        beta = np.full_like(sq, np.nan)
        beta[1:] = sq[1:] + sq[:-1]
        gamma = np.full_like(sq, np.nan)
        gamma[1:] = np.log(np.maximum(h[1:], h[:-1]) / np.minimum(lo[1:], lo[:-1])) ** 2
        alpha = (np.sqrt(2 * beta) - np.sqrt(beta)) / _CS_DENOM - np.sqrt(gamma / _CS_DENOM)
        spread = 2 * (np.exp(alpha) - 1) / (1 + np.exp(alpha))
    spread = np.where(np.isnan(spread), np.nan, np.maximum(spread, 0.0))
    return pd.DataFrame(spread, index=high.index, columns=high.columns)
