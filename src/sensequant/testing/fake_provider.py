"""An in-process fake :class:`~sensequant.data.providers.base.BarProvider` and a fake clock.

:class:`FakeProvider` serves :func:`sensequant.testing.synthetic.synthetic_bars` keyed by an
ISEC-like code, records every call, and injects faults deterministically (a seeded draw per
``fetch_bars`` call, in call order): transient errors, per-minute rate limits, a daily limit
or an expired session after N calls, a Ctrl-C at call N, slow answers, and truncated
answers. Because synthetic bars depend only on ``(code, interval, bar start)``, any chunking,
fault pattern or restart yields identical data.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sensequant.data.catalog import SymbolInfo
from sensequant.data.market import to_ist
from sensequant.data.providers.base import ProviderInfo, empty_bars
from sensequant.errors import (
    DailyLimitError,
    RateLimitError,
    SessionExpiredError,
    TransientProviderError,
    UnknownInstrumentError,
)
from sensequant.testing.synthetic import synthetic_bars
from sensequant.types import INTERVALS

__all__ = [
    "FakeCall",
    "FakeClock",
    "FakeProvider",
    "cached_synthetic_bars",
    "fake_code",
]

BarsFn = Callable[[str, str, pd.Timestamp, pd.Timestamp], pd.DataFrame]

_YEARS: dict[tuple[str, str, int], pd.DataFrame] = {}
_YEARS_LOCK = threading.Lock()


def fake_code(symbol: str) -> str:
    """An ISEC-like code for a symbol: its first six letters and digits (``RELIAN``)."""
    return re.sub(r"[^A-Z0-9]", "", symbol.upper())[:6] or "X"


def cached_synthetic_bars(
    code: str, interval: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """:func:`synthetic_bars` sliced from whole calendar years kept in memory (same values).

    Building the session grid dominates ``synthetic_bars``; a fetch asks for many small
    ranges of the same years, so each (code, interval, year) is generated once per process.
    """
    s, e = to_ist(start), to_ist(end)
    if e < s:
        return empty_bars()
    parts = []
    for year in range(s.year, e.year + 1):
        key = (code, interval, year)
        with _YEARS_LOCK:
            frame = _YEARS.get(key)
        if frame is None:
            frame = synthetic_bars(code, interval, dt.date(year, 1, 1), dt.date(year, 12, 31))
            with _YEARS_LOCK:
                _YEARS[key] = frame
        ts = pd.DatetimeIndex(frame["timestamp"])
        lo, hi = ts.searchsorted(s, side="left"), ts.searchsorted(e, side="right")
        parts.append(frame.iloc[lo:hi])
    return (
        pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    )


@dataclass(frozen=True)
class FakeCall:
    """One recorded call.

    Attributes
    ----------
    method : str
        ``check_symbol`` or ``fetch_bars``.
    symbol : str
    interval : str or None
    start, end : pandas.Timestamp or None
    outcome : str
        ``ok``, ``unknown``, ``transient``, ``rate_limit``, ``daily_limit``, ``expired``,
        ``interrupt`` or ``error`` (``bars_fn`` raised).
    rows : int
        Rows returned.
    """

    method: str
    symbol: str
    interval: str | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    outcome: str = "ok"
    rows: int = 0


def _default_info() -> ProviderInfo:
    return ProviderInfo(name="fake", intervals=INTERVALS, max_bars_per_call=1000)


@dataclass
class FakeProvider:
    """A deterministic, fault-injecting bar provider that records every call.

    Parameters
    ----------
    info : ProviderInfo, optional
        Default: name ``fake``, every interval, 1000 bars per call, no budgets.
    bars_fn : callable, optional
        ``(code, interval, start, end) -> bars``; default :func:`cached_synthetic_bars`.
        It may raise provider errors to simulate a bad range.
    codes : mapping of str to str, optional
        Symbol -> code (default :func:`fake_code`).
    unknown : collection of str
        Symbols whose ``check_symbol`` raises ``UnknownInstrumentError``.
    fault_rate : float
        Probability that a ``fetch_bars`` call raises ``TransientProviderError``.
    rate_limit_rate : float
        Probability that a call raises ``RateLimitError(retry_after_s)``.
    retry_after_s : float
        Wait the rate-limit errors ask for.
    seed : int
        Seeds the fault draws (one draw per ``fetch_bars`` call, in call order).
    daily_after, expire_after : int, optional
        From this many ``fetch_bars`` calls on, raise ``DailyLimitError`` /
        ``SessionExpiredError``.
    interrupt_at : int, optional
        The call with this 0-based index raises ``KeyboardInterrupt``.
    slow_calls : collection of int
        0-based indices of calls that sleep ``slow_s`` real seconds before answering.
    slow_s : float
    max_rows : int, optional
        Truncate answers to this many rows (default ``info.max_bars_per_call``).
    """

    info: ProviderInfo = field(default_factory=_default_info)
    bars_fn: BarsFn = cached_synthetic_bars
    codes: Mapping[str, str] = field(default_factory=dict)
    unknown: Collection[str] = ()
    fault_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after_s: float = 61.0
    seed: int = 0
    daily_after: int | None = None
    expire_after: int | None = None
    interrupt_at: int | None = None
    slow_calls: Collection[int] = ()
    slow_s: float = 1.0
    max_rows: int | None = None
    calls: list[FakeCall] = field(default_factory=list, init=False)
    closed: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._n_fetch = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------ protocol
    def code(self, symbol: str) -> str:
        """The code bars are generated from."""
        return self.codes.get(symbol, fake_code(symbol))

    @property
    def fetch_calls(self) -> list[FakeCall]:
        """Recorded ``fetch_bars`` calls."""
        return [c for c in self.calls if c.method == "fetch_bars"]

    def check_symbol(self, symbol: str) -> None:
        """Raise ``UnknownInstrumentError`` for symbols in ``unknown``."""
        known = symbol not in self.unknown
        with self._lock:
            self.calls.append(
                FakeCall("check_symbol", symbol, outcome="ok" if known else "unknown")
            )
        if not known:
            raise UnknownInstrumentError(
                f"{self.info.name}: no instrument for {symbol} (code {self.code(symbol)})",
                hint="check the symbol",
                provider=self.info.name,
            )

    def symbol_infos(self, symbols: Sequence[str]) -> list[SymbolInfo]:
        """Symbol-master rows (ISEC-like code) for the known symbols among ``symbols``."""
        return [
            SymbolInfo(symbol=s, isec_code=self.code(s)) for s in symbols if s not in self.unknown
        ]

    def _fault(self, n: int) -> str:
        u = self._rng.random()
        if self.interrupt_at is not None and n == self.interrupt_at:
            return "interrupt"
        if self.expire_after is not None and n >= self.expire_after:
            return "expired"
        if self.daily_after is not None and n >= self.daily_after:
            return "daily_limit"
        if u < self.fault_rate:
            return "transient"
        if u < self.fault_rate + self.rate_limit_rate:
            return "rate_limit"
        return "ok"

    def fetch_bars(
        self, symbol: str, interval: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """Synthetic bars in ``[start, end]``, or the fault drawn for this call."""
        with self._lock:
            n = self._n_fetch
            self._n_fetch += 1
            outcome = self._fault(n)
        if n in self.slow_calls:
            time.sleep(self.slow_s)
        where = f"{symbol} {interval} {start}..{end}"
        name = self.info.name
        if outcome != "ok":
            self._record(symbol, interval, start, end, outcome, 0)
        if outcome == "interrupt":
            raise KeyboardInterrupt
        if outcome == "expired":
            raise SessionExpiredError(
                f"{name}: session expired", hint="set a new session token", provider=name
            )
        if outcome == "daily_limit":
            raise DailyLimitError(
                f"{name}: Limit exceed: API call per day", hint="resume tomorrow", provider=name
            )
        if outcome == "transient":
            raise TransientProviderError(f"{name}: injected fault for {where}", provider=name)
        if outcome == "rate_limit":
            raise RateLimitError(
                f"{name}: Limit exceed: API call per minute",
                retry_after_s=self.retry_after_s,
                provider=name,
            )
        try:
            bars = self.bars_fn(self.code(symbol), interval, start, end)
        except BaseException:
            self._record(symbol, interval, start, end, "error", 0)
            raise
        cap = self.max_rows if self.max_rows is not None else self.info.max_bars_per_call
        if cap is not None:
            bars = bars.iloc[:cap]
        bars = bars.reset_index(drop=True)
        self._record(symbol, interval, start, end, "ok", len(bars))
        return bars

    def _record(
        self,
        symbol: str,
        interval: str,
        start: pd.Timestamp,
        end: pd.Timestamp,
        outcome: str,
        rows: int,
    ) -> None:
        with self._lock:
            self.calls.append(FakeCall("fetch_bars", symbol, interval, start, end, outcome, rows))

    def close(self) -> None:
        """Mark the provider closed (idempotent)."""
        self.closed = True


class FakeClock:
    """A clock that only moves when something sleeps on it.

    Parameters
    ----------
    start : str or pandas.Timestamp
        Wall time at monotonic 0 (naive = IST).
    """

    def __init__(self, start: str | pd.Timestamp = "2024-09-09 18:00") -> None:
        self.start = to_ist(start)
        self.t = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        """Seconds since the start."""
        return self.t

    def sleep(self, seconds: float) -> None:
        """Advance the clock instead of waiting."""
        self.slept.append(float(seconds))
        self.t += max(float(seconds), 0.0)

    def now(self) -> pd.Timestamp:
        """Wall time (IST)."""
        return self.start + pd.Timedelta(seconds=self.t)

    def today(self) -> dt.date:
        """IST date."""
        return self.now().date()

    def advance(self, seconds: float) -> None:
        """Move the clock without recording a sleep."""
        self.t += seconds
