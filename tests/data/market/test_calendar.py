"""Tests of sensequant.data.market.calendar."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sensequant.data.market import (
    SESSION_OVERRIDES,
    calendar_bounds,
    is_session,
    missing_sessions,
    nse_sessions,
)
from sensequant.types import IST


def _days(*values: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(list(values))


def test_known_sessions_and_holidays() -> None:
    result = is_session(_days("2008-11-27", "2020-03-23", "2024-05-18", "2024-01-20", "2024-01-22"))
    # Mumbai attacks closure; COVID-crash Monday traded; special Saturday (override);
    # Saturday session before the Ram Mandir closure (XBOM); the closure itself.
    assert result.tolist() == [False, True, True, True, False]
    assert result.dtype == np.bool_


def test_overrides_add_and_remove_sessions() -> None:
    assert is_session(_days("2023-11-12", "2024-03-02", "2020-02-01")).all()
    assert not is_session(_days("2013-11-15")).any()  # XBOM has it as a session
    assert is_session(_days("2013-11-14")).all()  # ... and this one as a holiday
    assert all(isinstance(day, dt.date) for day in SESSION_OVERRIDES)


def test_is_session_uses_ist_date_of_aware_timestamps() -> None:
    # 2024-05-17 20:00 UTC is 2024-05-18 01:30 IST (a special Saturday session)
    stamps = pd.DatetimeIndex(["2024-05-17 20:00", "2024-05-19 03:45"], tz="UTC")
    assert is_session(stamps).tolist() == [True, False]
    assert is_session(pd.Series(stamps)).tolist() == [True, False]


def test_bounds_cover_1997_to_2026() -> None:
    first, last = calendar_bounds()
    assert first == pd.Timestamp("1997-01-01", tz=IST)
    assert last.year >= 2026
    assert str(first.tz) == IST


def test_nse_sessions_are_ist_midnights() -> None:
    sessions = nse_sessions("2024-01-15", dt.date(2024, 1, 25))
    assert str(sessions.tz) == IST
    assert (sessions == sessions.normalize()).all()
    assert pd.Timestamp("2024-01-20", tz=IST) in sessions
    assert pd.Timestamp("2024-01-22", tz=IST) not in sessions
    assert len(sessions) == 9


def test_nse_sessions_clamps_to_calendar_start() -> None:
    first, _ = calendar_bounds()
    sessions = nse_sessions("1991-01-01", "1997-01-10")
    assert sessions[0] >= first
    assert len(sessions) > 0
    assert len(nse_sessions("1990-01-01", "1995-12-31")) == 0
    assert len(nse_sessions("2024-01-10", "2024-01-01")) == 0


def test_is_session_outside_bounds_is_false() -> None:
    assert not is_session(_days("1996-01-02")).any()


def test_missing_sessions_compares_ist_dates_of_intraday_bars() -> None:
    bars = pd.DatetimeIndex(["2024-01-15 09:15", "2024-01-15 15:25", "2024-01-17 09:15"], tz=IST)
    missing = missing_sessions(bars, "2024-01-15", "2024-01-19")
    assert [d.strftime("%Y-%m-%d") for d in missing] == ["2024-01-16", "2024-01-18", "2024-01-19"]
    assert str(missing.tz) == IST


def test_missing_sessions_empty_when_complete() -> None:
    sessions = nse_sessions("2023-01-01", "2023-12-31")
    assert len(missing_sessions(sessions, "2023-01-01", "2023-12-31")) == 0
    assert len(missing_sessions(sessions[1:], "2023-01-01", "2023-12-31")) == 1


def test_nse_trading_days_xbom_lacks_are_sessions() -> None:
    # issue 10: days ~20 stocks traded with volume (and NSE's NIFTY 50 history for 2001/2004)
    days = ["1997-05-08", "1999-01-01", "1999-11-10", "2001-01-01", "2004-01-01"]
    assert is_session(_days(*days)).all()
    # the ETF export's weekend rows are all genuine special sessions
    special = ["2019-10-27", "2020-02-01", "2020-11-14", "2023-11-12", "2024-01-20"]
    assert is_session(_days(*special, "2024-03-02", "2024-05-18")).all()
