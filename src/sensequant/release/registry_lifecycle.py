"""The pipeline's own registry moves: ``running``, ``interrupted`` and resuming.

A run is registered ``running`` when it starts (with its process id, host and OS user as
producer); it ends ``candidate`` (:meth:`Registry.register_run`), ``failed``
(:meth:`Registry.record_failed_run`) or, after Ctrl-C, SIGTERM or SIGHUP, ``interrupted``
(:func:`record_interrupted`). A run killed outright (SIGKILL, power loss) stays ``running`` until
someone looks: :func:`sweep_gone` -- called by ``sensequant runs``, ``show`` and
``candidates`` -- moves every ``running`` run whose process is gone from this host to
``interrupted``. ``sensequant run --resume`` moves an ``interrupted`` (or ``failed``, or
``running`` but gone) run back to ``running``. Every move appends one chained event
(:mod:`sensequant.release.registry_chain`).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from sensequant.errors import RegistryError
from sensequant.identity import os_user
from sensequant.release.registry import Registry
from sensequant.release.registry_records import SYSTEM_ACTOR
from sensequant.release.registry_txn import RegistryTxn

__all__ = ["RESUMABLE", "pid_alive", "record_interrupted", "record_running", "sweep_gone"]

RESUMABLE = ("interrupted", "failed", "running")
"""States a run may be resumed from (``running`` only when its process is gone)."""


def pid_alive(pid: int) -> bool:
    """True when process ``pid`` exists on this host and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _gone(pid: int | None, host: str | None) -> bool:
    return pid is not None and host == socket.gethostname() and not pid_alive(pid)


def _move(txn: RegistryTxn, run_id: str, from_state: str, to_state: str, note: str) -> None:
    at = txn._stamp()
    txn.conn.execute(
        "UPDATE runs SET state = ?, updated_at = ? WHERE run_id = ?", (to_state, at, run_id)
    )
    txn.append(
        {
            "run_id": run_id,
            "at": at,
            "actor": SYSTEM_ACTOR,
            "from_state": from_state,
            "to_state": to_state,
            "note": note,
            "override": False,
        }
    )


def record_running(
    registry: Registry,
    *,
    run_id: str,
    created_at: str,
    run_dir: str | Path,
    config_name: str,
    universe: str,
    interval: str,
) -> None:
    """Register a starting run as ``running`` (pid, host, OS user), or resume an unfinished one.

    Raises
    ------
    RegistryError
        The run exists and is finished (candidate or later), or is ``running`` in a process
        that is still alive (or on another host, where that cannot be checked).
    """
    pid, host = os.getpid(), socket.gethostname()
    with registry.atomic() as txn:
        row = txn.conn.execute(
            "SELECT state, pid, host FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            at = txn._stamp()
            values = (run_id, created_at, str(run_dir), config_name, universe, interval, at)
            txn.conn.execute(
                "INSERT INTO runs (run_id, created_at, run_dir, config_name, universe, "
                "interval, updated_at, producer, pid, host, state, headline) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', '{}')",
                (*values, os_user(), pid, host),
            )
            note = f"started: pid {pid} on {host}"
            txn.append(
                {"run_id": run_id, "at": at, "actor": SYSTEM_ACTOR, "from_state": None}
                | {"to_state": "running", "note": note, "override": False}
            )
            return
        state = row["state"]
        if state not in RESUMABLE or (state == "running" and not _gone(row["pid"], row["host"])):
            where = f" (pid {row['pid']} on {row['host']})" if state == "running" else ""
            raise RegistryError(
                f"run {run_id} is {state}{where}: it cannot be resumed",
                hint="only an interrupted or failed run can be resumed; "
                "list them with `sensequant runs --state interrupted`",
            )
        txn.conn.execute("UPDATE runs SET pid = ?, host = ? WHERE run_id = ?", (pid, host, run_id))
        _move(txn, run_id, state, "running", f"resumed: pid {pid} on {host}")


def record_interrupted(registry: Registry, run_id: str, reason: str) -> None:
    """Move a ``running`` run to ``interrupted`` (Ctrl-C, SIGTERM, SIGHUP); ``reason`` is
    the event's note. A run in another state is left as it is."""
    with registry.atomic() as txn:
        row = txn.conn.execute("SELECT state FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is not None and row["state"] == "running":
            _move(txn, run_id, "running", "interrupted", reason)


def sweep_gone(registry: Registry) -> list[str]:
    """Move every ``running`` run whose process is gone from this host to ``interrupted``.

    Runs started on another host are left ``running`` (their process cannot be checked).

    Returns
    -------
    list of str
        The run ids moved.
    """
    with registry._connect() as conn:
        rows = conn.execute("SELECT run_id, pid, host FROM runs WHERE state = 'running'")
        gone = [r["run_id"] for r in rows.fetchall() if _gone(r["pid"], r["host"])]
    moved: list[str] = []
    if not gone:
        return moved
    with registry.atomic() as txn:
        for run_id in gone:
            row = txn.conn.execute(
                "SELECT state, pid, host FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row["state"] == "running" and _gone(row["pid"], row["host"]):
                note = f"process {row['pid']} on {row['host']} is gone (killed or crashed)"
                _move(txn, run_id, "running", "interrupted", note)
                moved.append(run_id)
    return moved
