"""Intraday session hours and the bar grid they imply (5-minute: 75 bars a regular day).

The NSE capital-market session runs 09:15-15:30 IST since 2010-01-04 (09:55-15:30 before).
Some sessions are short: Muhurat trading (about an hour on Diwali evening) and the 2024
disaster-recovery Saturdays (09:15-10:00 and 11:30-12:30). :data:`SESSION_HOURS` lists the
hours known for such days; a special session whose hours are not listed has *unknown*
hours, and completeness is not judged for it (``expected_bars`` returns ``None``) rather than
judged against a guess.

Bars are stamped at their START (IST); a bar is on the grid when it starts at the session
open plus a multiple of the interval and before the close (so a 30-minute grid has 13 bars, the
last 15 minutes long).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Final

import numpy as np
import pandas as pd

from sensequant.data.market.calendar import SESSION_OVERRIDES, nse_sessions
from sensequant.types import INTERVAL_MINUTES, IST

__all__ = [
    "INTERVAL_MINUTES",
    "REGULAR_HOURS",
    "SESSION_HOURS",
    "expected_bars",
    "session_bar_starts",
    "session_hours",
]


Hours = tuple[tuple[dt.time, dt.time], ...]

REGULAR_HOURS: Final[Hours] = ((dt.time(9, 15), dt.time(15, 30)),)
"""Regular session hours (IST, one [open, close) segment) since 2010-01-04."""
_BEFORE_2010: Final[Hours] = ((dt.time(9, 55), dt.time(15, 30)),)
_REGULAR_FROM: Final = dt.date(2010, 1, 4)

SESSION_HOURS: Final[dict[dt.date, Hours]] = {
    # Muhurat trading (NSE circulars; the 2023 hours match the 12 bars of the broker export).
    dt.date(2021, 11, 4): ((dt.time(18, 15), dt.time(19, 15)),),
    dt.date(2022, 10, 24): ((dt.time(18, 15), dt.time(19, 15)),),
    dt.date(2023, 11, 12): ((dt.time(18, 15), dt.time(19, 15)),),
    dt.date(2024, 11, 1): ((dt.time(18, 0), dt.time(19, 0)),),
    # Live trading from the disaster-recovery site: two short segments (21 five-minute bars).
    dt.date(2024, 3, 2): ((dt.time(9, 15), dt.time(10, 0)), (dt.time(11, 30), dt.time(12, 30))),
    dt.date(2024, 5, 18): ((dt.time(9, 15), dt.time(10, 0)), (dt.time(11, 30), dt.time(12, 30))),
}
"""Hours of special sessions (IST, [open, close) segments); other days use regular hours."""

_UNKNOWN_HOURS: Final = frozenset(
    d for d, (is_open, reason) in SESSION_OVERRIDES.items() if is_open and "Muhurat" in reason
) - frozenset(SESSION_HOURS)


def session_hours(day: dt.date) -> Hours | None:
    """Trading segments of one session day, ``None`` when its hours are not known.

    Parameters
    ----------
    day : datetime.date
        A session date (the caller checks it is one, e.g. with ``nse_sessions``).

    Returns
    -------
    tuple of (datetime.time, datetime.time) or None
        ``[open, close)`` segments in IST.
    """
    if day in SESSION_HOURS:
        return SESSION_HOURS[day]
    if day in _UNKNOWN_HOURS:
        return None
    return REGULAR_HOURS if day >= _REGULAR_FROM else _BEFORE_2010


def _grid(day: dt.date, hours: Hours, minutes: int) -> list[pd.Timestamp]:
    out: list[pd.Timestamp] = []
    for open_, close in hours:
        t = pd.Timestamp.combine(day, open_)
        end = pd.Timestamp.combine(day, close)
        while t < end:
            out.append(t)
            t += pd.Timedelta(minutes=minutes)
    return out


def expected_bars(interval: str, day: dt.date) -> int | None:
    """Bars a complete session has at ``interval`` on ``day`` (1 for ``1day``).

    Returns
    -------
    int or None
        75 for a regular 5-minute session, 375 at 1 minute, 13 at 30 minutes; ``None`` when the
        day's hours are unknown.

    Raises
    ------
    ValueError
        For an unknown interval.
    """
    if interval == "1day":
        return 1
    if interval not in INTERVAL_MINUTES:
        raise ValueError(f"unknown interval {interval!r}; use 1day, 30minute, 5minute, 1minute")
    return _expected(INTERVAL_MINUTES[interval], day)


@functools.lru_cache(maxsize=65_536)
def _expected(minutes: int, day: dt.date) -> int | None:
    hours = session_hours(day)
    return None if hours is None else len(_grid(day, hours, minutes))


def session_bar_starts(
    interval: str, start: dt.date | str | pd.Timestamp, end: dt.date | str | pd.Timestamp
) -> pd.DatetimeIndex:
    """Every bar START on the NSE session grid between two dates (inclusive, IST).

    Parameters
    ----------
    interval : str
        ``1day`` (one IST-midnight stamp per session), ``30minute``, ``5minute``, ``1minute``.
    start, end : date-like
        First and last day (IST).

    Returns
    -------
    pandas.DatetimeIndex
        tz-aware ``Asia/Kolkata`` bar starts, ascending. Sessions with unknown hours are left
        out.
    """
    days = nse_sessions(start, end)
    if interval == "1day":
        return days
    if interval not in INTERVAL_MINUTES:
        raise ValueError(f"unknown interval {interval!r}; use 1day, 30minute, 5minute, 1minute")
    minutes = INTERVAL_MINUTES[interval]
    # Group days by their hours so each group's grid is one vectorised outer sum.
    groups: dict[Hours, list[pd.Timestamp]] = {}
    for day in days.tz_localize(None):
        hours = session_hours(day.date())
        if hours is not None:
            groups.setdefault(hours, []).append(day)
    parts: list[np.ndarray] = []
    for hours, members in groups.items():
        offsets = np.array(
            [
                (t - pd.Timestamp.combine(members[0].date(), dt.time())).value
                for t in _grid(members[0].date(), hours, minutes)
            ],
            dtype=np.int64,
        )
        base = pd.DatetimeIndex(members).as_unit("ns").asi8
        parts.append(np.add.outer(base, offsets).ravel())
    if not parts:
        return pd.DatetimeIndex([], dtype="datetime64[ns]").tz_localize(IST)
    stamps = np.sort(np.concatenate(parts))
    return pd.DatetimeIndex(stamps.astype("datetime64[ns]")).tz_localize(IST)
