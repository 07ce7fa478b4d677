"""Progress reporting for long phases: a small protocol and its rich implementation.

The pipeline talks to a :class:`Reporter`; the CLI passes :class:`RichReporter` (progress bars
with ETA on stderr), tests pass :class:`NullReporter`.
"""

from __future__ import annotations

from typing import Protocol

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
