"""Tests of sensequant.data.market.sessions: session hours and the intraday bar grid."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sensequant.data.market import (
    SESSION_HOURS,
    SESSION_OVERRIDES,
    expected_bars,
    nse_sessions,
    session_bar_starts,
    session_hours,
)
from sensequant.types import IST

REGULAR = dt.date(2024, 1, 2)
DR_SATURDAY = dt.date(2024, 3, 2)
MUHURAT_2023 = dt.date(2023, 11, 12)
MUHURAT_2015 = dt.date(2015, 11, 11)  # a session whose hours the table does not list


@pytest.mark.parametrize(
    ("interval", "day", "bars"),
    [
        ("5minute", REGULAR, 75),
        ("1minute", REGULAR, 375),
        ("30minute", REGULAR, 13),  # the last bar, 15:15-15:30, is 15 minutes long
        ("1day", REGULAR, 1),
        ("5minute", DR_SATURDAY, 21),  # 09:15-10:00 (9 bars) + 11:30-12:30 (12 bars)
        ("5minute", dt.date(2024, 5, 18), 21),
        ("5minute", MUHURAT_2023, 12),  # 18:15-19:15
        ("1minute", MUHURAT_2023, 60),
        ("30minute", DR_SATURDAY, 4),  # 09:15, 09:45 | 11:30, 12:00
        ("5minute", dt.date(2024, 11, 1), 12),  # Muhurat 2024: 18:00-19:00
        ("5minute", dt.date(2024, 1, 20), 75),  # Saturday session with regular hours
        ("5minute", dt.date(2009, 6, 1), 67),  # before 2010-01-04: 09:55-15:30
        ("5minute", dt.date(2010, 1, 4), 75),  # first day of the 09:15 open
    ],
)
def test_expected_bars(interval: str, day: dt.date, bars: int) -> None:
    assert expected_bars(interval, day) == bars


def test_unknown_hours_give_none() -> None:
    assert MUHURAT_2015 in SESSION_OVERRIDES and MUHURAT_2015 not in SESSION_HOURS
    assert session_hours(MUHURAT_2015) is None
    assert expected_bars("5minute", MUHURAT_2015) is None
    assert expected_bars("1day", MUHURAT_2015) == 1  # a daily bar needs no hours
    # every Muhurat session without listed hours is unknown, never guessed
    for day, (is_open, reason) in SESSION_OVERRIDES.items():
        if is_open and "Muhurat" in reason and day not in SESSION_HOURS:
            assert expected_bars("1minute", day) is None


def test_session_hours_segments() -> None:
    assert session_hours(REGULAR) == ((dt.time(9, 15), dt.time(15, 30)),)
    assert session_hours(dt.date(2005, 3, 1)) == ((dt.time(9, 55), dt.time(15, 30)),)
    assert session_hours(DR_SATURDAY) == (
        (dt.time(9, 15), dt.time(10, 0)),
        (dt.time(11, 30), dt.time(12, 30)),
    )


def test_unknown_interval_is_an_error() -> None:
    with pytest.raises(ValueError, match="15minute"):
        expected_bars("15minute", REGULAR)
    with pytest.raises(ValueError, match="unknown interval"):
        session_bar_starts("2minute", REGULAR, REGULAR)


def test_bar_starts_on_a_regular_day() -> None:
    starts = session_bar_starts("5minute", REGULAR, REGULAR)
    assert str(starts.tz) == IST
    assert len(starts) == 75
    assert starts[0] == pd.Timestamp("2024-01-02 09:15", tz=IST)
    assert starts[-1] == pd.Timestamp("2024-01-02 15:25", tz=IST)
    assert (starts[1:] - starts[:-1] == pd.Timedelta(minutes=5)).all()


def test_bar_starts_over_special_sessions_and_weekends() -> None:
    starts = session_bar_starts("5minute", "2024-03-01", "2024-03-04")  # Fri, DR Sat, Sun, Mon
    days = pd.Series(starts.date).value_counts().sort_index()
    assert days.to_dict() == {
        dt.date(2024, 3, 1): 75,
        dt.date(2024, 3, 2): 21,
        dt.date(2024, 3, 4): 75,
    }
    saturday = starts[starts.date == DR_SATURDAY]
    assert saturday[8] == pd.Timestamp("2024-03-02 09:55", tz=IST)
    assert saturday[9] == pd.Timestamp("2024-03-02 11:30", tz=IST)
    assert saturday[-1] == pd.Timestamp("2024-03-02 12:25", tz=IST)


def test_bar_starts_on_muhurat_days() -> None:
    known = session_bar_starts("5minute", MUHURAT_2023, MUHURAT_2023)
    assert known[0] == pd.Timestamp("2023-11-12 18:15", tz=IST)
    assert known[-1] == pd.Timestamp("2023-11-12 19:10", tz=IST)
    # a session with unknown hours is left out of the grid, not filled with a guess
    assert len(session_bar_starts("5minute", MUHURAT_2015, MUHURAT_2015)) == 0


def test_bar_starts_agree_with_expected_bars_over_a_year() -> None:
    starts = session_bar_starts("30minute", "2023-07-01", "2024-06-30")
    per_day = pd.Series(starts.date).value_counts()
    for day in nse_sessions("2023-07-01", "2024-06-30"):
        assert per_day.get(day.date(), 0) == expected_bars("30minute", day.date())


def test_daily_starts_are_the_sessions() -> None:
    starts = session_bar_starts("1day", "2024-03-01", "2024-03-31")
    assert starts.equals(nse_sessions("2024-03-01", "2024-03-31"))


def test_empty_range() -> None:
    starts = session_bar_starts("5minute", "2024-03-03", "2024-03-03")  # a Sunday
    assert len(starts) == 0
    assert str(starts.tz) == IST
