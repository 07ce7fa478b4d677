"""Tests of the Yahoo Finance provider (sensequant.data.providers.yahoo.provider), fully offline.

Frames are shaped exactly as yfinance 1.7 returns them: ``Ticker.history`` frames are built
by hand from synthetic numbers; ``yf.download`` frames come from running the real
``yf.download`` over such a frame (its MultiIndex and tz handling are yfinance's own); one
test drives the real ``Ticker.history`` parser with a fake chart endpoint.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from sensequant.data.providers.base import BarProvider
from sensequant.data.providers.yahoo import (
    OFFLINE_HINT,
    OFFLINE_MESSAGE,
    YahooProvider,
    yahoo_reachable,
    yahoo_ticker,
)
from sensequant.data.store import BarStore
from sensequant.errors import (
    InvalidSymbolError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    TransientProviderError,
    UnknownInstrumentError,
)
from sensequant.settings import Settings
from sensequant.types import BAR_COLUMNS, IST

yf = pytest.importorskip("yfinance")
yf_exc = pytest.importorskip("yfinance.exceptions")
curl_exc = pytest.importorskip("curl_cffi.requests.exceptions")

NOW = pd.Timestamp("2024-03-01 12:00", tz=IST)


def history_frame(stamps: pd.DatetimeIndex, seed: int = 3) -> pd.DataFrame:
    """A ``Ticker.history(auto_adjust=False, actions=False)`` frame with synthetic prices."""
    rng = np.random.default_rng(seed)
    n = len(stamps)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * (1 + rng.normal(0, 0.002, n))
    frame = pd.DataFrame(
        {
            "Open": open_,
            "High": np.maximum(open_, close) * 1.004,
            "Low": np.minimum(open_, close) * 0.996,
            "Close": close,
            "Adj Close": close * 0.97,  # dividend-adjusted: must NOT be used
            "Volume": rng.integers(1_000, 9_000, n).astype(np.int64),
        },
        index=stamps,
    )
    frame.index.name = "Date" if (stamps == stamps.normalize()).all() else "Datetime"
    return frame


def daily_stamps(start: str = "2024-01-01", n: int = 5) -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n, tz=IST)


def intraday_stamps(day: str, minutes: int, n: int) -> pd.DatetimeIndex:
    return pd.date_range(f"{day} 09:15", periods=n, freq=f"{minutes}min", tz=IST)


def via_yf_download(hist: pd.DataFrame, ticker: str, interval: str, **kw: Any) -> pd.DataFrame:
    """What the real ``yf.download`` returns when Yahoo's answer is ``hist``."""
    with mock.patch.object(yf.Ticker, "history", lambda self, **_: hist.copy()):
        return yf.download(
            ticker,
            start="2024-01-01",
            end="2024-03-01",
            interval=interval,
            auto_adjust=False,
            progress=False,
            threads=False,
            **kw,
        )


class FakeDownload:
    """A ``YahooDownload`` returning a fixed frame (or raising) and recording calls."""

    def __init__(self, answer: pd.DataFrame | BaseException) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self, ticker: str, *, start: pd.Timestamp, end: pd.Timestamp, interval: str
    ) -> pd.DataFrame:
        self.calls.append({"ticker": ticker, "start": start, "end": end, "interval": interval})
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer.copy()


def provider(
    answer: pd.DataFrame | BaseException,
    reachable: Callable[[], bool] = lambda: True,
    tmp: Path | None = None,
) -> tuple[YahooProvider, FakeDownload]:
    fake = FakeDownload(answer)
    settings = Settings(home=tmp or Path("unused"))
    return YahooProvider(settings, download=fake, reachable=reachable, clock=lambda: NOW), fake


# ----------------------------------------------------------------------------- tickers
@pytest.mark.parametrize(
    ("symbol", "ticker"),
    [
        ("RELIANCE", "RELIANCE.NS"),
        ("M&M", "M&M.NS"),
        ("bajaj-auto", "BAJAJ-AUTO.NS"),
        ("GOLDBEES", "GOLDBEES.NS"),
        ("NIFTY 50", "^NSEI"),
        ("NIFTY BANK", "^NSEBANK"),
    ],
)
def test_tickers(symbol: str, ticker: str) -> None:
    assert yahoo_ticker(symbol) == ticker


def test_unknown_index_and_bad_symbol() -> None:
    with pytest.raises(UnknownInstrumentError, match="NIFTY MIDCAP 150"):
        yahoo_ticker("NIFTY MIDCAP 150")
    with pytest.raises(InvalidSymbolError):
        yahoo_ticker("../x")


def test_info_and_protocol() -> None:
    prov, _ = provider(history_frame(daily_stamps()))
    assert isinstance(prov, BarProvider)
    info = prov.info
    assert info.name == "yahoo" and info.adjusted is True
    assert info.intervals == ("1day", "30minute", "5minute", "1minute")
    assert dict(info.history_days) == {"30minute": 60, "5minute": 60, "1minute": 30}
    assert dict(info.max_days_per_call) == {"1minute": 7}
    prov.close()
    prov.close()  # idempotent


# ------------------------------------------------------------------------------ shapes
def test_daily_history_frame(tmp_path: Path) -> None:
    hist = history_frame(daily_stamps())
    prov, fake = provider(hist)
    bars = prov.fetch_bars("M&M", "1day", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-05"))
    assert list(bars.columns) == list(BAR_COLUMNS)
    assert str(bars["timestamp"].dt.tz) == IST
    assert (bars["timestamp"] == bars["timestamp"].dt.normalize()).all()
    assert bars["timestamp"].dt.date.tolist() == pd.DatetimeIndex(hist.index).date.tolist()
    np.testing.assert_allclose(bars["close"], hist["Close"])  # Close, not Adj Close
    assert bars["volume"].dtype == np.float64
    assert fake.calls[0]["ticker"] == "M&M.NS" and fake.calls[0]["interval"] == "1d"
    assert fake.calls[0]["end"] == pd.Timestamp("2024-01-06", tz=IST)  # exclusive end
    BarStore(tmp_path).write("M&M", "1day", bars)  # the store's schema check accepts it


@pytest.mark.parametrize("group_by", ["column", "ticker"])
def test_daily_yf_download_shapes_match_history(group_by: str) -> None:
    hist = history_frame(daily_stamps(n=8))
    shaped = via_yf_download(hist, "M&M.NS", "1d", group_by=group_by)
    assert isinstance(shaped.columns, pd.MultiIndex)
    assert pd.DatetimeIndex(shaped.index).tz is None  # yf.download drops the zone of daily bars
    want, _ = provider(hist)
    got, _ = provider(shaped)
    lo, hi = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31")
    pd.testing.assert_frame_equal(
        got.fetch_bars("M&M", "1day", lo, hi), want.fetch_bars("M&M", "1day", lo, hi)
    )


def test_yf_download_flat_columns() -> None:
    hist = history_frame(daily_stamps())
    flat = via_yf_download(hist, "TCS.NS", "1d", multi_level_index=False)
    assert not isinstance(flat.columns, pd.MultiIndex)
    prov, _ = provider(flat)
    bars = prov.fetch_bars("TCS", "1day", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))
    assert len(bars) == 5


def test_multiindex_of_another_ticker_is_an_error() -> None:
    shaped = via_yf_download(history_frame(daily_stamps()), "INFY.NS", "1d")
    prov, _ = provider(shaped)
    with pytest.raises(ProviderError, match=r"TCS\.NS"):
        prov.fetch_bars("TCS", "1day", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))


def test_intraday_5m_converted_to_ist_and_filtered() -> None:
    hist = history_frame(intraday_stamps("2024-02-20", 5, 75))
    hist.index = pd.DatetimeIndex(hist.index).tz_convert(
        "UTC"
    )  # any zone: converted to IST bar starts
    prov, fake = provider(hist)
    lo, hi = pd.Timestamp("2024-02-20 09:30", tz=IST), pd.Timestamp("2024-02-20 10:00", tz=IST)
    bars = prov.fetch_bars("RELIANCE", "5minute", lo, hi)
    assert bars["timestamp"].iloc[0] == lo and bars["timestamp"].iloc[-1] == hi  # inclusive
    assert len(bars) == 7 and str(bars["timestamp"].dt.tz) == IST
    assert fake.calls[0]["interval"] == "5m"
    assert fake.calls[0]["end"] == hi + pd.Timedelta(minutes=5)


def test_intraday_yf_download_shape() -> None:
    hist = history_frame(intraday_stamps("2024-02-20", 1, 30))
    shaped = via_yf_download(hist, "RELIANCE.NS", "1m")
    assert (
        isinstance(shaped.columns, pd.MultiIndex) and str(pd.DatetimeIndex(shaped.index).tz) == IST
    )
    prov, _ = provider(shaped)
    day = pd.Timestamp("2024-02-20", tz=IST)
    bars = prov.fetch_bars("RELIANCE", "1minute", day, day + pd.Timedelta(hours=23))
    assert len(bars) == 30
    assert bars["timestamp"].iloc[0] == pd.Timestamp("2024-02-20 09:15", tz=IST)


def test_30minute_built_from_15m_on_the_nse_grid() -> None:
    hist = history_frame(intraday_stamps("2024-02-20", 15, 25))  # 09:15 .. 15:15
    prov, fake = provider(hist)
    day = pd.Timestamp("2024-02-20", tz=IST)
    bars = prov.fetch_bars("TCS", "30minute", day, day + pd.Timedelta(hours=23))
    assert fake.calls[0]["interval"] == "15m"
    starts = bars["timestamp"].dt.strftime("%H:%M").tolist()
    assert starts[:3] == ["09:15", "09:45", "10:15"] and starts[-1] == "15:15"
    assert len(bars) == 13
    first = hist.iloc[:2]
    assert bars["open"].iloc[0] == first["Open"].iloc[0]
    assert bars["close"].iloc[0] == first["Close"].iloc[1]
    assert bars["high"].iloc[0] == first["High"].max()
    assert bars["volume"].iloc[0] == first["Volume"].sum()


def test_intraday_clipped_to_history_limit() -> None:
    prov, fake = provider(history_frame(intraday_stamps("2024-02-20", 5, 10)))
    prov.fetch_bars("TCS", "5minute", NOW - pd.Timedelta(days=200), NOW)
    assert fake.calls[0]["start"] >= NOW - pd.Timedelta(days=60)
    old = prov.fetch_bars(
        "TCS", "1minute", NOW - pd.Timedelta(days=90), NOW - pd.Timedelta(days=40)
    )
    assert old.empty and list(old.columns) == list(BAR_COLUMNS)
    assert len(fake.calls) == 1  # nothing asked for a range Yahoo no longer serves


def test_unfinished_bars_are_left_out() -> None:
    today = NOW.normalize()
    daily, _ = provider(history_frame(pd.DatetimeIndex([today - pd.Timedelta(days=1), today])))
    bars = daily.fetch_bars("TCS", "1day", today - pd.Timedelta(days=5), today)
    assert bars["timestamp"].tolist() == [today - pd.Timedelta(days=1)]  # today: still trading
    five, _ = provider(history_frame(intraday_stamps(f"{today:%Y-%m-%d}", 5, 75)))
    bars = five.fetch_bars("TCS", "5minute", today, today + pd.Timedelta(hours=23))
    assert bars["timestamp"].iloc[-1] == NOW - pd.Timedelta(minutes=5)  # 11:55 ended at 12:00


def test_nan_rows_dropped_and_empty_answers() -> None:
    hist = history_frame(daily_stamps())
    hist.iloc[2, :4] = np.nan
    prov, _ = provider(hist)
    bars = prov.fetch_bars("TCS", "1day", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))
    assert len(bars) == 4
    empty, _ = provider(via_yf_download(history_frame(daily_stamps())[:0], "TCS.NS", "1d"))
    out = empty.fetch_bars("TCS", "1day", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))
    assert out.empty and list(out.columns) == list(BAR_COLUMNS)


def test_unsupported_interval() -> None:
    prov, _ = provider(history_frame(daily_stamps()))
    with pytest.raises(ProviderError, match="15minute"):
        prov.fetch_bars("TCS", "15minute", NOW, NOW)


# ------------------------------------------------------------------------------ errors
def _http_error(status: int) -> Exception:
    response = mock.Mock(status_code=status)
    error: Exception = curl_exc.HTTPError(f"HTTP Error {status}", response=response)
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (lambda: yf_exc.YFTzMissingError("NOPE.NS"), UnknownInstrumentError),
        (
            lambda: yf_exc.YFPricesMissingError(
                "NOPE.NS", "", yahoo_reason="No data found, symbol may be delisted"
            ),
            UnknownInstrumentError,
        ),
        (lambda: _http_error(404), UnknownInstrumentError),
        (lambda: yf_exc.YFRateLimitError(), RateLimitError),
        (lambda: _http_error(503), TransientProviderError),
        (lambda: json.JSONDecodeError("Expecting value", "<html>", 0), TransientProviderError),
        (
            lambda: curl_exc.ConnectionError("Recv failure: Connection reset"),
            TransientProviderError,
        ),
        (lambda: curl_exc.Timeout("Operation timed out"), TransientProviderError),
        (
            lambda: yf_exc.YFDataException("*** YAHOO! FINANCE IS CURRENTLY DOWN! ***"),
            TransientProviderError,
        ),
        (lambda: curl_exc.DNSError("curl: (6) Could not resolve host"), ProviderUnavailableError),
        (lambda: KeyError("chart"), ProviderError),
    ],
    ids=[
        "tz-missing",
        "chart-not-found",
        "quote-404",
        "rate-limit",
        "http-503",
        "html-page",
        "reset",
        "timeout",
        "yahoo-down",
        "dns",
        "unexpected",
    ],
)
def test_errors_classified(error: Callable[[], Exception], expected: type[Exception]) -> None:
    prov, _ = provider(error())
    with pytest.raises(expected) as info:
        prov.fetch_bars("NOPE", "1day", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))
    assert type(info.value) is expected
    if expected is not ProviderUnavailableError:
        assert "NOPE" in str(info.value)  # names the symbol/ticker
    if isinstance(info.value, RateLimitError):
        assert info.value.retry_after_s > 0
    if isinstance(info.value, ProviderUnavailableError):
        assert info.value.message == OFFLINE_MESSAGE and info.value.hint == OFFLINE_HINT


def test_no_price_data_is_an_empty_frame() -> None:
    err = yf_exc.YFPricesMissingError("TCS.NS", "(1d 2024-01-01 -> 2024-01-02)")
    assert "possibly delisted" in str(err)  # yfinance's wording for a known, quiet ticker
    prov, _ = provider(err)
    out = prov.fetch_bars("TCS", "1day", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02"))
    assert out.empty and list(out.columns) == list(BAR_COLUMNS)


def test_connection_failure_while_offline_is_unavailable() -> None:
    prov, _ = provider(
        curl_exc.ConnectionError("Failed to connect"), reachable=iter([True, False]).__next__
    )
    with pytest.raises(ProviderUnavailableError, match="offline"):
        prov.fetch_bars("TCS", "1day", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))


def test_check_symbol_probes_once_and_names_the_ticker() -> None:
    prov, fake = provider(history_frame(daily_stamps("2024-02-20")))
    prov.check_symbol("M&M")
    prov.check_symbol("M&M")
    assert len(fake.calls) == 1 and fake.calls[0]["ticker"] == "M&M.NS"
    bad, _ = provider(yf_exc.YFTzMissingError("ZZZQ.NS"))
    with pytest.raises(UnknownInstrumentError, match=r"ZZZQ\.NS"):
        bad.check_symbol("ZZZQ")


# ----------------------------------------------------------------------------- offline
def _no_dns(*_: Any, **__: Any) -> Any:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def _no_route(*_: Any, **__: Any) -> Any:
    raise OSError(101, "Network is unreachable")


def test_yahoo_reachable(monkeypatch: pytest.MonkeyPatch) -> None:
    addr = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", 443))]
    conn = mock.Mock()
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: addr)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: conn)
    assert yahoo_reachable(timeout_s=1.0) is True
    conn.close.assert_called_once()
    monkeypatch.setattr(socket, "create_connection", _no_route)
    assert yahoo_reachable(timeout_s=1.0) is False
    monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
    assert yahoo_reachable(timeout_s=1.0) is False


@pytest.mark.parametrize("broken", ["dns", "route"])
def test_offline_fails_fast_with_a_hint(monkeypatch: pytest.MonkeyPatch, broken: str) -> None:
    if broken == "dns":
        monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
    else:
        monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [("x",)])
        monkeypatch.setattr(socket, "create_connection", _no_route)
    fake = FakeDownload(history_frame(daily_stamps()))
    prov = YahooProvider(Settings(home=Path("unused")), download=fake, clock=lambda: NOW)
    for call in (
        lambda: prov.check_symbol("RELIANCE"),
        lambda: prov.fetch_bars("RELIANCE", "1day", NOW - pd.Timedelta(days=9), NOW),
    ):
        with pytest.raises(ProviderUnavailableError) as info:
            call()
        assert str(info.value) == f"{OFFLINE_MESSAGE}\n  hint: {OFFLINE_HINT}"
        assert "query1.finance.yahoo.com" in info.value.message
        assert "DATA=" in (info.value.hint or "") and "data import" in (info.value.hint or "")
    assert fake.calls == []  # failed before any request


# ----------------------------------------------------------- the real yfinance parser
class _Response:
    def __init__(self, payload: dict[str, Any], status: int = 200) -> None:
        self._payload, self.status_code = payload, status
        self.text, self.url = json.dumps(payload), "https://query2.finance.yahoo.com/v8"

    def json(self) -> dict[str, Any]:
        return self._payload

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise curl_exc.HTTPError(f"HTTP Error {self.status_code}", response=self)


def _chart(ticker: str, params: dict[str, Any]) -> dict[str, Any]:
    """A v8 chart answer with one synthetic bar per day (like Yahoo's JSON)."""
    day = 86_400
    if "range" in params:
        stamps = [1_709_251_200]
    else:
        stamps = list(range(int(params["period1"]), int(params["period2"]), day))
    n = len(stamps)
    meta = {
        "currency": "INR",
        "symbol": ticker,
        "instrumentType": "EQUITY",
        "exchangeTimezoneName": "Asia/Kolkata",
        "regularMarketTime": stamps[-1],
        "gmtoffset": 19_800,
        "timezone": "IST",
        "priceHint": 2,
        "dataGranularity": "1d",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }
    quote = {
        "open": [100.0 + i for i in range(n)],
        "high": [102.0 + i for i in range(n)],
        "low": [99.0 + i for i in range(n)],
        "close": [101.0 + i for i in range(n)],
        "volume": [1_000 + i for i in range(n)],
    }
    adj = {"adjclose": [[90.0 + i for i in range(n)]][0]}
    result = {
        "meta": meta,
        "timestamp": stamps,
        "indicators": {"quote": [quote], "adjclose": [adj]},
    }
    return {"chart": {"result": [result], "error": None}}


def test_real_yfinance_history_through_a_fake_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yfinance import data as yf_data

    def get(self: Any, url: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        if "NOPE" in url:
            error = {"code": "Not Found", "description": "No data found, symbol may be delisted"}
            return _Response({"chart": {"result": None, "error": error}}, 404)
        if "DOWN" in url:
            raise curl_exc.DNSError("curl: (6) Could not resolve host: query2.finance.yahoo.com")
        return _Response(_chart(url.rsplit("/", 1)[-1], params or {}))

    monkeypatch.setattr(yf_data.YfData, "get", get)
    monkeypatch.setattr(yf_data.YfData, "cache_get", get)
    prov = YahooProvider(Settings(home=tmp_path), reachable=lambda: True, clock=lambda: NOW)
    lo, hi = pd.Timestamp("2024-01-01", tz=IST), pd.Timestamp("2024-01-04", tz=IST)
    bars = prov.fetch_bars("RELIANCE", "1day", lo, hi)
    assert bars["timestamp"].tolist() == list(pd.date_range(lo, hi, tz=IST))
    assert bars["close"].tolist() == [101.0, 102.0, 103.0, 104.0]  # Close, not Adj Close
    assert (tmp_path / "cache" / "yfinance").is_dir()  # yfinance's caches kept in our home
    for _ in range(3):  # the first two unknown lookups fall back to the quote endpoint (404)
        with pytest.raises(UnknownInstrumentError, match=r"NOPE\.NS"):
            prov.fetch_bars("NOPE", "1day", lo, hi)
    with pytest.raises(ProviderUnavailableError, match="offline"):
        prov.fetch_bars("DOWN", "1day", lo, hi)
    assert yf.config.debug.hide_exceptions is True  # yfinance's setting restored
