"""``data fetch`` command: dry run, summary, exit codes, clear errors, no secret in output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import sensequant.data.fetch.service as fetch_service
from sensequant.cli.fetch import fetch
from sensequant.data.catalog import Catalog
from sensequant.data.providers import make_provider
from sensequant.data.store import BarStore
from sensequant.errors import ProviderUnavailableError, SessionExpiredError, UsageError
from sensequant.testing.fake_provider import FakeProvider, cached_synthetic_bars

runner = CliRunner()
app = typer.Typer()
app.command("fetch")(fetch)


@app.callback()
def _main() -> None:
    """Stand-in for the ``data`` group the lead registers ``fetch`` on."""


SECRET = "planted-secret-7f3a9c"
WINDOW = ["--start", "2024-01-01", "--end", "2024-06-28"]


def _env(home: Path) -> dict[str, str]:
    return {
        "SENSEQUANT_HOME": str(home),
        "SENSEQUANT_BREEZE_API_SECRET": SECRET,
        "SENSEQUANT_FETCH_BACKOFF_MAX_S": "0",
        "COLUMNS": "200",
    }


def _use(monkeypatch: pytest.MonkeyPatch, provider: Any) -> list[Any]:
    made: list[Any] = []

    def factory(name: str, settings: Any, source: Any = None, **_: Any) -> Any:
        made.append(provider)
        return provider

    monkeypatch.setattr(fetch_service, "make_provider", factory)
    return made


def _invoke(home: Path, *args: str) -> Any:
    return runner.invoke(app, ["fetch", "--provider", "breeze", *args], env=_env(home))


def test_dry_run_prints_the_plan_and_calls_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = FakeProvider()
    _use(monkeypatch, provider)
    res = _invoke(
        tmp_path, "--symbols", "RELIANCE,TCS", "--interval", "5minute", *WINDOW, "--dry-run"
    )
    assert res.exit_code == 0, res.output
    assert "chunks to fetch" in res.output and "RELIANCE" in res.output
    assert provider.calls == [] and provider.closed
    res = _invoke(
        tmp_path, "--symbols", "RELIANCE", "--symbols", "TCS", "--interval", "5minute", *WINDOW,
        "--dry-run", "--json",
    )  # fmt: skip
    plan = json.loads(res.stdout)
    assert [s["symbol"] for s in plan["symbols"]] == ["RELIANCE", "TCS"]
    assert plan["chunks"] == plan["expected_calls"] == 20  # 123 sessions: 10 chunks each
    assert provider.calls == []


def test_fetch_summary_then_noop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, FakeProvider(unknown={"IDEA"}))
    res = _invoke(tmp_path, "--universe", "metals", "--symbols", "IDEA", *WINDOW)
    assert res.exit_code == 0, res.output
    assert "requests" in res.output and "fetched" in res.output
    assert "IDEA" in res.output and "1 symbols unavailable" in res.output
    store = BarStore(tmp_path / "store")
    assert store.symbols("1day") == ["GOLDBEES", "SILVERBEES"]
    again = FakeProvider()
    _use(monkeypatch, again)
    res = _invoke(tmp_path, "--universe", "metals", *WINDOW, "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["requests"] == 0 and report["chunks_cached"] == 2
    assert again.calls == []


def test_failed_chunk_exits_nonzero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sensequant.errors import TransientProviderError

    def flaky(code: str, interval: str, s: pd.Timestamp, e: pd.Timestamp) -> pd.DataFrame:
        if s.month == 3:
            raise TransientProviderError("HTTP 502", provider="fake")
        return cached_synthetic_bars(code, interval, s, e)

    _use(monkeypatch, FakeProvider(bars_fn=flaky))
    env = {**_env(tmp_path), "SENSEQUANT_FETCH_MAX_ATTEMPTS": "2"}
    res = runner.invoke(
        app,
        ["fetch", "--provider", "breeze", "--symbols", "SBIN", "--interval", "5minute", *WINDOW],
        env=env,
    )
    assert res.exit_code == 1, res.output
    assert "1 failed" in res.output and "HTTP 502" in res.output
    assert "Traceback" not in res.output


def test_daily_limit_stop_says_how_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, FakeProvider(daily_after=2))
    res = _invoke(tmp_path, "--symbols", "SBIN", "--interval", "5minute", *WINDOW)
    assert res.exit_code == 1
    assert "stopped:" in res.output and "re-running the same command resumes" in res.output
    assert "2 chunks" in res.output


def test_ctrl_c_exits_130_after_saving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, FakeProvider(interrupt_at=3))
    res = _invoke(tmp_path, "--symbols", "SBIN", "--interval", "5minute", *WINDOW)
    assert res.exit_code == 130
    assert "re-run the same command to resume" in res.output
    log = Catalog(tmp_path / "catalog.sqlite").ingest_log("fake", "SBIN", "5minute")
    assert list(log["status"]) == ["ok"] * 3  # the three complete chunks were saved
    assert len(BarStore(tmp_path / "store").read("SBIN", "5minute")) == log["rows"].sum()


class _Leaky(FakeProvider):
    def fetch_bars(self, symbol: str, interval: str, start: Any, end: Any) -> pd.DataFrame:
        raise SessionExpiredError(
            f"Resource not available for key {SECRET}",
            hint=f"set SENSEQUANT_BREEZE_SESSION_TOKEN (not {SECRET})",
            provider="breeze",
        )


def test_provider_errors_never_print_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, _Leaky())
    res = _invoke(tmp_path, "--symbols", "SBIN", *WINDOW)
    assert res.exit_code == 1
    assert SECRET not in res.output and "***" in res.output
    assert "Traceback" not in res.output


class _Buggy(FakeProvider):
    def check_symbol(self, symbol: str) -> None:
        raise RuntimeError(f"unexpected {SECRET}")


def test_unexpected_errors_print_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, _Buggy())
    res = _invoke(tmp_path, "--symbols", "SBIN", *WINDOW)
    assert res.exit_code == 1
    assert "RuntimeError" in res.output and "Traceback" not in res.output
    assert SECRET not in res.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--start", "2024-13-01"], "is not a date"),
        ([], "nothing to fetch"),
        (["--symbols", "../etc"], "invalid symbol"),
        (["--symbols", "SBIN", "--interval", "2minute", *WINDOW], "is not a bar interval"),
    ],
    ids=["bad-date", "no-symbols", "bad-symbol", "bad-interval"],
)
def test_usage_errors_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], needle: str
) -> None:
    _use(monkeypatch, FakeProvider())
    res = _invoke(tmp_path, *args)
    assert res.exit_code == 2, res.output
    assert needle in res.output and "Traceback" not in res.output


def test_make_provider_names_and_lazy_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="unknown provider 'nope'"):
        make_provider("nope", None)
    for name in ("sensequant.data.providers.breeze", "sensequant.data.providers.breeze.provider"):
        monkeypatch.setitem(sys.modules, name, None)  # not importable
    with pytest.raises(ProviderUnavailableError, match="breeze provider cannot be loaded"):
        make_provider("breeze", None)


def test_importing_the_providers_package_loads_no_sdk() -> None:
    code = (
        "import sys, sensequant.data.providers, sensequant.data.fetch, sensequant.cli; "
        "bad = [m for m in ('breeze_connect', 'yfinance', 'sensequant.data.providers.breeze', "
        "'sensequant.data.providers.yahoo') if m in sys.modules]; print(bad)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_unknown_provider_from_the_command_line(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["fetch", "--provider", "nope", "--symbols", "SBIN", *WINDOW], env=_env(tmp_path)
    )
    assert res.exit_code == 2 and "unknown provider" in res.output


def test_renamed_symbols_are_fetched_under_their_current_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Catalog(tmp_path / "catalog.sqlite").upsert_aliases({"UTIBANK": "AXISBANK"})
    _use(monkeypatch, FakeProvider())
    res = _invoke(tmp_path, "--symbols", "utibank", *WINDOW, "--dry-run", "--json")
    assert res.exit_code == 0, res.output
    assert [s["symbol"] for s in json.loads(res.stdout)["symbols"]] == ["AXISBANK"]


def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import sensequant.data.providers.yahoo.provider as yahoo

    monkeypatch.setattr(yahoo, "yahoo_reachable", lambda *a, **k: False)

    def boom(name: str, settings: Any, source: Any = None, **_: Any) -> Any:
        raise AssertionError("offline: no provider should be built")

    monkeypatch.setattr(fetch_service, "make_provider", boom)


def test_yahoo_offline_says_so_and_points_to_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _offline(monkeypatch)
    args = ["fetch", "--provider", "yahoo", "--symbols", "RELIANCE", "--offline-ok", *WINDOW]
    result = runner.invoke(app, args, env=_env(tmp_path))
    assert result.exit_code == 1
    assert "offline: cannot reach Yahoo Finance" in result.output
    assert "DATA=" in result.output and "sensequant data import" in result.output


def test_yahoo_offline_ok_with_stored_bars_warns_and_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _offline(monkeypatch)
    BarStore(tmp_path / "store").write(
        "RELIANCE", "1day", cached_synthetic_bars("RELIND", "1day", "2024-01-01", "2024-02-01")
    )
    args = ["fetch", "--provider", "yahoo", "--symbols", "RELIANCE", *WINDOW]
    assert runner.invoke(app, args, env=_env(tmp_path)).exit_code == 1  # without the flag
    result = runner.invoke(app, [*args, "--offline-ok"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "already in the store" in result.output
