"""Contract tests: the REAL breeze-connect SDK, through the provider, against the local stand-in.

The SDK can be imported once per process (its import downloads the security master), so a
module-scoped fixture imports it against a first stand-in; every test then gets its own
stand-in, and the provider re-points the SDK's URLs at it when it creates a session. Every
test ends by asserting that no order-placing or money-moving call reached the stand-in.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import urllib3.util.connection as u3conn

from sensequant.data.providers.base import empty_bars
from sensequant.data.providers.breeze import BreezeProvider
from sensequant.errors import (
    DailyLimitError,
    ProviderError,
    RateLimitError,
    SessionExpiredError,
    TransientProviderError,
    UnknownInstrumentError,
)
from sensequant.settings import Settings
from sensequant.testing.synthetic import synthetic_bars
from sensequant.types import IST

pytest.importorskip("socketio", reason="breeze-connect's dependencies are not installed")
breeze_sdk = pytest.importorskip("sensequant.data.providers.breeze.sdk")
standin_mod = pytest.importorskip("tests.standin.server")
BreezeStandIn = standin_mod.BreezeStandIn
FaultPlan = standin_mod.FaultPlan


def _settings(home: Path, s: Any, **kw: Any) -> Settings:
    values: dict[str, Any] = {
        "home": home,
        "breeze_api_url": s.api_url,
        "breeze_hist_url": s.hist_url,
        "breeze_security_master_url": s.security_master_url,
        "breeze_api_key": s.api_key,
        "breeze_api_secret": s.api_secret,
        "breeze_session_token": s.session_token,
        "fetch_deadline_s": 10.0,
    }
    values.update(kw)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="module")
def sdk_class(tmp_path_factory: pytest.TempPathFactory) -> Iterator[type]:
    """Import the real SDK once (its import-time download served by a stand-in)."""
    if importlib.util.find_spec("breeze_connect") is None:
        pytest.skip("breeze-connect is not installed (pip install 'sensequant[breeze]')")
    home = tmp_path_factory.mktemp("sdk_home")
    work = tmp_path_factory.mktemp("sdk_cwd")
    imported_before = "breeze_connect.breeze_connect" in sys.modules
    cwd_before = Path.cwd()
    ipv6_before, path_before = u3conn.HAS_IPV6, list(sys.path)
    os.chdir(work)
    try:
        with BreezeStandIn() as s:
            cls = breeze_sdk.load_sdk(_settings(home, s))
            assert imported_before or s.calls["security_master"] == 1
            assert s.forbidden_calls == []
        assert Path.cwd() == work
    finally:
        os.chdir(cwd_before)
    assert not (work / "logs").exists()  # the SDK's ./logs went to <cache>/breeze
    assert (u3conn.HAS_IPV6, sys.path) == (ipv6_before, path_before)  # SDK side effects undone
    assert cls.__name__ == "BreezeConnect"
    yield cls


@pytest.fixture()
def standin(sdk_class: type) -> Iterator[Any]:
    with BreezeStandIn() as s:
        yield s
        assert s.forbidden_calls == []


@pytest.fixture()
def provider(standin: Any, tmp_path: Path) -> Iterator[BreezeProvider]:
    p = BreezeProvider(_settings(tmp_path, standin))
    yield p
    p.close()


def _expected(code: str, interval: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    if interval == "1day":
        bars = synthetic_bars(code, interval, start.date(), end.date())
    else:
        bars = synthetic_bars(code, interval, start, end)
    bars = bars.astype({c: "float64" for c in ("open", "high", "low", "close", "volume")})
    bars["timestamp"] = bars["timestamp"].astype(pd.DatetimeTZDtype(unit="ns", tz=IST))
    if code in ("NIFTY", "CNXBAN"):  # Breeze reports index volume as 0
        bars["volume"] = 0.0
    return bars.reset_index(drop=True)


D1 = pd.Timestamp("2024-06-03", tz=IST)


@pytest.mark.parametrize(
    ("symbol", "code", "interval", "start", "end"),
    [
        ("RELIANCE", "RELIND", "5minute", D1 + pd.Timedelta("9h15min"), D1 + pd.Timedelta("4D15h")),
        ("TATASTEEL", "TATSTE", "30minute", D1, D1 + pd.Timedelta("6D")),
        ("GOLDBEES", "GOLBEE", "1day", D1 - pd.Timedelta("400D"), D1),
        ("NIFTY 50", "NIFTY", "1minute", D1 + pd.Timedelta("10h"), D1 + pd.Timedelta("11h")),
    ],
)
def test_v2_bars_round_trip(
    provider: BreezeProvider,
    standin: Any,
    symbol: str,
    code: str,
    interval: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> None:
    bars = provider.fetch_bars(symbol, interval, start, end)
    expected = _expected(code, interval, start, end)
    assert len(bars) > 0
    pd.testing.assert_frame_equal(bars, expected)
    assert standin.calls["historical_v2"] == 1
    assert standin.calls["historical_v1"] == 0
    req = standin.historical_requests[-1]
    assert req.stock_code == code
    if interval != "1day":  # IST wall-clock is sent, not UTC
        assert req.from_date == start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert standin.forbidden_calls == []


def test_session_is_created_once_and_master_downloaded(
    provider: BreezeProvider, standin: Any, tmp_path: Path
) -> None:
    provider.fetch_bars("SBIN", "1day", D1 - pd.Timedelta("30D"), D1)
    provider.fetch_bars("INFY", "1day", D1 - pd.Timedelta("30D"), D1)
    assert standin.calls["customerdetails"] == 1
    assert list((tmp_path / "cache" / "breeze").glob("SecurityMaster_*.zip"))
    assert provider.master.isec_code("LICI") == "LIC"
    assert standin.forbidden_calls == []


def test_symbol_infos_from_the_downloaded_master(provider: BreezeProvider, standin: Any) -> None:
    (rel,) = provider.symbol_infos(["RELIANCE", "NOSUCH"])
    assert (rel.symbol, rel.isec_code, rel.isin) == ("RELIANCE", "RELIND", "INE002A01018")
    assert rel.listing_date == dt.date(1995, 11, 29)
    assert standin.calls["security_master"] == 1 and standin.calls["customerdetails"] == 0
    assert standin.forbidden_calls == []


def test_thousand_row_cap_is_visible(provider: BreezeProvider, standin: Any) -> None:
    start, end = D1, D1 + pd.Timedelta("3D23h")  # 4 sessions x 375 one-minute bars
    bars = provider.fetch_bars("ITC", "1minute", start, end)
    assert len(bars) == provider.info.max_bars_per_call == 1000
    assert bars["timestamp"].iloc[0] == D1 + pd.Timedelta("9h15min")
    assert bars["timestamp"].is_monotonic_increasing
    assert standin.forbidden_calls == []


def test_unknown_code_answers_empty(provider: BreezeProvider, standin: Any) -> None:
    bars = provider.fetch_bars("ADANIGREEN", "1day", D1 - pd.Timedelta("30D"), D1)
    pd.testing.assert_frame_equal(bars, empty_bars())
    with pytest.raises(UnknownInstrumentError, match="NOTASYMBOL"):
        provider.fetch_bars("NOTASYMBOL", "1day", D1 - pd.Timedelta("30D"), D1)
    assert standin.calls["historical_v2"] == 1  # the unknown symbol never reached the API
    assert standin.forbidden_calls == []


def test_session_expired(standin: Any, tmp_path: Path) -> None:
    standin.faults = FaultPlan(session_expired=True)
    p = BreezeProvider(_settings(tmp_path, standin))
    with pytest.raises(SessionExpiredError) as info:
        p.fetch_bars("RELIANCE", "1day", D1 - pd.Timedelta("10D"), D1)
    assert "SENSEQUANT_BREEZE_SESSION_TOKEN" in (info.value.hint or "")
    assert standin.calls["historical_v2"] == 0
    assert standin.forbidden_calls == []


@pytest.mark.parametrize(
    ("field", "hint_word"),
    [("breeze_session_token", "apisession"), ("breeze_api_key", "SENSEQUANT_BREEZE_API_KEY")],
)
def test_wrong_credentials(standin: Any, tmp_path: Path, field: str, hint_word: str) -> None:
    p = BreezeProvider(_settings(tmp_path, standin, **{field: "wrong-value-123"}))
    with pytest.raises(SessionExpiredError) as info:
        p.fetch_bars("RELIANCE", "1day", D1 - pd.Timedelta("10D"), D1)
    assert hint_word in (info.value.hint or "")
    assert standin.forbidden_calls == []


def test_session_expiring_mid_fetch(provider: BreezeProvider, standin: Any) -> None:
    provider.fetch_bars("SBIN", "1day", D1 - pd.Timedelta("10D"), D1)
    standin.inject("session_expired")
    with pytest.raises(SessionExpiredError):
        provider.fetch_bars("SBIN", "1day", D1 - pd.Timedelta("10D"), D1)
    assert standin.forbidden_calls == []


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("minute_limit", RateLimitError),
        ("day_limit", DailyLimitError),
        ("http_500_html", TransientProviderError),
        ("invalid_user", TransientProviderError),
        ("t2_155", TransientProviderError),
        ("reset", TransientProviderError),
        ("historical_data_fail", TransientProviderError),
    ],
)
def test_faults_are_classified(
    provider: BreezeProvider, standin: Any, kind: str, expected: type
) -> None:
    start, end = D1 + pd.Timedelta("9h15min"), D1 + pd.Timedelta("15h25min")
    standin.inject(kind)
    with pytest.raises(expected) as info:
        provider.fetch_bars("HDFCBANK", "5minute", start, end)
    assert type(info.value) is expected
    if isinstance(info.value, RateLimitError):
        assert 1.0 <= info.value.retry_after_s <= 61.0
    if kind == "http_500_html":
        assert "not JSON" in str(info.value)
    # the fault was one answer: the same call now succeeds
    assert len(provider.fetch_bars("HDFCBANK", "5minute", start, end)) == 75
    assert standin.calls["historical_v1"] == 0
    assert standin.forbidden_calls == []


def test_slow_answer_hits_the_deadline(standin: Any, tmp_path: Path) -> None:
    standin.faults = FaultPlan(slow_s=5.0)
    standin.inject("slow")
    p = BreezeProvider(_settings(tmp_path, standin, fetch_deadline_s=0.5))
    start, end = D1 + pd.Timedelta("9h15min"), D1 + pd.Timedelta("15h25min")
    with pytest.raises(TransientProviderError, match=r"no answer within 0\.5 s"):
        p.fetch_bars("ICICIBANK", "5minute", start, end)
    assert len(p.fetch_bars("ICICIBANK", "5minute", start, end)) == 75
    assert standin.forbidden_calls == []


def test_v1_fallback_with_the_real_sdk(
    standin: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # v2 at a wrong path answers a JSON 404 envelope: not transient, so v1 (signed) is used
    p = BreezeProvider(_settings(tmp_path, standin, breeze_hist_url=standin.base_url + "/x/"))
    start, end = D1 - pd.Timedelta("20D"), D1
    with caplog.at_level(logging.WARNING):
        bars = p.fetch_bars("TCS", "1day", start, end)
    pd.testing.assert_frame_equal(bars, _expected("TCS", "1day", start, end))
    assert standin.calls["historical_v1"] == 1
    assert "falling back to v1" in caplog.text
    assert standin.forbidden_calls == []


def test_quote_is_signed_and_read_only(provider: BreezeProvider, standin: Any) -> None:
    q = provider.quote("RELIANCE")
    assert q["stock_code"] == "RELIND" and q["exchange_code"] == "NSE"
    assert q["best_bid_price"] < q["best_offer_price"]
    assert standin.calls["quotes"] == 1
    assert standin.forbidden_calls == []


def test_no_secret_in_errors_logs_or_sdk_log_files(
    standin: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = [standin.api_key, standin.api_secret, standin.session_token, standin.session_header]
    p = BreezeProvider(_settings(tmp_path, standin))
    start, end = D1 + pd.Timedelta("9h15min"), D1 + pd.Timedelta("15h25min")
    errors: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):
        for kind in ("http_500_html", "reset", "invalid_user", "session_expired"):
            standin.inject(kind)
            with pytest.raises(ProviderError) as info:
                p.fetch_bars("RELIANCE", "5minute", start, end)
            errors.append(info.value)
        p.close()
        standin.faults = FaultPlan(session_expired=True)
        with pytest.raises(SessionExpiredError) as info:
            p.fetch_bars("RELIANCE", "5minute", start, end)
        errors.append(info.value)
    texts = ["".join(traceback.format_exception(e)) + str(e) for e in errors]
    logs = [f.read_text(errors="replace") for f in tmp_path.rglob("*.log")]
    for secret in secrets:
        assert all(secret not in t for t in texts)
        assert secret not in caplog.text
        assert all(secret not in t for t in logs)
    for name in ("APILogger", "WebsocketLogger"):
        assert not any(isinstance(h, logging.FileHandler) for h in logging.getLogger(name).handlers)
    assert standin.forbidden_calls == []
