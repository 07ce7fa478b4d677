"""Unit tests of the Breeze provider against an in-process fake SDK (no network, no SDK)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
import requests

from sensequant.data.providers.base import BarProvider, empty_bars
from sensequant.data.providers.breeze import BreezeProvider, MasterRow, SecurityMaster
from sensequant.errors import (
    ConfigError,
    DailyLimitError,
    ProviderError,
    RateLimitError,
    SessionExpiredError,
    TransientProviderError,
    UnknownInstrumentError,
)
from sensequant.settings import Settings
from sensequant.types import IST

API_KEY = "PLANTED-api-key-7f3a9c"
API_SECRET = "PLANTED-secret-44b1e0d2"
TOKEN = "PLANTED-token-90817263"
SESSION_KEY = "PLANTED-session-key-5566"
USER = "USER42"
HEADER = base64.b64encode(f"{USER}:{SESSION_KEY}".encode()).decode()
SECRETS = (API_KEY, API_SECRET, TOKEN, SESSION_KEY, HEADER)

MASTER = SecurityMaster(
    {
        "RELIANCE": MasterRow(
            "RELIANCE", "RELIND", "2885", "INE002A01018", "RELIANCE", dt.date(1995, 11, 29)
        ),
        "GOLDBEES": MasterRow("GOLDBEES", "GOLBEE", "14428", None, "GOLD BEES", None),
    },
    dt.date(2024, 6, 3),
)

Answer = Any  # a value, an exception instance, or a callable producing one


def ok(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Success": rows, "Status": 200, "Error": None}


def err(status: int, error: str) -> dict[str, Any]:
    return {"Success": None, "Status": status, "Error": error}


def row(stamp: str, close: float, volume: float = 1000.0) -> dict[str, Any]:
    return {
        "datetime": stamp,
        "stock_code": "RELIND",
        "exchange_code": "NSE",
        "open": close - 1,
        "high": close + 2,
        "low": close - 2,
        "close": close,
        "volume": volume,
    }


class FakeSDK:
    """Scripted stand-in for ``BreezeConnect``: answers are popped from queues."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.session_key: str | None = None
        self.user_id: str | None = None
        self.session_error: Exception | None = None
        self.v2: list[Answer] = []
        self.v1: list[Answer] = []
        self.quotes: list[Answer] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.forbidden: list[str] = []

    def generate_session(self, api_secret: str, session_token: str) -> None:
        self.calls.append(("generate_session", {}))
        if self.session_error is not None:
            raise self.session_error
        self.user_id, self.session_key = USER, SESSION_KEY

    @staticmethod
    def _pop(queue: list[Answer]) -> Any:
        answer = queue.pop(0) if queue else ok([])
        if callable(answer):
            answer = answer()
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def get_historical_data_v2(self, **kw: Any) -> Any:
        self.calls.append(("v2", kw))
        return self._pop(self.v2)

    def get_historical_data(self, **kw: Any) -> Any:
        self.calls.append(("v1", kw))
        return self._pop(self.v1)

    def get_quotes(self, **kw: Any) -> Any:
        self.calls.append(("quotes", kw))
        return self._pop(self.quotes)

    def place_order(self, **kw: Any) -> None:  # must never be reached
        self.forbidden.append("place_order")


def settings(tmp_path: Any, **kw: Any) -> Settings:
    values: dict[str, Any] = {
        "home": tmp_path,
        "breeze_api_key": API_KEY,
        "breeze_api_secret": API_SECRET,
        "breeze_session_token": TOKEN,
        "fetch_deadline_s": 5.0,
    }
    values.update(kw)
    return Settings(_env_file=None, **values)


@pytest.fixture()
def fake() -> FakeSDK:
    return FakeSDK(API_KEY)


@pytest.fixture()
def make(tmp_path: Any, fake: FakeSDK) -> Iterator[Callable[..., BreezeProvider]]:
    created: list[BreezeProvider] = []

    def _make(**kw: Any) -> BreezeProvider:
        def factory(key: str) -> FakeSDK:
            assert key == API_KEY
            return fake

        p = BreezeProvider(settings(tmp_path, **kw), master=MASTER, sdk_factory=factory)
        created.append(p)
        return p

    yield _make
    for p in created:
        p.close()
    assert fake.forbidden == []


START = pd.Timestamp("2024-06-03 09:15", tz=IST)
END = pd.Timestamp("2024-06-03 15:25", tz=IST)


def test_info_and_protocol(make: Callable[..., BreezeProvider]) -> None:
    p = make(breeze_calls_per_minute=50, breeze_calls_per_day=1000)
    assert isinstance(p, BarProvider)
    assert p.info.name == "breeze"
    assert p.info.intervals == ("1day", "30minute", "5minute", "1minute")
    assert p.info.max_bars_per_call == 1000
    assert (p.info.calls_per_minute, p.info.calls_per_day) == (50, 1000)
    assert p.info.adjusted is False


def test_check_symbol_uses_master_before_any_call(
    make: Callable[..., BreezeProvider], fake: FakeSDK
) -> None:
    p = make()
    p.check_symbol("reliance")
    with pytest.raises(UnknownInstrumentError, match=r"NOSUCH.*2024-06-03") as info:
        p.check_symbol("NOSUCH")
    assert info.value.provider == "breeze"
    with pytest.raises(UnknownInstrumentError):
        p.fetch_bars("NOSUCH", "5minute", START, END)
    assert fake.calls == []


def test_symbol_infos_come_from_the_master_without_a_call(
    make: Callable[..., BreezeProvider], fake: FakeSDK
) -> None:
    infos = make().symbol_infos(["GOLDBEES", "NOSUCH", "RELIANCE"])
    assert [i.symbol for i in infos] == ["GOLDBEES", "RELIANCE"]
    rel = infos[1]
    assert (rel.isec_code, rel.isin, rel.name) == ("RELIND", "INE002A01018", "RELIANCE")
    assert rel.listing_date == dt.date(1995, 11, 29)
    assert infos[0].isin is None and infos[0].listing_date is None
    assert fake.calls == []


def test_missing_credentials_name_env_vars_not_values(tmp_path: Any) -> None:
    s = settings(tmp_path, breeze_session_token=None)
    p = BreezeProvider(s, master=MASTER, sdk_factory=FakeSDK)
    with pytest.raises(ConfigError) as info:
        p.fetch_bars("RELIANCE", "5minute", START, END)
    text = str(info.value)
    assert "SENSEQUANT_BREEZE_SESSION_TOKEN" in text
    assert "SENSEQUANT_BREEZE_API_KEY" not in text.split("hint")[0]
    assert API_KEY not in text and API_SECRET not in text


def test_success_frame_and_request_arguments(
    make: Callable[..., BreezeProvider], fake: FakeSDK
) -> None:
    fake.v2.append(
        ok(
            [
                row("2024-06-03 09:20:00", 101.0),
                row("2024-06-03 09:15:00", 100.0),
                row("2024-06-03 09:20:00", 102.0),  # duplicate timestamp: last wins
                row("2024-06-03 15:30:00", 99.0),  # outside [start, end]: dropped
            ]
        )
    )
    p = make()
    start_utc = START.tz_convert("UTC")  # an aware non-IST input is converted to IST
    bars = p.fetch_bars("RELIANCE", "5minute", start_utc, END)
    assert list(bars.columns) == ["timestamp", "open", "high", "low", "close", "volume"]
    assert str(bars["timestamp"].dt.tz) == IST
    assert bars["timestamp"].tolist() == [START, START + pd.Timedelta(minutes=5)]
    assert bars["close"].tolist() == [100.0, 102.0]
    assert all(bars[c].dtype == "float64" for c in ("open", "high", "low", "close", "volume"))
    name, kw = fake.calls[-1]
    assert name == "v2"
    assert kw == {
        "interval": "5minute",
        "from_date": "2024-06-03T09:15:00.000Z",  # IST wall-clock, not UTC
        "to_date": "2024-06-03T15:25:00.000Z",
        "stock_code": "RELIND",
        "exchange_code": "NSE",
        "product_type": "cash",
    }


def test_daily_bars_at_midnight_ist(make: Callable[..., BreezeProvider], fake: FakeSDK) -> None:
    fake.v2.append(ok([row("2024-06-04 00:00:00", 10.0), row("2024-06-03 05:30:00", 9.0)]))
    bars = make().fetch_bars(
        "RELIANCE", "1day", pd.Timestamp("2024-06-03", tz=IST), pd.Timestamp("2024-06-04", tz=IST)
    )
    assert bars["timestamp"].tolist() == [
        pd.Timestamp("2024-06-03", tz=IST),
        pd.Timestamp("2024-06-04", tz=IST),
    ]
    kw = fake.calls[-1][1]
    assert (kw["from_date"], kw["to_date"]) == (
        "2024-06-03T00:00:00.000Z",
        "2024-06-04T23:59:59.000Z",
    )


def test_empty_success_is_empty_bars(make: Callable[..., BreezeProvider], fake: FakeSDK) -> None:
    fake.v2.append(ok([]))
    bars = make().fetch_bars("RELIANCE", "5minute", START, END)
    pd.testing.assert_frame_equal(bars, empty_bars())


def test_session_created_once_and_close_resets(
    make: Callable[..., BreezeProvider], fake: FakeSDK
) -> None:
    p = make()
    p.fetch_bars("RELIANCE", "5minute", START, END)
    p.fetch_bars("RELIANCE", "5minute", START, END)
    assert [c[0] for c in fake.calls].count("generate_session") == 1
    p.close()
    p.close()
    p.fetch_bars("RELIANCE", "5minute", START, END)
    assert [c[0] for c in fake.calls].count("generate_session") == 2


def test_unknown_interval_is_config_error(make: Callable[..., BreezeProvider]) -> None:
    with pytest.raises(ConfigError, match="1second"):
        make().fetch_bars("RELIANCE", "1second", START, END)


def _sdk_error(method: str, inner: BaseException) -> Exception:
    """Like the SDK: ``Exception("Error in m(): ...")`` raised while handling ``inner``."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise Exception(f"Error in {method}(): {exc}")  # noqa: B904 - as the SDK does
    except Exception as outer:
        assert outer.__context__ is inner
        return outer


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (None, SessionExpiredError),
        (err(5, "Limit exceed: API call per minute"), RateLimitError),
        (err(5, "Limit exceed: API call per day"), DailyLimitError),
        (err(500, "Invalid User Details"), TransientProviderError),
        (
            err(500, "Error while calling service, Please contact admin (T2:155)"),
            TransientProviderError,
        ),
        (err(500, "Historical Data Fail"), TransientProviderError),
        (err(500, "Invalid session."), SessionExpiredError),
        (
            lambda: _sdk_error("get_historical_data_v2", requests.ConnectionError("refused")),
            TransientProviderError,
        ),
        (
            lambda: _sdk_error(
                "get_historical_data_v2",
                requests.exceptions.JSONDecodeError("Expecting value", "<html>", 0),
            ),
            TransientProviderError,
        ),
        (
            lambda: _sdk_error("get_historical_data_v2", json.JSONDecodeError("x", "<", 0)),
            TransientProviderError,
        ),
    ],
)
def test_answer_classification(
    make: Callable[..., BreezeProvider],
    fake: FakeSDK,
    answer: Any,
    expected: type[ProviderError],
) -> None:
    fake.v2.append(answer)
    with pytest.raises(expected) as info:
        make().fetch_bars("RELIANCE", "5minute", START, END)
    assert type(info.value) is expected
    assert info.value.provider == "breeze"
    assert "RELIANCE" in str(info.value) or expected is SessionExpiredError
    assert [c[0] for c in fake.calls].count("v1") == 0  # no fallback for classified errors


def test_rate_limit_waits_for_next_minute(
    make: Callable[..., BreezeProvider], fake: FakeSDK
) -> None:
    fake.v2.append(err(5, "Limit exceed: API call per minute"))
    with pytest.raises(RateLimitError) as info:
        make().fetch_bars("RELIANCE", "5minute", START, END)
    assert 1.0 <= info.value.retry_after_s <= 61.0


def test_daily_limit_hint_says_resume_tomorrow(
    make: Callable[..., BreezeProvider], fake: FakeSDK
) -> None:
    fake.v2.append(err(5, "Limit exceed: API call per day"))
    with pytest.raises(DailyLimitError) as info:
        make().fetch_bars("RELIANCE", "5minute", START, END)
    assert "tomorrow" in (info.value.hint or "")
    assert "resumable" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("text", "hint_word"),
    [
        ("Unexpected error: Session key is expired.", "apisession"),
        (
            "Unexpected error: Could not authenticate credentials. Please check session key.",
            "apisession",
        ),
        ("Unexpected error: Could not authenticate credentials. Please check api key.", "API_KEY"),
    ],
)
def test_session_errors(
    make: Callable[..., BreezeProvider], fake: FakeSDK, text: str, hint_word: str
) -> None:
    fake.session_error = Exception(text)
    with pytest.raises(SessionExpiredError) as info:
        make().fetch_bars("RELIANCE", "5minute", START, END)
    assert hint_word in (info.value.hint or "")
    assert "midnight IST" in (info.value.hint or "")
    assert not any(c[0] == "v2" for c in fake.calls)


def test_session_connection_failure_is_transient(
    make: Callable[..., BreezeProvider], fake: FakeSDK
) -> None:
    fake.session_error = _sdk_error("generate_session", requests.ConnectionError("down"))
    with pytest.raises(TransientProviderError):
        make().fetch_bars("RELIANCE", "5minute", START, END)


def test_v1_fallback_converts_string_rows(
    make: Callable[..., BreezeProvider], fake: FakeSDK, caplog: pytest.LogCaptureFixture
) -> None:
    fake.v2.append(err(500, "Something new went wrong"))
    fake.v1.append(
        ok(
            [
                {
                    "datetime": "2024-06-03 09:15:00",
                    "stock_code": "RELIND",
                    "exchange_code": "NSE",
                    "open": "100.50",
                    "high": "101.00",
                    "low": "99.95",
                    "close": "100.10",
                    "volume": "1234",
                }
            ]
        )
    )
    with caplog.at_level(logging.WARNING):
        bars = make().fetch_bars("RELIANCE", "5minute", START, END)
    assert bars["open"].tolist() == [100.5]
    assert bars["volume"].tolist() == [1234.0]
    assert bars["close"].dtype == "float64"
    assert [c[0] for c in fake.calls] == ["generate_session", "v2", "v1"]
    assert fake.calls[-1][1]["interval"] == "5minute"  # the SDK maps 1minute/1day itself
    assert any("falling back to v1" in r.getMessage() for r in caplog.records)


def test_v2_and_v1_failing_is_a_plain_provider_error(
    make: Callable[..., BreezeProvider], fake: FakeSDK
) -> None:
    fake.v2.append(err(500, "Something new"))
    fake.v1.append(err(500, "Still broken"))
    with pytest.raises(ProviderError) as info:
        make().fetch_bars("RELIANCE", "5minute", START, END)
    assert type(info.value) is ProviderError
    assert "Still broken" in str(info.value)


def test_deadline_turns_a_hung_call_into_a_transient_error(
    make: Callable[..., BreezeProvider], fake: FakeSDK
) -> None:
    release = threading.Event()

    def hang() -> Any:
        release.wait(10)
        return ok([])

    fake.v2.append(hang)
    p = make(fetch_deadline_s=0.2)
    try:
        with pytest.raises(TransientProviderError, match=r"no answer within 0\.2 s"):
            p.fetch_bars("RELIANCE", "5minute", START, END)
    finally:
        release.set()
    # the next call is not blocked by the abandoned one
    fake.v2.append(ok([row("2024-06-03 09:15:00", 1.0)]))
    assert len(p.fetch_bars("RELIANCE", "5minute", START, END)) == 1


def test_malformed_rows_are_reported(make: Callable[..., BreezeProvider], fake: FakeSDK) -> None:
    fake.v2.append(ok([{"datetime": "2024-06-03 09:15:00", "close": 1.0}]))
    with pytest.raises(ProviderError, match="lacks fields"):
        make().fetch_bars("RELIANCE", "5minute", START, END)
    fake.v2.append(ok([row("not a date", 1.0)]))
    with pytest.raises(ProviderError, match="unreadable datetime"):
        make().fetch_bars("RELIANCE", "5minute", START, END)


def test_quote_returns_nse_row(make: Callable[..., BreezeProvider], fake: FakeSDK) -> None:
    fake.quotes.append(
        ok([{"exchange_code": "BSE", "ltp": 1.0}, {"exchange_code": "NSE", "ltp": 2.0}])
    )
    q = make().quote("RELIANCE")
    assert q["ltp"] == 2.0
    assert fake.calls[-1] == (
        "quotes",
        {"stock_code": "RELIND", "exchange_code": "NSE", "product_type": "cash"},
    )


# ------------------------------------------------------------------------------ redaction
def _leaky(text: str) -> str:
    return f"{text} key={API_KEY} secret={API_SECRET} token={TOKEN} hdr={HEADER} sk={SESSION_KEY}"


def _all_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + str(exc) + str(exc.hint or "")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "answer",
    [
        err(500, _leaky("Invalid User Details")),
        err(500, _leaky("Invalid session.")),
        err(5, _leaky("Limit exceed: API call per minute")),
        err(5, _leaky("Limit exceed: API call per day")),
        lambda: _sdk_error("get_historical_data_v2", requests.ConnectionError(_leaky("down"))),
        lambda: Exception(_leaky("Unexpected error: Session key is expired.")),
        err(500, _leaky("odd")),  # v2 -> warning -> v1 (odd again) -> ProviderError
    ],
)
def test_planted_secrets_never_leak(
    make: Callable[..., BreezeProvider],
    fake: FakeSDK,
    caplog: pytest.LogCaptureFixture,
    answer: Any,
) -> None:
    fake.v2.append(answer)
    fake.v1.append(err(500, _leaky("odd v1")))
    p = make()
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderError) as info:
        p.fetch_bars("RELIANCE", "5minute", START, END)
    text = _all_text(info.value)
    assert "***" in text
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in SECRETS:
        assert secret not in text
        assert secret not in logged
        assert secret not in repr(p)


def test_session_error_text_is_redacted(make: Callable[..., BreezeProvider], fake: FakeSDK) -> None:
    fake.session_error = Exception(_leaky("Unexpected error: Session key is expired."))
    with pytest.raises(SessionExpiredError) as info:
        make().fetch_bars("RELIANCE", "5minute", START, END)
    text = _all_text(info.value)
    for secret in (API_KEY, API_SECRET, TOKEN):
        assert secret not in text
    assert info.value.__context__ is None  # the raw SDK exception is not chained
