"""Review CLI: literal user text, exit codes, --json, verify, deploy/rollback, stress by run id."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.release.registry import Registry
from tests.release.fake_runs import as_user, clock, make_run

runner = CliRunner()
NASTY = ["[/]", "[bold]x", "\x1b[31mred"]


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SENSEQUANT_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    reg = Registry(tmp_path / "registry.sqlite", clock=clock())
    for rid in ("20240601-a1", "20240601-b1", "20240602-c1"):
        make_run(reg, tmp_path / "runs", rid, producer="alice")
    as_user(monkeypatch, "bob")
    return tmp_path


def _reg(home: Path) -> Registry:
    return Registry(home / "registry.sqlite")


def _json(args: list[str]) -> Any:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize("name", NASTY)
def test_markup_names_are_refused_before_anything_is_stored(home: Path, name: str) -> None:
    res = runner.invoke(app, ["approve", "20240601-a1", "--by", name])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "\x1b[31m" not in res.output  # the refused name is shown escaped
    assert _reg(home).get("20240601-a1").state == "candidate"


def test_markup_notes_are_stored_and_shown_literally(home: Path) -> None:
    note = " ".join(NASTY)
    res = runner.invoke(app, ["approve", "20240601-a", "--by", "Bob B", "--note", note])
    assert res.exit_code == 0, res.output
    assert "20240601-a1: approved by bob (Bob B)" in res.output
    assert _reg(home).events("20240601-a1")[-1].note == note  # stored as given
    shown = runner.invoke(app, ["show", "20240601-a1"])
    assert shown.exit_code == 0, shown.output
    assert "[/] [bold]x \\x1b[31mred" in shown.output and "\x1b" not in shown.output
    payload = _json(["show", "20240601-a1", "--json"])
    assert payload["events"][-1]["note"] == note


def test_show_survives_pre_existing_bad_rows(home: Path) -> None:
    reg = _reg(home)
    for actor, rid in (("[/]", "20240601-a1"), ("\x1b[31mred", "20240601-b1")):
        reg.transition(rid, "rejected", actor=actor, note="[bold]x")  # written by an old release
        res = runner.invoke(app, ["show", rid])
        assert res.exit_code == 0, res.output
        assert "[bold]x" in res.output and "\x1b" not in res.output
    assert "[/]" in runner.invoke(app, ["show", "20240601-a1"]).output
    assert "\\x1b[31mred" in runner.invoke(app, ["show", "20240601-b1"]).output
    res = runner.invoke(app, ["approve", "[/]"])  # unknown run named with markup
    assert res.exit_code == 2 and "unknown run '[/]'" in res.output


def test_four_eyes_exit_code_and_json(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    as_user(monkeypatch, "alice")
    res = runner.invoke(app, ["approve", "20240601-a1"])
    assert res.exit_code == 1 and "four-eyes" in res.output
    as_user(monkeypatch, "bob")
    out = _json(["approve", "20240601-a1", "--json"])
    assert (
        out["state"] == "approved" and out["actor"] == "bob" and len(out["manifest_sha256"]) == 64
    )
    out = _json(["reject", "20240601-b1", "--note", "weak", "--json"])
    assert (out["state"], out["display_name"]) == ("rejected", None)
    res = runner.invoke(app, ["approve", "20240601-"])  # ambiguous prefix
    assert res.exit_code == 2 and "20240601-a1, 20240601-b1" in res.output


def test_runs_lists_by_state(home: Path) -> None:
    runner.invoke(app, ["approve", "20240601-a1"])
    listed = _json(["runs", "--state", "candidate", "--json"])
    assert sorted(r["run_id"] for r in listed) == ["20240601-b1", "20240602-c1"]
    assert listed[0]["producer"] == "alice"
    res = runner.invoke(app, ["runs"])
    assert res.exit_code == 0 and "20240601-a1" in res.output and "approved" in res.output
    assert runner.invoke(app, ["runs", "--state", "limbo"]).exit_code == 1


def test_verify_run_and_registry(home: Path) -> None:
    assert _json(["verify", "20240601-a1", "--json"])["ok"] is True
    assert runner.invoke(app, ["verify"]).exit_code == 2
    (home / "runs" / "20240601-a1" / "models" / "student.txt").write_text("other model")
    res = runner.invoke(app, ["verify", "20240601-a1"])
    assert res.exit_code == 1 and "models/student.txt" in res.output
    assert runner.invoke(app, ["approve", "20240601-a1"]).exit_code == 1

    assert _json(["verify", "--registry", "--json"])["registry"]["events"] == 3
    con = sqlite3.connect(home / "registry.sqlite")
    con.execute("DROP TRIGGER events_no_update")
    con.execute("UPDATE events SET note = 'sneaky' WHERE event_id = 2")
    con.commit()
    con.close()
    res = runner.invoke(app, ["verify", "--registry", "--json"])
    assert res.exit_code == 1
    problems = json.loads(res.stdout)["registry"]["problems"]
    assert [p["event_id"] for p in problems] == [2]
    res = runner.invoke(app, ["verify", "--registry"])
    assert res.exit_code == 1 and "event 2" in res.output


def test_deploy_retire_rollback(home: Path) -> None:
    for rid in ("20240601-a1", "20240601-b1"):
        runner.invoke(app, ["approve", rid])
    assert _json(["deploy", "20240601-a", "--json"])["retired"] == []
    out = _json(["deploy", "20240601-b", "--json"])
    assert out["state"] == "deployed" and out["retired"] == ["20240601-a1"]
    res = runner.invoke(app, ["deploy", "20240602-c1"])  # a candidate
    assert res.exit_code == 1 and "only an approved run" in res.output
    out = _json(["rollback", "--json"])
    assert (out["run_id"], out["retired"]) == ("20240601-a1", ["20240601-b1"])
    assert _json(["retire", "20240601-a1", "--json"])["state"] == "retired"
    assert runner.invoke(app, ["rollback", "--universe", "nifty100"]).exit_code == 2


def test_stress_takes_run_ids_and_writes_beside_the_run(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "not-a-run"
    elsewhere.mkdir()
    res = runner.invoke(app, ["stress", str(elsewhere)])
    assert res.exit_code == 2 and "unknown run" in res.output
    assert list(elsewhere.iterdir()) == []

    seen: dict[str, Any] = {}

    class _Report:
        benchmark = "NIFTY 50 (price index)"

        def to_dict(self) -> dict[str, Any]:
            return {"periods": [], "intraday_scenarios": []}

    def fake_run_stress(run_dir: Path, store: Any, **kw: Any) -> _Report:
        seen.update(run_dir=run_dir, **kw)
        kw["out_dir"].mkdir(parents=True)
        (kw["out_dir"] / "stress.json").write_text("{}")
        return _Report()

    monkeypatch.setattr("sensequant.pipeline.run_stress", fake_run_stress)
    periods = tmp_path / "periods.yaml"
    periods.write_text("[]")
    res = runner.invoke(app, ["stress", "20240602", "--periods", str(periods)])
    assert res.exit_code == 0, res.output
    run_dir = home / "runs" / "20240602-c1"
    assert seen["run_dir"] == run_dir and seen["periods_path"] == periods
    out_dir = seen["out_dir"]
    assert out_dir.parent == run_dir / "analyses" and out_dir.name.endswith("-stress")
    again = runner.invoke(app, ["stress", "20240602-c1"])
    assert again.exit_code == 0 and seen["out_dir"] != out_dir  # a new folder each time
    assert _json(["verify", "20240602-c1", "--json"])["ok"] is True  # run files untouched


def test_show_lists_failed_gates_exposure_override_and_report(home: Path) -> None:
    reg = _reg(home)
    run_dir = make_run(reg, home / "runs", "20240603-f1", decision="gates-failed")
    briefing = {
        "gates": [
            {"name": "dsr", "passed": False, "explanation": "Deflated Sharpe ratio 0.42 < 0.95"},
            {"name": "oos_days", "passed": True, "explanation": "OOS sessions 800 >= 250"},
        ],
        "performance": [{"name": "student", "exposure": 0.183, "time_in_market": 0.78}],
    }
    (run_dir / "promotion_briefing.json").write_text(json.dumps(briefing))
    (run_dir / "report.html").write_text("<html></html>")
    res = runner.invoke(app, ["show", "20240603-f1"])
    assert res.exit_code == 0, res.output
    assert "gates: 1 of 2 failed" in res.output
    assert "FAIL dsr: Deflated Sharpe ratio 0.42 < 0.95" in res.output
    assert "oos_days" not in res.output.split("FAIL dsr")[1].split("\n")[1]
    assert "exposure: 18.3 % invested on average, in the market on 78.0 % of sessions" in (
        res.output
    )
    assert f"report: {run_dir / 'report.html'}" in res.output
    assert "override: no" in res.output
    reg.transition("20240603-f1", "approved", actor="bob", note="[bold]known risk", override=True)
    shown = runner.invoke(app, ["show", "20240603-f1"]).output
    assert "override: yes, bob approved despite failed gates" in shown
    assert "[bold]known risk" in shown


def test_show_names_missing_briefing_and_report(home: Path) -> None:
    res = runner.invoke(app, ["show", "20240601-b1"])
    assert res.exit_code == 0, res.output
    assert "promotion_briefing.json not readable" in res.output
    assert "report.html (missing)" in res.output
