"""Run telemetry: JSON Lines events, one per line, flushed as they are written.

The earlier system lost telemetry to buffering; here every event is written and flushed (and
``os.fsync``-ed at phase boundaries) so ``tail -f runs/<id>/telemetry.jsonl`` and the dashboard
see a run as it happens, and a crash loses at most the event being written.

Event shape: ``{"ts": ISO-8601 IST, "run_id": ..., "event": kind, ...fields}``. Kinds written
by a run: ``run_start`` (config, run_dir, pid, host), ``phase_start``/``phase_end``/
``phase_error`` (phase, seconds, results), ``window`` (one per teacher window), ``progress``
(phase, done, total, percent, eta_s, elapsed_s; see :class:`sensequant.progress.EventReporter`),
``warning`` (message), ``run_end`` (decision, phase_seconds) or ``run_failed`` (error). Fields go
through :func:`sensequant.fsutil.to_plain` (NaN/inf become null, dates ISO strings); an
``error`` field (exception text) goes through :func:`sensequant.fsutil.scrub_secrets`, as the
registry's notes do, so a credential echoed in an exception never reaches the file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sensequant.fsutil import scrub_secrets, to_plain
from sensequant.types import IST

_IST = ZoneInfo(IST)


def now_ist() -> dt.datetime:
    """Current wall-clock time in IST (tz-aware)."""
    return dt.datetime.now(tz=_IST)


class Telemetry:
    """Append-only JSONL event writer for one run.

    Parameters
    ----------
    path : pathlib.Path or None
        File to append to; None keeps events in memory only (tests, dry runs).
    run_id : str
        Stamped on every event.
    """

    def __init__(self, path: Path | None, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self.events: list[dict[str, Any]] = []
        self.phase_seconds: dict[str, float] = {}
        self._fh: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = path.open("a", encoding="utf-8")

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one event and flush it.

        Parameters
        ----------
        event : str
            Event kind, e.g. ``phase_start``, ``window``, ``warning``.
        **fields
            Details, converted with :func:`~sensequant.fsutil.to_plain` (NaN/inf become null;
            dates ISO strings); the value of an ``error`` field is scrubbed of secrets
            (:func:`~sensequant.fsutil.scrub_secrets`).

        Returns
        -------
        dict
            The event as written.
        """
        record = {"ts": now_ist().isoformat(), "run_id": self.run_id, "event": event}
        plain = to_plain(fields)
        if "error" in plain:
            plain["error"] = scrub_secrets(plain["error"])
        record.update(plain)
        self.events.append(record)
        if self._fh is not None:
            self._fh.write(json.dumps(record, separators=(",", ":")) + "\n")
            self._fh.flush()
        return record

    def start_run(self, **fields: Any) -> dict[str, Any]:
        """Emit ``run_start`` with the writer's ``pid`` and ``host`` added to ``fields``.

        The dashboard tells a run still going from one whose process died (``interrupted``)
        by checking that pid on that host.

        Returns
        -------
        dict
            The event as written.
        """
        return self.emit("run_start", pid=os.getpid(), host=socket.gethostname(), **fields)

    @contextmanager
    def phase(self, name: str, **fields: Any) -> Iterator[dict[str, Any]]:
        """Time a pipeline phase, emitting ``phase_start`` and ``phase_end`` (or ``phase_error``).

        Yields a dict the caller may fill with result fields for the ``phase_end`` event.
        """
        self.emit("phase_start", phase=name, **fields)
        result: dict[str, Any] = {}
        t0 = time.perf_counter()
        try:
            yield result
        except BaseException as exc:
            self.emit("phase_error", phase=name, seconds=time.perf_counter() - t0, error=repr(exc))
            self._sync()
            raise
        seconds = time.perf_counter() - t0
        self.phase_seconds[name] = seconds
        self.emit("phase_end", phase=name, seconds=round(seconds, 3), **result)
        self._sync()

    def _sync(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Flush, fsync and close the file."""
        if self._fh is not None:
            self._sync()
            self._fh.close()
            self._fh = None


def read_events(path: Path) -> list[dict[str, Any]]:
    """Read a telemetry file, ignoring a torn last line (a crash mid-write).

    Parameters
    ----------
    path : pathlib.Path
        A ``telemetry.jsonl`` file.

    Returns
    -------
    list of dict
        Events in file order.
    """
    events: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events
