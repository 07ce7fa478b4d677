"""The range a fetch may ask for: the last closed NSE session, history limits, bars per session.

The default end of a fetch is the last session whose close (plus :data:`SETTLE_MINUTES`) has
passed in IST: a session still trading is never fetched, so a chunk recorded ``ok`` holds a
complete session and never needs to be fetched again. The start is clamped to the provider's
history (``ProviderInfo.history_days``). Used by :func:`sensequant.data.fetch.plan.plan_fetch`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import pandas as pd

from sensequant.data.market import (
    TimeLike,
    calendar_bounds,
    expected_bars,
    nse_sessions,
    session_hours,
    to_ist,
)
from sensequant.data.providers.base import ProviderInfo
from sensequant.errors import UsageError
from sensequant.types import IST

__all__ = [
    "REFERENCE_DAY",
    "SETTLE_MINUTES",
    "effective_range",
    "last_closed_session",
    "session_bar_count",
]

SETTLE_MINUTES: Final = 30
"""Minutes after a session's close before its bars are fetched (vendors publish late bars)."""

REFERENCE_DAY: Final = dt.date(2024, 9, 2)
"""A regular 09:15-15:30 session, counted for sessions of unknown hours."""
_LOOKBACK_DAYS: Final = 40


def _session_close(day: dt.date) -> pd.Timestamp:
    hours = session_hours(day)
    close = hours[-1][1] if hours else dt.time(23, 59, 59)
    return pd.Timestamp.combine(day, close).tz_localize(IST)


def last_closed_session(now: TimeLike | None = None) -> dt.date:
    """The last NSE session whose close (+ :data:`SETTLE_MINUTES`) has passed.

    Parameters
    ----------
    now : time-like, optional
        Current time (naive = IST); default the wall clock.

    Returns
    -------
    datetime.date
        IST session date; the calendar's last session when ``now`` lies beyond its coverage.

    Raises
    ------
    UsageError
        If ``now`` lies before the calendar's coverage.
    """
    ts = pd.Timestamp.now(tz=IST) if now is None else to_ist(now)
    first, last = calendar_bounds()
    hi = min(ts.date(), last.date())
    days = nse_sessions(hi - dt.timedelta(days=_LOOKBACK_DAYS), hi)
    settle = pd.Timedelta(minutes=SETTLE_MINUTES)
    for day in reversed(days):
        if ts >= _session_close(day.date()) + settle:
            return day.date()
    raise UsageError(
        f"no closed NSE session before {ts} within the calendar {first:%Y-%m-%d}..{last:%Y-%m-%d}",
        hint="pass --end with a past session date",
    )


_BARS: dict[tuple[str, Any], int] = {}


def session_bar_count(interval: str, day: dt.date) -> int:
    """Bars on the grid of one session; unknown hours count as a regular session.

    Memoised on the session's hours (the count depends on nothing else).

    Parameters
    ----------
    interval : str
        ``1day``, ``30minute``, ``5minute`` or ``1minute``.
    day : datetime.date
        IST session date.

    Returns
    -------
    int
        75 for a regular 5-minute session, 1 for a daily bar.
    """
    hours = session_hours(day)
    if hours is None:
        hours, day = session_hours(REFERENCE_DAY), REFERENCE_DAY
    key = (interval, hours)
    if key not in _BARS:
        _BARS[key] = int(expected_bars(interval, day) or 0)
    return _BARS[key]


def effective_range(
    info: ProviderInfo,
    interval: str,
    start: TimeLike | None,
    end: TimeLike | None,
    now: pd.Timestamp,
    warnings: list[str],
) -> tuple[dt.date | None, dt.date]:
    """First and last session day a fetch may ask for, noting every clamp in ``warnings``.

    Parameters
    ----------
    info : ProviderInfo
        ``history_days`` limits how far back ``interval`` is served.
    interval : str
    start, end : time-like or None
        Wanted range (IST); ``start`` None = the oldest day served, ``end`` None = the last
        closed session.
    now : pandas.Timestamp
        Current IST time.
    warnings : list of str
        Appended to: clamps applied (end after the last closed session, start before the
        provider's history, range beyond the NSE calendar, empty range).

    Returns
    -------
    tuple of (datetime.date or None, datetime.date)
        ``(start, end)``; start None when nothing is left to fetch.

    Raises
    ------
    UsageError
        If ``start`` is None and the provider's history at ``interval`` is unlimited.
    """
    closed = last_closed_session(now)
    end_day = closed if end is None else to_ist(end).date()
    if end_day > closed:
        warnings.append(
            f"sessions after {closed} have not closed yet (as of {now:%Y-%m-%d %H:%M} IST); "
            f"end moved from {end_day} to {closed}"
        )
        end_day = closed
    history = info.history_days.get(interval)
    earliest = None if history is None else now.date() - dt.timedelta(days=history - 1)
    if start is None:
        if earliest is None:
            raise UsageError(
                f"a start date is needed: {info.name} serves {interval} bars without a limit",
                hint="pass --start YYYY-MM-DD",
            )
        start_day = earliest
    else:
        start_day = to_ist(start).date()
    if earliest is not None and start_day < earliest:
        warnings.append(
            f"{info.name} serves {interval} bars only for the last {history} days; "
            f"start moved from {start_day} to {earliest}"
        )
        start_day = earliest
    cal_first, cal_last = calendar_bounds()
    if start_day < cal_first.date() or end_day > cal_last.date():
        warnings.append(
            f"the NSE calendar covers {cal_first:%Y-%m-%d}..{cal_last:%Y-%m-%d}; "
            "sessions outside it are not fetched"
        )
    if start_day > end_day:
        warnings.append(f"nothing to fetch: start {start_day} is after end {end_day}")
        return None, end_day
    return start_day, end_day
