"""One planned chunk from a provider: rate limit, deadline, retries, continuation, checks.

:class:`ChunkFetcher` is the call layer of :func:`sensequant.data.fetch.runner.fetch_bars_to_store`:
per call the rate limiter (per minute, and per IST day counted in the catalog), then
``provider.fetch_bars`` under a deadline, retried with tenacity: transient errors with
exponential backoff and jitter (capped), rate-limit answers after their ``retry_after_s``. An
answer of exactly ``max_bars_per_call`` rows is continued after its last bar until the chunk's
last bar on the session grid. Answers are checked (columns, tz-aware timestamps), converted to
IST, and bars outside the chunk are dropped (with a warning). :func:`clean_fetched` cleans
the answers buffered for one store flush; storing them is the engine's job.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import tenacity

from sensequant.data.fetch.plan import Chunk
from sensequant.data.fetch.ratelimit import RateLimiter
from sensequant.data.fetch.report import FetchPolicy, FetchReport
from sensequant.data.market import session_bar_starts
from sensequant.data.providers.base import BarProvider, empty_bars
from sensequant.data.quality import Finding, clean_bars
from sensequant.data.reference import is_index_symbol
from sensequant.errors import DataError, RateLimitError, TransientProviderError
from sensequant.types import BAR_COLUMNS, IST, OPTIONAL_BAR_COLUMNS

__all__ = ["ChunkFetcher", "FetchedChunk", "chunk_sha256", "clean_fetched"]

_STORE_COLUMNS = (*BAR_COLUMNS, *OPTIONAL_BAR_COLUMNS)
_MAX_CONTINUATIONS = 1000


def chunk_sha256(bars: pd.DataFrame) -> str:
    """SHA-256 of a chunk's canonical bytes (the store fingerprint's encoding).

    Per column in order: its name and NUL, then values as little-endian int64 nanoseconds
    (``timestamp``) or float64 with NaN canonicalised.
    """
    digest = hashlib.sha256(b"sensequant-chunk-v1\n")
    for col in bars.columns:
        digest.update(str(col).encode() + b"\0")
        if col == "timestamp":
            values = pd.DatetimeIndex(bars[col]).as_unit("ns").asi8.astype("<i8")
        else:
            arr = bars[col].to_numpy(dtype=np.float64)
            values = np.where(np.isnan(arr), np.nan, arr).astype("<f8")
        digest.update(values.tobytes())
    return digest.hexdigest()


@dataclass
class FetchedChunk:
    """A chunk's answer, waiting in the engine's buffer for the next store flush.

    Attributes
    ----------
    chunk : Chunk
    raw : pandas.DataFrame
        The answer: store columns, IST, inside the chunk, not yet cleaned.
    rows_in : int
        Rows received (continuations joined) before bars outside the chunk were dropped.
    bars : pandas.DataFrame or None
        The cleaned bars, set by the engine at flush time.
    """

    chunk: Chunk
    raw: pd.DataFrame
    rows_in: int
    bars: pd.DataFrame | None = None


class ChunkFetcher:
    """Fetches one chunk at a time (see the module notes).

    Parameters
    ----------
    provider : BarProvider
    policy : FetchPolicy
        Attempts, backoff, deadline, rate-limit waits.
    limiter : RateLimiter
        Acquired before every call.
    sleep : callable
        ``sleep(seconds)`` used between retries (tests pass a fake clock's).
    report : FetchReport
        Its ``requests`` and ``retries`` counters are increased.
    warn : callable
        ``warn(message)`` for bars dropped outside the chunk.
    """

    def __init__(
        self,
        provider: BarProvider,
        policy: FetchPolicy,
        limiter: RateLimiter,
        sleep: Callable[[float], None],
        report: FetchReport,
        warn: Callable[[str], None],
    ) -> None:
        self.provider, self.info = provider, provider.info
        self.policy, self.limiter, self.sleep = policy, limiter, sleep
        self.report, self.warn = report, warn

    # ---------------------------------------------------------------- calls
    def _deadline(self, fn: Callable[[], pd.DataFrame], what: str) -> pd.DataFrame:
        limit = self.policy.deadline_s
        if limit is None:
            return fn()
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:
                box["error"] = exc

        worker = threading.Thread(target=target, name="sensequant-fetch", daemon=True)
        worker.start()
        worker.join(limit)
        if worker.is_alive():
            raise TransientProviderError(
                f"{self.info.name}: no answer within {limit:g} s for {what}",
                hint="the provider is slow; SENSEQUANT_FETCH_DEADLINE_S sets the deadline",
                provider=self.info.name,
            )
        if "error" in box:
            raise box["error"]
        return box["value"]

    def _call(self, chunk: Chunk, start: pd.Timestamp) -> pd.DataFrame:
        what = f"{chunk.symbol} {chunk.interval} {start}..{chunk.end}"
        rate_waits = transient = 0
        expo = tenacity.wait_exponential_jitter(
            initial=self.policy.backoff_initial_s, max=self.policy.backoff_max_s
        )

        def attempt() -> pd.DataFrame:
            self.limiter.acquire()
            self.report.requests += 1
            return self._deadline(
                lambda: self.provider.fetch_bars(chunk.symbol, chunk.interval, start, chunk.end),
                what,
            )

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, RateLimitError):
                return max(exc.retry_after_s, 0.0)
            return float(expo(state))

        def stop(state: tenacity.RetryCallState) -> bool:
            nonlocal rate_waits, transient
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, RateLimitError):
                rate_waits += 1
                return rate_waits > self.policy.max_rate_limit_waits
            transient += 1
            return transient >= self.policy.max_attempts

        def before_sleep(state: tenacity.RetryCallState) -> None:
            self.report.retries += 1

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(TransientProviderError),
            wait=wait,
            stop=stop,
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(attempt)

    # ---------------------------------------------------------------- chunks
    def _part(self, chunk: Chunk, part: pd.DataFrame) -> pd.DataFrame:
        """Check one answer's columns and time zone; keep the store columns, in IST."""
        where = f"{self.info.name} answered {chunk.symbol} {chunk.interval}"
        missing = [c for c in BAR_COLUMNS if c not in part.columns]
        if missing and len(part) == 0:
            return empty_bars()
        if missing:
            raise DataError(f"{where} without columns {missing}", hint="a provider bug: report it")
        if not isinstance(part["timestamp"].dtype, pd.DatetimeTZDtype):
            raise DataError(
                f"{where} with naive timestamps ({part['timestamp'].dtype})",
                hint="a provider bug: timestamps must be tz-aware IST",
            )
        keep = [c for c in _STORE_COLUMNS if c in part.columns]
        if keep != list(part.columns):
            part = part[keep]
        if str(part["timestamp"].dt.tz) != IST:
            part = part.assign(timestamp=part["timestamp"].dt.tz_convert(IST))
        return part

    def fetch(self, chunk: Chunk) -> FetchedChunk:
        """The bars of ``chunk`` (continued past truncated answers; outside bars dropped).

        Raises
        ------
        ProviderError
            What the provider raised after the policy's retries (the engine decides).
        DataError
            An answer without the bar columns or with naive timestamps.
        """
        cap = self.info.max_bars_per_call
        parts: list[pd.DataFrame] = []
        cursor = chunk.start
        last_seen: pd.Timestamp | None = None
        grid = session_bar_starts(chunk.interval, chunk.last_day, chunk.last_day)
        grid_end = grid[-1] if len(grid) else chunk.end  # the chunk's last bar on the grid
        for _ in range(_MAX_CONTINUATIONS):
            part = self._part(chunk, self._call(chunk, cursor))
            n_raw = len(part)
            if last_seen is not None:  # a continuation may repeat the last bar
                part = part[part["timestamp"] > last_seen]
            parts.append(part)
            if cap is None or n_raw < cap or part.empty:
                break
            last = part["timestamp"].max()
            if last >= grid_end:  # a full answer that reaches the last bar is complete
                break
            last_seen = last
            cursor = last + pd.Timedelta(1, unit="ns")
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        rows_in = len(frame)
        ts = frame["timestamp"]
        inside = ((ts >= chunk.start) & (ts <= chunk.end)).to_numpy()
        if not inside.all():
            self.warn(
                f"{chunk.symbol} {chunk.interval}: {int((~inside).sum())} bars outside the "
                f"requested {chunk.start:%Y-%m-%d}..{chunk.end:%Y-%m-%d} dropped"
            )
            frame = frame.loc[inside]
        return FetchedChunk(chunk, frame.reset_index(drop=True), rows_in)


def clean_fetched(
    buffer: list[FetchedChunk], symbol: str
) -> tuple[tuple[Finding, ...], list[tuple[FetchedChunk, DataError]]]:
    """Clean buffered answers together (one ``clean_bars`` call per store flush).

    Sets each chunk's ``bars`` (empty answers as they are). A hard data error (e.g. a
    non-positive price) is pinned to its chunk by cleaning the chunks one by one; those
    chunks are removed from ``buffer`` and returned with their error.

    Parameters
    ----------
    buffer : list of FetchedChunk
        Chunks of ``symbol`` at one interval, in time order; modified in place.
    symbol : str
        NSE symbol (indices are cleaned as indices: no volume checks).

    Returns
    -------
    findings : tuple of Finding
        Quality findings of the cleaned bars.
    failures : list of (FetchedChunk, DataError)
        Chunks left out.
    """
    full = [d for d in buffer if len(d.raw)]
    for d in buffer:
        if not len(d.raw):
            d.bars = d.raw
    if not full:
        return (), []
    interval = full[0].chunk.interval
    index = is_index_symbol(symbol)
    try:
        raw = pd.concat([d.raw for d in full], ignore_index=True)
        result = clean_bars(raw, symbol=symbol, interval=interval, is_index=index)
    except DataError:
        findings: list[Finding] = []
        failures: list[tuple[FetchedChunk, DataError]] = []
        for d in full:
            try:
                one = clean_bars(d.raw, symbol=symbol, interval=interval, is_index=index)
            except DataError as exc:
                failures.append((d, exc))
                buffer.remove(d)
                continue
            d.bars = one.bars
            findings.extend(one.findings)
        return tuple(findings), failures
    ts = pd.DatetimeIndex(result.bars["timestamp"])
    for d in full:
        lo = int(ts.searchsorted(d.chunk.start, side="left"))
        hi = int(ts.searchsorted(d.chunk.end, side="right"))
        d.bars = result.bars.iloc[lo:hi].reset_index(drop=True)
    return result.findings, []
