"""SQLite foundation: statement splitting, transactions, schema versions and migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sensequant import dbutil

_TRIGGERED = """
CREATE TABLE t (x INTEGER);
CREATE TRIGGER t_no_delete BEFORE DELETE ON t
BEGIN SELECT RAISE(ABORT, 'no; delete'); END;
"""


def _now() -> str:
    return "2024-01-01T00:00:00+05:30"


def test_run_script_keeps_trigger_bodies_whole(tmp_path: Path) -> None:
    with dbutil.connect(tmp_path / "a.sqlite", timeout=1.0) as con:
        dbutil.run_script(con, _TRIGGERED)
        con.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.DatabaseError, match="no; delete"):
            con.execute("DELETE FROM t")


def test_connect_sets_foreign_keys_and_options(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    with dbutil.connect(path, timeout=1.0, synchronous="NORMAL", row_factory=True) as con:
        dbutil.enable_wal(con)
        assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert isinstance(con.execute("SELECT 1 AS one").fetchone(), sqlite3.Row)


def test_connect_maps_setup_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"not a database" * 100)
    with (
        pytest.raises(ValueError, match="setup"),
        dbutil.connect(
            path, timeout=1.0, synchronous="NORMAL", on_error=lambda s, e: ValueError(s)
        ),
    ):
        pass


def test_immediate_rolls_back_and_maps_write_errors(tmp_path: Path) -> None:
    with dbutil.connect(tmp_path / "a.sqlite", timeout=1.0) as con:
        con.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        with pytest.raises(KeyError), dbutil.immediate(con):
            con.execute("INSERT INTO t VALUES (1)")
            raise KeyError("boom")
        assert con.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
        with (
            pytest.raises(ValueError, match="write") as info,
            dbutil.immediate(con, on_error=lambda s, e: ValueError(s)),
        ):
            con.execute("INSERT INTO t VALUES (2)")
            con.execute("INSERT INTO t VALUES (2)")
        assert isinstance(info.value.__cause__, sqlite3.IntegrityError)
        assert con.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0


@pytest.mark.parametrize("versioning", ["table", "user_version"])
def test_migrate_applies_ordered_steps_once(tmp_path: Path, versioning: str) -> None:
    base = "CREATE TABLE a (x INTEGER);"
    if versioning == "table":
        base += "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL);"
    v1 = dbutil.Schema(latest=1, migrations={1: base}, versioning=versioning)  # type: ignore[arg-type]
    v2 = dbutil.Schema(
        latest=2,
        migrations={1: base, 2: "CREATE TABLE b (y INTEGER);"},
        versioning=versioning,  # type: ignore[arg-type]
    )
    path = tmp_path / "m.sqlite"
    with dbutil.connect(path, timeout=1.0) as con:
        assert dbutil.schema_version(con, v1) == 0
        with dbutil.immediate(con):
            assert dbutil.migrate(con, v1, _now) == 1
        con.execute("INSERT INTO a VALUES (7)")
        with dbutil.immediate(con):
            assert dbutil.migrate(con, v2, _now) == 2
        with dbutil.immediate(con):
            assert dbutil.migrate(con, v2, _now) == 2  # nothing left to do
        assert dbutil.migrate(con, v1, _now) == 2  # newer: reported, left alone
        assert con.execute("SELECT x FROM a").fetchall() == [(7,)]
        con.execute("SELECT y FROM b")
        if versioning == "table":
            rows = con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
            assert rows == [(1,), (2,)]
        else:
            assert con.execute("PRAGMA user_version").fetchone()[0] == 2


def test_empty_version_table_reads_as_none(tmp_path: Path) -> None:
    schema = dbutil.Schema(latest=1, migrations={1: ""}, versioning="table")
    with dbutil.connect(tmp_path / "e.sqlite", timeout=1.0) as con:
        con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TEXT)")
        assert dbutil.migrate(con, schema, _now) is None
