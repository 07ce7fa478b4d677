"""Corporate-action detection: splits and bonuses found from the bars' price levels.

:func:`detect_corporate_actions` and its tolerances (see
:mod:`sensequant.data.quality.corporate_actions` for the method, which re-exports these names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.data.quality.checks import day_numbers
from sensequant.data.reference import is_index_symbol

__all__ = [
    "DAY_TOLERANCE",
    "LEVEL_TOLERANCE",
    "LEVEL_WINDOW",
    "MAX_GAP_DAYS",
    "PRICE_TOLERANCE",
    "REVERSAL_WINDOW",
    "STANDARD_FACTORS",
    "TURNOVER_SHOCK",
    "TURNOVER_WINDOW",
    "SuspectedAction",
    "detect_corporate_actions",
]

STANDARD_FACTORS: Final[tuple[tuple[str, str, float], ...]] = (
    *((("split", f"1:{n}", 1.0 / n)) for n in range(2, 11)),
    ("bonus", "1:2", 2.0 / 3.0),
    ("bonus", "2:3", 3.0 / 5.0),
    ("bonus", "3:2", 2.0 / 5.0),
)
"""(kind, ratio, price factor) of the actions detected; see the module table."""
PRICE_TOLERANCE: Final = 0.03
"""Relative distance of the closer overnight ratio to the factor."""
DAY_TOLERANCE: Final = 0.10
"""Relative distance of the other ratio (open or close) to the factor."""
LEVEL_TOLERANCE: Final = 0.25
"""Relative distance of the post/pre median-close ratio to the factor. Loose on purpose: ten
sessions' medians drift with the price (5-15 % for 1.5-2.5 % daily volatility); it only has
to tell a lasting level from a reverted glitch (ratio ~1, i.e. >= 50 % away for f <= 2/3)."""
LEVEL_WINDOW: Final = 10
"""Sessions on each side whose median closes measure the level shift."""
REVERSAL_WINDOW: Final = 20
"""Sessions either side searched for a reverse jump (a glitch window)."""
TURNOVER_WINDOW: Final = 20
"""Sessions before the ex-date whose median rupee turnover is the reference."""
TURNOVER_SHOCK: Final = 3.0
"""Turnover above this multiple of its median is a shock: a real move, not an action."""
MAX_GAP_DAYS: Final = 10
"""Largest calendar-day gap between the two sessions of an overnight ratio."""

_FACTORS = np.array([f for _, _, f in STANDARD_FACTORS])
_MIN_TURNOVER_SESSIONS = 5
_MIN_SIDE = 5  # sessions needed before (and from) the ex-date to judge the level


@dataclass(frozen=True)
class SuspectedAction:
    """A split or bonus suspected from raw bars.

    Attributes
    ----------
    symbol : str
    ex_date : datetime.date
        First session at the new price level (IST date).
    kind : {'split', 'bonus'}
    ratio : str
        ``1:2`` for a split into two, ``3:2`` for a bonus of 3 new shares per 2 held.
    price_factor : float
        New price / old price (0.5 for a 1:2 split).
    open_ratio, close_ratio : float
        ``open / previous close`` and ``close / previous close`` on the ex-date.
    level_ratio : float
        Median close of the 10 sessions from the ex-date over that of the 10 before.
    turnover_ratio : float
        Ex-date rupee turnover over its 20-session median.
    """

    symbol: str
    ex_date: dt.date
    kind: str
    ratio: str
    price_factor: float
    open_ratio: float
    close_ratio: float
    level_ratio: float
    turnover_ratio: float

    @property
    def detail(self) -> str:
        """One line for the catalog and the audit."""
        turnover = f"turnover {self.turnover_ratio:.2f}x its {TURNOVER_WINDOW}-session median"
        n = round(1.0 / self.price_factor)
        also = f" (same move as a {n - 1}:1 bonus)" if self.kind == "split" else ""
        return (
            f"{self.kind} {self.ratio} suspected on {self.ex_date}: open/prev close "
            f"{self.open_ratio:.3f}, close/prev close {self.close_ratio:.3f}, level "
            f"{self.level_ratio:.3f}, {turnover}; factor {self.price_factor:.4f}{also}"
        )

    def to_row(self) -> dict[str, Any]:
        """Row for :meth:`Catalog.upsert_corporate_actions` (status ``suspected``)."""
        return {
            "symbol": self.symbol,
            "ex_date": self.ex_date,
            "kind": self.kind,
            "price_factor": self.price_factor,
            "source": "detected",
            "status": "suspected",
            "detail": self.detail,
        }


def _sessions(bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per IST date (bars sorted by time): day number, first open, last close, summed volume."""
    day = day_numbers(bars["timestamp"])[0]
    o = bars["open"].to_numpy(dtype=np.float64)
    c = bars["close"].to_numpy(dtype=np.float64)
    v = bars["volume"].to_numpy(dtype=np.float64)
    if day.size == 0:
        return day, o, c, v
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    if starts.size == day.size:
        return day, o, c, v
    ends = np.r_[starts[1:], day.size] - 1
    return day[starts], o[starts], c[ends], np.add.reduceat(v, starts)


def _rel(ratio: np.ndarray, factor: np.ndarray | float) -> np.ndarray:
    return np.asarray(np.abs(ratio / factor - 1.0))


def _turnover_ratio(turnover: np.ndarray, t: int) -> float | None:
    base = turnover[max(0, t - TURNOVER_WINDOW) : t]
    base = base[np.isfinite(base) & (base > 0)]
    if base.size < _MIN_TURNOVER_SESSIONS or not np.isfinite(turnover[t]):
        return None
    return float(turnover[t] / np.median(base))


def detect_corporate_actions(bars: pd.DataFrame, symbol: str) -> list[SuspectedAction]:
    """Find suspected unadjusted splits and bonuses in RAW bars (see the module notes).

    Pure: no I/O.

    Parameters
    ----------
    bars : pandas.DataFrame, shape (n_bars, >= 5)
        ``timestamp`` (tz-aware IST), ``open``, ``close``, ``volume`` (shares), sorted by time,
        unique timestamps (cleaned store bars). Daily or intraday (aggregated per IST date).
    symbol : str
        Symbol of the series; indices (``NIFTY 50``) give no action.

    Returns
    -------
    list of SuspectedAction
        By ex-date.
    """
    if is_index_symbol(symbol) or len(bars) < 2:
        return []
    day, o, c, volume = _sessions(bars)
    turnover = c * volume
    prev = c[:-1]
    r_open, r_close = np.full(len(c), np.nan), np.full(len(c), np.nan)
    r_open[1:], r_close[1:] = o[1:] / prev, c[1:] / prev
    dev_o = _rel(r_open[:, None], _FACTORS[None, :])
    dev_c = _rel(r_close[:, None], _FACTORS[None, :])
    tight = np.minimum(dev_o, dev_c)
    best = np.argmin(np.where(np.isnan(tight), np.inf, tight), axis=1)
    rows = np.arange(len(c))
    ok = (tight[rows, best] <= PRICE_TOLERANCE) & (
        np.maximum(dev_o, dev_c)[rows, best] <= DAY_TOLERANCE
    )
    ok[1:] &= np.diff(day) <= MAX_GAP_DAYS
    ok[:_MIN_SIDE] = False
    ok[len(c) - _MIN_SIDE + 1 :] = False
    found: list[SuspectedAction] = []
    for t in (int(i) for i in np.flatnonzero(ok)):
        kind, ratio, factor = STANDARD_FACTORS[int(best[t])]
        pre = np.median(c[max(0, t - LEVEL_WINDOW) : t])
        level = float(np.median(c[t : t + LEVEL_WINDOW]) / pre)
        if abs(level / factor - 1.0) > LEVEL_TOLERANCE:
            continue
        lo, hi = max(1, t - REVERSAL_WINDOW), min(len(c), t + REVERSAL_WINDOW + 1)
        near = np.r_[r_open[lo:hi], r_close[lo:hi]]
        others = np.tile(np.arange(lo, hi) != t, 2)
        if (others & (_rel(near, 1.0 / factor) <= PRICE_TOLERANCE)).any():
            continue  # a reverse jump nearby: a glitch window, not an action
        shock = _turnover_ratio(turnover, t)
        if shock is None or shock > TURNOVER_SHOCK:
            continue
        ex_date = dt.date(1970, 1, 1) + dt.timedelta(days=int(day[t]))
        found.append(
            SuspectedAction(
                symbol=symbol,
                ex_date=ex_date,
                kind=kind,
                ratio=ratio,
                price_factor=factor,
                open_ratio=float(r_open[t]),
                close_ratio=float(r_close[t]),
                level_ratio=level,
                turnover_ratio=shock,
            )
        )
    return found
