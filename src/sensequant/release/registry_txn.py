"""One registry write transaction: read runs, move them and append chained events atomically.

:meth:`sensequant.release.registry.Registry.atomic` yields a :class:`RegistryTxn` bound to one
``BEGIN IMMEDIATE`` transaction, so a read-check-write (e.g. deploy: find the run deployed for
the same universe and interval, retire it, deploy the new one) cannot race another writer. Every
move validates the state machine (:data:`~sensequant.release.registry_records.ALLOWED`) and
appends one event linked into the hash chain (:mod:`sensequant.release.registry_chain`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from sensequant.errors import RegistryError, UnknownRunError
from sensequant.release.registry_chain import event_hash, head
from sensequant.release.registry_records import (
    ALLOWED,
    STATES,
    Event,
    RunRecord,
    event_from_row,
    record_from_row,
)

__all__ = ["RegistryTxn", "fetch_run", "resolve_run_id"]


def fetch_run(conn: sqlite3.Connection, run_id: str) -> RunRecord:
    """The run's record.

    Raises
    ------
    UnknownRunError
        If no run has this id (exit code 2).
    """
    row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        raise UnknownRunError(f"unknown run {run_id!r}", hint="list runs with `sensequant runs`")
    return record_from_row(row)


def resolve_run_id(conn: sqlite3.Connection, run_id: str) -> str:
    """The full id of the run that ``run_id`` names exactly or as an unambiguous prefix.

    Raises
    ------
    UnknownRunError
        No run matches, or the prefix matches several (the message lists them); exit 2.
    """
    if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is not None:
        return run_id
    rows = conn.execute(
        "SELECT run_id FROM runs WHERE substr(run_id, 1, ?) = ? ORDER BY run_id",
        (len(run_id), run_id),
    ).fetchall()
    matches = [str(r[0]) for r in rows] if run_id else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UnknownRunError(f"unknown run {run_id!r}", hint="list runs with `sensequant runs`")
    raise UnknownRunError(
        f"run id prefix {run_id!r} is ambiguous: it matches {', '.join(matches)}",
        hint="type more of the run id",
    )


class RegistryTxn:
    """Reads and moves inside one write transaction (see the module docstring).

    Parameters
    ----------
    conn : sqlite3.Connection
        A connection inside ``BEGIN IMMEDIATE`` (rows as :class:`sqlite3.Row`).
    stamp : callable
        Returns the current time as ISO 8601 text in IST.
    """

    def __init__(self, conn: sqlite3.Connection, stamp: Callable[[], str]) -> None:
        self.conn = conn
        self._stamp = stamp

    def get(self, run_id: str) -> RunRecord:
        """The run's record (:class:`UnknownRunError` when unknown)."""
        return fetch_run(self.conn, run_id)

    def in_state(self, state: str, universe: str, interval: str | None) -> list[RunRecord]:
        """Runs of one (universe, interval) in ``state``, newest first."""
        rows = self.conn.execute(
            "SELECT * FROM runs WHERE state = ? AND universe = ? AND interval IS ? "
            "ORDER BY updated_at DESC, run_id DESC",
            (state, universe, interval),
        )
        return [record_from_row(r) for r in rows.fetchall()]

    def events(self) -> list[Event]:
        """Every event, oldest first."""
        rows = self.conn.execute("SELECT * FROM events ORDER BY event_id").fetchall()
        return [event_from_row(r) for r in rows]

    def set_interval(self, run_id: str, interval: str) -> None:
        """Fill in the interval of a run registered before schema 3 (read from its manifest)."""
        self.conn.execute(
            "UPDATE runs SET interval = ? WHERE run_id = ? AND interval IS NULL",
            (interval, run_id),
        )

    def append(self, event: dict[str, Any]) -> str:
        """Append one event (``run_id, at, actor, from_state, to_state, note, override`` and
        optionally ``display_name, manifest_sha256``) linked into the hash chain.

        Returns
        -------
        str
            The event's hash.
        """
        top, previous = head(self.conn)
        row = {
            "display_name": None,
            "manifest_sha256": None,
            **event,
            "event_id": top + 1,
            "override": int(bool(event.get("override"))),
        }
        row["hash"] = event_hash(previous, row)
        cols = ", ".join(f'"{c}"' for c in row)
        self.conn.execute(
            f"INSERT INTO events ({cols}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        return str(row["hash"])

    def move(
        self,
        run_id: str,
        to_state: str,
        *,
        actor: str,
        note: str | None,
        override: bool = False,
        display_name: str | None = None,
        manifest_sha256: str | None = None,
        rollback: bool = False,
    ) -> RunRecord:
        """Move a run to ``to_state`` and append the event (see ``Registry.transition``).

        ``rollback=True`` also allows ``retired -> deployed`` (a rollback re-deploys the
        previous run; ``retired`` is otherwise terminal).

        Raises
        ------
        RegistryError
            Empty actor, unknown state, missing note, illegal move, or approving a
            ``gates-failed`` run without ``override`` and a note.
        UnknownRunError
            If the run is unknown.
        """
        actor = (actor or "").strip()
        note = note.strip() if note and note.strip() else None
        if not actor:
            raise RegistryError(
                f"no actor given for moving run {run_id} to {to_state}",
                hint="name who decides, e.g. --by 'A. Reviewer'",
            )
        if to_state not in STATES:
            raise RegistryError(
                f"unknown state {to_state!r}", hint=f"use one of {', '.join(STATES)}"
            )
        if to_state == "rejected" and note is None:
            raise RegistryError(
                f"rejecting run {run_id} needs a note saying why", hint="add --note 'reason'"
            )
        record = self.get(run_id)
        allowed = ALLOWED[record.state]
        if rollback and record.state == "retired":
            allowed = ("deployed",)
        if to_state not in allowed:
            raise RegistryError(
                f"run {run_id} cannot move from {record.state} to {to_state}; allowed "
                f"from {record.state}: {', '.join(allowed) or 'none (terminal state)'}",
                hint=f"check the run's state with `sensequant show {run_id}`",
            )
        used_override = False
        if (
            to_state == "approved"
            and record.state == "candidate"
            and record.gate_decision != "ready-for-review"
        ):
            if not override or note is None:
                raise RegistryError(
                    f"run {run_id} failed its release gates ({record.gate_decision}); "
                    "approving it needs an override with a recorded reason",
                    hint="pass --override --note 'why it is acceptable'",
                )
            used_override = True
        at = self._stamp()
        cur = self.conn.execute(
            "UPDATE runs SET state = ?, updated_at = ? WHERE run_id = ? AND state = ?",
            (to_state, at, run_id, record.state),
        )
        if cur.rowcount != 1:  # pragma: no cover - guarded by BEGIN IMMEDIATE
            raise RegistryError(f"run {run_id} changed state concurrently; try again")
        self.append(
            {
                "run_id": run_id,
                "at": at,
                "actor": actor,
                "from_state": record.state,
                "to_state": to_state,
                "note": note,
                "override": used_override,
                "display_name": display_name,
                "manifest_sha256": manifest_sha256,
            }
        )
        return self.get(run_id)
