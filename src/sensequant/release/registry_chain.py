"""Hash chain over the registry's event log: tamper evidence beyond the append-only triggers.

Every event stores ``hash = sha256(previous event's hash + canonical JSON of its own content)``
(the first event chains from :data:`GENESIS`). The triggers stop accidental edits; the chain
makes a deliberate edit (trigger dropped, row rewritten with ``sqlite3``) or a deleted event
visible to :func:`check_chain`, which ``sensequant verify --registry`` runs. The chain has no
external anchor: someone able to rewrite the whole table and recompute every hash is not
detected, so ``verify --registry`` prints the head hash for the reviewer to keep elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "CHAIN_FIELDS",
    "GENESIS",
    "ChainProblem",
    "backfill",
    "check_chain",
    "event_hash",
    "head",
]

GENESIS: Final = "0" * 64
"""The "previous hash" of the first event."""
CHAIN_FIELDS: Final[tuple[str, ...]] = (
    "event_id",
    "run_id",
    "at",
    "actor",
    "display_name",
    "from_state",
    "to_state",
    "note",
    "override",
    "manifest_sha256",
)
"""The event columns covered by the hash (everything but the hash itself)."""


@dataclass(frozen=True)
class ChainProblem:
    """One break in the chain: the event concerned (``None`` for the run table) and what."""

    event_id: int | None
    problem: str


def event_hash(previous: str, event: Mapping[str, Any]) -> str:
    """``sha256(previous + canonical JSON of the event's CHAIN_FIELDS)`` as 64 hex digits.

    ``override`` is hashed as an integer (0/1) whatever its Python type, so a row read back
    from SQLite hashes like the tuple that was written.
    """
    content = {k: event.get(k) for k in CHAIN_FIELDS}
    content["override"] = int(bool(content["override"]))
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((previous + blob).encode("utf-8")).hexdigest()


def head(con: sqlite3.Connection) -> tuple[int, str]:
    """The last event id ever allocated (0 when none) and the hash the next event chains from."""
    seq = con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    last = con.execute("SELECT event_id, hash FROM events ORDER BY event_id DESC LIMIT 1")
    row = last.fetchone()
    top = max(int(seq[0]) if seq else 0, int(row[0]) if row else 0)
    return top, (row[1] or GENESIS) if row else GENESIS


def _rows(con: sqlite3.Connection) -> list[dict[str, Any]]:
    cols = ", ".join(f'"{c}"' for c in (*CHAIN_FIELDS, "hash"))
    cur = con.execute(f"SELECT {cols} FROM events ORDER BY event_id")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def backfill(con: sqlite3.Connection) -> int:
    """Compute the chain for events written before it existed (schema migration 3).

    Runs inside the migration's transaction; the ``events_no_update`` trigger is dropped for
    the back-fill and created again.

    Returns
    -------
    int
        Number of events hashed.
    """
    rows = _rows(con)
    con.execute("DROP TRIGGER IF EXISTS events_no_update")
    previous = GENESIS
    for row in rows:
        previous = event_hash(previous, row)
        con.execute("UPDATE events SET hash = ? WHERE event_id = ?", (previous, row["event_id"]))
    con.execute(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT "
        "RAISE(ABORT, 'registry events are append-only: UPDATE is not allowed'); END"
    )
    return len(rows)


def check_chain(con: sqlite3.Connection) -> tuple[list[ChainProblem], int, str]:
    """Recompute the chain and compare it with the stored hashes.

    Detects an edited event (its hash no longer matches its content), a rewritten hash (the
    next event no longer chains from it), deleted events (a gap in the ids, or ids allocated
    past the last event) and a run whose state differs from its last event.

    Returns
    -------
    problems : list of ChainProblem
        Empty when the log is intact.
    n_events : int
    head_hash : str
        Hash of the last event (:data:`GENESIS` when there is none).
    """
    problems: list[ChainProblem] = []
    previous, expected_id = GENESIS, 1
    rows = _rows(con)
    for row in rows:
        eid = int(row["event_id"])
        if eid != expected_id:
            missing = f"{expected_id}" if eid == expected_id + 1 else f"{expected_id}-{eid - 1}"
            problems.append(
                ChainProblem(eid, f"event(s) {missing} before event {eid} are missing (deleted)")
            )
        if event_hash(previous, row) != row["hash"]:
            problems.append(
                ChainProblem(
                    eid,
                    f"event {eid} (run {row['run_id']}) does not match its hash: the event or "
                    "the one before it was edited or removed",
                )
            )
        previous, expected_id = row["hash"] or GENESIS, eid + 1
    top, _ = head(con)
    if top >= expected_id:
        problems.append(
            ChainProblem(top, f"event(s) {expected_id}-{top} after the last one are missing")
        )
    last_states = con.execute(
        "SELECT r.run_id, r.state, (SELECT e.to_state FROM events e WHERE e.run_id = r.run_id "
        "ORDER BY e.event_id DESC LIMIT 1) FROM runs r"
    ).fetchall()
    for run_id, state, last in last_states:
        if state != last:
            problems.append(
                ChainProblem(
                    None, f"run {run_id} is in state {state} but its last event says {last}"
                )
            )
    return problems, len(rows), previous
