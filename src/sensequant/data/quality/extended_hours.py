"""Bars of NSE's pre-open and post-close sessions in intraday data (dropped by ``clean_bars``).

NSE's regular (continuous) session runs 09:15-15:30 IST. Around it the exchange runs a pre-open
call auction (orders 09:00-09:08, its price printed at about 09:07-09:08) and, after the close,
a closing-price session (15:40-16:00). Some vendors write these prints as extra bars (the shared
1-minute export: 09:07 or 09:08, 15:30, and 15:40 or 15:41). They are not bars of the regular
session: kept, a session would hold more bars than its grid and the auction print would be read
as the day's first trade.

:func:`extended_hours_bars` selects the bars that START inside :data:`PRE_OPEN` or
:data:`POST_CLOSE` on a session day whose hours are the regular 09:15-15:30. Anything else off
the grid (10:02 on a 5-minute grid, a bar in a special session's break, night-time stamps of a
time-zone mix-up) is not selected: ``clean_bars`` keeps it and flags it ``off_session_bar``.
Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensequant.data.market import REGULAR_HOURS, is_session, session_hours
from sensequant.data.quality.checks import day_numbers
from sensequant.data.quality.findings import Finding, make_finding

__all__ = [
    "POST_CLOSE",
    "PRE_OPEN",
    "describe_extended_hours",
    "extended_hours_bars",
    "extended_hours_finding",
]

PRE_OPEN: Final = (dt.time(9, 0), dt.time(9, 15))
"""``[start, end)`` of the pre-open call auction (IST)."""
POST_CLOSE: Final = (dt.time(15, 30), dt.time(16, 0))
"""``[start, end)`` from the close to the end of the closing-price session (IST)."""

_MIN_NS: Final = 60 * 10**9
_EPOCH: Final = dt.date(1970, 1, 1)


def _ns(t: dt.time) -> int:
    return (t.hour * 60 + t.minute) * _MIN_NS


def extended_hours_bars(timestamps: pd.Series | pd.DatetimeIndex) -> npt.NDArray[np.bool_]:
    """Which intraday bars start in the pre-open or post-close window of a regular session.

    Parameters
    ----------
    timestamps : Series or DatetimeIndex, shape (n,)
        Bar START times, tz-aware (converted to IST) or naive (taken as IST).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        True for a bar on an NSE session day with the regular 09:15-15:30 hours whose start
        lies in :data:`PRE_OPEN` or :data:`POST_CLOSE`. Days outside the calendar, holidays and
        special sessions (other hours, or unknown hours) give False.
    """
    day, tod = day_numbers(timestamps)
    if day.size == 0:
        return np.zeros(0, dtype=bool)
    udays, inverse = np.unique(day, return_inverse=True)
    dates = [_EPOCH + dt.timedelta(days=int(d)) for d in udays]
    sessions = is_session(pd.DatetimeIndex([pd.Timestamp(d) for d in dates]))
    regular = np.array(
        [
            bool(s) and session_hours(d) == REGULAR_HOURS
            for d, s in zip(dates, sessions, strict=True)
        ],
        dtype=bool,
    )
    window = np.zeros(day.size, dtype=bool)
    for start, end in (PRE_OPEN, POST_CLOSE):
        window |= (tod >= _ns(start)) & (tod < _ns(end))
    return np.asarray(regular[inverse] & window, dtype=bool)


def describe_extended_hours(timestamps: pd.Series) -> str:
    """What was dropped, e.g. ``69 bars ... on 24 days, by start time: 09:07 x21, 15:40 x24``.

    Parameters
    ----------
    timestamps : pandas.Series of tz-aware (IST) timestamps, shape (n,)
        The bars selected by :func:`extended_hours_bars`.

    Returns
    -------
    str
        Count, number of days and every start time (HH:MM) with its count, in time order.
    """
    times = Counter(t.strftime("%H:%M") for t in timestamps)
    days = timestamps.dt.normalize().nunique()
    shown = ", ".join(f"{k} x{v}" for k, v in sorted(times.items()))
    return (
        f"{len(timestamps)} bars of the pre-open ({PRE_OPEN[0]:%H:%M}-{PRE_OPEN[1]:%H:%M}) or "
        f"post-close ({POST_CLOSE[0]:%H:%M}-{POST_CLOSE[1]:%H:%M}) sessions dropped (auction "
        f"and closing prints, not regular-session bars) on {days} days, by start time: {shown}"
    )


def extended_hours_finding(
    frame: pd.DataFrame, candidates: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.bool_], Finding | None]:
    """The rows to drop as pre-open / post-close prints, and their finding.

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n, ...)
        Intraday bars with tz-aware IST ``timestamp`` and optionally ``_line``.
    candidates : numpy.ndarray of bool, shape (n,)
        Rows that may be judged (rows already dropped for other reasons excluded).

    Returns
    -------
    mask : numpy.ndarray of bool, shape (n,)
        ``candidates & extended_hours_bars(frame["timestamp"])``.
    finding : Finding or None
        ``extended_hours_bar_dropped`` with :func:`describe_extended_hours` as detail; None
        when no row is selected.
    """
    mask = np.asarray(candidates & extended_hours_bars(frame["timestamp"]), dtype=bool)
    if not mask.any():
        return mask, None
    detail = describe_extended_hours(frame.loc[mask, "timestamp"])
    return mask, make_finding("extended_hours_bar_dropped", frame, mask, detail)
