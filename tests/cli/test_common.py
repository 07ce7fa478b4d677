"""Read-only commands never create a home: with none, they say which path they checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sensequant.cli import app
from tests.cli.test_main import _write_yahoo

runner = CliRunner()

READ_ONLY = [
    ["data", "list"],
    ["data", "audit"],
    ["data", "actions"],
    ["data", "breaks"],
    ["data", "repair"],
    ["runs"],
    ["candidates"],
    ["show", "abc"],
    ["stress", "abc"],
    ["verify", "--registry"],
    ["approve", "abc"],
    ["lookahead"],
]


@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a) for a in READ_ONLY])
def test_no_home_is_said_and_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, args, env={"SENSEQUANT_HOME": None, "COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert f"no SENSEQUANT home at {tmp_path / 'sensequant_home'}" in res.output
    assert "SENSEQUANT_HOME is not set" in res.output
    assert list(tmp_path.iterdir()) == []  # nothing created where it ran


def test_a_set_home_that_does_not_exist_is_named(tmp_path: Path) -> None:
    home = tmp_path / "typo"
    res = runner.invoke(app, ["candidates"], env={"SENSEQUANT_HOME": str(home)})
    assert res.exit_code == 2 and f"no SENSEQUANT home at {home}" in res.output
    assert "SENSEQUANT_HOME names no folder" in res.output and not home.exists()


def test_writing_commands_still_create_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    csv = _write_yahoo(tmp_path / "ABC.csv", n=30)
    env = {"SENSEQUANT_HOME": None, "COLUMNS": "200"}
    assert runner.invoke(app, ["data", "import", str(csv)], env=env).exit_code == 0
    assert (tmp_path / "sensequant_home" / "store").is_dir()
    res = runner.invoke(app, ["data", "list", "--json"], env=env)
    assert res.exit_code == 0 and '"symbol": "ABC"' in res.output
