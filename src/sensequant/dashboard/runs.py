"""The runs list and the registry events: the registry joined with the run directories.

A run enters the registry ``running`` when it starts and ends ``candidate``, ``failed`` or
``interrupted``; a ``running`` run whose process was killed is shown ``interrupted`` (from its
telemetry; the dashboard never writes the registry). Runs made before registry schema 4 exist
only as a run directory with their telemetry until they finish. :func:`list_runs` shows both:
registered runs with their review state, and the other run directories with the status read
from their telemetry (``running``, ``interrupted``).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

import pandas as pd

from sensequant.dashboard.live import LiveProgress, read_progress
from sensequant.pipeline import RunPaths
from sensequant.release import Registry, RunRecord
from sensequant.settings import Settings

__all__ = ["RUN_COLUMNS", "list_runs", "registry_events", "run_dir_of"]

RUN_COLUMNS: Final = (
    "run_id",
    "status",
    "decision",
    "progress",
    "sharpe",
    "cagr",
    "max_drawdown",
    "dsr",
    "n_trials",
    "oos",
    "created_at",
    "universe",
    "run_dir",
)
"""Columns of :func:`list_runs`, in order."""


def _registry(settings: Settings) -> Registry | None:
    """The registry, or None when none was ever created (reading must not create one)."""
    if not settings.registry_path.is_file():
        return None
    return Registry(settings.registry_path)


def run_dir_of(settings: Settings, run_id: str, record: RunRecord | None = None) -> Path:
    """The run's directory: the registry's ``run_dir`` when it exists, else ``runs/<run_id>``."""
    if record is not None and Path(record.run_dir).is_dir():
        return Path(record.run_dir)
    return settings.runs_dir / run_id


def _progress_text(live: LiveProgress) -> str:
    if live.status != "running":
        return ""
    where = live.step or live.phase or "starting"
    pct = "" if live.percent is None else f" {live.percent:.0f} %"
    return f"{where}{pct}"


def _row(
    run_id: str, status: str, record: RunRecord | None, live: LiveProgress | None
) -> dict[str, Any]:
    h = record.headline if record is not None else {}
    oos = f"{record.start} to {record.end}" if record is not None and record.start else ""
    created = record.created_at if record is not None else (live.started_at if live else None)
    return {
        "run_id": run_id,
        "status": status,
        "decision": (record.gate_decision if record is not None else None) or "",
        "sharpe": h.get("sharpe"),
        "cagr": h.get("cagr"),
        "max_drawdown": h.get("max_drawdown"),
        "dsr": h.get("dsr"),
        "n_trials": h.get("n_trials"),
        "universe": record.universe if record is not None else "",
        "oos": oos,
        "progress": _progress_text(live) if live is not None else "",
        "created_at": str(created or "")[:19].replace("T", " "),
    }


def list_runs(settings: Settings) -> pd.DataFrame:
    """Every run: registered runs and run directories that never reached the registry.

    Parameters
    ----------
    settings : Settings
        Where the registry and the runs live.

    Returns
    -------
    pandas.DataFrame
        One row per run, newest first, columns :data:`RUN_COLUMNS`: ``status`` is the review
        state (``candidate``, ``approved``, ``rejected``, ``deployed``, ``retired``) or
        ``failed``/``interrupted`` (a crash; Ctrl-C or a killed process) or ``running``;
        ``decision`` the gate decision; ``sharpe`` (annualised), ``cagr`` and
        ``max_drawdown`` (positive fractions), ``dsr`` and ``n_trials`` from the headline;
        ``progress`` the current step and percent of a running run; ``created_at`` IST.
    """
    registry = _registry(settings)
    records = {r.run_id: r for r in registry.list_runs()} if registry is not None else {}
    rows = []
    for run_id, record in records.items():
        status, live = record.state, None
        if record.state in ("failed", "running"):
            live = read_progress(RunPaths(run_dir_of(settings, run_id, record)).telemetry)
            if record.state == "failed":
                status = "interrupted" if live.status == "interrupted" else "failed"
            elif live.status == "interrupted":  # its process is gone (killed)
                status = "interrupted"
        row = _row(run_id, status, record, live)
        rows.append(row | {"run_dir": str(run_dir_of(settings, run_id, record))})
    if settings.runs_dir.is_dir():
        for path in sorted(settings.runs_dir.iterdir()):
            if path.name in records or not path.is_dir():
                continue
            live = read_progress(RunPaths(path).telemetry)
            status = "running" if live.status == "unknown" else live.status
            if status == "finished":  # finished but not registered: the release phase failed
                status = "failed"
            rows.append(_row(path.name, status, None, live) | {"run_dir": str(path)})
    frame = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
    return frame.sort_values(["created_at", "run_id"], ascending=False, ignore_index=True)


def registry_events(settings: Settings, run_ids: list[str] | None = None) -> pd.DataFrame:
    """Registry events of every run (or of ``run_ids``), newest first.

    Parameters
    ----------
    settings : Settings
    run_ids : list of str, optional
        Only these runs (default: every registered run).

    Returns
    -------
    pandas.DataFrame
        Columns ``event_id, run_id, at (ISO, IST), actor, from_state, to_state, note,
        override``; empty when there is no registry yet.

    Raises
    ------
    RegistryError
        If one of ``run_ids`` is not registered.
    """
    columns = ["event_id", "run_id", "at", "actor", "from_state", "to_state", "note", "override"]
    registry = _registry(settings)
    if registry is None:
        return pd.DataFrame(columns=columns)
    ids = run_ids if run_ids is not None else [r.run_id for r in registry.list_runs()]
    events = [asdict(e) for run_id in ids for e in registry.events(run_id)]
    frame = pd.DataFrame(events, columns=columns)
    return frame.sort_values("event_id", ascending=False, ignore_index=True)
