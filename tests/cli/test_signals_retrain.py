"""``sensequant signals`` and ``retrain``: usage errors and an empty home (no real data needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SENSEQUANT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.mark.parametrize("args", [[], ["--run", "x", "--deployed"]])
def test_signals_needs_exactly_one_run_choice(args: list[str]) -> None:
    res = runner.invoke(app, ["signals", *args])
    assert res.exit_code == 2 and "exactly one of --run RUN_ID and --deployed" in res.output


def test_signals_json_and_out_exclusive(tmp_path: Path) -> None:
    res = runner.invoke(app, ["signals", "--deployed", "--json", "--out", str(tmp_path / "s.csv")])
    assert res.exit_code == 2 and "at most one of --json and --out" in res.output


def test_nothing_deployed_is_refused() -> None:
    res = runner.invoke(app, ["signals", "--deployed"])
    assert res.exit_code == 1 and "no deployed run" in res.output
    res = runner.invoke(app, ["retrain"])
    assert res.exit_code == 1 and "no deployed run" in res.output


def test_retrain_unknown_provider_and_run() -> None:
    res = runner.invoke(app, ["retrain", "--provider", "ftp"])
    assert res.exit_code == 2 and "files, yahoo, breeze or none" in res.output
    res = runner.invoke(app, ["retrain", "--from", "nope"])
    assert res.exit_code == 2 and "unknown run 'nope'" in res.output
