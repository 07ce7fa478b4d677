"""``sensequant run``: --json, --fail-on-gates, --resume (the pipeline itself is stubbed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import sensequant.pipeline as pipeline_face
from sensequant.cli.main import app
from sensequant.pipeline.phase_results import RunResult


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    decision = {"value": "gates-failed"}

    def fake_run(config: Any, settings: Any, reporter: Any, **kwargs: Any) -> RunResult:
        seen.append({"config": config, "reporter": type(reporter).__name__, **kwargs})
        reporter.start("teachers", total=2)
        reporter.advance(2)
        reporter.done("2 windows")
        return RunResult(
            "20260101-000000-abc",
            tmp_path / "runs" / "20260101-000000-abc",
            decision["value"],
            {"sharpe": 0.69, "decision": decision["value"]},
            {},
        )

    monkeypatch.setattr(pipeline_face, "run_pipeline", fake_run)
    seen.append({"decision": decision})
    return seen


def test_json_headline_on_stdout_and_plain_progress_on_stderr(
    calls: list[dict[str, Any]], tmp_path: Path
) -> None:
    res = CliRunner().invoke(app, ["run", "--json"], env={"SENSEQUANT_HOME": str(tmp_path)})
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["run_id"] == "20260101-000000-abc"
    assert payload["decision"] == "gates-failed" and payload["headline"]["sharpe"] == 0.69
    assert calls[-1]["reporter"] == "PlainReporter"  # the test's stdout is no terminal
    assert "teachers: 100% (2/2), eta 0s" in res.stderr


def test_fail_on_gates_exits_1_only_when_the_gates_failed(
    calls: list[dict[str, Any]], tmp_path: Path
) -> None:
    env = {"SENSEQUANT_HOME": str(tmp_path)}
    assert CliRunner().invoke(app, ["run", "--fail-on-gates"], env=env).exit_code == 1
    assert CliRunner().invoke(app, ["run"], env=env).exit_code == 0
    calls[0]["decision"]["value"] = "ready-for-review"
    assert CliRunner().invoke(app, ["run", "--fail-on-gates"], env=env).exit_code == 0


def test_resume_takes_no_configuration_and_needs_a_known_run(
    calls: list[dict[str, Any]], tmp_path: Path
) -> None:
    env = {"SENSEQUANT_HOME": str(tmp_path)}
    res = CliRunner().invoke(app, ["run", "--resume", "2026", "--universe", "INFY"], env=env)
    assert res.exit_code == 2 and "own configuration" in res.output
    res = CliRunner().invoke(app, ["run", "--resume", "nosuchrun"], env=env)
    assert res.exit_code == 2 and "unknown run" in res.output
