"""Robust homes and dates (issue 10): a home that is a file, a home that cannot be written and
dates pandas cannot hold give a clear message and exit code (2 usage, 1 failure), never a
traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sensequant.cli import app
from sensequant.cli.common import guard, parse_date
from sensequant.errors import UsageError
from tests.cli.test_main import _env, _write_yahoo

runner = CliRunner()


def _clean_failure(res: object, code: int) -> str:
    out = str(getattr(res, "output", ""))
    assert getattr(res, "exit_code", None) == code, out
    assert "Traceback" not in out and isinstance(getattr(res, "exception", None), SystemExit)
    return out


def test_home_pointing_at_a_file_is_a_usage_error(tmp_path: Path) -> None:
    home = tmp_path / "home.csv"
    home.write_text("not a folder\n", encoding="utf-8")
    csv = _write_yahoo(tmp_path / "ABC.csv", n=30)
    for args in (["data", "import", str(csv)], ["data", "list"]):
        out = _clean_failure(runner.invoke(app, args, env=_env(home)), 2)
        assert f"SENSEQUANT_HOME {home} is a file, not a folder" in out


def test_home_below_a_file_fails_cleanly(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    csv = _write_yahoo(tmp_path / "ABC.csv", n=30)
    res = runner.invoke(app, ["data", "import", str(csv)], env=_env(blocker / "home"))
    out = _clean_failure(res, 1)
    assert "cannot use" in out and str(blocker) in out
    assert "SENSEQUANT_HOME must be a writable folder" in out


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_home_fails_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "ro"
    home.mkdir()
    home.chmod(0o555)
    try:
        csv = _write_yahoo(tmp_path / "ABC.csv", n=30)
        out = _clean_failure(runner.invoke(app, ["data", "import", str(csv)], env=_env(home)), 1)
        assert "Permission denied" in out and "writable folder" in out
    finally:
        home.chmod(0o755)


def test_permission_error_becomes_a_message_and_exit_1() -> None:
    @guard
    def command() -> None:
        raise PermissionError(13, "Permission denied", "/ro/home/store")

    with pytest.raises(typer.Exit) as info:
        command()
    assert info.value.exit_code == 1


@pytest.mark.parametrize("value", ["1500-01-01", "2300-01-01"])
def test_dates_outside_pandas_range_are_usage_errors(tmp_path: Path, value: str) -> None:
    with pytest.raises(UsageError, match=r"outside the supported dates 1677-09-22\.\.2262-04-11"):
        parse_date(value, "--start")
    res = runner.invoke(app, ["run", "--start", value], env=_env(tmp_path / "h"))
    assert f"--start '{value}' is outside the supported dates" in _clean_failure(res, 2)


def test_import_messages_are_printed_literally(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "INFY.csv"
    bad.parent.mkdir()
    bad.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,100,98,99,99,1,1\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["data", "import", str(bad.parent)], env=_env(tmp_path / "h"))
    assert res.exit_code == 1
    assert "open/close outside [low, high]) at line 2" in res.output  # not eaten as markup
