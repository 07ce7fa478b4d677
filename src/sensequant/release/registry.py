"""Registry of runs (SQLite, WAL) with an append-only review event log.

States and allowed moves::

    candidate -> approved | rejected
    approved  -> deployed | rejected
    deployed  -> retired
    retired   -> deployed   (only by a rollback, sensequant.release.deploy)
    failed    (terminal; a run that crashed, recorded by the pipeline)

A finished run enters as ``candidate``; its gate decision (``ready-for-review`` or
``gates-failed``) is stored separately. Approving a ``gates-failed`` run needs an override and a
note. Every change appends one row to ``events`` in the same transaction as the state update;
SQLite triggers make ``events`` append-only and each event is hash-chained to the one before
(:mod:`~sensequant.release.registry_chain`). Policies (verification, four-eyes, one deployed run
per universe and interval) live in :mod:`~sensequant.release.review` and
:mod:`~sensequant.release.deploy`; this class only keeps the records.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sensequant import dbutil
from sensequant.errors import RegistryError
from sensequant.fsutil import scrub_secrets, sha256_file, to_plain
from sensequant.identity import os_user
from sensequant.release.manifest import MANIFEST_NAME
from sensequant.release.registry_chain import ChainProblem, check_chain
from sensequant.release.registry_records import (
    ALLOWED,
    GATE_DECISIONS,
    REGISTRY_SCHEMA,
    STATES,
    SYSTEM_ACTOR,
    Event,
    RunRecord,
    event_from_row,
    record_from_row,
)
from sensequant.release.registry_txn import RegistryTxn, fetch_run, resolve_run_id
from sensequant.types import IST

__all__ = [
    "ALLOWED",
    "GATE_DECISIONS",
    "STATES",
    "SYSTEM_ACTOR",
    "Event",
    "Registry",
    "RegistryTxn",
    "RunRecord",
]


def _now_ist() -> dt.datetime:
    return dt.datetime.now(ZoneInfo(IST))


class Registry:
    """SQLite registry of runs and review events.

    Each call opens its own short-lived connection (WAL mode, busy timeout), so one Registry
    may be used from several threads and many processes may read while one writes.

    Parameters
    ----------
    path : pathlib.Path
        Database file (parent folders are created), e.g. ``Settings().registry_path``.
    clock : callable, optional
        Returns the current tz-aware time; defaults to now in IST (tests inject a fixed one).
    timeout_s : float, default 30
        How long to wait for a lock held by another writer.

    Raises
    ------
    RegistryError
        If the database cannot be opened or created.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> reg = Registry(Path(tempfile.mkdtemp()) / "registry.sqlite")
    >>> reg.register_run(
    ...     run_id="20241231-demo", created_at="2024-12-31T18:00:00+05:30",
    ...     run_dir="runs/20241231-demo", config_name="default", universe="nifty50",
    ...     start="2023-01-02", end="2024-12-31", gate_decision="ready-for-review",
    ...     headline={"sharpe": 1.1},
    ... )
    >>> [r.run_id for r in reg.list_runs(["candidate"])]
    ['20241231-demo']
    >>> reg.transition("20241231-demo", "approved", actor="asha", note="reviewed").state
    'approved'
    >>> [(e.actor, e.from_state, e.to_state) for e in reg.events("20241231-demo")]
    [('sensequant', None, 'candidate'), ('asha', 'candidate', 'approved')]
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self._clock = clock or _now_ist
        self._timeout_s = timeout_s
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                dbutil.enable_wal(conn)
            with self._write() as conn:
                dbutil.migrate(conn, REGISTRY_SCHEMA, self._stamp)
        except (OSError, sqlite3.Error) as exc:
            raise RegistryError(
                f"cannot open the registry {self.path}: {exc}",
                hint="check the path and its permissions (SENSEQUANT_HOME)",
            ) from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with dbutil.connect(self.path, timeout=self._timeout_s, row_factory=True) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: read-check-write without a race with other writers."""
        with self._connect() as conn, dbutil.immediate(conn):
            yield conn

    def _stamp(self) -> str:
        now = self._clock()
        if now.tzinfo is None:
            raise RegistryError("registry clock returned a naive datetime", hint="use tz-aware")
        return now.astimezone(ZoneInfo(IST)).isoformat(timespec="seconds")

    def _insert_run(self, row: dict[str, Any], *, state: str, note: str | None) -> None:
        """Insert (or re-register a failed) run and append its entry event, in one transaction."""
        with self.atomic() as txn:
            self._upsert(txn, row, state=state, note=note)

    def _upsert(
        self, txn: RegistryTxn, row: dict[str, Any], *, state: str, note: str | None
    ) -> None:
        conn = txn.conn
        query = conn.execute("SELECT state FROM runs WHERE run_id = ?", (row["run_id"],))
        previous = query.fetchone()
        if previous is not None and previous["state"] not in ("failed", "running", "interrupted"):
            raise RegistryError(
                f"run {row['run_id']} is already registered (state {previous['state']})",
                hint="each run needs a new run id; only an unfinished run may be registered again",
            )
        at = self._stamp()
        headline = json.dumps(to_plain(row["headline"]), allow_nan=False)
        values = {**row, "run_dir": str(row["run_dir"]), "headline": headline}
        values |= {"state": state, "updated_at": at}
        cols = ", ".join(f'"{c}"' for c in values)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in values if c != "run_id")
        conn.execute(
            f"INSERT INTO runs ({cols}) VALUES ({', '.join('?' * len(values))}) "
            f"ON CONFLICT(run_id) DO UPDATE SET {updates}",
            tuple(values.values()),
        )
        from_state = None if previous is None else previous["state"]
        event = {"run_id": row["run_id"], "at": at, "actor": SYSTEM_ACTOR, "note": note}
        txn.append(event | {"from_state": from_state, "to_state": state, "override": False})

    @contextmanager
    def atomic(self) -> Iterator[RegistryTxn]:
        """One write transaction (``BEGIN IMMEDIATE``) for several reads and moves.

        Yields
        ------
        RegistryTxn
            Committed when the block ends, rolled back on any error.

        Raises
        ------
        RegistryError
            If the database cannot be locked or written.
        """
        try:
            with self._write() as conn:
                yield RegistryTxn(conn, self._stamp)
        except sqlite3.Error as exc:
            raise RegistryError(f"registry {self.path}: {exc}", hint="try again") from exc

    def register_run(
        self,
        *,
        run_id: str,
        created_at: str,
        run_dir: str | Path,
        config_name: str,
        universe: str,
        start: str | None,
        end: str | None,
        gate_decision: str,
        headline: dict[str, Any],
        interval: str | None = None,
        producer: str | None = None,
    ) -> None:
        """Add a finished run as ``candidate`` and log its first event (actor ``sensequant``).

        The OS user running the pipeline is recorded as the run's producer (four-eyes: it may
        not approve the run) and the SHA-256 of ``<run_dir>/manifest.yaml``, when present, as
        the manifest hash ``sensequant verify`` compares with.

        Parameters
        ----------
        run_id, created_at, config_name, universe : str
        run_dir : str or pathlib.Path
        start, end : str or None
            OOS date range (ISO).
        gate_decision : {"ready-for-review", "gates-failed"}
        headline : dict
            Key results, JSON-serialisable (plain floats; NaN is stored as null).
        interval : str, optional
            Bar interval (``config.data.interval``); deploy keeps one run per (universe,
            interval).
        producer : str, optional
            Who produced the run; default the OS user (:func:`~sensequant.identity.
            os_user`).

        Raises
        ------
        RegistryError
            If the gate decision is unknown or the run id is taken (a ``failed`` run may be
            registered again after a successful resume).
        """
        if gate_decision not in GATE_DECISIONS:
            raise RegistryError(
                f"unknown gate decision {gate_decision!r} for run {run_id}",
                hint=f"use one of {', '.join(GATE_DECISIONS)}",
            )
        row = dict(locals())
        del row["self"]
        row["producer"] = producer or os_user()
        manifest = Path(run_dir) / MANIFEST_NAME
        row["manifest_sha256"] = sha256_file(manifest) if manifest.is_file() else None
        self._insert_run(row, state="candidate", note=None)

    def record_failed_run(
        self,
        *,
        run_id: str,
        created_at: str,
        run_dir: str | Path,
        config_name: str,
        universe: str,
        error: str,
        start: str | None = None,
        end: str | None = None,
        headline: dict[str, Any] | None = None,
    ) -> None:
        """Record a run that crashed, in the terminal state ``failed`` (note = the error).

        Raises
        ------
        RegistryError
            If the run id belongs to a run that did not fail.
        """
        row = {k: v for k, v in locals().items() if k not in ("self", "error")}
        row |= {"gate_decision": None, "headline": headline or {}}
        self._insert_run(row, state="failed", note=scrub_secrets(error))

    def transition(
        self,
        run_id: str,
        to_state: str,
        *,
        actor: str,
        note: str | None,
        override: bool = False,
        display_name: str | None = None,
        manifest_sha256: str | None = None,
    ) -> RunRecord:
        """Move a run to ``to_state`` and log the event, in one transaction.

        Parameters
        ----------
        run_id : str
        to_state : str
            One of ``approved, rejected, deployed, retired``.
        actor : str
            Who decides (non-empty; e.g. the reviewer's name).
        note : str or None
            Reason; required to reject and to override failed gates.
        override : bool, default False
            Approve a run whose gates failed (needs a note too).
        display_name : str, optional
            The actor's validated display name (:mod:`sensequant.identity`).
        manifest_sha256 : str, optional
            Hash of the run's verified manifest, stored with the event (approve, deploy).

        Returns
        -------
        RunRecord
            The updated record.

        Raises
        ------
        RegistryError
            Unknown run or state, empty actor, missing note, illegal move (the message names
            from/to and the allowed moves), or approving a ``gates-failed`` run without
            ``override=True`` and a note; :class:`~sensequant.errors.UnknownRunError` (exit
            code 2) for an unknown run.
        """
        with self.atomic() as txn:
            return txn.move(
                run_id,
                to_state,
                actor=actor,
                note=note,
                override=override,
                display_name=display_name,
                manifest_sha256=manifest_sha256,
            )

    def get(self, run_id: str) -> RunRecord:
        """The run's current record.

        Raises
        ------
        RegistryError
            If the run is unknown.
        """
        with self._connect() as conn:
            return fetch_run(conn, run_id)

    def list_runs(self, states: Sequence[str] | None = None) -> list[RunRecord]:
        """Runs, newest first, optionally only those in ``states``.

        Raises
        ------
        RegistryError
            If a state name is unknown.
        """
        sql, params = "SELECT * FROM runs", tuple(states or ())
        if states is not None:
            unknown = [s for s in states if s not in STATES]
            if unknown:
                raise RegistryError(
                    f"unknown state(s) {', '.join(unknown)}",
                    hint=f"use {', '.join(STATES)}",
                )
            sql += f" WHERE state IN ({', '.join('?' * len(params)) or 'NULL'})"
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY created_at DESC, run_id DESC", params)
            return [record_from_row(r) for r in rows.fetchall()]

    def events(self, run_id: str) -> list[Event]:
        """The run's events, oldest first.

        Raises
        ------
        RegistryError
            If the run is unknown.
        """
        with self._connect() as conn:
            fetch_run(conn, run_id)
            rows = conn.execute(
                "SELECT * FROM events WHERE run_id = ? ORDER BY event_id", (run_id,)
            ).fetchall()
        return [event_from_row(r) for r in rows]

    def all_events(self) -> list[Event]:
        """Every event of every run, oldest first."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM events ORDER BY event_id").fetchall()
        return [event_from_row(r) for r in rows]

    def resolve(self, run_id: str) -> str:
        """The full id of the run that ``run_id`` names exactly or as an unambiguous prefix.

        Raises
        ------
        UnknownRunError
            No run matches, or the prefix matches several (the message lists them); exit 2.
        """
        with self._connect() as conn:
            return resolve_run_id(conn, run_id)

    def check_chain(self) -> tuple[list[ChainProblem], int, str]:
        """Recompute the event hash chain (:func:`~sensequant.release.registry_chain.
        check_chain`): ``(problems, number of events, head hash)``."""
        with self._connect() as conn:
            return check_chain(conn)
