"""``sensequant data fetch --provider breeze`` end to end: CLI -> engine -> provider -> REAL SDK ->
the local Breeze stand-in (issue 3's fault-injection acceptance at test size).

The CLI runs in-process (``typer.testing.CliRunner`` on :data:`sensequant.cli.main.app`); the SDK is
imported once per process by the provider (against whichever stand-in is up first) and
re-pointed at each test's stand-in when a session is made. Every stand-in is checked for
``forbidden_calls == []`` when its test ends. The benchmark ``benchmarks/bench_fetch.py`` runs
the same chain at the issue's size (10 symbols x 3 years) in subprocesses.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore
from tests.standin.server import BreezeStandIn, FaultPlan

pytest.importorskip("socketio", reason="breeze-connect's dependencies are not installed")
if importlib.util.find_spec("breeze_connect") is None:
    pytest.skip("breeze-connect is not installed", allow_module_level=True)

runner = CliRunner()
SYMBOLS = ["RELIANCE", "TCS", "INFY"]
WINDOW = ["--start", "2024-05-01", "--end", "2024-06-28"]  # 41 sessions: 4 chunks a symbol
CHUNKS = 12
FAULTS = FaultPlan(
    transient_rate=0.2,
    kinds=("http_500_html", "invalid_user", "t2_155", "reset", "slow"),
    slow_s=0.05,
    seed=3,
)

StandInFactory = Callable[..., BreezeStandIn]


@pytest.fixture(autouse=True)
def _clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No SENSEQUANT_* variable or ``.env`` of the developer's shell reaches Settings."""
    for key in list(os.environ):
        if key.startswith("SENSEQUANT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture()
def standins() -> Iterator[StandInFactory]:
    """Start stand-ins on demand; each must end with no forbidden call."""
    started: list[BreezeStandIn] = []

    def start(**kw: Any) -> BreezeStandIn:
        s = BreezeStandIn(**kw).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
        assert s.forbidden_calls == []


def env_for(s: BreezeStandIn, home: Path, **extra: str) -> dict[str, str]:
    """Environment of a fetch against stand-in ``s`` into ``home``."""
    return {
        "SENSEQUANT_HOME": str(home),
        "SENSEQUANT_BREEZE_API_KEY": s.api_key,
        "SENSEQUANT_BREEZE_API_SECRET": s.api_secret,
        "SENSEQUANT_BREEZE_SESSION_TOKEN": s.session_token,
        "SENSEQUANT_BREEZE_API_URL": s.api_url,
        "SENSEQUANT_BREEZE_HIST_URL": s.hist_url,
        "SENSEQUANT_BREEZE_SECURITY_MASTER_URL": s.security_master_url,
        "SENSEQUANT_FETCH_MAX_ATTEMPTS": "12",
        "SENSEQUANT_FETCH_BACKOFF_MAX_S": "0",
        "SENSEQUANT_FETCH_DEADLINE_S": "10",
        "COLUMNS": "200",
        **extra,
    }


def fetch(s: BreezeStandIn, home: Path, symbols: list[str], **extra: str) -> Any:
    """``sensequant data fetch --provider breeze ... --json`` in-process."""
    args = ["data", "fetch", "--provider", "breeze", "--symbols", ",".join(symbols)]
    args += ["--interval", "5minute", *WINDOW, "--json"]
    return runner.invoke(app, args, env=env_for(s, home, **extra))


def historical(s: BreezeStandIn) -> int:
    """Historical requests the stand-in received (faulted ones included)."""
    return s.calls["historical_v1"] + s.calls["historical_v2"]


def faults_served(s: BreezeStandIn) -> int:
    return sum(n for k, n in s.calls.items() if k.startswith("fault:"))


def fingerprints(home: Path, symbols: list[str]) -> dict[str, str]:
    store = BarStore(home / "store")
    return {sym: store.fingerprint(sym, "5minute").sha256 for sym in symbols}


def report(result: Any) -> dict[str, Any]:
    assert "Traceback" not in result.output
    return dict(json.loads(result.stdout))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Fingerprints of a fault-free fetch of :data:`SYMBOLS` (its own stand-in and home)."""
    home = tmp_path_factory.mktemp("reference") / "home"
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("SENSEQUANT_")]:
            mp.delenv(key)
        mp.chdir(home.parent)
        with BreezeStandIn() as s:
            res = fetch(s, home, SYMBOLS)
            assert res.exit_code == 0, res.output
            assert historical(s) == CHUNKS and faults_served(s) == 0
            assert s.forbidden_calls == []
    return fingerprints(home, SYMBOLS)


def test_faults_give_the_fault_free_store_and_a_second_fetch_is_a_noop(
    standins: StandInFactory, reference: dict[str, str], tmp_path: Path
) -> None:
    s = standins(faults=FAULTS)
    res = fetch(s, tmp_path / "home", SYMBOLS)
    assert res.exit_code == 0, res.output
    rep = report(res)
    assert faults_served(s) >= 2, "the fault plan must actually fault"
    assert rep["retries"] >= 1 and rep["n_failed"] == 0
    assert fingerprints(tmp_path / "home", SYMBOLS) == reference
    before = historical(s)
    again = fetch(s, tmp_path / "home", SYMBOLS)
    assert again.exit_code == 0, again.output
    assert historical(s) == before  # zero requests at the stand-in
    assert report(again)["requests"] == 0 and report(again)["chunks_cached"] == CHUNKS
    assert fingerprints(tmp_path / "home", SYMBOLS) == reference


def test_unavailable_code_is_recorded_and_does_not_fail_the_run(
    standins: StandInFactory, tmp_path: Path
) -> None:
    s = standins()
    res = fetch(s, tmp_path / "home", ["RELIANCE", "ADANIGREEN"])
    assert res.exit_code == 0, res.output
    rep = report(res)
    assert "ADANIGREEN" in rep["unavailable"] and "RELIANCE" not in rep["unavailable"]
    info = Catalog(tmp_path / "home" / "catalog.sqlite").get_symbol("ADANIGREEN")
    assert info is not None and info.data_unavailable_reason
    assert "breeze" in info.data_unavailable_reason
    store = BarStore(tmp_path / "home" / "store")
    assert store.symbols("5minute") == ["RELIANCE"]


def test_day_limit_stops_with_resume_message_then_a_rerun_completes(
    standins: StandInFactory, reference: dict[str, str], tmp_path: Path
) -> None:
    s = standins(faults=FaultPlan(day_limit_after=5))
    res = fetch(s, tmp_path / "home", SYMBOLS)
    assert res.exit_code == 1, res.output
    assert "stopped:" in res.stderr and "daily" in res.stderr
    assert "re-running the same command resumes" in res.stderr
    assert s.calls["fault:day_limit"] == 1  # stopped at once, no retry of a daily limit
    s.faults = FaultPlan()  # midnight IST: a fresh budget
    before = historical(s)
    again = fetch(s, tmp_path / "home", SYMBOLS)
    assert again.exit_code == 0, again.output
    assert historical(s) - before == CHUNKS - 5  # resumed: the 5 saved chunks are not asked
    assert fingerprints(tmp_path / "home", SYMBOLS) == reference


def test_expired_session_exits_1_with_the_token_hint(
    standins: StandInFactory, tmp_path: Path
) -> None:
    s = standins(faults=FaultPlan(session_expired=True))
    res = fetch(s, tmp_path / "home", SYMBOLS)
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert "SENSEQUANT_BREEZE_SESSION_TOKEN" in res.stderr
    assert "midnight IST" in res.stderr
    assert historical(s) == 0  # nothing is fetched without a session
    assert not BarStore(tmp_path / "home" / "store").symbols("5minute")
