"""Registry event hash chain: intact after every operation, back-filled by the schema migration,
and an edited, rewritten or deleted event (triggers dropped) is found and named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sensequant.release.registry import Registry
from sensequant.release.registry_chain import GENESIS, event_hash
from sensequant.release.registry_records import REGISTRY_SCHEMA
from sensequant.release.verify import verify_registry
from tests.release.fake_runs import as_user, clock, make_run


@pytest.fixture()
def reg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    registry = Registry(tmp_path / "registry.sqlite", clock=clock())
    for rid in ("r1", "r2"):
        make_run(registry, tmp_path / "runs", rid, producer="alice")
    registry.transition("r1", "approved", actor="bob", note="ok", display_name="Bob")
    registry.transition("r2", "rejected", actor="bob", note="no")
    return registry


def _tamper(reg: Registry, sql: str, params: tuple[object, ...] = ()) -> None:
    """Bypass the append-only triggers as an attacker with file access would."""
    con = sqlite3.connect(reg.path)
    try:
        con.execute("DROP TRIGGER IF EXISTS events_no_update")
        con.execute("DROP TRIGGER IF EXISTS events_no_delete")
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()


def test_chain_is_intact_and_links_every_event(reg: Registry) -> None:
    check = verify_registry(reg)
    assert check.ok and check.events == 4 and check.problems == ()
    events = reg.all_events()
    previous = GENESIS
    for e in events:
        assert e.hash == event_hash(previous, e.__dict__)
        previous = str(e.hash)
    assert check.head == previous


def test_edited_event_is_named(reg: Registry) -> None:
    _tamper(reg, "UPDATE events SET actor = 'mallory' WHERE event_id = 3")
    check = verify_registry(reg)
    assert not check.ok
    assert [p.event_id for p in check.problems] == [3]
    assert "event 3 (run r1) does not match its hash" in check.problems[0].problem


def test_rewritten_hash_breaks_the_next_link(reg: Registry) -> None:
    events = reg.all_events()
    forged = dict(events[2].__dict__, note="forged")
    new_hash = event_hash(str(events[1].hash), forged)
    _tamper(reg, "UPDATE events SET note = 'forged', hash = ? WHERE event_id = 3", (new_hash,))
    assert [p.event_id for p in verify_registry(reg).problems] == [4]


def test_deleted_events_are_named(reg: Registry) -> None:
    _tamper(reg, "DELETE FROM events WHERE event_id = 2")
    problems = verify_registry(reg).problems
    assert any("event(s) 2 before event 3 are missing" in p.problem for p in problems)
    _tamper(reg, "DELETE FROM events WHERE event_id = 4")  # the last one
    problems = verify_registry(reg).problems
    assert any("event(s) 4-4 after the last one are missing" in p.problem for p in problems)
    assert any("run r2 is in state rejected but its last event says" in p.problem for p in problems)


def test_state_edited_without_event(reg: Registry) -> None:
    con = sqlite3.connect(reg.path)
    con.execute("UPDATE runs SET state = 'deployed' WHERE run_id = 'r1'")
    con.commit()
    con.close()
    (problem,) = verify_registry(reg).problems
    assert problem.event_id is None and "run r1 is in state deployed" in problem.problem


def test_migration_back_fills_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "registry.sqlite"
    with sqlite3.connect(path) as con:  # a version-2 registry as the previous release wrote it
        con.executescript(str(REGISTRY_SCHEMA.migrations[1]))
        con.executescript(str(REGISTRY_SCHEMA.migrations[2]))
        con.execute(
            "INSERT INTO runs VALUES ('old', '2024-01-01', 'runs/old', 'default', 'nifty50', "
            "NULL, NULL, 'ready-for-review', 'approved', '{}', '2024-01-02')"
        )
        con.execute(
            "INSERT INTO events (run_id, at, actor, from_state, to_state, note) VALUES "
            "('old', '2024-01-01', 'sensequant', NULL, 'candidate', NULL), "
            "('old', '2024-01-02', '[/]', 'candidate', 'approved', '[bold]x')"
        )
        con.execute("PRAGMA user_version=2")
    as_user(monkeypatch, "bob")
    reg = Registry(path, clock=clock())
    events = reg.events("old")
    assert all(e.hash for e in events) and events[1].actor == "[/]"
    assert verify_registry(reg).ok
    assert reg.get("old").producer is None
    with sqlite3.connect(path) as con, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE events SET note = 'x'")  # the trigger is back after the back-fill
    make_run(reg, tmp_path / "runs", "new", producer="alice")
    assert verify_registry(reg).ok and verify_registry(reg).events == 3
