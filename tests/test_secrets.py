"""A planted Breeze secret never appears in output, logs, telemetry, manifests, files or errors.

Distinctive values are planted as the API key, API secret and session token (the stand-in
accepts exactly those), then ``sensequant data fetch --provider breeze`` runs through the REAL
SDK on the happy path, under transient faults, a per-minute limit, failing chunks, a WRONG key
and an expired session, and ``sensequant run`` runs on a small real-data subset with the
secrets in the environment. Every captured text (stdout, stderr, Python log records, the SDK's
own loggers, exception messages and tracebacks) and every file under the test's folder (each
SENSEQUANT_HOME: catalog, store, cache, run directories, reports; the SDK's log folder) is
searched for each secret in plain, URL-quoted and base64 form (every byte alignment). The
search is itself tested: it must find a planted value, or the test could not fail.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import importlib.util
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import sensequant.data.fetch.service as fetch_service
from sensequant.cli.main import app
from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.errors import SessionExpiredError
from sensequant.settings import Settings
from sensequant.types import IST
from tests.standin.server import BreezeStandIn, FaultPlan

runner = CliRunner()

API_KEY = "SQplantedKEY-6c1e0f93b2d4"
API_SECRET = "SQplantedSECRET-9d27a4e5f1c8"
SESSION_TOKEN = "SQplantedTOKEN-4b7e19c2a5"
WRONG_KEY = "SQplantedWRONGKEY-3f8a1b77c0"
SECRETS = {
    "api key": API_KEY,
    "api secret": API_SECRET,
    "session token": SESSION_TOKEN,
    "wrong key": WRONG_KEY,
}
WINDOW = ["--start", "2024-05-01", "--end", "2024-06-28"]
SDK_LOGGERS = ("APILogger", "WebsocketLogger")

needs_sdk = pytest.mark.skipif(
    importlib.util.find_spec("breeze_connect") is None
    or importlib.util.find_spec("socketio") is None,
    reason="breeze-connect (and its dependencies) is not installed",
)


# ----------------------------------------------------------------------------- the search
def secret_forms(secret: str) -> set[bytes]:
    """Byte strings whose presence reveals ``secret``.

    The secret itself, URL-quoted, and base64 (standard and URL-safe) at each of the three
    byte alignments it can have inside a longer encoded value (e.g. ``base64(user:secret)``):
    for a prefix of ``k`` bytes, the characters from ``ceil(8k/6)`` to ``floor(8(k+n)/6)``
    depend on the secret's ``n`` bytes only.
    """
    raw = secret.encode()
    forms = {raw, quote(secret, safe="").encode()}
    for k in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            full = encode(b"\0" * k + raw)
            forms.add(full[-(-8 * k // 6) : (8 * (k + len(raw))) // 6])
    return forms


def leaks_in_text(text: str, where: str) -> list[str]:
    """``"<secret name> in <where>"`` for every secret found in ``text``."""
    data = text.encode("utf-8", "surrogateescape")
    return [
        f"{name} in {where}"
        for name, value in SECRETS.items()
        if any(form in data for form in secret_forms(value))
    ]


def leaks_in_files(root: Path) -> list[str]:
    """Secrets found in any file under ``root`` (read as bytes; binaries included)."""
    found: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for name, value in SECRETS.items():
            if any(form in data for form in secret_forms(value)):
                found.append(f"{name} in {path}")
    return found


def sdk_log_folder() -> Path | None:
    """Where the SDK (if imported in this process) created its ``logs/`` folder."""
    module = sys.modules.get("breeze_connect.breeze_connect")
    handler = getattr(module, "api_handler", None)
    filename = getattr(handler, "baseFilename", None)
    return Path(filename).parent if filename else None


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def record_text(record: logging.LogRecord) -> str:
    text = f"{record.name} {record.getMessage()}"
    if record.exc_info:
        text += "".join(traceback.format_exception(*record.exc_info))
    return text + (record.exc_text or "") + (record.stack_info or "")


@pytest.fixture()
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[logging.LogRecord]]]:
    """Every log record so far: the root tree at DEBUG (caplog) plus the SDK's own,
    non-propagating loggers at the level the project leaves them on."""
    caplog.set_level(logging.DEBUG)
    sdk = _Records()
    for name in SDK_LOGGERS:
        logging.getLogger(name).addHandler(sdk)
    try:
        yield lambda: [*caplog.records, *sdk.records]
    finally:
        for name in SDK_LOGGERS:
            logging.getLogger(name).removeHandler(sdk)


@pytest.fixture(autouse=True)
def _clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("SENSEQUANT_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_the_search_finds_planted_values(tmp_path: Path) -> None:
    """The checks below can fail: planted values are found in every form searched."""
    for i, (name, value) in enumerate(SECRETS.items()):
        folder = tmp_path / f"plant{i}"
        folder.mkdir()
        (folder / "plain.log").write_text(f"error: key={value}\n")
        assert leaks_in_files(folder) == [f"{name} in {folder / 'plain.log'}"]
        (folder / "plain.log").unlink()
        for prefix in (b"", b"u", b"us", b"user:"):
            (folder / "b64.json").write_bytes(base64.b64encode(prefix + value.encode()))
            assert leaks_in_files(folder) == [f"{name} in {folder / 'b64.json'}"], prefix
        (folder / "b64.json").write_bytes(base64.urlsafe_b64encode(b"xy" + value.encode()))
        assert leaks_in_files(folder), "URL-safe base64"
        assert leaks_in_text(f"GET /x?k={quote(value, safe='')}", "url") == [f"{name} in url"]
    assert leaks_in_text("nothing to see: ***", "clean text") == []


# ----------------------------------------------------------------------------- fetch
def _env(s: BreezeStandIn, home: Path, **extra: str) -> dict[str, str]:
    return {
        "SENSEQUANT_HOME": str(home),
        "SENSEQUANT_BREEZE_API_KEY": API_KEY,
        "SENSEQUANT_BREEZE_API_SECRET": API_SECRET,
        "SENSEQUANT_BREEZE_SESSION_TOKEN": SESSION_TOKEN,
        "SENSEQUANT_BREEZE_API_URL": s.api_url,
        "SENSEQUANT_BREEZE_HIST_URL": s.hist_url,
        "SENSEQUANT_BREEZE_SECURITY_MASTER_URL": s.security_master_url,
        "SENSEQUANT_FETCH_BACKOFF_MAX_S": "0",
        "SENSEQUANT_FETCH_DEADLINE_S": "10",
        "COLUMNS": "200",
        **extra,
    }


def _fetch(s: BreezeStandIn, home: Path, *flags: str, **extra: str) -> Any:
    args = ["data", "fetch", "--provider", "breeze", "--symbols", "RELIANCE,TCS"]
    return runner.invoke(
        app, [*args, "--interval", "5minute", *WINDOW, *flags], env=_env(s, home, **extra)
    )


def _standin(**faults: Any) -> BreezeStandIn:
    return BreezeStandIn(
        api_key=API_KEY,
        api_secret=API_SECRET,
        session_token=SESSION_TOKEN,
        faults=FaultPlan(**faults),
    )


@needs_sdk
def test_fetch_never_reveals_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured: Callable[[], list[logging.LogRecord]]
) -> None:
    sleeps: list[float] = []
    patched = functools.partial(fetch_service.fetch_bars_to_store, sleep=sleeps.append)
    monkeypatch.setattr(fetch_service, "fetch_bars_to_store", patched)  # no real minute waits
    outputs: list[tuple[str, Any]] = []
    kinds = ("http_500_html", "invalid_user", "t2_155", "reset")

    with _standin(transient_rate=0.3, kinds=kinds, seed=5) as s:
        s.inject("minute_limit")
        res = _fetch(s, tmp_path / "ok", "--json", SENSEQUANT_FETCH_MAX_ATTEMPTS="12")
        outputs.append(("faults", res))
        assert res.exit_code == 0, res.output
        assert s.calls["fault:minute_limit"] == 1 and s.calls["fault:http_500_html"] >= 1
        assert any(w > 1 for w in sleeps), "the minute limit was waited for (in fake time)"
        assert s.forbidden_calls == []

    with _standin(transient_rate=1.0, kinds=kinds, seed=6) as s:  # chunks fail after retries
        res = _fetch(s, tmp_path / "failing", "--json", SENSEQUANT_FETCH_MAX_ATTEMPTS="2")
        outputs.append(("failing chunks", res))
        assert res.exit_code == 1 and "failed" in res.stderr, res.output
        log = Catalog(tmp_path / "failing" / "catalog.sqlite").ingest_log(
            "breeze", "RELIANCE", "5minute"
        )
        assert (log["status"] == "failed").any()  # error texts were stored in the catalog
        assert s.forbidden_calls == []

    with _standin() as s:  # the right key is configured at the stand-in, a wrong one sent
        res = _fetch(s, tmp_path / "wrong", SENSEQUANT_BREEZE_API_KEY=WRONG_KEY)
        outputs.append(("wrong key", res))
        assert res.exit_code == 1 and "SENSEQUANT_BREEZE_API_KEY" in res.stderr, res.output
        assert s.forbidden_calls == []

    with _standin(session_expired=True) as s:
        res = _fetch(s, tmp_path / "expired", "--json")
        outputs.append(("expired session", res))
        assert res.exit_code == 1 and "SENSEQUANT_BREEZE_SESSION_TOKEN" in res.stderr
        assert s.forbidden_calls == []

    leaks = [
        leak
        for label, res in outputs
        for leak in leaks_in_text(res.stdout, f"stdout ({label})")
        + leaks_in_text(res.stderr, f"stderr ({label})")
        + leaks_in_text(repr(res.exception), f"exception ({label})")
    ]
    leaks += [leak for r in captured() for leak in leaks_in_text(record_text(r), "a log record")]
    leaks += leaks_in_files(tmp_path)
    folder = sdk_log_folder()
    assert folder is not None, "the SDK was imported by the fetches above"
    leaks += leaks_in_files(folder)
    assert leaks == []


@needs_sdk
def test_provider_exceptions_never_reveal_a_secret(tmp_path: Path) -> None:
    """The exception objects themselves: message, hint, repr and the whole chained traceback."""
    from sensequant.data.providers.breeze import BreezeProvider

    with _standin() as s:
        settings = Settings(
            _env_file=None,
            home=tmp_path / "home",
            breeze_api_key=WRONG_KEY,
            breeze_api_secret=API_SECRET,
            breeze_session_token=SESSION_TOKEN,
            breeze_api_url=s.api_url,
            breeze_hist_url=s.hist_url,
            breeze_security_master_url=s.security_master_url,
            fetch_deadline_s=10.0,
        )
        provider = BreezeProvider(settings)
        day = pd.Timestamp("2024-06-03", tz=IST)
        with pytest.raises(SessionExpiredError) as info:
            provider.fetch_bars("RELIANCE", "5minute", day, day + pd.Timedelta(hours=23))
        provider.close()
        assert s.forbidden_calls == []
    exc = info.value
    text = "".join(traceback.format_exception(exc)) + repr(exc) + str(exc) + repr(settings)
    assert "SENSEQUANT_BREEZE_API_KEY" in str(exc)
    assert leaks_in_text(text, "the exception") == []


# ----------------------------------------------------------------------------- run
SUBSET = ["HDFCBANK", "INFY", "ITC", "RELIANCE", "SBIN", "TCS"]
RUN_CONFIG = {
    "name": "secrets",
    "n_jobs": 2,
    "student": {"min_train_days": 365, "num_boost_round": 30},
    "teacher": {"num_boost_round": 20},
    "stats": {"bootstrap_reps": 200, "spa_reps": 100},
}


@pytest.mark.realdata
def test_run_never_reveals_a_secret(
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    captured: Callable[[], list[logging.LogRecord]],
) -> None:
    home = tmp_path / "home"
    for name, value in (
        ("SENSEQUANT_HOME", str(home)),
        ("SENSEQUANT_BREEZE_API_KEY", API_KEY),
        ("SENSEQUANT_BREEZE_API_SECRET", API_SECRET),
        ("SENSEQUANT_BREEZE_SESSION_TOKEN", SESSION_TOKEN),
    ):
        monkeypatch.setenv(name, value)
    settings = Settings()
    files = [shared_data / "nse_daily_yf" / f"{s}.csv" for s in SUBSET]
    store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
    sources = [*files, shared_data / "nifty50_index"]  # 1996 rows with inconsistent OHLC:
    assert import_paths(sources, store, catalog, repair_ohlc=True).n_failed == 0
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(RUN_CONFIG))
    window = ["--start", str(dt.date(2018, 1, 1)), "--end", str(dt.date(2021, 12, 31))]
    res = runner.invoke(
        app, ["run", "--config", str(config), "--universe", ",".join(SUBSET), *window]
    )
    assert res.exit_code == 0, res.output
    run_dirs = list(settings.runs_dir.iterdir())
    assert len(run_dirs) == 1 and (run_dirs[0] / "manifest.yaml").is_file()
    assert (run_dirs[0] / "telemetry.jsonl").is_file()
    leaks = leaks_in_text(res.stdout, "stdout") + leaks_in_text(res.stderr, "stderr")
    leaks += [leak for r in captured() for leak in leaks_in_text(record_text(r), "a log record")]
    leaks += leaks_in_files(tmp_path)
    assert leaks == []
