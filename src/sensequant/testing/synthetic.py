"""Deterministic synthetic bars on the NSE session grid (for the stand-in and fakes).

A bar's prices depend only on ``(code, interval, bar start)``, never on how a range was
chunked or requested, so two fetches of the same range in different chunks (or after faults
and restarts) produce identical data.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd

from sensequant.data.market import session_bar_starts

__all__ = ["synthetic_bars"]


def _seed(code: str, interval: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{code}|{interval}".encode()).digest()[:4], "little")


def synthetic_bars(
    code: str,
    interval: str,
    start: dt.date | str | pd.Timestamp,
    end: dt.date | str | pd.Timestamp,
) -> pd.DataFrame:
    """Bars of a made-up instrument whose START lies in ``[start, end]``.

    Parameters
    ----------
    code : str
        Instrument code (any string: ISEC code, symbol); it seeds the price level.
    interval : str
        ``1day``, ``30minute``, ``5minute`` or ``1minute``.
    start, end : date-like or pandas.Timestamp
        Inclusive range; tz-aware timestamps are compared in IST, dates cover whole days.

    Returns
    -------
    pandas.DataFrame
        ``timestamp`` (IST bar start), ``open``, ``high``, ``low``, ``close`` (rupees, 2
        decimals, high >= max(open, close), low <= min(open, close)), ``volume`` (shares).
    """
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    grid = session_bar_starts(
        interval,
        s.date() if s.tzinfo is None else s.tz_convert("Asia/Kolkata").date(),
        e.date() if e.tzinfo is None else e.tz_convert("Asia/Kolkata").date(),
    )
    if s.tzinfo is not None:
        grid = grid[grid >= s]
    if e.tzinfo is not None:
        grid = grid[grid <= e]
    ns = grid.asi8.astype(np.uint64)
    seed = np.uint64(_seed(code, interval))
    # A hash of (seed, bar start) -> uniform numbers in [0, 1): stateless and chunk-independent.
    with np.errstate(over="ignore"):
        h = (ns ^ seed) * np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
    u = (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    days = (ns.astype(np.float64) / 86_400e9) - 18_000.0
    level = 100.0 + (_seed(code, "level") % 2000) + 20.0 * np.sin(days / 90.0)
    close = np.round(level * (1.0 + 0.01 * (u - 0.5)), 2)
    open_ = np.round(level * (1.0 + 0.01 * (np.modf(u * 7.0)[0] - 0.5)), 2)
    spread = np.round(level * 0.002 * (0.5 + np.modf(u * 13.0)[0]), 2)
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    volume = np.floor(1_000.0 + 100_000.0 * np.modf(u * 17.0)[0])
    return pd.DataFrame(
        {
            "timestamp": grid,
            "open": open_,
            "high": np.round(high, 2),
            "low": np.round(low, 2),
            "close": close,
            "volume": volume,
        }
    )
