"""Termination signals handled like Ctrl-C, so a run that is stopped is recorded, not lost.

Inside :func:`interrupt_signals`, SIGTERM and SIGHUP raise :class:`RunInterrupted` (a
:class:`KeyboardInterrupt`) in the main thread: the pipeline's ``except`` block then records
the run ``interrupted`` in the registry and telemetry before the process exits (exit code 130
from the CLI), and ``sensequant run --resume RUN_ID`` continues it. SIGKILL cannot be caught;
such a run is found ``interrupted`` later by :func:`sensequant.release.registry_lifecycle.
sweep_gone`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["RunInterrupted", "interrupt_signals", "interruption_reason"]

_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s
)


class RunInterrupted(KeyboardInterrupt):
    """Raised by a termination signal during a run (``args[0]``: the signal's name)."""


def interruption_reason(exc: BaseException) -> str:
    """The registry note for an interruption: ``KeyboardInterrupt (SIGTERM)`` or ``(Ctrl-C)``."""
    what = exc.args[0] if isinstance(exc, RunInterrupted) and exc.args else "Ctrl-C"
    return f"KeyboardInterrupt ({what}): resume with `sensequant run --resume RUN_ID`"


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise RunInterrupted(signal.Signals(signum).name)


@contextlib.contextmanager
def interrupt_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`RunInterrupted` inside the block (main thread only;
    elsewhere the block runs unchanged). The previous handlers are restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    for sig in _SIGNALS:
        previous[sig] = signal.signal(sig, _raise)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
