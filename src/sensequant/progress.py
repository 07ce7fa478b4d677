"""Progress reporting for long phases: a small protocol and its rich implementation.

The pipeline talks to a :class:`Reporter`; the CLI passes :class:`RichReporter` (progress bars
with ETA on stderr) on a terminal and :class:`PlainReporter` (plain lines: phase, percent, ETA)
when stdout is not one (CI logs, ``nohup``, pipes; :func:`console_reporter` chooses), tests pass
:class:`NullReporter`. :class:`EventReporter` wraps any of them
and also writes ``progress`` events (phase, steps done, percent, ETA) through an ``emit``
callable, e.g. :meth:`sensequant.telemetry.Telemetry.emit`, so the dashboard can show a run in
another process progressing live.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Reporter(Protocol):
    """What the pipeline needs from a progress display."""

    def start(self, phase: str, total: int | None = None) -> None:
        """Begin a phase with ``total`` steps (None = indeterminate)."""

    def advance(self, steps: int = 1) -> None:
        """Advance the current phase."""

    def done(self, summary: str) -> None:
        """End the current phase with a one-line result."""

    def info(self, message: str) -> None:
        """A line of information (pre-flight findings, paths)."""

    def warn(self, message: str) -> None:
        """A warning the user should read."""


class NullReporter:
    """Reporter that records lines and displays nothing (tests, library use)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def start(self, phase: str, total: int | None = None) -> None:
        self.lines.append(f"start {phase}")

    def advance(self, steps: int = 1) -> None:
        return None

    def done(self, summary: str) -> None:
        self.lines.append(summary)

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append(f"warning: {message}")


class RichReporter:
    """Rich progress bars with ETA, one per phase, on stderr.

    Parameters
    ----------
    console : rich.console.Console, optional
        Defaults to a stderr console (results go to files; logs and progress to stderr).
    """

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._phase = ""

    def start(self, phase: str, total: int | None = None) -> None:
        self._close()
        self._phase = phase
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(phase, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, steps)

    def done(self, summary: str) -> None:
        self._close()
        self.console.print(f"[green]✓[/] [bold]{self._phase:<12}[/] {summary}")

    def info(self, message: str) -> None:
        self.console.print(f"  {message}")

    def warn(self, message: str) -> None:
        self.console.print(f"  [yellow]warning:[/] {message}")

    def _close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None


class PlainReporter:
    """Plain progress lines, no control characters: for logs and pipes.

    Each phase prints ``<phase>: started``, then at most one line per ``min_interval_s``
    ``<phase>: 45% (9/20), eta 12s`` (the last step always), then ``<phase>: done -- <summary>``.
    Information and warnings are printed as they come (``warning: ...``).

    Parameters
    ----------
    stream : text stream, optional
        Where to print; default ``sys.stderr`` (stdout stays free for ``--json``).
    min_interval_s : float, default 10.0
        Least seconds between two step lines of one phase.
    clock : callable, optional
        Monotonic seconds (tests inject a fake one); default :func:`time.monotonic`.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        min_interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._min_interval_s = min_interval_s
        self._clock = clock
        self._phase = ""
        self._total: int | None = None
        self._done = 0
        self._t0 = self._last = 0.0

    def _print(self, line: str) -> None:
        stream = self._stream or sys.stderr
        print(line, file=stream, flush=True)

    def start(self, phase: str, total: int | None = None) -> None:
        self._phase, self._total, self._done = phase, total, 0
        self._t0 = self._last = self._clock()
        self._print(f"{phase}: started" + (f" ({total} steps)" if total else ""))

    def advance(self, steps: int = 1) -> None:
        self._done += steps
        total, now = self._total, self._clock()
        last = total is not None and self._done >= total
        if not (last or now - self._last >= self._min_interval_s):
            return
        self._last = now
        if not total:
            self._print(f"{self._phase}: {self._done} steps")
            return
        eta = (now - self._t0) / self._done * max(0, total - self._done)
        pct = min(100.0, 100.0 * self._done / total)
        self._print(f"{self._phase}: {pct:.0f}% ({self._done}/{total}), eta {eta:.0f}s")

    def done(self, summary: str) -> None:
        self._print(f"{self._phase}: done -- {summary}")

    def info(self, message: str) -> None:
        self._print(f"  {message}")

    def warn(self, message: str) -> None:
        self._print(f"  warning: {message}")


def console_reporter(console: Console | None = None) -> Reporter:
    """:class:`RichReporter` when stdout is a terminal, else :class:`PlainReporter`."""
    return RichReporter(console) if sys.stdout.isatty() else PlainReporter()


class EventReporter:
    """A reporter that passes every call on and also emits ``progress`` events.

    Event fields: ``phase`` (the reporter's phase label), ``done`` and ``total`` (steps;
    ``total`` None when indeterminate), ``percent`` (0-100, None when indeterminate),
    ``eta_s`` (seconds left in the phase, extrapolated from the elapsed time; None before the
    first step), ``elapsed_s`` and, when the phase ends, ``summary``. Steps are throttled to one
    event per ``min_interval_s`` (the first and last step of a phase are always written);
    warnings become ``warning`` events with a ``message``.

    Parameters
    ----------
    inner : Reporter
        The display to pass calls on to (e.g. :class:`RichReporter`).
    emit : callable
        ``emit(event, **fields)``, e.g. :meth:`sensequant.telemetry.Telemetry.emit`.
    min_interval_s : float, default 1.0
        Least seconds between two step events of one phase.
    clock : callable, optional
        Monotonic seconds (tests inject a fake one); default :func:`time.monotonic`.
    """

    def __init__(
        self,
        inner: Reporter,
        emit: Callable[..., Any],
        *,
        min_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self._emit = emit
        self._min_interval_s = min_interval_s
        self._clock = clock
        self._phase = ""
        self._total: int | None = None
        self._done = 0
        self._t0 = self._last = 0.0

    def _progress(self, **extra: Any) -> None:
        elapsed = self._clock() - self._t0
        total, done = self._total, self._done
        percent = None if not total else round(min(100.0, 100.0 * done / total), 1)
        eta = None
        if total and done > 0:
            eta = round(max(0.0, elapsed / done * (total - done)), 1)
        self._emit(
            "progress",
            phase=self._phase,
            done=done,
            total=total,
            percent=percent,
            eta_s=eta,
            elapsed_s=round(elapsed, 1),
            **extra,
        )
        self._last = self._clock()

    def start(self, phase: str, total: int | None = None) -> None:
        self.inner.start(phase, total)
        self._phase, self._total, self._done = phase, total, 0
        self._t0 = self._clock()
        self._progress()

    def advance(self, steps: int = 1) -> None:
        self.inner.advance(steps)
        self._done += steps
        last_step = self._total is not None and self._done >= self._total
        if last_step or self._clock() - self._last >= self._min_interval_s:
            self._progress()

    def done(self, summary: str) -> None:
        self.inner.done(summary)
        if self._total is None:
            self._total = self._done = max(self._done, 1)
        self._done = self._total
        self._progress(summary=summary)

    def info(self, message: str) -> None:
        self.inner.info(message)

    def warn(self, message: str) -> None:
        self.inner.warn(message)
        self._emit("warning", message=message)
