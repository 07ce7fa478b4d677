"""The yfinance boundary of the Yahoo provider: the request function and its answer shapes.

yfinance 1.7 answers in two shapes: ``Ticker.history`` gives flat columns ``Open, High, Low,
Close, Adj Close, Volume`` with a tz-aware index (``Date`` at 00:00 exchange time for daily
bars, ``Datetime`` for intraday); ``yf.download`` gives MultiIndex columns ``(Price, Ticker)``
(or ``(Ticker, Price)`` with ``group_by='ticker'``), a tz-naive index for daily bars and the
exchange zone for intraday. :func:`normalise_frame` turns either into a store bar frame.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import pandas as pd

from sensequant.data.providers.base import empty_bars
from sensequant.errors import ProviderError, ProviderUnavailableError
from sensequant.types import BAR_COLUMNS, IST

__all__ = [
    "PROVIDER",
    "YFinanceDownload",
    "YahooDownload",
    "flatten_columns",
    "normalise_frame",
    "resample_nse_30",
]

PROVIDER: Final = "yahoo"
_PRICES: Final = ("open", "high", "low", "close")
_CALL_LOCK = threading.Lock()


class YahooDownload(Protocol):
    """One yfinance request: the bars of one ticker (injectable for tests).

    Parameters
    ----------
    ticker : str
        Yahoo ticker (``RELIANCE.NS``, ``^NSEI``).
    start : pandas.Timestamp
        First instant asked for (inclusive, tz-aware IST).
    end : pandas.Timestamp
        End of the request (EXCLUSIVE, tz-aware IST), as yfinance's ``end``.
    interval : str
        yfinance interval code (``1d``, ``15m``, ``5m``, ``1m``).

    Returns
    -------
    pandas.DataFrame
        What yfinance 1.7 returns with ``auto_adjust=False``: ``Ticker.history`` (flat columns
        ``Open, High, Low, Close, Adj Close, Volume``, tz-aware index) or ``yf.download``
        (MultiIndex columns ``(Price, Ticker)`` or ``(Ticker, Price)``; tz-naive daily index).

    Raises
    ------
    Exception
        yfinance's own exceptions (``YFTzMissingError``, ``YFPricesMissingError``,
        ``YFRateLimitError``) and those of its HTTP library; the provider classifies them.
    """

    def __call__(
        self, ticker: str, *, start: pd.Timestamp, end: pd.Timestamp, interval: str
    ) -> pd.DataFrame: ...


def flatten_columns(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """One ticker's columns of a yfinance frame, flat (``Open, High, ..., Adj Close``).

    Parameters
    ----------
    frame : pandas.DataFrame
        ``Ticker.history`` output (flat columns, returned as is) or ``yf.download`` output
        (MultiIndex columns ``(Price, Ticker)``, or ``(Ticker, Price)`` with
        ``group_by='ticker'``).
    ticker : str
        The Yahoo ticker whose columns are wanted.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ProviderError
        If the MultiIndex holds no column for ``ticker``.
    """
    cols = frame.columns
    if not isinstance(cols, pd.MultiIndex):
        return frame
    for level in range(cols.nlevels):
        values = [str(v).upper() for v in cols.get_level_values(level)]
        if ticker.upper() in values:
            sub = frame.loc[:, [v == ticker.upper() for v in values]].copy()
            # the remaining (price) level names the columns: Open, High, ..., Adj Close
            sub.columns = pd.Index(
                [next(str(x) for j, x in enumerate(tup) if j != level) for tup in sub.columns]
            )
            return sub
    raise ProviderError(
        f"Yahoo Finance answer for {ticker} has columns for other tickers only "
        f"({sorted({str(v) for v in cols.get_level_values(-1)})})",
        hint="this is a bug in the download function; report it",
        provider=PROVIDER,
    )


def normalise_frame(raw: pd.DataFrame | None, ticker: str, interval: str) -> pd.DataFrame:
    """A yfinance frame (either shape) as a store bar frame.

    Parameters
    ----------
    raw : pandas.DataFrame or None
        See :class:`YahooDownload`; ``Adj Close`` (dividend-adjusted) is dropped, ``Close``
        (split/bonus-adjusted) kept.
    ticker : str
        Yahoo ticker (to pick the columns of a MultiIndex frame, and for messages).
    interval : str
        SenseQuant interval: ``1day`` rows are stamped 00:00 IST of their session date (a
        naive daily index, as ``yf.download`` returns, is read as that date); intraday rows
        are converted to IST (a naive intraday index is read as IST wall time).

    Returns
    -------
    pandas.DataFrame
        ``timestamp, open, high, low, close, volume`` (float64), ascending and unique; rows
        without a price dropped, missing volume 0.

    Raises
    ------
    ProviderError
        If the frame has no time index or lacks a price/volume column.
    """
    if raw is None or raw.empty:
        return empty_bars()
    frame = flatten_columns(raw, ticker)
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    if not isinstance(frame.index, pd.DatetimeIndex):
        stamp = next((c for c in ("datetime", "date", "timestamp") if c in frame.columns), None)
        if stamp is None:
            raise ProviderError(
                f"Yahoo Finance answer for {ticker} has no time index (columns "
                f"{list(frame.columns)})",
                hint="this is a bug in the download function; report it",
                provider=PROVIDER,
            )
        frame = frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame.pop(stamp))))
    missing = [c for c in BAR_COLUMNS[1:] if c not in frame.columns]
    if missing:
        raise ProviderError(
            f"Yahoo Finance answer for {ticker} lacks columns {missing} "
            f"(has {list(frame.columns)})",
            hint="yfinance changed its output; update the Yahoo provider",
            provider=PROVIDER,
        )
    index = pd.DatetimeIndex(frame.index)
    if interval == "1day":
        # Daily: the session date in the exchange's zone (naive from yf.download) at 00:00 IST.
        days = index.tz_convert(IST) if index.tz is not None else index
        stamps = pd.DatetimeIndex(days.date).tz_localize(IST)
    else:
        # Intraday: aware -> IST; naive (yf.download ignore_tz=True) is exchange wall time.
        stamps = index.tz_convert(IST) if index.tz is not None else index.tz_localize(IST)
    out = pd.DataFrame(
        {c: frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in BAR_COLUMNS[1:]}
    )
    out.insert(0, "timestamp", stamps.as_unit("ns"))
    out = out.dropna(subset=list(_PRICES))
    out["volume"] = out["volume"].fillna(0.0)
    out = out.drop_duplicates("timestamp", keep="last").sort_values("timestamp")
    return out.reset_index(drop=True)


def resample_nse_30(frame: pd.DataFrame) -> pd.DataFrame:
    """15-minute bars -> 30-minute bars on the NSE grid (starts at :15 and :45 IST).

    yfinance's own 30-minute bars are 15-minute bars resampled to clock half-hours (09:00,
    09:30, ...), which is not NSE's grid (09:15, 09:45, ..., 15:15).

    Parameters
    ----------
    frame : pandas.DataFrame
        15-minute bars from :func:`normalise_frame`.

    Returns
    -------
    pandas.DataFrame
        Open first, high max, low min, close last, volume summed per 30-minute bin.
    """
    if frame.empty:
        return frame
    grouped = frame.set_index("timestamp").resample("30min", offset="15min")
    out = pd.DataFrame(
        {
            "open": grouped["open"].first(),
            "high": grouped["high"].max(),
            "low": grouped["low"].min(),
            "close": grouped["close"].last(),
            "volume": grouped["volume"].sum(),
        }
    ).dropna(subset=list(_PRICES))
    out.index.name = "timestamp"
    return out.reset_index()


class YFinanceDownload:
    """The default :class:`YahooDownload`: ``yfinance.Ticker(ticker).history(...)``.

    ``Ticker.history`` is used rather than ``yf.download`` because download() catches every
    error and only logs it, while history() raises them when yfinance's
    ``config.debug.hide_exceptions`` is False (set for the duration of the call, under a
    lock; yfinance's logger is silenced meanwhile, the provider reports instead).

    Parameters
    ----------
    timeout_s : float
        Per-request timeout in seconds.
    cache_dir : pathlib.Path
        Folder of yfinance's timezone/cookie caches (instead of the user's home cache).
    """

    def __init__(self, *, timeout_s: float, cache_dir: Path) -> None:
        self.timeout_s = timeout_s
        self.cache_dir = cache_dir
        self._module: Any = None

    def _yf(self) -> Any:
        if self._module is None:
            try:
                import yfinance
            except ImportError as exc:
                raise ProviderUnavailableError(
                    f"the yfinance package is not installed ({exc})",
                    hint="install it (`pip install yfinance`) or import files: "
                    "`sensequant data import PATH`",
                    provider=PROVIDER,
                ) from None
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            yfinance.set_tz_cache_location(str(self.cache_dir))
            self._module = yfinance
        return self._module

    def __call__(
        self, ticker: str, *, start: pd.Timestamp, end: pd.Timestamp, interval: str
    ) -> pd.DataFrame:
        yf = self._yf()
        with _CALL_LOCK, _raising(yf):
            frame = yf.Ticker(ticker).history(
                start=start.to_pydatetime(),
                end=end.to_pydatetime(),
                interval=interval,
                auto_adjust=False,
                actions=False,
                prepost=False,
                repair=False,
                keepna=False,
                timeout=self.timeout_s,
            )
        return frame if isinstance(frame, pd.DataFrame) else empty_bars()


@contextlib.contextmanager
def _raising(yf: Any) -> Iterator[None]:
    """Make yfinance raise instead of log, and keep its logger quiet, for one call."""
    logger = logging.getLogger("yfinance")
    hide, level = yf.config.debug.hide_exceptions, logger.level
    yf.config.debug.hide_exceptions = False
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        yf.config.debug.hide_exceptions = hide
        logger.setLevel(level)
