"""Client-side budgets: no 60-second window over the per-minute budget; a shared daily budget."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.fetch import RateLimiter
from sensequant.errors import DailyLimitError
from sensequant.testing.fake_provider import FakeClock


def _limiter(clock: FakeClock, **kw: Any) -> RateLimiter:
    return RateLimiter(
        "breeze", monotonic=clock.monotonic, sleep=clock.sleep, today=clock.today, **kw
    )


def test_per_minute_budget_holds_in_every_window() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, calls_per_minute=5)
    times = []
    for _ in range(23):
        limiter.acquire()
        times.append(clock.monotonic())
    assert times[:5] == [0.0] * 5  # a burst up to the budget goes at once
    for i in range(len(times) - 5):
        assert times[i + 5] - times[i] >= 60.0  # never 6 calls within 60 s
    assert times[5] == pytest.approx(61.0)  # 60 s plus the 1 s jitter margin, no more
    assert limiter.waited_s == pytest.approx(sum(clock.slept))
    assert limiter.used_today() == 23


def test_unlimited_never_waits() -> None:
    clock = FakeClock()
    limiter = _limiter(clock)
    for _ in range(500):
        assert limiter.acquire() == 0.0
    assert clock.slept == []


def test_daily_budget_is_shared_through_the_catalog(tmp_path: Path) -> None:
    clock = FakeClock("2024-09-09 10:00")
    catalog = Catalog(tmp_path / "catalog.sqlite")
    first = _limiter(clock, calls_per_day=3, counter=catalog)
    for _ in range(3):
        first.acquire()
    with pytest.raises(DailyLimitError, match="daily budget of 3 calls") as info:
        first.acquire()
    assert "midnight IST" in (info.value.hint or "")
    assert "SENSEQUANT_BREEZE_CALLS_PER_DAY" in (info.value.hint or "")
    assert catalog.api_calls("breeze", dt.date(2024, 9, 9)) == 3  # the refused call is not counted
    second = _limiter(clock, calls_per_day=3, counter=catalog)  # another process, same catalog
    with pytest.raises(DailyLimitError):
        second.acquire()
    clock.advance(24 * 3600)  # the next IST day
    second.acquire()
    assert catalog.api_calls("breeze", dt.date(2024, 9, 10)) == 1


class _RacingCounter:
    """Another process takes the last call between our check and our count."""

    def __init__(self) -> None:
        self.total = 2

    def api_calls(self, provider: str, day: dt.date) -> int:
        return self.total

    def add_api_calls(self, provider: str, day: dt.date, calls: int = 1) -> int:
        if calls > 0 and self.total == 2:
            self.total += 1  # the other process
        self.total += calls
        return self.total


def test_daily_budget_race_is_refused_and_uncounted() -> None:
    clock = FakeClock()
    counter = _RacingCounter()
    limiter = _limiter(clock, calls_per_day=3, counter=counter)
    with pytest.raises(DailyLimitError):
        limiter.acquire()
    assert counter.total == 3  # our call was taken back out


def test_daily_limit_is_checked_before_waiting_for_the_minute() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, calls_per_minute=2, calls_per_day=2)
    limiter.acquire()
    limiter.acquire()
    with pytest.raises(DailyLimitError):
        limiter.acquire()
    assert clock.slept == []  # no pointless wait for a slot that can never be used


def test_bad_budget_is_rejected() -> None:
    with pytest.raises(ValueError, match="calls_per_minute"):
        RateLimiter("x", calls_per_minute=0)
