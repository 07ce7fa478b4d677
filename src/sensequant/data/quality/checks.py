"""Vectorised bar checks used by :mod:`sensequant.data.quality.clean` and the audit.

* :func:`session_grid`: which intraday bars start on their session's bar grid
  (:mod:`sensequant.data.market.sessions` hours), and which sessions have known hours;
* :func:`grid_bar_count`: bars a complete session has, from its hours;
* :func:`duplicated_days`: intraday days exported twice (or more) in full;
* :func:`outlier_jumps`: bar and overnight returns beyond a robust threshold.

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensequant.data.market import INTERVAL_MINUTES, Hours, is_session, session_hours

__all__ = [
    "JUMP_MADS",
    "JUMP_MIN_RETURN",
    "day_numbers",
    "duplicated_days",
    "grid_bar_count",
    "outlier_jumps",
    "session_grid",
]

JUMP_MADS: Final = 8.0
"""An outlier jump deviates from the median log return by more than this many robust sigmas."""
JUMP_MIN_RETURN: Final = 0.20
"""... and moves the price by more than 20 % (simple return, up or down)."""
MAD_TO_SIGMA: Final = 1.4826
"""Scale making the median absolute deviation a consistent estimate of a normal sigma."""

_DAY_NS: Final = 86_400 * 10**9
_MIN_NS: Final = 60 * 10**9
_IST_OFFSET_NS: Final = 19_800 * 10**9  # IST = UTC+05:30 all year
_EPOCH = dt.date(1970, 1, 1)
BoolArray = npt.NDArray[np.bool_]


def day_numbers(timestamps: pd.Series | pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """IST day number (days since 1970-01-01) and nanoseconds since IST midnight of each stamp.

    Parameters
    ----------
    timestamps : Series or DatetimeIndex, shape (n,)
        tz-aware (converted to IST) or naive (taken as IST).

    Returns
    -------
    tuple of numpy.ndarray (int64), shape (n,)
    """
    idx = pd.DatetimeIndex(timestamps)
    local = idx.tz_localize(None).asi8 if idx.tz is None else idx.asi8 + _IST_OFFSET_NS
    day = np.floor_divide(local, _DAY_NS)
    return day.astype(np.int64), (local - day * _DAY_NS).astype(np.int64)


def _date(day: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(day))


def _segments_ns(hours: Hours) -> list[tuple[int, int]]:
    return [
        ((o.hour * 60 + o.minute) * _MIN_NS, (c.hour * 60 + c.minute) * _MIN_NS) for o, c in hours
    ]


def grid_bar_count(hours: Hours, interval: str) -> int:
    """Bars of a complete session with these hours (equals ``sessions.expected_bars``).

    Parameters
    ----------
    hours : tuple of (datetime.time, datetime.time)
        ``[open, close)`` segments (IST).
    interval : str
        ``30minute``, ``5minute`` or ``1minute``.

    Returns
    -------
    int
        Sum over segments of ceil(segment length / bar length).
    """
    step = INTERVAL_MINUTES[interval] * _MIN_NS
    return sum(-(-(c - o) // step) for o, c in _segments_ns(hours))


def session_grid(
    timestamps: pd.Series | pd.DatetimeIndex, interval: str
) -> tuple[BoolArray, BoolArray]:
    """Which intraday bars lie on their session's bar grid.

    A bar is on the grid when its IST date is an NSE session with known hours and it starts at
    a segment's open plus a multiple of the interval, before that segment's close.

    Parameters
    ----------
    timestamps : Series or DatetimeIndex, shape (n,)
        Bar START times.
    interval : str
        ``30minute``, ``5minute`` or ``1minute``.

    Returns
    -------
    known : numpy.ndarray of bool, shape (n,)
        The bar's date is a session whose hours are known (judgeable).
    on_grid : numpy.ndarray of bool, shape (n,)
        ``known`` and on the grid. Off-session bars are ``known & ~on_grid``.

    Raises
    ------
    KeyError
        For ``1day`` or an unknown interval.
    """
    step = INTERVAL_MINUTES[interval] * _MIN_NS
    day, tod = day_numbers(timestamps)
    if day.size == 0:
        empty = np.zeros(0, dtype=bool)
        return empty, empty
    udays, inverse = np.unique(day, return_inverse=True)
    dates = [_date(d) for d in udays]
    sessions = is_session(pd.DatetimeIndex([pd.Timestamp(d) for d in dates]))
    hours = [session_hours(d) if s else None for d, s in zip(dates, sessions, strict=True)]
    known_day = np.array([h is not None for h in hours], dtype=bool)
    width = max((len(h) for h in hours if h is not None), default=0)
    opens = np.full((len(udays), width), -1, dtype=np.int64)
    closes = np.full((len(udays), width), -1, dtype=np.int64)
    for i, h in enumerate(hours):
        for j, (o, c) in enumerate(_segments_ns(h or ())):
            opens[i, j], closes[i, j] = o, c
    on_grid = np.zeros(day.size, dtype=bool)
    for j in range(width):
        o, c = opens[inverse, j], closes[inverse, j]
        on_grid |= (tod >= o) & (tod < c) & ((tod - o) % step == 0)
    known = known_day[inverse]
    return known, on_grid & known


def duplicated_days(timestamps: pd.Series) -> tuple[BoolArray, list[dt.date]]:
    """Intraday days whose bars all appear at least twice (a day exported twice in full).

    Parameters
    ----------
    timestamps : Series of tz-aware datetimes, shape (n,)
        Raw (not yet deduplicated) bar starts.

    Returns
    -------
    extra : numpy.ndarray of bool, shape (n,)
        Rows on such days that repeat an earlier row's timestamp.
    days : list of datetime.date
        The days, ascending.
    """
    day, _ = day_numbers(timestamps)
    if day.size == 0:
        return np.zeros(0, dtype=bool), []
    repeat = pd.Series(pd.DatetimeIndex(timestamps).duplicated(keep="first"))
    frame = pd.DataFrame({"day": day, "repeat": repeat.to_numpy()})
    counts = frame.groupby("day")["repeat"].agg(["size", "sum"])
    full = counts.index[(counts["sum"] > 0) & (2 * counts["sum"] >= counts["size"])]
    extra = np.asarray(frame["repeat"].to_numpy() & np.isin(day, full), dtype=bool)
    return extra, [_date(d) for d in sorted(full)]


def outlier_jumps(
    open_: np.ndarray, close: np.ndarray, exclude: BoolArray | None = None
) -> tuple[BoolArray, float]:
    """Bars whose overnight or bar return is an outlier (flag only; may be genuine).

    With ``r`` the log returns ``log(close_t / close_{t-1})`` (bar) and
    ``log(open_t / close_{t-1})`` (overnight), ``m`` their median over the series and
    ``s = 1.4826 * median(|r - m|)`` (robust sigma from the MAD; Hampel's identifier, see
    Rousseeuw & Croux 1993), a bar is flagged when either of its returns has
    ``|r - m| > JUMP_MADS * s`` AND ``|exp(r) - 1| > JUMP_MIN_RETURN``.

    Parameters
    ----------
    open_, close : numpy.ndarray, shape (n,)
        Prices in time order (one series).
    exclude : numpy.ndarray of bool, shape (n,), optional
        Bars never flagged (ex-dates of suspected corporate actions).

    Returns
    -------
    flagged : numpy.ndarray of bool, shape (n,)
    sigma : float
        The robust sigma of the bar log returns (NaN with fewer than 10 returns).
    """
    n = close.size
    flagged = np.zeros(n, dtype=bool)
    if n < 11:
        return flagged, float("nan")
    prev = close[:-1]
    r_close = np.log(close[1:] / prev)
    r_open = np.log(open_[1:] / prev)
    both = np.r_[r_close, r_open]
    med = float(np.median(both))
    sigma = MAD_TO_SIGMA * float(np.median(np.abs(both - med)))
    threshold = max(JUMP_MADS * sigma, 0.0)
    floor = np.log1p(JUMP_MIN_RETURN), -np.log1p(-JUMP_MIN_RETURN)

    def out(r: np.ndarray) -> np.ndarray:
        big = (r > floor[0]) | (r < -floor[1])
        return np.asarray((np.abs(r - med) > threshold) & big)

    flagged[1:] = out(r_close) | out(r_open)
    if exclude is not None:
        flagged &= ~exclude
    return flagged, sigma
