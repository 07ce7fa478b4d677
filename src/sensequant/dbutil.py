"""SQLite foundation shared by the catalog and the run registry.

Short-lived connections (autocommit, busy timeout, foreign keys on), WAL mode, one
``BEGIN IMMEDIATE`` write transaction that rolls back on any error, a statement splitter that
keeps trigger bodies whole, and a schema-version runner that applies ordered migrations inside
the caller's transaction. The version lives either in a ``schema_version`` table (one row per
applied version, the catalog's layout) or in ``PRAGMA user_version`` (the registry's), so the
databases written by earlier releases open unchanged.

Errors: the helpers raise :class:`sqlite3.Error` unless the caller passes ``on_error``, a
function ``(stage, exc) -> exception`` that turns an SQLite error of a stage (``"open"``,
``"setup"``, ``"begin"``, ``"write"``) into the caller's own error class.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "ErrorMap",
    "Schema",
    "connect",
    "enable_wal",
    "immediate",
    "migrate",
    "run_script",
    "schema_version",
]

ErrorMap = Callable[[str, sqlite3.Error], BaseException]
"""``(stage, error) -> exception to raise``; stages ``open``, ``setup``, ``begin``, ``write``."""


@dataclass(frozen=True)
class Schema:
    """A versioned schema: ordered migrations and where the version is kept.

    Attributes
    ----------
    latest : int
        Version this code writes.
    migrations : mapping of int to str or callable
        DDL run to reach each version from the one before (key 1: the base schema from an
        empty database), or a function ``(connection) -> None`` for a migration that must
        compute (e.g. back-fill a column). Keys ``1 .. latest`` must all be present.
    versioning : {"table", "user_version"}
        ``table``: a ``schema_version (version, applied_at)`` table that the base DDL creates,
        one row per applied version, the version being its maximum (0 while the table does
        not exist). ``user_version``: ``PRAGMA user_version`` (0 on a new database).
    """

    latest: int
    migrations: Mapping[int, str | Callable[[sqlite3.Connection], None]]
    versioning: Literal["table", "user_version"]


@contextlib.contextmanager
def connect(
    path: Path,
    *,
    timeout: float,
    synchronous: str | None = None,
    row_factory: bool = False,
    on_error: ErrorMap | None = None,
) -> Iterator[sqlite3.Connection]:
    """One short-lived autocommit connection with foreign keys on; closed on exit.

    Parameters
    ----------
    path : pathlib.Path
        Database file.
    timeout : float
        Busy timeout in seconds (how long to wait for another writer's lock).
    synchronous : str, optional
        ``PRAGMA synchronous`` value (e.g. ``NORMAL``); None keeps SQLite's default.
    row_factory : bool, default False
        Rows as :class:`sqlite3.Row` instead of tuples.
    on_error : callable, optional
        Maps an error while opening (``open``) or while setting the pragmas (``setup``).

    Raises
    ------
    sqlite3.Error
        Or what ``on_error`` returns, if the file cannot be opened or is not a database.
    """
    try:
        con = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        if on_error is None:
            raise
        raise on_error("open", exc) from None
    try:
        if row_factory:
            con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA foreign_keys = ON")
            if synchronous is not None:
                con.execute(f"PRAGMA synchronous = {synchronous}")
        except sqlite3.DatabaseError as exc:
            if on_error is None:
                raise
            raise on_error("setup", exc) from None
        yield con
    finally:
        con.close()


def enable_wal(con: sqlite3.Connection) -> None:
    """Switch the database to WAL journal mode (outside any transaction; persistent)."""
    con.execute("PRAGMA journal_mode=WAL")


@contextlib.contextmanager
def immediate(
    con: sqlite3.Connection, *, on_error: ErrorMap | None = None
) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error.

    Parameters
    ----------
    con : sqlite3.Connection
        An autocommit connection (from :func:`connect`).
    on_error : callable, optional
        Maps a failed ``BEGIN`` (``begin``) and an SQLite error of the body (``write``, raised
        after the rollback, chained to the original).

    Raises
    ------
    sqlite3.Error
        Or what ``on_error`` returns; any other exception of the body is re-raised as is.
    """
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        if on_error is None:
            raise
        raise on_error("begin", exc) from None
    try:
        yield con
    except BaseException as exc:
        con.execute("ROLLBACK")
        if on_error is not None and isinstance(exc, sqlite3.Error):
            raise on_error("write", exc) from exc
        raise
    con.execute("COMMIT")


def run_script(con: sqlite3.Connection, script: str) -> None:
    """Execute a multi-statement DDL script statement by statement (no implicit COMMIT).

    Unlike :meth:`sqlite3.Connection.executescript` it runs inside the caller's transaction;
    statements are split where :func:`sqlite3.complete_statement` says one ends, so trigger
    bodies (``BEGIN ...; END;``) stay whole.
    """
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                con.execute(pending)
            pending = ""
    if pending.strip(" \t\r\n;"):
        con.execute(pending)


def schema_version(con: sqlite3.Connection, schema: Schema) -> int | None:
    """The database's schema version (0 = new database; None = version table empty)."""
    if schema.versioning == "user_version":
        return int(con.execute("PRAGMA user_version").fetchone()[0])
    found = con.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
    ).fetchone()
    if found is None:
        return 0
    version = con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    return None if version is None else int(version)


def migrate(con: sqlite3.Connection, schema: Schema, now: Callable[[], str]) -> int | None:
    """Bring the schema to ``schema.latest`` inside the caller's transaction.

    Parameters
    ----------
    con : sqlite3.Connection
        Connection inside a write transaction (:func:`immediate`).
    schema : Schema
        Migrations and version storage.
    now : callable
        Returns the ``applied_at`` text of a ``schema_version`` row.

    Returns
    -------
    int or None
        The version after the call: ``schema.latest`` when it was older; the stored version
        unchanged when it is newer (the caller decides whether to refuse it); None when a
        ``schema_version`` table exists but is empty.

    Raises
    ------
    sqlite3.Error
        If a migration fails (the caller's transaction rolls back).
    """
    version = schema_version(con, schema)
    if version is None or version >= schema.latest:
        return version
    for target in range(version + 1, schema.latest + 1):
        step = schema.migrations[target]
        if isinstance(step, str):
            run_script(con, step)
        else:
            step(con)
        if schema.versioning == "user_version":
            con.execute(f"PRAGMA user_version={int(target)}")
        else:
            con.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (target, now())
            )
    return schema.latest
