"""What a fetch is told and what it tells: its policy, per-symbol outcomes, report, progress.

:class:`FetchPolicy` (retries, backoff, deadline, failure threshold) goes into
:func:`sensequant.data.fetch.runner.fetch_bars_to_store`; :class:`FetchReport` (with one
:class:`SymbolOutcome` per symbol) comes out, and a :class:`FetchProgress` receives events
while it runs (the CLI draws rich progress bars from them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from sensequant.data.fetch.plan import Chunk

__all__ = ["DEADLINE_GRACE_S", "FetchPolicy", "FetchProgress", "FetchReport", "SymbolOutcome"]

DEADLINE_GRACE_S = 5.0
"""Seconds the engine's per-call deadline adds to the provider's own (``fetch_deadline_s``)."""


@dataclass(frozen=True)
class FetchPolicy:
    """Retry, deadline and failure policy of a fetch.

    Attributes
    ----------
    max_attempts : int
        Attempts per call for transient errors (Settings ``fetch_max_attempts``).
    backoff_initial_s, backoff_max_s : float
        Exponential backoff with jitter: ``initial * 2**(n-1) + U(0, 1)`` s, capped at
        ``backoff_max_s`` (Settings ``fetch_backoff_max_s``); tenacity's
        ``wait_exponential_jitter``.
    deadline_s : float or None
        Seconds one call may take before it counts as a transient failure (Settings
        ``fetch_deadline_s``); None = no deadline.
    max_rate_limit_waits : int
        Rate-limit answers tolerated per call (each waits its ``retry_after_s``).
    max_consecutive_failures : int
        Chunks failing in a row (after their retries) that stop the whole fetch.
    on_conflict : str
        ``fail`` (default), ``keep`` or ``replace``: what to do when fetched bars would
        change stored bars beyond float noise (:mod:`sensequant.data.store_conflicts`); a
        refused flush is logged as failed chunks and warned about, and the fetch goes on.
    """

    max_attempts: int = 5
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0
    deadline_s: float | None = 30.0
    max_rate_limit_waits: int = 20
    max_consecutive_failures: int = 3
    on_conflict: str = "fail"

    @classmethod
    def from_settings(cls, settings: Any) -> FetchPolicy:
        """Policy from :class:`sensequant.settings.Settings` (``fetch_*`` fields).

        The deadline is ``fetch_deadline_s`` plus :data:`DEADLINE_GRACE_S`: providers that
        enforce ``fetch_deadline_s`` themselves (Breeze, Yahoo) report their own timeout
        first; the engine's deadline is the backstop for one that hangs anyway.
        """
        return cls(
            max_attempts=int(settings.fetch_max_attempts),
            backoff_max_s=float(settings.fetch_backoff_max_s),
            deadline_s=float(settings.fetch_deadline_s) + DEADLINE_GRACE_S,
        )


@dataclass
class SymbolOutcome:
    """What a fetch did for one symbol.

    ``status``: ``cached`` (nothing to fetch), ``ok``, ``empty`` (the provider has no bars for
    the range), ``partial`` (some chunks failed), ``failed`` (all did), ``unavailable``
    (unknown instrument), ``stopped`` (the fetch stopped during it) or ``not started``.
    """

    symbol: str
    status: str = "not started"
    chunks_planned: int = 0
    chunks_cached: int = 0
    chunks_fetched: int = 0
    chunks_empty: int = 0
    chunks_failed: int = 0
    rows_written: int = 0
    reason: str | None = None

    @property
    def chunks_pending(self) -> int:
        """Planned chunks neither saved nor failed (0 for an unavailable symbol)."""
        if self.status == "unavailable":
            return 0
        done = self.chunks_fetched + self.chunks_empty + self.chunks_failed
        return max(self.chunks_planned - done, 0)


@dataclass
class FetchReport:
    """Result of :func:`fetch_bars_to_store`.

    Attributes
    ----------
    provider, interval : str
    start, end : str or None
        Effective range (ISO dates).
    requests : int
        Provider ``fetch_bars`` calls made (retries and continuations included).
    retries : int
        Calls repeated after a transient error or a rate-limit answer.
    symbols : list of SymbolOutcome
    warnings : list of str
    unavailable : dict of str to str
        Symbol -> why the provider has nothing for it.
    stopped_reason, stop_hint : str or None
        Why the whole fetch stopped early, and what to do.
    interrupted : bool
        Ctrl-C ended the fetch (after saving complete chunks).
    """

    provider: str
    interval: str
    start: str | None = None
    end: str | None = None
    requests: int = 0
    retries: int = 0
    symbols: list[SymbolOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    stopped_reason: str | None = None
    stop_hint: str | None = None
    interrupted: bool = False

    def _sum(self, name: str) -> int:
        return int(sum(getattr(s, name) for s in self.symbols))

    @property
    def chunks_planned(self) -> int:
        """Chunks the plan asked for."""
        return self._sum("chunks_planned")

    @property
    def chunks_cached(self) -> int:
        """Chunks already in the ingest log (not fetched again)."""
        return self._sum("chunks_cached")

    @property
    def chunks_fetched(self) -> int:
        """Chunks fetched with bars and saved."""
        return self._sum("chunks_fetched")

    @property
    def chunks_empty(self) -> int:
        """Chunks the provider answered without bars (recorded ``empty``)."""
        return self._sum("chunks_empty")

    @property
    def chunks_failed(self) -> int:
        """Chunks recorded ``failed`` after their retries."""
        return self._sum("chunks_failed")

    @property
    def rows_written(self) -> int:
        """Bars added to or replaced in the store."""
        return self._sum("rows_written")

    @property
    def n_failed(self) -> int:
        """Failed chunks plus chunks left undone by a stop (0 = everything fetched)."""
        return self.chunks_failed + self._sum("chunks_pending")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for ``--json``)."""
        keys = ("chunks_planned", "chunks_cached", "chunks_fetched", "chunks_empty")
        return {
            "provider": self.provider,
            "interval": self.interval,
            "start": self.start,
            "end": self.end,
            "requests": self.requests,
            "retries": self.retries,
            **{k: getattr(self, k) for k in keys},
            "chunks_failed": self.chunks_failed,
            "rows_written": self.rows_written,
            "n_failed": self.n_failed,
            "stopped_reason": self.stopped_reason,
            "stop_hint": self.stop_hint,
            "interrupted": self.interrupted,
            "warnings": list(self.warnings),
            "unavailable": dict(self.unavailable),
            "symbols": [asdict(s) for s in self.symbols],
        }


class FetchProgress(Protocol):
    """What the fetch engine reports while it runs (the CLI draws rich progress bars)."""

    def symbol_started(self, symbol: str, chunks: int) -> None:
        """A symbol with ``chunks`` chunks to fetch begins."""

    def chunk_done(self, symbol: str, chunk: Chunk, status: str) -> None:
        """A chunk ended (``ok``, ``empty`` or ``failed``)."""

    def symbol_done(self, outcome: SymbolOutcome) -> None:
        """A symbol ended (also called for symbols with nothing to fetch)."""

    def warn(self, message: str) -> None:
        """A warning the user should read."""
