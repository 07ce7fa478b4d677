"""The root command: ``--version``, shell completion, suggestions for mistyped names."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import sensequant
from sensequant.cli import app
from sensequant.cli.main import version
from tests.cli.test_main import _env

runner = CliRunner()


def test_version_prints_the_package_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.stdout == f"sensequant {version()}\n"
    assert version() == sensequant.__version__  # pyproject and the package agree


def test_shell_completion_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    res = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert "--install-completion" in res.output and "--show-completion" in res.output
    # name the shell rather than detect it from the process tree (none under CI runners)
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    shown = runner.invoke(app, ["--show-completion", "bash"], prog_name="sensequant")
    assert shown.exit_code == 0, (shown.output, shown.exception)
    assert "_SENSEQUANT_COMPLETE=complete_bash" in shown.stdout
    assert "complete -o default -F _sensequant_completion sensequant" in shown.stdout


@pytest.mark.parametrize(("words", "expected"), [("con", "config"), ("data au", "audit")])
def test_completion_completes_commands(words: str, expected: str) -> None:
    env = {
        "_SENSEQUANT_COMPLETE": "complete_bash",
        "COMP_WORDS": f"sensequant {words}",
        "COMP_CWORD": str(len(words.split())),
    }
    res = runner.invoke(app, [], prog_name="sensequant", env=env)
    assert res.exit_code == 0 and res.stdout.split() == [expected]


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [(["rnu"], "'run'"), (["data", "lst"], "'list'"), (["confg"], "'config'")],
)
def test_unknown_command_suggests_the_closest(args: list[str], suggestion: str) -> None:
    res = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert res.exit_code == 2
    assert f"Did you mean {suggestion}?" in res.output


def test_unknown_universe_suggests_the_closest(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    res = runner.invoke(app, ["data", "list", "--universe", "nifty5"], env=_env(home))
    assert res.exit_code == 2
    assert "unknown universe 'nifty5' (did you mean 'nifty50'?)" in res.output
    res = runner.invoke(app, ["data", "list", "--universe", "zzzzzz"], env=_env(home))
    assert res.exit_code == 2 and "did you mean" not in res.output
    assert "known: all, metals, nifty100, nifty50" in res.output


def test_interval_aliases_reach_the_data_commands(tmp_path: Path) -> None:
    from tests.cli.test_main import _write_yahoo

    home = tmp_path / "home"
    csv = _write_yahoo(tmp_path / "ABC.csv", n=60)
    res = runner.invoke(app, ["data", "import", str(csv), "--interval", "1d"], env=_env(home))
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["data", "list", "--interval", "1D", "--json"], env=_env(home))
    assert res.exit_code == 0 and '"interval": "1day"' in res.output
    res = runner.invoke(app, ["data", "audit", "--interval", "daily", "--json"], env=_env(home))
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["data", "list", "--interval", "5min", "--json"], env=_env(home))
    assert res.exit_code == 0 and res.output.strip() == "[]"  # 5minute: nothing stored
