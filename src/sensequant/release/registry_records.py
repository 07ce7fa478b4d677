"""Run-registry records, states and schema (used by :mod:`sensequant.release.registry`).

The review states and their allowed moves, the registry DDL (``runs`` and the append-only
``events`` table, enforced by triggers) versioned in ``PRAGMA user_version``, and the row types
:class:`RunRecord` and :class:`Event`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Final

from sensequant.dbutil import Schema
from sensequant.identity import SYSTEM_ACTOR
from sensequant.release.registry_chain import backfill

__all__ = [
    "ALLOWED",
    "GATE_DECISIONS",
    "REGISTRY_SCHEMA",
    "SCHEMA_VERSION",
    "STATES",
    "SYSTEM_ACTOR",
    "Event",
    "RunRecord",
    "event_from_row",
    "record_from_row",
]

STATES: Final[tuple[str, ...]] = (
    "candidate",
    "approved",
    "rejected",
    "deployed",
    "retired",
    "failed",
    "running",
    "interrupted",
)
GATE_DECISIONS: Final[tuple[str, ...]] = ("ready-for-review", "gates-failed")
ALLOWED: Final[dict[str, tuple[str, ...]]] = {
    "candidate": ("approved", "rejected"),
    "approved": ("deployed", "rejected"),
    "deployed": ("retired",),
    "rejected": (),
    "retired": (),
    "failed": (),
    "running": (),
    "interrupted": (),
}
"""Moves a person may make (:meth:`RegistryTxn.move`). The pipeline's own moves -- ``running``
at start, ``interrupted`` when its process is gone, ``failed``, ``candidate`` when registered --
are made by :mod:`sensequant.release.registry_lifecycle`."""
SCHEMA_VERSION: Final = 4
"""Registry schema version (``PRAGMA user_version``); 2 added the trial ledger, 3 the producer,
interval and manifest hash of a run and the event hash chain (back-filled), 4 the states
``running`` and ``interrupted`` and a running run's ``pid`` and ``host``."""

_DDL: Final = f"""
CREATE TABLE IF NOT EXISTS runs (
    run_id        TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    run_dir       TEXT NOT NULL,
    config_name   TEXT NOT NULL,
    universe      TEXT NOT NULL,
    start         TEXT,
    "end"         TEXT,
    gate_decision TEXT CHECK (gate_decision IS NULL OR gate_decision IN
                              ('ready-for-review', 'gates-failed')),
    state         TEXT NOT NULL CHECK (state IN ({", ".join(f"'{s}'" for s in STATES)})),
    headline      TEXT NOT NULL DEFAULT '{{}}',
    updated_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    event_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id     TEXT NOT NULL REFERENCES runs(run_id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL CHECK (length(trim(actor)) > 0),
    from_state TEXT,
    to_state   TEXT NOT NULL,
    note       TEXT,
    override   INTEGER NOT NULL DEFAULT 0 CHECK (override IN (0, 1))
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id, event_id);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'registry events are append-only: UPDATE is not allowed'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'registry events are append-only: DELETE is not allowed'); END;
"""


_LEDGER_DDL: Final = """
CREATE TABLE IF NOT EXISTS trials (
    trial_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id         TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    config_hash    TEXT NOT NULL,
    universe       TEXT NOT NULL,
    interval       TEXT NOT NULL,
    oos_start      TEXT NOT NULL,
    oos_end        TEXT NOT NULL,
    n_obs          INTEGER NOT NULL CHECK (n_obs >= 0),
    sr_per_period  REAL,
    returns_sha256 TEXT NOT NULL,
    returns_path   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trials_scope ON trials(universe, interval, oos_start, oos_end);
CREATE TRIGGER IF NOT EXISTS trials_no_update BEFORE UPDATE ON trials
BEGIN SELECT RAISE(ABORT, 'the trial ledger is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER IF NOT EXISTS trials_no_delete BEFORE DELETE ON trials
BEGIN SELECT RAISE(ABORT, 'the trial ledger is append-only: DELETE is not allowed'); END;
"""

_CHAIN_COLUMNS: Final = {
    "runs": ("producer", "interval", "manifest_sha256"),
    "events": ("display_name", "manifest_sha256", "hash"),
}


def _migrate_chain(con: sqlite3.Connection) -> None:
    """Schema 3: producer, interval and manifest hash columns; the event hash chain."""
    for table, columns in _CHAIN_COLUMNS.items():
        have = {r[1] for r in con.execute(f"PRAGMA table_info({table})").fetchall()}
        for col in columns:
            if col not in have:
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{col}" TEXT')
    con.execute("CREATE INDEX IF NOT EXISTS runs_scope ON runs(universe, interval, state)")
    backfill(con)


def _migrate_lifecycle(con: sqlite3.Connection) -> None:
    """Schema 4: ``pid`` and ``host`` columns; ``running`` and ``interrupted`` in the state CHECK.

    SQLite cannot alter a CHECK constraint and the ``events`` foreign key forbids rebuilding
    ``runs`` inside the migration's transaction, so the table's stored definition is rewritten
    (SQLite's documented procedure for constraint changes that keep the on-disk format:
    ``writable_schema``, then a ``schema_version`` bump so every connection reloads it). The
    event log is untouched, so the hash chain stays valid.
    """
    have = {r[1] for r in con.execute("PRAGMA table_info(runs)").fetchall()}
    for col, kind in (("pid", "INTEGER"), ("host", "TEXT")):
        if col not in have:
            con.execute(f'ALTER TABLE runs ADD COLUMN "{col}" {kind}')
    row = con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'runs'")
    sql = str(row.fetchone()[0])
    states = ", ".join(f"'{s}'" for s in STATES)
    new = re.sub(r"CHECK \(state IN \([^)]*\)\)", f"CHECK (state IN ({states}))", sql, count=1)
    if new == sql:
        return
    version = int(con.execute("PRAGMA schema_version").fetchone()[0])
    con.execute("PRAGMA writable_schema = ON")
    try:
        con.execute(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'runs'", (new,)
        )
        con.execute(f"PRAGMA schema_version = {version + 1}")
    finally:
        con.execute("PRAGMA writable_schema = OFF")


REGISTRY_SCHEMA: Final = Schema(
    latest=SCHEMA_VERSION,
    migrations={1: _DDL, 2: _LEDGER_DDL, 3: _migrate_chain, 4: _migrate_lifecycle},
    versioning="user_version",
)
"""The registry's schema for :func:`sensequant.dbutil.migrate`."""


@dataclass(frozen=True)
class RunRecord:
    """A run's registry row (current state; history is in :meth:`Registry.events`)."""

    run_id: str
    created_at: str
    run_dir: str
    config_name: str
    universe: str
    start: str | None
    end: str | None
    gate_decision: str | None
    """``ready-for-review`` / ``gates-failed``; None for a failed run."""
    state: str
    headline: dict[str, Any] = field(hash=False)
    """Key results (Sharpe, IC, DSR, decision ...), stored as JSON."""
    updated_at: str
    producer: str | None = None
    """OS user who produced (registered) the run; None for runs registered before schema 3."""
    interval: str | None = None
    """Bar interval of the run (``1day`` ...); None for runs registered before schema 3."""
    manifest_sha256: str | None = None
    """SHA-256 of ``manifest.yaml`` when the run was registered (None: none or pre-schema 3)."""
    pid: int | None = None
    """Process id of the pipeline while the run is (or was last) ``running``."""
    host: str | None = None
    """Host name of that process (a run is found ``interrupted`` only on its own host)."""


@dataclass(frozen=True)
class Event:
    """One append-only registry event. ``at`` is ISO 8601 in IST."""

    event_id: int
    run_id: str
    at: str
    actor: str
    from_state: str | None
    to_state: str
    note: str | None
    override: bool
    """True only when the move approved a ``gates-failed`` run by override."""
    display_name: str | None = None
    """Optional validated name the actor gave (``--by``); ``actor`` is the OS user."""
    manifest_sha256: str | None = None
    """SHA-256 of the run's manifest verified by an approve or deploy."""
    hash: str | None = None
    """This event's link in the hash chain (:mod:`sensequant.release.registry_chain`)."""


def record_from_row(row: sqlite3.Row) -> RunRecord:
    """The :class:`RunRecord` of a ``runs`` row (``headline`` decoded from JSON)."""
    return RunRecord(
        run_id=row["run_id"],
        created_at=row["created_at"],
        run_dir=row["run_dir"],
        config_name=row["config_name"],
        universe=row["universe"],
        start=row["start"],
        end=row["end"],
        gate_decision=row["gate_decision"],
        state=row["state"],
        headline=json.loads(row["headline"]),
        updated_at=row["updated_at"],
        producer=row["producer"],
        interval=row["interval"],
        manifest_sha256=row["manifest_sha256"],
        pid=row["pid"],
        host=row["host"],
    )


def event_from_row(row: sqlite3.Row) -> Event:
    """The :class:`Event` of an ``events`` row."""
    return Event(
        event_id=row["event_id"],
        run_id=row["run_id"],
        at=row["at"],
        actor=row["actor"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        note=row["note"],
        override=bool(row["override"]),
        display_name=row["display_name"],
        manifest_sha256=row["manifest_sha256"],
        hash=row["hash"],
    )
