"""Per-symbol fetch loop of :func:`~sensequant.data.fetch.runner.fetch_bars_to_store`.

:class:`SymbolFetcher` checks a symbol, fetches its chunks through
:class:`~sensequant.data.fetch.chunk.ChunkFetcher`, buffers cleaned chunks and flushes them to
the store (then the ingest log) under the policy's ``on_conflict``, and brings the suspected
corporate actions up to date with the stored series at the symbol's end;
:class:`FetchStopError` ends the whole fetch.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from sensequant.data.catalog import Catalog, IngestRecord, SymbolInfo
from sensequant.data.fetch.chunk import ChunkFetcher, FetchedChunk, chunk_sha256, clean_fetched
from sensequant.data.fetch.plan import Chunk, SymbolPlan
from sensequant.data.fetch.ratelimit import RateLimiter
from sensequant.data.fetch.report import FetchPolicy, FetchProgress, FetchReport, SymbolOutcome
from sensequant.data.providers.base import BarProvider
from sensequant.data.quality import recheck_merged, sync_actions
from sensequant.data.store import BarStore
from sensequant.errors import (
    BarConflictError,
    DailyLimitError,
    ProviderError,
    ProviderUnavailableError,
    SenseQuantError,
    SessionExpiredError,
    StoreError,
    UnknownInstrumentError,
)
from sensequant.types import IST

__all__ = ["FetchStopError", "SymbolFetcher"]

_STOP_ERRORS = (DailyLimitError, SessionExpiredError, ProviderUnavailableError)
_MAX_ERROR = 500


class FetchStopError(Exception):
    """A stop of the whole fetch (daily limit, expired session, unreachable provider)."""

    def __init__(self, reason: str, hint: str | None) -> None:
        super().__init__(reason)
        self.reason, self.hint = reason, hint


class SymbolFetcher:
    """Fetches one symbol's planned chunks at a time, buffers and flushes them to the store.

    Used by :func:`~sensequant.data.fetch.runner.fetch_bars_to_store` (one per fetch); it keeps
    the counters of consecutive failures and of saved chunks and rows across symbols.
    """

    def __init__(
        self,
        provider: BarProvider,
        store: BarStore,
        catalog: Catalog,
        policy: FetchPolicy,
        limiter: RateLimiter,
        sleep: Callable[[float], None],
        progress: FetchProgress | None,
        redact: Callable[[str], str],
        flush_every: int,
        report: FetchReport,
    ) -> None:
        self.provider, self.store, self.catalog = provider, store, catalog
        self.info = provider.info
        self.policy = policy
        self.progress, self.redact = progress, redact
        self.flush_every, self.report = max(int(flush_every), 1), report
        self.calls = ChunkFetcher(provider, policy, limiter, sleep, report, self._warn)
        self.consecutive = 0
        self.saved_chunks = 0
        self.saved_rows = 0
        self.clear_reason = False  # the symbol being fetched has a data-unavailable reason

    def _flush(self, outcome: SymbolOutcome, buffer: list[FetchedChunk]) -> None:
        if not buffer:
            return
        symbol, interval, name = outcome.symbol, buffer[0].chunk.interval, self.info.name
        started = pd.Timestamp.now(tz=IST)
        findings, failures = clean_fetched(buffer, symbol)
        for done, exc in failures:  # a hard data error: that chunk is left out
            self._failed(outcome, done.chunk, exc)
        parts = [d.bars for d in buffer if d.bars is not None and len(d.bars)]
        with self.store.lock():
            if parts:
                bars = pd.concat(parts, ignore_index=True)
                try:
                    stats = self.store.merge(
                        symbol, interval, bars, on_conflict=self.policy.on_conflict
                    )
                except BarConflictError as exc:
                    self._refused(outcome, buffer, exc)
                    return
                # as at import: the jump check again on the merged series around the change
                findings = (*findings, *recheck_merged(self.store, symbol, interval, stats))
                first, last = buffer[0].chunk, buffer[-1].chunk
                self.catalog.record_import(
                    source=f"{name}: {symbol} {interval} {first.start:%Y-%m-%d}.."
                    f"{last.end:%Y-%m-%d} ({len(buffer)} chunks)",
                    status="ok",
                    symbol=symbol,
                    interval=interval,
                    layout=f"fetch:{name}",
                    rows_in=sum(d.rows_in for d in buffer),
                    rows_out=len(bars),
                    added=stats.added,
                    replaced=stats.replaced,
                    content_sha256=chunk_sha256(bars),
                    started_at=started,
                    findings=findings,
                )
                outcome.rows_written += stats.added + stats.replaced
                self.saved_rows += stats.added + stats.replaced
                if self.clear_reason:  # it has bars now: the old reason no longer holds
                    self.catalog.clear_unavailable(symbol)
                    self.clear_reason = False
            records = []
            for d in buffer:
                rows = 0 if d.bars is None else len(d.bars)
                records.append(
                    IngestRecord(
                        provider=name,
                        symbol=symbol,
                        interval=interval,
                        start=d.chunk.start,
                        end=d.chunk.end,
                        rows=rows,
                        status="ok" if rows else "empty",
                        content_sha256=chunk_sha256(d.bars if d.bars is not None else d.raw),
                    )
                )
                if rows:
                    outcome.chunks_fetched += 1
                else:
                    outcome.chunks_empty += 1
            self.catalog.record_ingest_many(records)
        self.saved_chunks += len(buffer)
        buffer.clear()

    def _refused(
        self, outcome: SymbolOutcome, buffer: list[FetchedChunk], exc: BarConflictError
    ) -> None:
        """Fetched bars that would change stored ones: log the chunks failed, warn once."""
        short = "refused: the bars would change stored bars (see --on-conflict)"
        self.catalog.record_ingest_many(
            IngestRecord(
                provider=self.info.name,
                symbol=d.chunk.symbol,
                interval=d.chunk.interval,
                start=d.chunk.start,
                end=d.chunk.end,
                rows=0,
                status="failed",
                error=short,
            )
            for d in buffer
        )
        outcome.chunks_failed += len(buffer)
        self._warn(self.redact(str(exc)))
        buffer.clear()

    def _failed(self, outcome: SymbolOutcome, chunk: Chunk, exc: BaseException) -> None:
        text = exc.message if isinstance(exc, SenseQuantError) else f"{type(exc).__name__}: {exc}"
        text = self.redact(text)[:_MAX_ERROR]
        self.catalog.record_ingest(
            provider=self.info.name,
            symbol=chunk.symbol,
            interval=chunk.interval,
            start=chunk.start,
            end=chunk.end,
            rows=0,
            status="failed",
            error=text,
        )
        outcome.chunks_failed += 1
        self.report.warnings.append(
            f"{chunk.symbol} {chunk.interval} {chunk.start:%Y-%m-%d}..{chunk.end:%Y-%m-%d} "
            f"failed: {text}"
        )

    def _unavailable(self, outcome: SymbolOutcome, reason: str) -> None:
        reason = self.redact(reason)
        self.catalog.upsert_symbols(
            [SymbolInfo(symbol=outcome.symbol, data_unavailable_reason=reason)]
        )
        self.report.unavailable[outcome.symbol] = reason
        outcome.reason = reason
        self._warn(f"{outcome.symbol}: no data from {self.info.name} ({reason})")

    def _warn(self, message: str) -> None:
        self.report.warnings.append(message)
        if self.progress is not None:
            self.progress.warn(message)

    # ---------------------------------------------------------------- symbols
    def symbol(self, plan: SymbolPlan, outcome: SymbolOutcome) -> None:
        if not plan.chunks:
            outcome.status = "cached"
            if self.store.exists(plan.symbol, self.report.interval):
                # nothing to fetch, but a fetch killed after its last save and before the
                # corporate-action detection heals here (cheap when the result is current)
                self._detect_actions(outcome, self.report.interval)
            return
        if self.progress is not None:
            self.progress.symbol_started(plan.symbol, len(plan.chunks))
        outcome.status = "stopped"
        try:
            self.provider.check_symbol(plan.symbol)
        except UnknownInstrumentError as exc:
            outcome.status = "unavailable"
            self._unavailable(outcome, exc.message)
            return
        known = self.catalog.symbols([plan.symbol])
        self.clear_reason = bool(known and known[0].data_unavailable_reason)
        buffer: list[FetchedChunk] = []
        try:
            for chunk in plan.chunks:
                status = self._one(outcome, chunk, buffer)
                if status == "unavailable":
                    break
                if len(buffer) >= self.flush_every:
                    self._flush(outcome, buffer)
            self._flush(outcome, buffer)
            self._detect_actions(outcome, plan.chunks[0].interval)
        except (KeyboardInterrupt, FetchStopError, ProviderError):
            try:  # save the complete chunks, then stop
                self._flush(outcome, buffer)
            except StoreError as exc:
                self._warn(f"{outcome.symbol}: {len(buffer)} fetched chunks not saved ({exc})")
            raise
        self._finish(plan, outcome)

    def _detect_actions(self, outcome: SymbolOutcome, interval: str) -> None:
        """Bring the suspected splits/bonuses of the stored series up to date (once per symbol).

        As at import (:func:`sensequant.data.quality.sync_actions`): detected again on the RAW
        stored series when the catalog's result is missing or stale (a resumed or crashed
        fetch heals here). A failure is a warning: the bars are saved already.
        """
        symbol = outcome.symbol
        try:
            with self.store.lock():
                sync_actions(self.store, self.catalog, symbol, interval)
        except (SenseQuantError, ValueError) as exc:
            text = exc.message if isinstance(exc, SenseQuantError) else str(exc)
            self._warn(f"{symbol}: corporate-action check skipped ({self.redact(text)})")

    def _one(self, outcome: SymbolOutcome, chunk: Chunk, buffer: list[FetchedChunk]) -> str:
        try:
            done = self.calls.fetch(chunk)
        except UnknownInstrumentError as exc:
            outcome.status = "unavailable"
            self._unavailable(outcome, exc.message)
            return "unavailable"
        except _STOP_ERRORS:
            raise
        except Exception as exc:  # a chunk failure: recorded, the fetch goes on
            self._failed(outcome, chunk, exc)
            if isinstance(exc, ProviderError):
                self.consecutive += 1
                if self.consecutive >= self.policy.max_consecutive_failures:
                    raise FetchStopError(
                        f"{self.consecutive} chunks in a row failed after their retries "
                        f"(last: {self.redact(str(exc))})",
                        "the provider seems down; re-run the same command later to resume",
                    ) from None
            status = "failed"
        else:
            self.consecutive = 0
            buffer.append(done)
            status = "ok" if len(done.raw) else "empty"
        if self.progress is not None:
            self.progress.chunk_done(chunk.symbol, chunk, status)
        return status

    def _finish(self, plan: SymbolPlan, outcome: SymbolOutcome) -> None:
        if outcome.status == "unavailable":
            return
        n = len(plan.chunks)
        if outcome.chunks_failed == n:
            outcome.status = "failed"
        elif outcome.chunks_failed:
            outcome.status = "partial"
        elif outcome.chunks_empty == n and not self.store.exists(
            plan.symbol, plan.chunks[0].interval
        ):
            outcome.status = "empty"
            first, last = plan.chunks[0], plan.chunks[-1]
            self._unavailable(
                outcome,
                f"{self.info.name} returned no {first.interval} bars for "
                f"{first.start:%Y-%m-%d}..{last.end:%Y-%m-%d}",
            )
        else:
            outcome.status = "ok"
