"""The pipeline's registry moves: running, interrupted (found lazily), resumed; schema 4."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.errors import RegistryError
from sensequant.release.registry import Registry
from sensequant.release.registry_lifecycle import (
    pid_alive,
    record_interrupted,
    record_running,
    sweep_gone,
)
from sensequant.release.registry_records import REGISTRY_SCHEMA, STATES


def _running(reg: Registry, run_id: str = "r1") -> None:
    record_running(
        reg,
        run_id=run_id,
        created_at="2026-01-01T10:00:00+05:30",
        run_dir=f"/runs/{run_id}",
        config_name="default",
        universe="nifty50",
        interval="1day",
    )


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _set_pid(reg: Registry, run_id: str, pid: int, host: str | None = None) -> None:
    with sqlite3.connect(reg.path) as con:
        con.execute(
            "UPDATE runs SET pid = ?, host = ? WHERE run_id = ?",
            (pid, host or socket.gethostname(), run_id),
        )


def test_running_then_found_gone_then_resumed_then_registered(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "registry.sqlite")
    _running(reg)
    rec = reg.get("r1")
    assert (rec.state, rec.pid, rec.host) == ("running", os.getpid(), socket.gethostname())
    assert rec.producer
    assert sweep_gone(reg) == []  # this process is alive
    with pytest.raises(RegistryError, match="cannot be resumed"):
        _running(reg)  # still running here
    _set_pid(reg, "r1", _dead_pid())
    assert sweep_gone(reg) == ["r1"]
    assert reg.get("r1").state == "interrupted"
    assert "is gone" in (reg.events("r1")[-1].note or "")
    _running(reg)  # resume
    reg.register_run(
        run_id="r1",
        created_at="2026-01-01T10:00:00+05:30",
        run_dir="/runs/r1",
        config_name="default",
        universe="nifty50",
        start="2020-01-01",
        end="2021-01-01",
        gate_decision="gates-failed",
        headline={"sharpe": 0.5},
        interval="1day",
    )
    assert [e.to_state for e in reg.events("r1")] == [
        "running",
        "interrupted",
        "running",
        "candidate",
    ]
    assert reg.check_chain()[0] == []
    with pytest.raises(RegistryError, match="candidate: it cannot be resumed"):
        _running(reg)


def test_other_hosts_and_interrupts(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "registry.sqlite")
    _running(reg, "r1")
    _set_pid(reg, "r1", _dead_pid(), host="another-host")
    assert sweep_gone(reg) == []  # cannot be checked from here: left running
    _running(reg, "r2")
    record_interrupted(reg, "r2", "KeyboardInterrupt (SIGTERM)")
    record_interrupted(reg, "r2", "again")  # no longer running: nothing happens
    assert [e.note for e in reg.events("r2")][-1] == "KeyboardInterrupt (SIGTERM)"
    assert [r.run_id for r in reg.list_runs(["running"])] == ["r1"]
    assert [r.run_id for r in reg.list_runs(["interrupted"])] == ["r2"]
    assert reg.check_chain()[0] == []
    assert not pid_alive(_dead_pid()) and pid_alive(os.getpid())


def test_schema_3_registry_migrates_and_keeps_its_chain(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite"
    old_states = ", ".join(f"'{s}'" for s in STATES if s not in ("running", "interrupted"))
    ddl = str(REGISTRY_SCHEMA.migrations[1])
    ddl = ddl.replace(", ".join(f"'{s}'" for s in STATES), old_states)
    assert old_states in ddl
    with sqlite3.connect(path) as con:  # a registry as schema 3 wrote it
        con.executescript(ddl)
        con.execute("PRAGMA user_version=1")
    reg = Registry(path)  # migrates 2, 3 and 4
    reg.register_run(
        run_id="old",
        created_at="2025-01-01T10:00:00+05:30",
        run_dir="/runs/old",
        config_name="default",
        universe="nifty50",
        start=None,
        end=None,
        gate_decision="ready-for-review",
        headline={},
    )
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 4
        con.execute("UPDATE runs SET state = 'running' WHERE run_id = 'old'")  # CHECK allows it
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            con.execute("UPDATE runs SET state = 'nonsense' WHERE run_id = 'old'")
        con.rollback()
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    _running(Registry(path), "new")
    assert Registry(path).get("new").state == "running"
    assert Registry(path).check_chain()[0] == []


def test_runs_state_filter_marks_gone_runs_first(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "registry.sqlite")
    _running(reg, "r1")
    _running(reg, "r2")
    _set_pid(reg, "r2", _dead_pid())
    env = {"SENSEQUANT_HOME": str(tmp_path)}
    res = CliRunner().invoke(app, ["runs", "--state", "running", "--json"], env=env)
    assert res.exit_code == 0, res.output
    assert [r["run_id"] for r in json.loads(res.stdout)] == ["r1"]
    res = CliRunner().invoke(app, ["runs", "--state", "interrupted", "--json"], env=env)
    assert [r["run_id"] for r in json.loads(res.stdout)] == ["r2"]
    res = CliRunner().invoke(app, ["runs", "--state", "nope"], env=env)
    assert res.exit_code != 0 and "running, interrupted" in res.output
