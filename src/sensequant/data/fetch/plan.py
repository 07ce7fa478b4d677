"""Plan a broker fetch: which NSE sessions are missing, cut into calls no answer can overflow.

For each symbol the planner takes the wanted range, removes the sessions the ingest log
already covers (chunks recorded ``ok`` or ``empty`` for the same provider and interval),
groups the remaining sessions into runs that are contiguous on the NSE session grid, and cuts
each run into chunks whose bar count on the grid (sessions x
:func:`sensequant.data.market.sessions.expected_bars`) never exceeds the provider's
``max_bars_per_call`` and whose span never exceeds ``max_days_per_call``. Holidays and
weekends are never asked for on their own: a chunk starts and ends on sessions.

The range itself (default end: the last closed session; start clamped to the provider's
history) comes from :mod:`sensequant.data.fetch.ranges`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.fetch.ranges import REFERENCE_DAY, effective_range, session_bar_count
from sensequant.data.market import TimeLike, nse_sessions, to_ist, validate_symbol
from sensequant.data.providers.base import ProviderInfo
from sensequant.errors import UsageError
from sensequant.types import IST

__all__ = ["COVERED_STATUSES", "Chunk", "FetchPlan", "SymbolPlan", "plan_fetch"]

COVERED_STATUSES: Final = ("ok", "empty")
"""Ingest-log statuses that mark a chunk's sessions as done."""


@dataclass(frozen=True)
class Chunk:
    """One provider call: the bars of one symbol between two session days.

    Attributes
    ----------
    symbol, interval : str
        The series.
    start : pandas.Timestamp
        00:00 IST of the first session day.
    end : pandas.Timestamp
        23:59:59 IST of the last session day.
    sessions : int
        NSE sessions inside ``[start, end]``.
    expected_bars : int
        Bars a complete answer holds on the session grid (special sessions of unknown hours
        are counted as regular ones, an upper bound).
    """

    symbol: str
    interval: str
    start: pd.Timestamp
    end: pd.Timestamp
    sessions: int
    expected_bars: int

    @property
    def key(self) -> str:
        """Stable identity ``symbol|interval|start|end`` (ISO, IST)."""
        return f"{self.symbol}|{self.interval}|{self.start.isoformat()}|{self.end.isoformat()}"

    @property
    def first_day(self) -> dt.date:
        """First session day (IST)."""
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        """Last session day (IST)."""
        return self.end.date()


@dataclass(frozen=True)
class SymbolPlan:
    """Planned work for one symbol.

    Attributes
    ----------
    symbol : str
    chunks : tuple of Chunk
        Calls still to make, in time order.
    sessions_wanted : int
        Sessions in the effective range, from the listing date on when the symbol master
        knows it (no call is planned before a listing).
    sessions_cached : int
        Of those, sessions already covered by the ingest log.
    chunks_cached : int
        Ingest-log chunks (``ok``/``empty``) overlapping the range.
    """

    symbol: str
    chunks: tuple[Chunk, ...]
    sessions_wanted: int
    sessions_cached: int
    chunks_cached: int

    @property
    def expected_bars(self) -> int:
        """Bars the planned chunks would bring at most."""
        return sum(c.expected_bars for c in self.chunks)


@dataclass(frozen=True)
class FetchPlan:
    """The whole plan of a fetch (what ``--dry-run`` prints).

    Attributes
    ----------
    provider, interval : str
    start, end : datetime.date or None
        Effective range after the history and session-close clamps (None when nothing is
        servable).
    symbols : tuple of SymbolPlan
    warnings : tuple of str
        Clamps applied and budget notes.
    calls_per_minute, calls_per_day : int or None
        The provider's client-side budgets.
    calls_used_today : int
        Calls already counted today (IST) in the catalog for this provider.
    """

    provider: str
    interval: str
    start: dt.date | None
    end: dt.date | None
    symbols: tuple[SymbolPlan, ...]
    warnings: tuple[str, ...] = ()
    calls_per_minute: int | None = None
    calls_per_day: int | None = None
    calls_used_today: int = 0

    @property
    def chunks(self) -> list[Chunk]:
        """Every planned chunk, symbol by symbol."""
        return [c for s in self.symbols for c in s.chunks]

    @property
    def n_chunks(self) -> int:
        """Chunks to fetch."""
        return sum(len(s.chunks) for s in self.symbols)

    @property
    def n_cached(self) -> int:
        """Chunks already in the ingest log."""
        return sum(s.chunks_cached for s in self.symbols)

    @property
    def expected_calls(self) -> int:
        """Provider calls without faults or truncation (one per chunk)."""
        return self.n_chunks

    @property
    def expected_bars(self) -> int:
        """Bars on the session grid of all planned chunks."""
        return sum(s.expected_bars for s in self.symbols)

    @property
    def seconds_at_rate_limit(self) -> float:
        """Seconds the calls need at ``calls_per_minute`` (0 when unlimited)."""
        if not self.calls_per_minute:
            return 0.0
        return self.expected_calls * 60.0 / self.calls_per_minute

    @property
    def days_at_daily_limit(self) -> int:
        """IST days of daily budget the calls need, counting what is left today (1 if unlimited)."""
        if not self.calls_per_day or self.expected_calls == 0:
            return 1 if self.expected_calls else 0
        left_today = max(self.calls_per_day - self.calls_used_today, 0)
        rest = self.expected_calls - left_today
        return 1 if rest <= 0 else 1 + math.ceil(rest / self.calls_per_day)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``--dry-run --json``."""
        return {
            "provider": self.provider,
            "interval": self.interval,
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "chunks": self.n_chunks,
            "chunks_cached": self.n_cached,
            "expected_calls": self.expected_calls,
            "expected_bars": self.expected_bars,
            "seconds_at_rate_limit": round(self.seconds_at_rate_limit, 1),
            "days_at_daily_limit": self.days_at_daily_limit,
            "calls_per_minute": self.calls_per_minute,
            "calls_per_day": self.calls_per_day,
            "calls_used_today": self.calls_used_today,
            "warnings": list(self.warnings),
            "symbols": [
                {
                    "symbol": s.symbol,
                    "chunks": len(s.chunks),
                    "chunks_cached": s.chunks_cached,
                    "sessions_wanted": s.sessions_wanted,
                    "sessions_cached": s.sessions_cached,
                    "expected_bars": s.expected_bars,
                    "first": s.chunks[0].start.isoformat() if s.chunks else None,
                    "last": s.chunks[-1].end.isoformat() if s.chunks else None,
                }
                for s in self.symbols
            ],
        }


def _covered(
    catalog: Catalog, provider: str, symbol: str, interval: str, wanted: pd.DatetimeIndex
) -> tuple[np.ndarray, int]:
    """Mask of wanted sessions covered by the ingest log, and the covering chunk count."""
    mask = np.zeros(len(wanted), dtype=bool)
    log = catalog.ingest_log(provider, symbol, interval)
    if log.empty or len(wanted) == 0:
        return mask, 0
    log = log[log["status"].isin(COVERED_STATUSES)].drop_duplicates(["start", "end"])
    days = wanted.tz_localize(None)
    n = 0
    for start, end in zip(log["start"], log["end"], strict=True):
        lo = to_ist(start).tz_localize(None).normalize()
        hi = to_ist(end).tz_localize(None).normalize()
        i = int(days.searchsorted(lo, side="left"))
        j = int(days.searchsorted(hi, side="right"))
        if j > i:
            mask[i:j] = True
            n += 1
    return mask, n


def _chunks(
    symbol: str,
    interval: str,
    days: pd.DatetimeIndex,
    max_bars: int | None,
    max_days: int | None,
) -> list[Chunk]:
    """Cut one contiguous run of sessions (IST midnights) into chunks."""
    out: list[Chunk] = []
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    n = bars = 0

    def emit() -> None:
        assert first is not None and last is not None
        end = last + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        out.append(Chunk(symbol, interval, first, end, n, bars))

    for day in days:
        b = session_bar_count(interval, day.date())
        if first is not None:
            span = (day - first).days + 1
            if (max_bars is not None and bars + b > max_bars) or (
                max_days is not None and span > max_days
            ):
                emit()
                first, n, bars = None, 0, 0
        if first is None:
            first = day
        last, n, bars = day, n + 1, bars + b
    if first is not None:
        emit()
    return out


def plan_fetch(
    catalog: Catalog,
    info: ProviderInfo,
    symbols: Sequence[str],
    interval: str,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    force: bool = False,
    now: TimeLike | None = None,
) -> FetchPlan:
    """Plan the chunks a fetch still needs (no provider call, no store read).

    Parameters
    ----------
    catalog : Catalog
        Its ingest log says what is covered; its call counter what today's budget has left;
        its symbol master's listing dates where each symbol's range starts.
    info : ProviderInfo
        Provider name (the ingest log is per provider), limits and history depth.
    symbols : sequence of str
        NSE symbols, planned in this order.
    interval : str
        One of ``info.intervals``.
    start : time-like, optional
        First day wanted (IST). Default: the oldest day the provider serves at ``interval``
        (``info.history_days``); required when that is unlimited.
    end : time-like, optional
        Last day wanted; default and upper bound:
        :func:`~sensequant.data.fetch.ranges.last_closed_session`.
    force : bool, default False
        Ignore the ingest log and plan every session again.
    now : time-like, optional
        Current time (IST), for tests; default the wall clock.

    Returns
    -------
    FetchPlan

    Raises
    ------
    UsageError
        If the provider does not serve ``interval`` or no start can be chosen.
    InvalidSymbolError
        If a symbol is malformed.
    """
    if interval not in info.intervals:
        raise UsageError(
            f"{info.name} does not serve {interval!r} bars",
            hint=f"use one of {', '.join(info.intervals)}",
        )
    symbols = [validate_symbol(s) for s in symbols]
    now_ts = pd.Timestamp.now(tz=IST) if now is None else to_ist(now)
    warnings: list[str] = []
    start_day, end_day = effective_range(info, interval, start, end, now_ts, warnings)
    max_bars = info.max_bars_per_call
    max_days = info.max_days_per_call.get(interval)
    if max_bars is not None and session_bar_count(interval, REFERENCE_DAY) > max_bars:
        warnings.append(
            f"one {interval} session holds more than {max_bars} bars: each one-day chunk is "
            "fetched in several truncated answers"
        )
    wanted = (
        nse_sessions(start_day, end_day) if start_day is not None else pd.DatetimeIndex([], tz=IST)
    )
    listed = {i.symbol: i.listing_date for i in catalog.symbols(symbols) if i.listing_date}
    plans: list[SymbolPlan] = []
    for symbol in symbols:
        if force:
            covered, n_cached = np.zeros(len(wanted), dtype=bool), 0
        else:
            covered, n_cached = _covered(catalog, info.name, symbol, interval, wanted)
        chunks: list[Chunk] = []
        unlisted = np.zeros(len(wanted), dtype=bool)
        if symbol in listed:  # the symbol master's listing date: nothing to ask before it
            unlisted = np.asarray(wanted < pd.Timestamp(listed[symbol], tz=IST), dtype=bool)
        missing = np.flatnonzero(~covered & ~unlisted)
        if len(missing):
            breaks = np.flatnonzero(np.diff(missing) > 1) + 1
            for run in np.split(missing, breaks):
                chunks.extend(_chunks(symbol, interval, wanted[run], max_bars, max_days))
        n_wanted = len(wanted) - int(unlisted.sum())
        n_covered = int((covered & ~unlisted).sum())
        plans.append(SymbolPlan(symbol, tuple(chunks), n_wanted, n_covered, n_cached))
    used = catalog.api_calls(info.name, now_ts.date())
    n_calls = sum(len(p.chunks) for p in plans)
    cpd = info.calls_per_day
    if cpd and n_calls > max(cpd - used, 0):
        warnings.append(
            f"{n_calls} calls exceed today's {info.name} budget ({max(cpd - used, 0)} of {cpd} "
            "left): the fetch stops when it is spent; re-run the same command the next day "
            "to go on"
        )
    return FetchPlan(
        provider=info.name,
        interval=interval,
        start=start_day,
        end=end_day,
        symbols=tuple(plans),
        warnings=tuple(warnings),
        calls_per_minute=info.calls_per_minute,
        calls_per_day=cpd,
        calls_used_today=used,
    )
