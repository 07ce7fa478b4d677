"""Catalog connection, write transaction and schema migration (:class:`CatalogBase`).

Built on :mod:`sensequant.dbutil`: short-lived connections in WAL mode with foreign keys on
and ``synchronous = NORMAL``; every open runs ``PRAGMA quick_check`` (a damaged file is
refused with :class:`~sensequant.errors.CatalogCorruptError` pointing at ``sensequant data
repair``, never a traceback later); every write runs in one ``BEGIN IMMEDIATE`` transaction that is
rolled back on any error; the schema is versioned in the ``schema_version`` table and migrated
in place, inside one transaction (:data:`~sensequant.data.catalog.schema.CATALOG_SCHEMA`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sensequant import dbutil
from sensequant.data.catalog.rows import now_text
from sensequant.data.catalog.schema import CATALOG_SCHEMA, SCHEMA_VERSION
from sensequant.errors import CatalogCorruptError, StoreError

__all__ = ["REPAIR_HINT", "CatalogBase", "filters"]

REPAIR_HINT = (
    "run `sensequant data repair`: it moves the damaged file aside, keeps what can still be "
    "read of it and rebuilds the catalog from the bar store"
)


class CatalogBase:
    """Opens (creating or migrating) the catalog database at ``path``; base of the mixins.

    Parameters
    ----------
    path : pathlib.Path
        Database file; its folder is created if needed.

    Raises
    ------
    CatalogCorruptError
        If the file fails ``PRAGMA quick_check`` or is not an SQLite database.
    StoreError
        If the file is not a SenseQuant catalog or was written by a newer version.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            self._quick_check(con)
            dbutil.enable_wal(con)
        with self._transaction() as con:
            version = dbutil.migrate(con, CATALOG_SCHEMA, now_text)
        if version is None or version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has catalog schema version {version}; this SenseQuant knows "
                f"version {SCHEMA_VERSION}",
                hint="upgrade SenseQuant or use another SENSEQUANT_HOME",
            )

    def __repr__(self) -> str:
        return f"Catalog({str(self.path)!r})"

    def _quick_check(self, con: sqlite3.Connection) -> None:
        try:
            rows = [str(r[0]) for r in con.execute("PRAGMA quick_check(5)").fetchall()]
        except sqlite3.DatabaseError as exc:
            rows = [str(exc)]
        if rows != ["ok"]:
            raise CatalogCorruptError(
                f"the catalog {self.path} is damaged (quick_check: {'; '.join(rows)})",
                hint=REPAIR_HINT,
            )

    def _error(self, stage: str, exc: sqlite3.Error) -> StoreError:
        if stage == "open":
            return StoreError(f"cannot open the catalog {self.path}: {exc}")
        if stage == "setup":
            return CatalogCorruptError(
                f"the catalog {self.path} is not a usable SQLite database ({exc})",
                hint=REPAIR_HINT + ", or point SENSEQUANT_HOME elsewhere",
            )
        if stage == "begin":
            return StoreError(
                f"cannot write the catalog {self.path}: {exc}",
                hint="another process may hold it; try again",
            )
        return StoreError(f"catalog write to {self.path} failed and was rolled back: {exc}")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # synchronous = NORMAL is safe with WAL; fsync at checkpoints
        with dbutil.connect(
            self.path, timeout=30.0, synchronous="NORMAL", on_error=self._error
        ) as con:
            yield con

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        with self._connect() as con, dbutil.immediate(con, on_error=self._error):
            yield con

    def _frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self._connect() as con:
            cur = con.execute(sql, params)
            cols = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=cols)


def filters(*pairs: tuple[str, str | None]) -> tuple[str, list[str]]:
    """``WHERE`` clause and parameters of the ``(column, value)`` pairs whose value is set."""
    used = [(col, val) for col, val in pairs if val is not None]
    if not used:
        return "", []
    return "WHERE " + " AND ".join(f"{c} = ?" for c, _ in used), [v for _, v in used]
