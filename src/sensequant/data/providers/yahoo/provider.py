"""Yahoo Finance provider (through ``yfinance``): NSE bars for users without broker credentials.

Tickers are the NSE symbol plus ``.NS`` (``RELIANCE.NS``, ``M&M.NS``, ``BAJAJ-AUTO.NS``,
``GOLDBEES.NS``); the indices ``NIFTY 50`` and ``NIFTY BANK`` are ``^NSEI`` and ``^NSEBANK``.

Prices are fetched with ``auto_adjust=False`` and ``Close`` is kept: Yahoo's close is adjusted
for splits and bonuses but not for dividends, exactly like the Yahoo daily CSV files the
project imports; ``Adj Close`` (which also removes dividends) is dropped.
Daily bars are stamped 00:00 IST of the session date, intraday bars at their IST start;
``30minute`` bars are built from Yahoo's 15-minute bars on the NSE grid (09:15, 09:45, ...)
because yfinance itself resamples 15-minute bars to clock half-hours (09:00, 09:30, ...).

Yahoo keeps intraday history for a limited time (yfinance 1.7 documents "intraday data cannot
extend last 60 days"; 1-minute bars are served for the last 30 days, at most 8 days per
request): see :data:`HISTORY_DAYS` and :data:`MAX_DAYS_PER_CALL`. A bar whose session or
interval has not ended yet is never returned, so a partial bar cannot enter the store.

Failures are classified for the fetcher by
:func:`~sensequant.data.providers.yahoo.errors.classify_yahoo_error`: an unknown ticker
(yfinance's "possibly delisted; no timezone found", or the quote endpoint's HTTP 404) is
:class:`~sensequant.errors.UnknownInstrumentError`; a range without bars is an empty frame;
HTTP 429 is :class:`~sensequant.errors.RateLimitError`; other network trouble is
:class:`~sensequant.errors.TransientProviderError`, except when Yahoo cannot be reached at all
(DNS failure, no route), which is :class:`~sensequant.errors.ProviderUnavailableError` with a
hint to import files instead.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any, Final

import pandas as pd

from sensequant.data.market import INTERVAL_MINUTES, to_ist, validate_symbol
from sensequant.data.providers.base import ProviderInfo, empty_bars
from sensequant.data.providers.yahoo.errors import (
    OFFLINE_HINT,
    OFFLINE_MESSAGE,
    YAHOO_HOST,
    classify_yahoo_error,
)
from sensequant.data.providers.yahoo.yfinance_io import (
    PROVIDER,
    YahooDownload,
    YFinanceDownload,
    normalise_frame,
    resample_nse_30,
)
from sensequant.errors import ProviderError, ProviderUnavailableError, UnknownInstrumentError
from sensequant.settings import Settings
from sensequant.types import IST

__all__ = [
    "HISTORY_DAYS",
    "INDEX_TICKERS",
    "MAX_DAYS_PER_CALL",
    "OFFLINE_HINT",
    "OFFLINE_MESSAGE",
    "YAHOO_HOST",
    "YAHOO_INTERVALS",
    "YahooDownload",
    "YahooProvider",
    "yahoo_reachable",
    "yahoo_ticker",
]


YAHOO_INTERVALS: Final[dict[str, str]] = {
    "1day": "1d",
    "30minute": "30m",
    "5minute": "5m",
    "1minute": "1m",
}
"""SenseQuant interval -> yfinance interval code."""

HISTORY_DAYS: Final[dict[str, int]] = {"30minute": 60, "5minute": 60, "1minute": 30}
"""How far back Yahoo serves each intraday interval, in calendar days from today."""

MAX_DAYS_PER_CALL: Final[dict[str, int]] = {"1minute": 7}
"""Longest span of one request (Yahoo: at most 8 days of 1-minute bars per request)."""

INDEX_TICKERS: Final[dict[str, str]] = {"NIFTY 50": "^NSEI", "NIFTY BANK": "^NSEBANK"}
"""NSE index name -> Yahoo ticker (other indices have no known Yahoo ticker here)."""

_FETCH_INTERVAL: Final[dict[str, str]] = {**YAHOO_INTERVALS, "30minute": "15m"}
"""What is asked of Yahoo: 30-minute bars are built here from 15-minute bars."""
_HISTORY_MARGIN: Final = pd.Timedelta(hours=6)
"""Requests start this much inside Yahoo's history limit (Yahoo counts from its own clock)."""
_DAILY_FINAL_AFTER: Final = pd.Timedelta(hours=16)
"""A daily bar counts as final from 16:00 IST of its session (close 15:30 + closing auction)."""


def yahoo_ticker(symbol: str) -> str:
    """Yahoo ticker of an NSE symbol.

    Parameters
    ----------
    symbol : str
        NSE symbol (``RELIANCE``, ``M&M``, ``NIFTY 50``).

    Returns
    -------
    str
        ``<SYMBOL>.NS`` for equities and ETFs, ``^NSEI`` / ``^NSEBANK`` for the indices.

    Raises
    ------
    UnknownInstrumentError
        For an index without a known Yahoo ticker.
    InvalidSymbolError
        For a malformed symbol.
    """
    value = validate_symbol(symbol)
    if value in INDEX_TICKERS:
        return INDEX_TICKERS[value]
    if " " in value:
        raise UnknownInstrumentError(
            f"no Yahoo Finance ticker is known for the index {value!r} "
            f"(known: {', '.join(INDEX_TICKERS)})",
            hint="import the index bars from a file: `sensequant data import PATH`",
            provider=PROVIDER,
        )
    return f"{value}.NS"


def yahoo_reachable(timeout_s: float = 3.0, host: str = YAHOO_HOST, port: int = 443) -> bool:
    """True when a TCP connection to Yahoo Finance can be opened (no HTTP request is made).

    Parameters
    ----------
    timeout_s : float, default 3.0
        Seconds allowed for the name lookup and, separately, for the connection.
    host : str, default ``query1.finance.yahoo.com``
    port : int, default 443

    Returns
    -------
    bool
        False on a DNS failure, no route, a refused connection or a timeout.
    """
    found: list[Any] = []

    def lookup() -> None:
        with contextlib.suppress(OSError):
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))

    # getaddrinfo has no timeout of its own: run it in a daemon thread and stop waiting.
    worker = threading.Thread(target=lookup, name="yahoo-dns", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not found:
        return False
    try:
        conn = socket.create_connection((host, port), timeout=timeout_s)
    except OSError:
        return False
    conn.close()
    return True


class YahooProvider:
    """Bars from Yahoo Finance through yfinance (implements ``BarProvider``).

    Parameters
    ----------
    settings : Settings, optional
        ``fetch_deadline_s`` is the per-request timeout; ``cache_dir / "yfinance"`` holds
        yfinance's timezone and cookie caches. Default ``Settings()``.
    download : YahooDownload, optional
        The request function; default calls ``yfinance.Ticker(ticker).history`` (yfinance is
        imported on first use). Tests pass a fake.
    reachable : callable, optional
        ``() -> bool`` checked once before the first request and again after a network
        failure; default :func:`yahoo_reachable`.
    clock : callable, optional
        ``() -> pandas.Timestamp`` (tz-aware) for "now"; default the wall clock.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        download: YahooDownload | None = None,
        reachable: Callable[[], bool] | None = None,
        clock: Callable[[], pd.Timestamp] | None = None,
    ) -> None:
        self._settings = settings or Settings()
        self._download = download or YFinanceDownload(
            timeout_s=self._settings.fetch_deadline_s,
            cache_dir=self._settings.cache_dir / "yfinance",
        )
        self._reachable = reachable or yahoo_reachable
        self._clock = clock or (lambda: pd.Timestamp.now(tz=IST))
        self._online_checked = False
        self._known: set[str] = set()
        self._info = ProviderInfo(
            name=PROVIDER,
            intervals=tuple(YAHOO_INTERVALS),
            max_bars_per_call=None,
            max_days_per_call=dict(MAX_DAYS_PER_CALL),
            history_days=dict(HISTORY_DAYS),
            calls_per_minute=60,
            calls_per_day=None,
            adjusted=True,
        )

    def __repr__(self) -> str:
        return "YahooProvider()"

    @property
    def info(self) -> ProviderInfo:
        """Capabilities: 1day, 30minute, 5minute, 1minute; split/bonus-adjusted prices."""
        return self._info

    # ------------------------------------------------------------- protocol
    def check_symbol(self, symbol: str) -> None:
        """Validate that Yahoo knows ``symbol`` (one small daily request, cached per symbol).

        Raises
        ------
        UnknownInstrumentError
            The ticker is unknown to Yahoo (the message names the ticker).
        ProviderUnavailableError
            Yahoo Finance cannot be reached (offline).
        TransientProviderError, RateLimitError
            The probe failed for a reason worth retrying.
        """
        ticker = yahoo_ticker(symbol)
        if ticker in self._known:
            return
        self._ensure_online()
        today = self._clock().tz_convert(IST).normalize()
        self._call(symbol, ticker, "1day", today - pd.Timedelta(days=10), today)
        self._known.add(ticker)

    def fetch_bars(
        self, symbol: str, interval: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """Bars of ``symbol`` whose start lies in ``[start, end]`` (see ``BarProvider``).

        Parameters
        ----------
        symbol : str
            NSE symbol.
        interval : str
            ``1day``, ``30minute``, ``5minute`` or ``1minute``.
        start, end : pandas.Timestamp
            Inclusive range (naive = IST). Intraday requests are clipped to Yahoo's history
            limit (:data:`HISTORY_DAYS`, less a few hours of margin).

        Returns
        -------
        pandas.DataFrame
            ``timestamp`` (IST bar start; daily 00:00), ``open, high, low, close`` (rupees,
            split/bonus-adjusted, not dividend-adjusted), ``volume`` (shares, split-scaled);
            ascending, unique; empty when Yahoo has no bar in the range. Bars not yet final
            (today's daily bar before 16:00 IST, an intraday bar still running) are left out.

        Raises
        ------
        ProviderError
            An interval Yahoo does not serve here.
        UnknownInstrumentError, ProviderUnavailableError, RateLimitError,
        TransientProviderError
            See the module docstring.
        """
        if interval not in YAHOO_INTERVALS:
            raise ProviderError(
                f"Yahoo Finance does not serve the interval {interval!r} ({symbol})",
                hint=f"use one of {', '.join(YAHOO_INTERVALS)}",
                provider=PROVIDER,
            )
        ticker = yahoo_ticker(symbol)
        lo, hi = to_ist(start), to_ist(end)
        now = self._clock().tz_convert(IST)
        if interval in HISTORY_DAYS:
            lo = max(lo, now - pd.Timedelta(days=HISTORY_DAYS[interval]) + _HISTORY_MARGIN)
        if interval == "1day":
            lo = lo.normalize()
        if hi < lo:
            return empty_bars()
        self._ensure_online()
        raw = self._call(symbol, ticker, interval, lo, hi)
        frame = normalise_frame(raw, ticker, interval)
        if interval == "30minute":
            frame = resample_nse_30(frame)
        keep = (frame["timestamp"] >= lo) & (frame["timestamp"] <= hi)
        frame = frame.loc[keep & _final(frame["timestamp"], interval, now)]
        return frame.reset_index(drop=True)

    def close(self) -> None:
        """Nothing to release (yfinance keeps one process-wide session)."""

    # ------------------------------------------------------------- internals
    def _ensure_online(self) -> None:
        if self._online_checked:
            return
        if not self._reachable():
            raise ProviderUnavailableError(OFFLINE_MESSAGE, hint=OFFLINE_HINT, provider=PROVIDER)
        self._online_checked = True

    def _call(
        self, symbol: str, ticker: str, interval: str, lo: pd.Timestamp, hi: pd.Timestamp
    ) -> pd.DataFrame:
        """One request for bars starting in ``[lo, hi]``; yfinance errors classified."""
        if interval == "1day":
            end = hi.normalize() + pd.Timedelta(days=1)
        else:
            end = hi + pd.Timedelta(minutes=INTERVAL_MINUTES[interval])
        what = f"{symbol} ({ticker}) {interval} {lo:%Y-%m-%d %H:%M}..{hi:%Y-%m-%d %H:%M}"
        try:
            return self._download(ticker, start=lo, end=end, interval=_FETCH_INTERVAL[interval])
        except ProviderError:
            raise
        except Exception as exc:  # yfinance and its HTTP library raise many types
            error = classify_yahoo_error(exc, ticker, what, self._reachable)
            if error is None:
                return empty_bars()
            if isinstance(error, ProviderUnavailableError):
                self._online_checked = False  # check again before the next request
            raise error from exc


def _final(stamps: pd.Series, interval: str, now: pd.Timestamp) -> pd.Series:
    """True for bars that have ended by ``now`` (partial bars are never returned)."""
    if interval == "1day":
        return stamps + _DAILY_FINAL_AFTER <= now
    return stamps + pd.Timedelta(minutes=INTERVAL_MINUTES[interval]) <= now
