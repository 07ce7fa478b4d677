"""A run's progress from its telemetry: status, phase, percent, ETA and recent events.

Reads ``runs/<run_id>/telemetry.jsonl`` (written and flushed line by line by
:class:`sensequant.telemetry.Telemetry`, also while the run is going, by another process), so
the dashboard sees a run progress without talking to it. Status of a run from its events:

* ``finished``: a ``run_end`` event;
* ``failed``: a ``run_failed`` event (``interrupted`` when its error is a ``KeyboardInterrupt``);
* ``running``: neither, and the process that wrote ``run_start`` (pid on this host) is alive;
  when the run started on another host (or before ``run_start`` carried a pid), the last event
  is younger than ``stale_after_s``;
* ``interrupted``: neither, and that process is gone (killed, machine restarted) or, without a
  pid to check, the run has been silent for ``stale_after_s``;
* ``unknown``: no event at all (an empty or missing file).
"""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sensequant.release.registry_lifecycle import pid_alive
from sensequant.telemetry import now_ist, read_events

__all__ = ["STALE_AFTER_S", "LiveProgress", "event_line", "read_progress", "run_status"]

STALE_AFTER_S: Final = 1800.0
"""Seconds of silence after which a run whose process cannot be checked counts as interrupted."""

_HIDDEN: Final = frozenset({"ts", "run_id", "event", "config"})


def _age_s(ts: str | None, now: dt.datetime) -> float | None:
    if not ts:
        return None
    try:
        return (now - dt.datetime.fromisoformat(ts)).total_seconds()
    except ValueError:
        return None


def run_status(
    events: list[dict[str, Any]],
    *,
    now: dt.datetime | None = None,
    stale_after_s: float = STALE_AFTER_S,
) -> str:
    """A run's status from its telemetry events (see the module notes for the rules).

    Parameters
    ----------
    events : list of dict
        The run's events in file order (:func:`sensequant.telemetry.read_events`).
    now : datetime.datetime, optional
        Current tz-aware time (default: now in IST).
    stale_after_s : float, default :data:`STALE_AFTER_S`
        Silence, in seconds, after which an unverifiable run counts as interrupted.

    Returns
    -------
    {"finished", "failed", "interrupted", "running", "unknown"}
    """
    starts = [i for i, e in enumerate(events) if e.get("event") == "run_start"]
    events = events[starts[-1] :] if starts else events  # a resumed run: its latest attempt
    if not events:
        return "unknown"
    kinds = {e.get("event") for e in events}
    if "run_end" in kinds:
        return "finished"
    failed = [e for e in events if e.get("event") == "run_failed"]
    if failed:
        return "interrupted" if "KeyboardInterrupt" in str(failed[-1].get("error")) else "failed"
    start = next((e for e in events if e.get("event") == "run_start"), {})
    pid, host = start.get("pid"), start.get("host")
    if isinstance(pid, int) and host == socket.gethostname():
        return "running" if pid_alive(pid) else "interrupted"
    age = _age_s(events[-1].get("ts"), now or now_ist())
    return "interrupted" if age is not None and age > stale_after_s else "running"


def event_line(event: dict[str, Any]) -> str:
    """One event as a short line of text: its kind and its fields, ``key=value``.

    The run configuration (on ``run_start``) is left out; long values are cut at 80 chars.
    """
    parts = []
    for key, value in event.items():
        if key in _HIDDEN or value is None:
            continue
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        parts.append(f"{key}={text if len(text) <= 80 else text[:77] + '...'}")
    return f"{event.get('event', '?')}: {' '.join(parts)}"


@dataclass(frozen=True)
class LiveProgress:
    """Where a run stands, from its telemetry.

    Attributes
    ----------
    run_id : str
    status : str
        See :func:`run_status`.
    phase : str or None
        The phase last started (``preflight``, ``features``, ``teachers``, ``student``,
        ``backtest``, ``artifacts``, ``stress``, ``release``), None before the first.
    step : str or None
        The progress display's label of the current step (e.g. ``pre-flight``).
    done, total : int or None
        Steps done and planned in the current step (``total`` None: indeterminate).
    percent : float or None
        Percent of the current step done (0-100).
    eta_s : float or None
        Seconds left in the current step, as last estimated, less the time since.
    started_at, last_event_at : str or None
        ISO timestamps (IST) of the first and the last event.
    elapsed_s : float or None
        Seconds from the first event to the last (finished runs) or to now (running runs).
    phases : list of dict
        Phases ended so far: ``phase`` and ``seconds``.
    recent : list of dict
        The last events, newest first: ``ts``, ``event``, ``text`` (:func:`event_line`).
    n_events : int
        Events in the file.
    """

    run_id: str
    status: str
    phase: str | None = None
    step: str | None = None
    done: int | None = None
    total: int | None = None
    percent: float | None = None
    eta_s: float | None = None
    started_at: str | None = None
    last_event_at: str | None = None
    elapsed_s: float | None = None
    phases: list[dict[str, Any]] = field(default_factory=list)
    recent: list[dict[str, Any]] = field(default_factory=list)
    n_events: int = 0


def read_progress(
    telemetry: Path,
    *,
    now: dt.datetime | None = None,
    recent: int = 15,
    stale_after_s: float = STALE_AFTER_S,
) -> LiveProgress:
    """Read a run's telemetry file and say where the run stands.

    Parameters
    ----------
    telemetry : pathlib.Path
        ``runs/<run_id>/telemetry.jsonl`` (missing: status ``unknown``).
    now : datetime.datetime, optional
        Current tz-aware time (default: now in IST).
    recent : int, default 15
        How many of the last events to return.
    stale_after_s : float, default :data:`STALE_AFTER_S`
        See :func:`run_status`.

    Returns
    -------
    LiveProgress
    """
    now = now or now_ist()
    run_id = telemetry.parent.name
    events = read_events(telemetry) if telemetry.is_file() else []
    if not events:
        return LiveProgress(run_id=run_id, status="unknown")
    status = run_status(events, now=now, stale_after_s=stale_after_s)
    phase = None
    progress: dict[str, Any] = {}
    phases = []
    for e in events:
        kind = e.get("event")
        if kind == "phase_start":
            phase = e.get("phase")
        elif kind == "phase_end":
            phases.append({"phase": e.get("phase"), "seconds": e.get("seconds")})
        elif kind == "progress":
            progress = e
    first, last = events[0].get("ts"), events[-1].get("ts")
    end = now if status == "running" else None
    elapsed = _age_s(first, end or dt.datetime.fromisoformat(str(last)))
    eta = progress.get("eta_s")
    if eta is not None and status == "running":
        eta = max(0.0, float(eta) - (_age_s(progress.get("ts"), now) or 0.0))
    elif status != "running":
        eta = None
    if status == "finished":
        progress = {"phase": "done", "percent": 100.0}
    tail = [
        {
            "ts": str(e.get("ts"))[:19].replace("T", " "),
            "event": e.get("event"),
            "text": event_line(e),
        }
        for e in reversed(events[-recent:])
    ]
    return LiveProgress(
        run_id=str(events[0].get("run_id") or run_id),
        status=status,
        phase=phase,
        step=progress.get("phase"),
        done=progress.get("done"),
        total=progress.get("total"),
        percent=progress.get("percent"),
        eta_s=eta,
        started_at=first,
        last_event_at=last,
        elapsed_s=elapsed,
        phases=phases,
        recent=tail,
        n_events=len(events),
    )
