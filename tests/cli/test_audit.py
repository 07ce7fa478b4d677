"""``sensequant data audit``: table, files, --json, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sensequant.cli.audit import audit
from sensequant.data.store import BarStore
from sensequant.testing.synthetic import synthetic_bars

runner = CliRunner()
app = typer.Typer()
app.command()(audit)  # the real CLI registers it as `data audit`


def _env(home: Path) -> dict[str, str]:
    return {"SENSEQUANT_HOME": str(home), "COLUMNS": "200"}


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    store = BarStore(tmp_path / "store")
    for sym in ("AAA", "BBB"):
        store.write(sym, "1day", synthetic_bars(sym, "1day", "2024-01-01", "2024-03-31"))
    return tmp_path


def test_table_and_files(home: Path) -> None:
    res = runner.invoke(app, [], env=_env(home))
    assert res.exit_code == 0, res.output
    assert "AAA" in res.output and "BBB" in res.output and "ok" in res.output
    assert "2 symbols: 2 ok" in res.output
    out = home / "reports" / "audit"
    assert (out / "coverage_report.jsonl").is_file() and (out / "coverage_summary.json").is_file()
    assert str(out / "coverage_report.jsonl") in res.output.replace("\n", "")


def test_json_universe_and_out(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    res = runner.invoke(app, ["--universe", "AAA,ZZZ", "--json", "--out", str(out)], env=_env(home))
    assert res.exit_code == 0, res.output  # a report: a missing symbol is shown, not a failure
    payload = json.loads(res.stdout)  # stdout holds only the JSON; messages go to stderr
    assert [s["symbol"] for s in payload["symbols"]] == ["AAA", "ZZZ"]
    assert [s["status"] for s in payload["symbols"]] == ["ok", "error"]
    assert payload["summary"]["symbols_in_error"] == ["ZZZ"]
    assert (out / "coverage_summary.json").is_file()


def test_empty_store_fails_with_a_hint(tmp_path: Path) -> None:
    res = runner.invoke(app, [], env=_env(tmp_path))
    assert res.exit_code == 1
    assert "holds no 1day bars" in res.output and "data import" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--universe", "nifty51"], "unknown universe"), (["--interval", "2minute"], "interval")],
)
def test_bad_usage_exits_2(home: Path, args: list[str], message: str) -> None:
    res = runner.invoke(app, args, env=_env(home))
    assert res.exit_code == 2
    assert message in res.output
