"""Run registry: lifecycle, override rule, notes, illegal moves, append-only events."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sensequant.errors import RegistryError
from sensequant.fsutil import REDACTED
from sensequant.release.registry import Registry
from sensequant.types import IST

T0 = dt.datetime(2024, 6, 7, 10, 15, tzinfo=ZoneInfo(IST))


def _clock() -> Callable[[], dt.datetime]:
    ticks = itertools.count()
    return lambda: T0 + dt.timedelta(minutes=next(ticks))


@pytest.fixture()
def reg(tmp_path: Path) -> Registry:
    return Registry(tmp_path / "home" / "registry.sqlite", clock=_clock())


def _register(
    reg: Registry, run_id: str, *, decision: str = "ready-for-review", created: str = "1"
) -> None:
    reg.register_run(
        run_id=run_id,
        created_at=f"2024-06-0{created}T09:00:00+05:30",
        run_dir=Path("runs") / run_id,
        config_name="default",
        universe="nifty50",
        start="2021-09-01",
        end="2024-09-06",
        gate_decision=decision,
        headline={"sharpe": 0.84, "mean_ic": 0.031, "dsr": math.nan, "decision": decision},
    )


def test_full_lifecycle(reg: Registry) -> None:
    _register(reg, "r1")
    rec = reg.get("r1")
    assert (rec.state, rec.gate_decision, rec.run_dir) == (
        "candidate",
        "ready-for-review",
        "runs/r1",
    )
    assert rec.headline == {
        "sharpe": 0.84,
        "mean_ic": 0.031,
        "dsr": None,
        "decision": "ready-for-review",
    }
    assert reg.transition("r1", "approved", actor="alice", note=None).state == "approved"
    assert reg.transition("r1", "deployed", actor="bob", note="go live").state == "deployed"
    assert reg.transition("r1", "retired", actor="bob", note=None).state == "retired"

    events = reg.events("r1")
    assert [(e.from_state, e.to_state, e.actor) for e in events] == [
        (None, "candidate", "sensequant"),
        ("candidate", "approved", "alice"),
        ("approved", "deployed", "bob"),
        ("deployed", "retired", "bob"),
    ]
    assert events[0].at == "2024-06-07T10:15:00+05:30"
    assert all(e.at.endswith("+05:30") and not e.override for e in events)
    assert events[2].note == "go live"
    assert reg.get("r1").updated_at == events[-1].at

    with pytest.raises(RegistryError, match="none \\(terminal state\\)"):
        reg.transition("r1", "deployed", actor="bob", note=None)


def test_gates_failed_needs_override_and_note(reg: Registry) -> None:
    _register(reg, "bad", decision="gates-failed")
    with pytest.raises(RegistryError) as err:
        reg.transition("bad", "approved", actor="alice", note="looks fine")
    assert "--override --note" in str(err.value)
    with pytest.raises(RegistryError, match="override"):
        reg.transition("bad", "approved", actor="alice", note=None, override=True)
    with pytest.raises(RegistryError, match="override"):
        reg.transition("bad", "approved", actor="alice", note="   ", override=True)
    assert reg.get("bad").state == "candidate"
    assert len(reg.events("bad")) == 1  # refused moves leave no trace

    rec = reg.transition(
        "bad", "approved", actor="alice", note="DSR gate too strict here", override=True
    )
    assert rec.state == "approved"
    last = reg.events("bad")[-1]
    assert (last.override, last.note, last.actor) == (True, "DSR gate too strict here", "alice")


def test_override_flag_only_recorded_when_used(reg: Registry) -> None:
    _register(reg, "ok")
    reg.transition("ok", "approved", actor="alice", note="n", override=True)
    assert reg.events("ok")[-1].override is False


def test_reject_needs_a_note(reg: Registry) -> None:
    _register(reg, "r1")
    _register(reg, "r2")
    with pytest.raises(RegistryError, match="needs a note"):
        reg.transition("r1", "rejected", actor="alice", note=None)
    with pytest.raises(RegistryError, match="needs a note"):
        reg.transition("r1", "rejected", actor="alice", note="  ")
    assert reg.transition("r1", "rejected", actor="alice", note="leaky").state == "rejected"
    reg.transition("r2", "approved", actor="alice", note=None)
    assert reg.transition("r2", "rejected", actor="carol", note="2nd look").state == "rejected"


@pytest.mark.parametrize(
    ("path", "to_state", "allowed"),
    [
        ([], "deployed", "approved, rejected"),
        ([], "retired", "approved, rejected"),
        ([], "candidate", "approved, rejected"),
        (["approved"], "approved", "deployed, rejected"),
        (["approved", "deployed"], "rejected", "retired"),
    ],
)
def test_illegal_transitions(reg: Registry, path: list[str], to_state: str, allowed: str) -> None:
    _register(reg, "r1")
    for state in path:
        reg.transition("r1", state, actor="alice", note="n")
    before = reg.get("r1")
    with pytest.raises(RegistryError) as err:
        reg.transition("r1", to_state, actor="alice", note="n")
    message = str(err.value)
    assert f"from {before.state} to {to_state}" in message and allowed in message
    assert reg.get("r1") == before
    assert len(reg.events("r1")) == 1 + len(path)


def test_bad_arguments(reg: Registry) -> None:
    _register(reg, "r1")
    with pytest.raises(RegistryError, match="unknown run"):
        reg.transition("nope", "approved", actor="alice", note=None)
    with pytest.raises(RegistryError, match="unknown run"):
        reg.get("nope")
    with pytest.raises(RegistryError, match="unknown run"):
        reg.events("nope")
    with pytest.raises(RegistryError, match="no actor"):
        reg.transition("r1", "approved", actor="  ", note=None)
    with pytest.raises(RegistryError, match="unknown state"):
        reg.transition("r1", "shipped", actor="alice", note=None)
    with pytest.raises(RegistryError, match="already registered"):
        _register(reg, "r1")
    with pytest.raises(RegistryError, match="unknown gate decision"):
        _register(reg, "r2", decision="maybe")
    with pytest.raises(RegistryError, match="unknown state"):
        reg.list_runs(["candidate", "limbo"])


def test_events_are_append_only(reg: Registry) -> None:
    _register(reg, "r1")
    reg.transition("r1", "approved", actor="alice", note=None)
    conn = sqlite3.connect(reg.path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE events SET actor = 'mallory'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM events WHERE run_id = 'r1'")
        conn.rollback()
    finally:
        conn.close()
    assert [e.actor for e in reg.events("r1")] == ["sensequant", "alice"]


def test_failed_run_is_terminal_and_can_be_re_registered(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENSEQUANT_BREEZE_API_SECRET", "very-secret-value-42")
    reg.record_failed_run(
        run_id="f1",
        created_at="2024-06-01T09:00:00+05:30",
        run_dir="runs/f1",
        config_name="default",
        universe="nifty50",
        error="PipelineError: login very-secret-value-42 refused",
    )
    rec = reg.get("f1")
    assert (rec.state, rec.gate_decision) == ("failed", None)
    (event,) = reg.events("f1")
    assert event.to_state == "failed" and event.note == f"PipelineError: login {REDACTED} refused"
    with pytest.raises(RegistryError, match="from failed to approved"):
        reg.transition("f1", "approved", actor="alice", note=None)

    _register(reg, "f1")  # a resumed run finished
    assert reg.get("f1").state == "candidate"
    assert [(e.from_state, e.to_state) for e in reg.events("f1")] == [
        (None, "failed"),
        ("failed", "candidate"),
    ]


def test_list_runs_and_persistence(reg: Registry) -> None:
    _register(reg, "a", created="1")
    _register(reg, "b", created="2")
    _register(reg, "c", created="3")
    reg.transition("b", "rejected", actor="alice", note="no edge")
    assert [r.run_id for r in reg.list_runs()] == ["c", "b", "a"]
    assert [r.run_id for r in reg.list_runs(["candidate"])] == ["c", "a"]
    assert reg.list_runs([]) == []
    reopened = Registry(reg.path)
    assert reopened.get("b").state == "rejected"
    with sqlite3.connect(reg.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_concurrent_readers_while_writing(reg: Registry) -> None:
    for i in range(6):
        _register(reg, f"r{i}")
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        own = Registry(reg.path)
        try:
            while not stop.is_set():
                runs = own.list_runs()
                assert len(runs) == 6
                for run in runs:
                    events = own.events(run.run_id)
                    assert events[-1].to_state in ("candidate", "approved", "deployed")
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            reg.transition(f"r{i}", "approved", actor="alice", note=None)
            reg.transition(f"r{i}", "deployed", actor="alice", note=None)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors
    assert {r.state for r in reg.list_runs()} == {"deployed"}


def test_concurrent_writers_never_double_move(reg: Registry) -> None:
    _register(reg, "r1")
    outcomes: list[Any] = []

    def approve(actor: str) -> None:
        try:
            outcomes.append(Registry(reg.path).transition("r1", "approved", actor=actor, note=None))
        except RegistryError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=approve, args=(f"user{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sum(not isinstance(o, RegistryError) for o in outcomes) == 1
    assert [e.to_state for e in reg.events("r1")] == ["candidate", "approved"]


def test_previous_version_registry_opens_unchanged(tmp_path: Path) -> None:
    from sensequant.release.registry_records import REGISTRY_SCHEMA

    path = tmp_path / "registry.sqlite"
    with sqlite3.connect(path) as con:  # as the previous release wrote it
        con.executescript(str(REGISTRY_SCHEMA.migrations[1]))
        con.execute("PRAGMA user_version=1")
    old = Registry(path, clock=_clock())
    _register(old, "r1")
    reopened = Registry(path, clock=_clock())
    assert reopened.get("r1").state == "candidate"
    assert [e.to_state for e in reopened.events("r1")] == ["candidate"]
    with sqlite3.connect(path) as con:
        # migrated in place (2 added the trial ledger, 3 the chain, 4 running/interrupted)
        assert con.execute("PRAGMA user_version").fetchone()[0] == REGISTRY_SCHEMA.latest == 4
        assert con.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == 0
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM events")
