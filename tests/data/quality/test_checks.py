"""Tests of sensequant.data.quality.checks: session grid, duplicated days, outlier jumps."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sensequant.data.market import expected_bars, nse_sessions, session_bar_starts, session_hours
from sensequant.data.quality import (
    day_numbers,
    duplicated_days,
    grid_bar_count,
    outlier_jumps,
    session_grid,
)
from sensequant.types import IST


def _stamps(*values: str) -> pd.Series:
    return pd.Series(pd.DatetimeIndex(list(values)).tz_localize(IST))


def test_day_numbers_use_the_ist_date() -> None:
    ts = _stamps("2024-01-02 00:10", "2024-01-02 23:50")
    utc = ts.dt.tz_convert("UTC")  # 2024-01-01 18:40 UTC is already 2024-01-02 in IST
    day, tod = day_numbers(utc)
    assert (day == (dt.date(2024, 1, 2) - dt.date(1970, 1, 1)).days).all()
    assert tod.tolist() == [10 * 60 * 10**9, (23 * 60 + 50) * 60 * 10**9]


@pytest.mark.parametrize("interval", ["1minute", "5minute", "30minute"])
def test_grid_bar_count_matches_expected_bars(interval: str) -> None:
    for day in nse_sessions("2023-07-01", "2024-12-31").date:
        hours = session_hours(day)
        if hours is not None:
            assert grid_bar_count(hours, interval) == expected_bars(interval, day)


def test_the_session_grid_is_on_the_grid() -> None:
    starts = session_bar_starts("5minute", "2024-02-28", "2024-03-05")
    known, on_grid = session_grid(starts, "5minute")
    assert known.all() and on_grid.all()


def test_off_grid_and_out_of_hours_bars() -> None:
    ts = _stamps(
        "2024-01-02 09:15",  # on the grid
        "2024-01-02 09:17",  # between grid points
        "2024-01-02 09:10",  # before the open (pre-open)
        "2024-01-02 15:30",  # at the close: no bar starts there
        "2024-01-02 09:20:30",  # seconds
        "2024-03-02 10:00",  # DR Saturday: the break between its two segments
        "2024-03-02 11:30",  # ... second segment opens
        "2015-11-11 18:15",  # Muhurat with unknown hours: not judged
        "2024-01-06 09:15",  # an ordinary Saturday: not a session, not judged here
    )
    known, on_grid = session_grid(ts, "5minute")
    assert known.tolist() == [True] * 7 + [False, False]
    assert on_grid.tolist() == [True, False, False, False, False, False, True, False, False]


def test_duplicated_days_need_every_bar_twice() -> None:
    day1 = [f"2024-01-02 {h}" for h in ("09:15", "09:20", "09:25")]
    day2 = [f"2024-01-03 {h}" for h in ("09:15", "09:20", "09:25")]
    ts = _stamps(*day1, *day2, *day1, "2024-01-03 09:15")  # day 1 twice, one repeat on day 2
    extra, days = duplicated_days(ts)
    assert days == [dt.date(2024, 1, 2)]
    assert extra.tolist() == [False] * 6 + [True] * 3 + [False]


def test_outlier_jumps() -> None:
    rng = np.random.default_rng(5)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    open_ = close * np.exp(rng.normal(0, 0.003, 300))
    close[150:] *= 1.35  # +35 % on bar 150 and after
    open_[150:] *= 1.35
    open_[200] *= 0.7  # an opening print 30 % below the previous close
    flagged, sigma = outlier_jumps(open_, close)
    assert np.flatnonzero(flagged).tolist() == [150, 200]
    assert 0.005 < sigma < 0.02
    flagged, _ = outlier_jumps(open_, close, exclude=np.arange(300) == 150)
    assert np.flatnonzero(flagged).tolist() == [200]


def test_big_but_ordinary_moves_are_not_outliers() -> None:
    rng = np.random.default_rng(6)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.08, 300)))  # a wild but steady series
    flagged, _ = outlier_jumps(close, close)
    assert not flagged.any()
    assert not outlier_jumps(close[:5], close[:5])[0].any()  # too short to judge
