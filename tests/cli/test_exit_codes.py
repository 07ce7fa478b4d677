"""One exit-code convention across commands: 2 = bad usage, 1 = the command ran and failed.

Usage: an unknown command, option, run id, universe, interval, provider or shipped config; a
missing input file; a malformed value; a home that does not exist for a command that only
reads. Failure: nothing to work on (an empty store), a file that cannot be imported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sensequant.cli import app
from tests.cli.test_main import _env

runner = CliRunner()
MISSING = "{tmp}/missing.yaml"

USAGE: list[tuple[str, list[str]]] = [
    ("unknown command", ["nope"]),
    ("unknown sub-command", ["data", "nope"]),
    ("unknown option", ["run", "--bogus"]),
    ("missing argument", ["show"]),
    ("missing required option", ["sweep"]),
    ("run: missing config", ["run", "--config", MISSING]),
    ("run: unknown universe", ["run", "--universe", "nifty5"]),
    ("run: bad date", ["run", "--start", "2020-13-01"]),
    ("sweep: missing grid", ["sweep", "--grid", MISSING]),
    ("show: unknown run", ["show", "nope"]),
    ("stress: unknown run", ["stress", "nope"]),
    ("approve: unknown run", ["approve", "nope"]),
    ("reject: unknown run", ["reject", "nope", "--note", "why"]),
    ("deploy: unknown run", ["deploy", "nope"]),
    ("retire: unknown run", ["retire", "nope"]),
    ("verify: unknown run", ["verify", "nope"]),
    ("verify: nothing asked", ["verify"]),
    ("rollback: nothing deployed", ["rollback", "--universe", "nifty50"]),
    ("candidates: unknown option", ["candidates", "--bogus"]),
    ("import: missing file", ["data", "import", "{tmp}/missing.csv"]),
    ("import: bad interval", ["data", "import", "{tmp}", "--interval", "7min"]),
    ("import: bad symbol", ["data", "import", "{tmp}", "--symbol", "../x"]),
    ("audit: bad interval", ["data", "audit", "--interval", "7min"]),
    ("list: bad interval", ["data", "list", "--interval", "7min"]),
    ("list: unknown universe", ["data", "list", "--universe", "nifty5"]),
    ("fetch: unknown provider", ["data", "fetch", "--provider", "nope", "--symbols", "ABC"]),
    ("fetch: bad interval", ["data", "fetch", "--provider", "yahoo", "--interval", "7min"]),
    ("actions: bad target", ["data", "actions", "--confirm", "bad"]),
    ("breaks: bad target", ["data", "breaks", "--confirm", "bad"]),
    ("lookahead: bad cuts", ["lookahead", "--cuts", "0"]),
    ("config show: missing file", ["config", "show", "--config", MISSING]),
    ("config init: unknown --from", ["config", "init", "{tmp}/x.yaml", "--from", "nope"]),
    ("dashboard: public address", ["dashboard", "--address", "0.0.0.0"]),
]

FAILED: list[tuple[str, list[str]]] = [
    ("run: empty store", ["run"]),
    ("audit: empty store", ["data", "audit"]),
    ("import: a bad file", ["data", "import", "{tmp}/BAD.csv"]),
]


def _invoke(tmp_path: Path, args: list[str]) -> tuple[int, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (tmp_path / "BAD.csv").write_text("Date,Open,High,Close\n2024-01-02,1,2,1\n", encoding="utf-8")
    res = runner.invoke(app, [a.format(tmp=tmp_path) for a in args], env=_env(home))
    assert "Traceback" not in res.output
    assert isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.output


@pytest.mark.parametrize("args", [a for _, a in USAGE], ids=[n for n, _ in USAGE])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    code, output = _invoke(tmp_path, args)
    assert code == 2, output


@pytest.mark.parametrize("args", [a for _, a in FAILED], ids=[n for n, _ in FAILED])
def test_failures_exit_1(tmp_path: Path, args: list[str]) -> None:
    code, output = _invoke(tmp_path, args)
    assert code == 1, output
    assert "error" in output or "✗" in output


def test_unknown_run_is_usage_for_every_command_taking_one(tmp_path: Path) -> None:
    """Historically `stress nope` exited 2 and `show nope` 1: now every one says the same."""
    outputs = [_invoke(tmp_path, [cmd, "nope"]) for cmd in ("show", "stress", "verify")]
    assert {code for code, _ in outputs} == {2}
    assert all("unknown run 'nope'" in text for _, text in outputs)
