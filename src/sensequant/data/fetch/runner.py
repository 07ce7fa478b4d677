"""Fetch bars from a provider into the store: incremental, resumable, rate-limited, retried.

:func:`fetch_bars_to_store` is what ``sensequant data fetch`` runs, for every provider:

1. plan (:func:`sensequant.data.fetch.plan.plan_fetch`): only sessions the ingest log does not
   cover, in chunks no answer can overflow; a symbol with nothing to do costs no call;
2. per symbol, ``provider.check_symbol`` first: an unknown instrument gets a
   ``data_unavailable_reason`` in the symbol master and is skipped (listed, not failed);
3. per chunk (:class:`sensequant.data.fetch.chunk.ChunkFetcher`): the rate limiter (per
   minute, and per IST day counted in the catalog), then ``provider.fetch_bars`` under a
   deadline, retried with tenacity: transient errors with exponential backoff and jitter
   (capped), rate-limit answers after their ``retry_after_s``; an answer of exactly
   ``max_bars_per_call`` rows is continued after its last bar;
4. validation: bars outside the chunk are dropped, the rest go through
   :func:`sensequant.data.quality.clean.clean_bars` like imported files, findings are recorded;
5. durability: cleaned chunks are buffered per symbol and every ``flush_every`` chunks (and at
   the symbol's end, on a stop and on Ctrl-C) merged into the store under its lock, THEN
   recorded in the ingest log (one catalog transaction per flush). A crash between the two
   only re-fetches idempotent chunks. A symbol that had a ``data_unavailable_reason`` and now
   receives bars has the reason cleared;
6. at a symbol's end, when bars were written: suspected unadjusted corporate actions of the
   stored raw series are recorded in the catalog, as at import (indices are skipped).

A daily limit, an expired session or an unreachable provider stops the fetch at once (what
was fetched is saved first); a chunk that still fails after its retries is recorded ``failed``
and the fetch goes on, unless ``max_consecutive_failures`` chunks fail in a row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.fetch.fetcher import FetchStopError, SymbolFetcher
from sensequant.data.fetch.plan import FetchPlan, plan_fetch
from sensequant.data.fetch.ratelimit import RateLimiter
from sensequant.data.fetch.report import FetchPolicy, FetchProgress, FetchReport, SymbolOutcome
from sensequant.data.market import TimeLike
from sensequant.data.providers.base import BarProvider
from sensequant.data.store import BarStore
from sensequant.errors import ProviderError, StoreError
from sensequant.types import IST

__all__ = ["FetchPolicy", "FetchReport", "SymbolOutcome", "fetch_bars_to_store"]


def fetch_bars_to_store(
    provider: BarProvider,
    store: BarStore,
    catalog: Catalog,
    symbols: Sequence[str],
    interval: str,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    force: bool = False,
    policy: FetchPolicy | None = None,
    flush_every: int = 16,
    progress: FetchProgress | None = None,
    plan: FetchPlan | None = None,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    now: Callable[[], pd.Timestamp] | None = None,
    redact: Callable[[str], str] | None = None,
) -> FetchReport:
    """Fetch the missing bars of ``symbols`` from ``provider`` into ``store``.

    Parameters
    ----------
    provider : BarProvider
        Its ``info`` gives the name (ingest-log key), limits and budgets.
    store : BarStore
        Written only through :meth:`BarStore.merge` under :meth:`BarStore.lock`.
    catalog : Catalog
        Ingest log, call counter, symbol master and quality findings.
    symbols : sequence of str
        NSE symbols (validated by the store and catalog).
    interval : str
        One of ``provider.info.intervals``.
    start, end : time-like, optional
        Range wanted (IST dates); see :func:`~sensequant.data.fetch.plan.plan_fetch`.
    force : bool, default False
        Fetch every session again, ignoring the ingest log (new bars replace stored ones).
    policy : FetchPolicy, optional
        Retries, backoff, deadline; default :class:`FetchPolicy()`.
    flush_every : int, default 16
        Chunks buffered before they are merged into the store and logged.
    progress : FetchProgress, optional
        Receives per-symbol and per-chunk events.
    plan : FetchPlan, optional
        A plan made already (for the same arguments); default: planned here.
    sleep, monotonic : callable
        Injectable waiting and clock (tests pass a fake clock; nothing then waits for real,
        except the deadline of a hanging call).
    now : callable, optional
        Current IST time (planning's default end, the daily budget's day); default wall clock.
    redact : callable, optional
        Applied to every provider message recorded or reported (strips secrets).

    Returns
    -------
    FetchReport
        Also when the fetch stopped early (``stopped_reason``); chunks saved before a stop
        stay saved and are not fetched again.

    Raises
    ------
    KeyboardInterrupt
        After saving and logging every complete buffered chunk.
    UsageError
        If the provider does not serve ``interval`` or no start can be chosen.
    """
    info = provider.info
    clock_now = now or (lambda: pd.Timestamp.now(tz=IST))
    if plan is None:
        plan = plan_fetch(
            catalog, info, symbols, interval, start, end, force=force, now=clock_now()
        )
    report = FetchReport(
        provider=info.name,
        interval=interval,
        start=None if plan.start is None else plan.start.isoformat(),
        end=None if plan.end is None else plan.end.isoformat(),
        warnings=list(plan.warnings),
    )
    limiter = RateLimiter(
        info.name,
        calls_per_minute=info.calls_per_minute,
        calls_per_day=info.calls_per_day,
        counter=catalog,
        monotonic=monotonic,
        sleep=sleep,
        today=lambda: clock_now().date(),
    )
    fetcher = SymbolFetcher(
        provider,
        store,
        catalog,
        policy or FetchPolicy(),
        limiter,
        sleep,
        progress,
        redact or (lambda text: text),
        flush_every,
        report,
    )
    for sp in plan.symbols:
        report.symbols.append(
            SymbolOutcome(sp.symbol, chunks_planned=len(sp.chunks), chunks_cached=sp.chunks_cached)
        )
    for sp, outcome in zip(plan.symbols, report.symbols, strict=True):
        try:
            fetcher.symbol(sp, outcome)
        except KeyboardInterrupt:
            report.interrupted = True
            raise
        except (FetchStopError, ProviderError, StoreError) as exc:
            reason = exc.reason if isinstance(exc, FetchStopError) else fetcher.redact(exc.message)
            hint = fetcher.redact(exc.hint) if exc.hint else None
            report.stopped_reason = reason
            saved = (
                f"saved before the stop: {fetcher.saved_chunks} chunks, "
                f"{fetcher.saved_rows:,} new or changed bars; re-running the same command "
                "resumes where this one stopped"
            )
            report.stop_hint = f"{hint}; {saved}" if hint else saved
            break
        finally:
            if progress is not None:
                progress.symbol_done(outcome)
    return report
