"""Suspected unadjusted corporate actions (splits, bonuses): detection, storage, adjustment.

Raw bars stay in the store exactly as received. Corporate-action *price factors* live apart,
in the catalog's ``corporate_actions`` table, and are applied when bars are read
(:func:`read_bars`), so both the raw view (``BarStore.read``) and the adjusted view exist.

Price factor
------------
``price_factor = new price / old price`` on the ex-date, e.g. 0.5 for a 1:2 split. Adjusting
multiplies every price before the ex-date by it and divides volume (a share count) by it; the
rupee turnover ``close * volume`` of a bar is unchanged. Several actions multiply.

=========================  ================================  ====================
action                     shares held after, per share      price factor
=========================  ================================  ====================
split 1:n (n = 2..10)      n                                 1/n
bonus a:b (a new for b)    (a + b) / b                       b / (a + b)
bonus 1:1                  2                                 1/2  (= split 1:2)
bonus 2:1, 3:1, 4:1        3, 4, 5                           1/3, 1/4, 1/5
bonus 1:2                  3/2                               2/3
bonus 2:3                  5/3                               3/5
bonus 3:2                  5/2                               2/5
=========================  ================================  ====================

(NSE quotes bonuses as "a:b" = a new shares for every b held.) A factor equal to 1/n is
reported as a split: a 1:1 bonus and a 1:2 split move the price identically.

Detection (:func:`detect_corporate_actions`)
--------------------------------------------
On raw (unadjusted) bars an action shows on its ex-date as an overnight price ratio
``open / previous close`` (and ``close / previous close``) close to the factor, *without a
turnover shock*. The issue says "without a volume shock"; turnover is the right measure: a
split multiplies the share count by n, so the raw traded quantity jumps n-fold on the ex-date
while the rupee turnover stays where it was; a genuine crash of the same size comes with heavy
selling, i.e. rupee turnover several times its median. A session ``t`` is reported when all of:

1. ``t - 1`` is at most :data:`MAX_GAP_DAYS` calendar days earlier (a ratio across a data gap
   says nothing);
2. for the nearest standard factor ``f``: one of ``open_t / close_{t-1}`` and
   ``close_t / close_{t-1}`` is within :data:`PRICE_TOLERANCE` (relative) of ``f`` and the
   other within :data:`DAY_TOLERANCE` (the rest of an ordinary session's move);
3. the level persists: median close of sessions ``t .. t+9`` over the median close of
   ``t-10 .. t-1`` is within :data:`LEVEL_TOLERANCE` of ``f`` (a one-day glitch is not a split);
4. no reverse jump (ratio within :data:`PRICE_TOLERANCE` of ``1/f``) within
   :data:`REVERSAL_WINDOW` sessions either side: such a pair brackets a stretch of stale or
   wrongly adjusted rows (Yahoo's CIPLA 2004-05-11, DRREDDY 2001-10-10..12, RELIANCE
   1997-10-27..11-04), a vendor glitch reported by ``quality`` as outlier jumps instead;
5. rupee turnover on ``t`` is at most :data:`TURNOVER_SHOCK` times its median over the
   previous :data:`TURNOVER_WINDOW` sessions;
6. at least 5 sessions exist before ``t`` (with a turnover) and from ``t`` on.

The rules are deliberately strict: factors of suspected actions are applied on read by
default, so a false suspicion would silently rescale history. Without evidence (no volume, a
series too short) nothing is suspected.

Not detected, on purpose: factors above 0.7 (bonuses 1:3 = 0.75, 1:4 = 0.8, 1:5 = 5/6,
1:10 = 10/11). Moves of -9 % to -25 % look like circuit or crash days: on 2020-03-23 most
NIFTY 50 stocks opened exactly 10 % down at ordinary turnover. Reverse splits (factor > 1)
are rare on NSE. Record such actions by hand (``source='manual'``, ``status='confirmed'``)
with :meth:`Catalog.upsert_corporate_actions`. Intraday bars are aggregated per IST date
(first open, last close, summed volume) before detection. Indices are never checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.market import TimeLike
from sensequant.data.quality.action_detect import (
    DAY_TOLERANCE,
    LEVEL_TOLERANCE,
    LEVEL_WINDOW,
    MAX_GAP_DAYS,
    PRICE_TOLERANCE,
    REVERSAL_WINDOW,
    STANDARD_FACTORS,
    TURNOVER_SHOCK,
    TURNOVER_WINDOW,
    SuspectedAction,
    detect_corporate_actions,
)
from sensequant.data.quality.checks import day_numbers
from sensequant.data.store import BarStore

__all__ = [
    "ACTIVE_STATUSES",
    "DAY_TOLERANCE",
    "LEVEL_TOLERANCE",
    "LEVEL_WINDOW",
    "MAX_GAP_DAYS",
    "PRICE_TOLERANCE",
    "REVERSAL_WINDOW",
    "STANDARD_FACTORS",
    "TURNOVER_SHOCK",
    "TURNOVER_WINDOW",
    "CorporateActionLike",
    "SuspectedAction",
    "adjust_bars",
    "detect_corporate_actions",
    "read_bars",
    "record_detected_actions",
    "stored_actions",
]

ACTIVE_STATUSES: Final[tuple[str, ...]] = ("suspected", "confirmed")
"""Statuses whose factors :func:`read_bars` applies (``rejected`` ones are ignored)."""

_PRICE_COLUMNS = ("open", "high", "low", "close", "vwap")
_SHARE_COLUMNS = ("volume", "oi", "delivery_volume")


class CorporateActionLike(Protocol):
    """What :func:`adjust_bars` needs of an action."""

    @property
    def ex_date(self) -> dt.date: ...
    @property
    def price_factor(self) -> float: ...


def adjust_bars(bars: pd.DataFrame, actions: Iterable[CorporateActionLike]) -> pd.DataFrame:
    """Adjusted copy of raw bars: prices before each ex-date times its factor.

    Pure: no I/O; ``bars`` is not modified.

    Parameters
    ----------
    bars : pandas.DataFrame, shape (n_bars, n_columns)
        Store bars (``timestamp`` tz-aware IST). Prices (``open, high, low, close, vwap``) of
        bars whose IST date is before an action's ex-date are multiplied by its
        ``price_factor``; share counts (``volume, oi, delivery_volume``) are divided by it;
        ``trades`` is unchanged. Several actions multiply (cumulative adjustment).
    actions : iterable of objects with ``ex_date`` (datetime.date) and ``price_factor``

    Returns
    -------
    pandas.DataFrame
        Same shape and columns as ``bars``.

    Raises
    ------
    ValueError
        If a factor is not finite and > 0.
    """
    out = bars.copy()
    acts = list(actions)
    if not acts or len(out) == 0:
        return out
    day = day_numbers(out["timestamp"])[0]
    multiplier = np.ones(len(out))
    epoch = dt.date(1970, 1, 1)
    for act in acts:
        factor = float(act.price_factor)
        if not (np.isfinite(factor) and factor > 0):
            raise ValueError(f"corporate action on {act.ex_date}: bad price factor {factor!r}")
        ex_day = (pd.Timestamp(act.ex_date).date() - epoch).days
        multiplier[day < ex_day] *= factor
    for col in _PRICE_COLUMNS:
        if col in out.columns:
            out[col] = out[col].to_numpy(dtype=np.float64) * multiplier
    for col in _SHARE_COLUMNS:
        if col in out.columns:
            out[col] = out[col].to_numpy(dtype=np.float64) / multiplier
    return out


@dataclass(frozen=True)
class _StoredAction:
    ex_date: dt.date
    price_factor: float


def stored_actions(frame: pd.DataFrame) -> list[_StoredAction]:
    """Rows of the catalog's ``corporate_actions`` table as actions :func:`adjust_bars` takes.

    Parameters
    ----------
    frame : pandas.DataFrame
        Catalog rows with ``ex_date`` (ISO date) and ``price_factor`` (new / old price).

    Returns
    -------
    list
        One action per row.
    """
    return [
        _StoredAction(dt.date.fromisoformat(str(d)), float(f))
        for d, f in zip(frame["ex_date"], frame["price_factor"], strict=True)
    ]


def read_bars(
    store: BarStore,
    catalog: Catalog,
    symbol: str,
    interval: str,
    *,
    adjusted: bool = True,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> pd.DataFrame:
    """Read stored bars, adjusted for the catalog's corporate actions by default.

    Parameters
    ----------
    store : BarStore
    catalog : Catalog
    symbol, interval : str
    adjusted : bool, default True
        Apply the factors of every ``suspected`` and ``confirmed`` action of ``symbol``
        (``rejected`` ones are ignored). False gives the raw bars (as ``store.read``).
    start, end : time-like, optional
        Range, as :meth:`BarStore.read`. Actions after ``end`` still adjust the bars read.

    Returns
    -------
    pandas.DataFrame
        Bars with the store's columns.

    Raises
    ------
    NoDataError
        If the series is not stored.
    """
    bars = store.read(symbol, interval, start=start, end=end)
    if not adjusted:
        return bars
    actions = catalog.corporate_actions(symbol, statuses=ACTIVE_STATUSES)
    return adjust_bars(bars, stored_actions(actions)) if len(actions) else bars


def record_detected_actions(catalog: Catalog, symbol: str, bars: pd.DataFrame) -> int:
    """Detect actions in raw ``bars`` and store them as ``suspected`` in the catalog.

    An action already reviewed (``confirmed``/``rejected``) keeps its status. The rows are
    not tied to a series fingerprint: the importers and ``data repair`` use
    :func:`sensequant.data.quality.derived.sync_actions` instead, which keeps detection in
    step with the store (and whose next rebuild of ``symbol`` replaces these rows).

    Parameters
    ----------
    catalog : Catalog
    symbol : str
    bars : pandas.DataFrame
        The RAW stored series (``store.read``), never an adjusted view.

    Returns
    -------
    int
        Actions detected and written.
    """
    found = detect_corporate_actions(bars, symbol)
    if found:
        catalog.upsert_corporate_actions(a.to_row() for a in found)
    return len(found)
