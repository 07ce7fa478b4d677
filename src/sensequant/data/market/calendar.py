"""NSE trading sessions: the ``exchange_calendars`` XBOM calendar plus a small override table.

NSE and BSE share their equity-segment holidays, so the BSE calendar (XBOM) serves for NSE.

Coverage
--------
``exchange_calendars`` 4.13 records XBOM holidays from 1997-01-01 to 2026-12-31 (it refuses to
build a calendar outside that range). :func:`calendar_bounds` reports the range in use. Every
function here *clamps* requests to it: sessions before the first or after the last covered day
are unknown and simply not returned (:func:`nse_sessions`, :func:`missing_sessions`), and
:func:`is_session` answers ``False`` for them. Callers that care must compare their dates with
:func:`calendar_bounds` (``quality.clean_bars`` flags such rows as ``outside_calendar_range``).

Unplanned closures are part of XBOM's ad-hoc holidays (e.g. 2005-07-28 Mumbai floods,
2008-11-27 after the Mumbai attacks, 2024-01-22, the Mumbai polling day 2024-05-20); the
override table adds what XBOM lacks or corrects what it has wrong.

Known limits: XBOM's holiday list before 2000 is incomplete (e.g. Republic Day 1998-01-26 is
listed as a session); from 2000 on it agrees with NSE's own NIFTY 50 history except where
:data:`SESSION_OVERRIDES` says otherwise.

All session dates are returned as tz-aware ``Asia/Kolkata`` midnight timestamps, the stamping
of daily bars (see :mod:`sensequant.types`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import os
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensequant.types import IST

if TYPE_CHECKING:
    from exchange_calendars.exchange_calendar_xbom import XBOMExchangeCalendar

CALENDAR_NAME: Final = "XBOM"

SESSION_OVERRIDES: Final[dict[dt.date, tuple[bool, str]]] = {
    # date: (is_session, reason). Applied on top of XBOM. Sources: NSE circulars announcing
    # each session, corroborated by bars in the shared data (NSE's NIFTY 50 history
    # nifty50_2000_2019.csv, Yahoo daily rows with volume, the 5-minute broker export).
    # Muhurat trading (evening session on Diwali; XBOM marks Diwali a holiday from 2013 on).
    dt.date(2013, 11, 3): (True, "Muhurat trading (Diwali)"),
    dt.date(2014, 10, 23): (True, "Muhurat trading (Diwali)"),
    dt.date(2015, 11, 11): (True, "Muhurat trading (Diwali)"),
    dt.date(2016, 10, 30): (True, "Muhurat trading (Diwali)"),
    dt.date(2017, 10, 19): (True, "Muhurat trading (Diwali)"),
    dt.date(2018, 11, 7): (True, "Muhurat trading (Diwali)"),
    dt.date(2019, 10, 27): (True, "Muhurat trading (Diwali)"),
    dt.date(2020, 11, 14): (True, "Muhurat trading (Diwali)"),
    dt.date(2021, 11, 4): (True, "Muhurat trading (Diwali)"),
    dt.date(2022, 10, 24): (True, "Muhurat trading (Diwali)"),
    dt.date(2023, 11, 12): (True, "Muhurat trading (Diwali)"),
    dt.date(2024, 11, 1): (True, "Muhurat trading (Diwali)"),
    # Saturday sessions: Union Budget days and live trading from the disaster-recovery site.
    dt.date(2015, 2, 28): (True, "Union Budget Saturday session"),
    dt.date(2020, 2, 1): (True, "Union Budget Saturday session"),
    dt.date(2024, 3, 2): (True, "special Saturday session (DR site switch-over)"),
    dt.date(2024, 5, 18): (True, "special Saturday session (DR site switch-over)"),
    # (2024-01-20, the Saturday session before the 2024-01-22 closure, is already in XBOM.)
    # Muharram 2013: NSE closed on Friday 2013-11-15 and traded on Thursday 2013-11-14;
    # XBOM 4.13 has the two swapped (NIFTY 50 and Yahoo rows show trading on the 14th only).
    dt.date(2013, 11, 14): (True, "trading day (XBOM lists it as the Muharram holiday)"),
    dt.date(2013, 11, 15): (False, "Muharram holiday (XBOM lists it as a session)"),
    # Trading days XBOM lists as holidays: Yahoo daily rows WITH volume for about 20 of the
    # NIFTY 50 stocks then listed (all that had history), and for 2001 and 2004 NSE's own
    # NIFTY 50 history (nifty50_2000_2019.csv). BSE holidays that NSE did not observe.
    **{
        dt.date.fromisoformat(day): (True, "NSE trading day (XBOM lists a holiday)")
        for day in (
            "1997-05-08",
            "1997-08-18",
            "1997-08-25",
            "1997-10-28",
            "1997-10-29",
            "1998-04-09",
            "1998-04-28",
            "1999-01-01",
            "1999-03-18",
            "1999-03-25",
            "1999-04-30",
            "1999-11-10",
            "2001-01-01",
            "2004-01-01",
        )
    },
}
"""Sessions XBOM lacks (``True``) or wrongly has (``False``), with the reason."""


@functools.lru_cache(maxsize=1)
def _calendar() -> XBOMExchangeCalendar:
    """The XBOM calendar over its whole recorded range (built once, ~3 s)."""
    from exchange_calendars.exchange_calendar_xbom import XBOMExchangeCalendar

    cls = XBOMExchangeCalendar
    return cls(start=cls.bound_min(), end=cls.bound_max())


def _cache_path() -> Path:
    """Disk cache of the session list, keyed by library version and the override table.

    It lives in the user's cache folder (``$XDG_CACHE_HOME/sensequant`` or
    ``~/.cache/sensequant``), not in ``SENSEQUANT_HOME``: it derives from code, not data.
    """
    overrides = repr(sorted(SESSION_OVERRIDES.items())).encode()
    key = hashlib.sha256(overrides + version("exchange_calendars").encode()).hexdigest()[:16]
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "sensequant" / "calendar" / f"{CALENDAR_NAME.lower()}-{key}.npz"


@functools.lru_cache(maxsize=1)
def _sessions_and_bounds() -> tuple[pd.DatetimeIndex, pd.Timestamp, pd.Timestamp]:
    """All covered session dates (tz-naive midnight, overrides applied) and XBOM's bounds.

    Building the XBOM calendar takes seconds, so the result is cached on disk (see
    :func:`_cache_path`) keyed by the ``exchange_calendars`` version and a hash of
    :data:`SESSION_OVERRIDES`; a new library version or a changed override rebuilds it.
    """
    path = _cache_path()
    try:
        with np.load(path) as cached:
            days = pd.DatetimeIndex(cached["sessions"].astype("datetime64[ns]"))
            lo, hi = (pd.Timestamp(x) for x in cached["bounds"].astype("datetime64[ns]"))
            return days, lo, hi
    except (OSError, KeyError, ValueError):
        pass
    cal = _calendar()
    sessions = pd.DatetimeIndex(cal.sessions).tz_localize(None).normalize()
    first, last = sessions[0], sessions[-1]
    added = [pd.Timestamp(d) for d, (ok, _) in SESSION_OVERRIDES.items() if ok]
    removed = [pd.Timestamp(d) for d, (ok, _) in SESSION_OVERRIDES.items() if not ok]
    added = [d for d in added if first <= d <= last]
    out = sessions.difference(pd.DatetimeIndex(removed)).union(pd.DatetimeIndex(added))
    days = pd.DatetimeIndex(out.sort_values())
    lo = pd.Timestamp(cal.first_session).tz_localize(None)
    hi = pd.Timestamp(cal.last_session).tz_localize(None)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            sessions=days.to_numpy(dtype="datetime64[ns]"),
            bounds=np.array([lo.to_datetime64(), hi.to_datetime64()], dtype="datetime64[ns]"),
        )
        tmp.replace(path)
    return days, lo, hi


def _session_dates() -> pd.DatetimeIndex:
    """All covered session dates (tz-naive midnight), overrides applied, sorted."""
    return _sessions_and_bounds()[0]


def calendar_bounds() -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last session date the calendar covers.

    Returns
    -------
    tuple of pandas.Timestamp
        ``(first, last)`` as IST-midnight timestamps (1997-01-01 and 2026-12-31 with
        ``exchange_calendars`` 4.13). Outside this range sessions are unknown.
    """
    _, lo, hi = _sessions_and_bounds()
    return lo.tz_localize(IST), hi.tz_localize(IST)


def _ist_day(value: dt.date | str | pd.Timestamp) -> pd.Timestamp:
    """Tz-naive midnight of the IST date of a date, string or timestamp."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(IST).tz_localize(None)
    return ts.normalize()


def _ist_days(values: pd.DatetimeIndex | pd.Series) -> pd.DatetimeIndex:
    """Tz-naive midnights of the IST dates of timestamps (naive ones are taken as IST)."""
    idx = pd.DatetimeIndex(values)
    if idx.tz is not None:
        idx = idx.tz_convert(IST).tz_localize(None)
    return idx.normalize()


def _to_ist(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(days).tz_localize(IST)


def nse_sessions(
    start: dt.date | str | pd.Timestamp, end: dt.date | str | pd.Timestamp
) -> pd.DatetimeIndex:
    """Session dates in ``[start, end]`` (inclusive), clamped to :func:`calendar_bounds`.

    Parameters
    ----------
    start, end : datetime.date, str or pandas.Timestamp
        First and last day asked for (IST dates; tz-aware timestamps are converted to IST).

    Returns
    -------
    pandas.DatetimeIndex
        Sessions as tz-aware ``Asia/Kolkata`` midnight timestamps, ascending, overrides from
        :data:`SESSION_OVERRIDES` applied. Days before the calendar's first (or after its last)
        covered day are unknown and left out, so the result may start later than ``start``;
        empty when the range lies wholly outside the calendar or ``start > end``.
    """
    lo, hi = _ist_day(start), _ist_day(end)
    days = _session_dates()
    return _to_ist(days[(days >= lo) & (days <= hi)])


def is_session(dates: pd.DatetimeIndex | pd.Series) -> npt.NDArray[np.bool_]:
    """Whether each timestamp falls on an NSE session (by its IST date).

    Parameters
    ----------
    dates : pandas.DatetimeIndex or Series of datetimes, shape (n,)
        Daily or intraday timestamps; tz-aware ones are converted to IST, naive ones are taken
        as IST.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        True on session dates (overrides applied). Dates outside :func:`calendar_bounds` are
        unknown and give False.
    """
    return np.asarray(_ist_days(dates).isin(_session_dates()), dtype=bool)


def missing_sessions(
    timestamps: pd.DatetimeIndex | pd.Series,
    start: dt.date | str | pd.Timestamp,
    end: dt.date | str | pd.Timestamp,
) -> pd.DatetimeIndex:
    """Expected sessions in ``[start, end]`` that have no bar.

    Parameters
    ----------
    timestamps : pandas.DatetimeIndex or Series of datetimes
        Bar timestamps (daily or intraday); compared by IST date.
    start, end : datetime.date, str or pandas.Timestamp
        Range checked (inclusive), clamped to :func:`calendar_bounds`.

    Returns
    -------
    pandas.DatetimeIndex
        Session dates (IST midnight, tz-aware) without any bar, ascending.
    """
    expected = nse_sessions(start, end).tz_localize(None)
    have = _ist_days(timestamps).unique()
    return _to_ist(expected.difference(have))
