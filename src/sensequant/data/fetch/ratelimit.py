"""Client-side call budgets: calls per minute (in this process) and per IST day (shared).

The per-minute budget is a token bucket whose tokens come back exactly 60 s after they were
spent (a sliding-window log): a burst of up to ``calls_per_minute`` calls goes at once, and no
60-second window ever holds more calls, so a broker counting per clock minute or per sliding
minute never sees the limit exceeded. The daily budget is counted in the catalog
(:meth:`Catalog.add_api_calls`) so every process and every restart on one machine share it;
the day is the IST date (Breeze resets its counter at midnight IST).

Clock, sleep and date are injectable so tests never wait for real.
"""

from __future__ import annotations

import collections
import datetime as dt
import time
from collections.abc import Callable
from typing import Protocol

import pandas as pd

from sensequant.errors import DailyLimitError
from sensequant.types import IST

__all__ = ["CallCounter", "RateLimiter", "ist_today"]

WINDOW_S = 61.0
"""Length of the sliding per-minute window in seconds: one second longer than the broker's
minute, so request-arrival jitter cannot make the server count ``calls_per_minute + 1`` calls
in its 60 s (a limit answer costs a wait for the next minute)."""


class CallCounter(Protocol):
    """Where daily call counts live (:class:`sensequant.data.catalog.catalog.Catalog`)."""

    def add_api_calls(self, provider: str, day: dt.date, calls: int = 1) -> int:
        """Add ``calls`` to ``day``'s count; return the new total."""
        ...

    def api_calls(self, provider: str, day: dt.date) -> int:
        """Calls counted on ``day``."""
        ...


def ist_today() -> dt.date:
    """Today's date in IST."""
    return pd.Timestamp.now(tz=IST).date()


class RateLimiter:
    """Block until a provider call fits the per-minute budget; count it against the day's.

    Parameters
    ----------
    provider : str
        Provider name (the daily counter is per provider).
    calls_per_minute : int, optional
        Most calls in any 60-second window; None = unlimited.
    calls_per_day : int, optional
        Most calls per IST day across all processes sharing ``counter``; None = unlimited
        (calls are still counted when a counter is given).
    counter : CallCounter, optional
        Shared daily counter (the catalog); without one the day is counted in memory.
    monotonic : callable, default time.monotonic
        Seconds of a monotonic clock.
    sleep : callable, default time.sleep
        Waits the given seconds.
    today : callable, default ist_today
        The current IST date.
    """

    def __init__(
        self,
        provider: str,
        *,
        calls_per_minute: int | None = None,
        calls_per_day: int | None = None,
        counter: CallCounter | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        today: Callable[[], dt.date] = ist_today,
    ) -> None:
        for name, value in (
            ("calls_per_minute", calls_per_minute),
            ("calls_per_day", calls_per_day),
        ):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1 or None, got {value}")
        self.provider = provider
        self.calls_per_minute = calls_per_minute
        self.calls_per_day = calls_per_day
        self._counter = counter
        self._monotonic = monotonic
        self._sleep = sleep
        self._today = today
        self._recent: collections.deque[float] = collections.deque()
        self._memory: dict[dt.date, int] = {}
        self.waited_s = 0.0
        """Total seconds spent waiting for the per-minute budget."""

    def used_today(self) -> int:
        """Calls counted today (IST) for this provider."""
        day = self._today()
        if self._counter is not None:
            return self._counter.api_calls(self.provider, day)
        return self._memory.get(day, 0)

    def _limit_error(self, day: dt.date, used: int) -> DailyLimitError:
        hint = (
            "the budget resets at midnight IST: re-run the same command then to resume "
            "(chunks already fetched are kept)"
        )
        if self.provider == "breeze":
            hint += "; SENSEQUANT_BREEZE_CALLS_PER_DAY sets the budget (Breeze allows 5,000)"
        return DailyLimitError(
            f"{self.provider}: the daily budget of {self.calls_per_day} calls is spent for "
            f"{day} IST ({used} calls counted)",
            hint=hint,
            provider=self.provider,
        )

    def _count(self) -> None:
        day = self._today()
        limit = self.calls_per_day
        if self._counter is None:
            used = self._memory.get(day, 0)
            if limit is not None and used >= limit:
                raise self._limit_error(day, used)
            self._memory[day] = used + 1
            return
        if limit is not None:
            used = self._counter.api_calls(self.provider, day)
            if used >= limit:
                raise self._limit_error(day, used)
        total = self._counter.add_api_calls(self.provider, day, 1)
        if limit is not None and total > limit:  # another process took the last call
            self._counter.add_api_calls(self.provider, day, -1)
            raise self._limit_error(day, total - 1)

    def acquire(self) -> float:
        """Wait for a call slot, then count the call (call this right before each call).

        Returns
        -------
        float
            Seconds waited for the per-minute budget.

        Raises
        ------
        DailyLimitError
            If the day's budget is spent (checked before and after waiting; the call is not
            counted then).
        """
        waited = 0.0
        cpm = self.calls_per_minute
        if cpm is not None:
            while True:
                now = self._monotonic()
                while self._recent and now - self._recent[0] >= WINDOW_S:
                    self._recent.popleft()
                if len(self._recent) < cpm:
                    break
                if not waited and self.calls_per_day is not None:
                    used = self.used_today()
                    if used >= self.calls_per_day:
                        raise self._limit_error(self._today(), used)
                delay = WINDOW_S - (now - self._recent[0])
                self._sleep(delay)
                waited += delay
        self._count()
        self._recent.append(self._monotonic())
        self.waited_s += waited
        return waited
