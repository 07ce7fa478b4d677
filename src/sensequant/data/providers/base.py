"""The provider protocol every market-data source implements.

A provider answers one question: the bars of one symbol at one interval between two
instants. Chunking, rate limiting, retries, deadlines and resume live once, for all
providers, in :mod:`sensequant.data.fetch.runner`; a provider only translates one call and
classifies its failures into :mod:`sensequant.errors` (``TransientProviderError`` is
retried, ``RateLimitError`` waits, ``DailyLimitError`` / ``SessionExpiredError`` stop the
fetch, ``UnknownInstrumentError`` marks the symbol data-unavailable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pandas as pd

from sensequant.types import BAR_COLUMNS

__all__ = ["BarProvider", "ProviderInfo", "empty_bars"]


@dataclass(frozen=True)
class ProviderInfo:
    """What a provider can serve and how hard it may be called.

    Attributes
    ----------
    name : str
        Provider name recorded in the ingest log (``breeze``, ``yahoo``, ...).
    intervals : tuple of str
        Intervals served (``1day``, ``30minute``, ``5minute``, ``1minute``).
    max_bars_per_call : int or None
        Most bars one call can return (Breeze: 1000); ``None`` = no limit. The fetcher sizes
        chunks on the NSE session grid so no chunk can exceed it, and treats an answer of
        exactly this many bars as possibly truncated (it continues after the last bar).
    max_days_per_call : mapping of str to int
        Optional cap on a chunk's span in calendar days, per interval.
    history_days : mapping of str to int
        How far back an interval is served, in calendar days from today (Yahoo keeps 5-minute
        bars for 60 days); missing = unlimited.
    calls_per_minute, calls_per_day : int or None
        Client-side budgets the fetcher enforces; ``None`` = unlimited.
    adjusted : bool
        Whether prices arrive adjusted for splits and bonuses (Yahoo: yes; Breeze: no).
    """

    name: str
    intervals: tuple[str, ...]
    max_bars_per_call: int | None = None
    max_days_per_call: Mapping[str, int] = field(default_factory=dict)
    history_days: Mapping[str, int] = field(default_factory=dict)
    calls_per_minute: int | None = None
    calls_per_day: int | None = None
    adjusted: bool = False


@runtime_checkable
class BarProvider(Protocol):
    """A source of OHLCV bars (read-only: no provider can place orders or move money)."""

    @property
    def info(self) -> ProviderInfo:
        """Capabilities and limits of this provider."""
        ...

    def check_symbol(self, symbol: str) -> None:
        """Validate that the provider knows ``symbol`` before any fetch.

        Raises
        ------
        UnknownInstrumentError
            The provider has no instrument for the symbol (the reason names what was looked
            up, e.g. the ISEC code or the Yahoo ticker).
        """
        ...

    def fetch_bars(
        self, symbol: str, interval: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """Bars whose START lies in ``[start, end]`` (both inclusive, tz-aware IST).

        Parameters
        ----------
        symbol : str
            NSE symbol (``RELIANCE``, ``M&M``, ``NIFTY 50``).
        interval : str
            One of ``info.intervals``.
        start, end : pandas.Timestamp
            Range in Asia/Kolkata.

        Returns
        -------
        pandas.DataFrame
            Columns ``timestamp`` (datetime64[ns, Asia/Kolkata], bar start), ``open``,
            ``high``, ``low``, ``close`` (rupees, float64), ``volume`` (shares, float64), plus
            ``oi`` when the provider has it; ascending; possibly empty. One call: at most
            ``info.max_bars_per_call`` rows.

        Raises
        ------
        TransientProviderError, RateLimitError, DailyLimitError, SessionExpiredError,
        UnknownInstrumentError, ProviderUnavailableError
        """
        ...

    def close(self) -> None:
        """Release sessions and threads (idempotent)."""
        ...


def empty_bars() -> pd.DataFrame:
    """An empty bar frame with the store's column types (for 'no bars in this range')."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS})
    frame["timestamp"] = pd.Series(dtype="datetime64[ns, Asia/Kolkata]")
    return frame
