"""Per-symbol coverage of the bar store against the NSE calendar (``data list``, audit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from sensequant.data.market import calendar_bounds, missing_sessions
from sensequant.data.store import BarStore

__all__ = ["coverage"]


def coverage(store: BarStore, interval: str, symbols: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-symbol coverage of the store against the NSE calendar.

    Parameters
    ----------
    store : BarStore
    interval : str
    symbols : sequence of str, optional
        Default: every symbol stored at ``interval``.

    Returns
    -------
    pandas.DataFrame
        One row per symbol: ``symbol, interval, first, last`` (IST timestamps, NaT when not
        stored), ``bars`` (0 when not stored), ``missing_sessions`` (NSE sessions within
        ``[first, last]`` with no bar, counted as session dates for intraday intervals;
        clamped to the calendar's coverage; NA when not stored) and ``calendar_end`` (last
        date the calendar knows; sessions after it are not checked). Only the timestamp
        column is read.
    """
    cal_end = calendar_bounds()[1]
    rows: list[tuple[Any, ...]] = []
    for sym in store.symbols(interval) if symbols is None else symbols:
        if not store.exists(sym, interval):
            rows.append((sym, interval, pd.NaT, pd.NaT, 0, pd.NA, cal_end))
            continue
        ts = store.read(sym, interval, columns=[])["timestamp"]
        first, last = ts.iloc[0], ts.iloc[-1]
        gaps = len(missing_sessions(ts, first, last))
        rows.append((sym, interval, first, last, len(ts), gaps, cal_end))
    frame = pd.DataFrame(
        rows,
        columns=["symbol", "interval", "first", "last", "bars", "missing_sessions", "calendar_end"],
    )
    frame["missing_sessions"] = frame["missing_sessions"].astype("Int64")
    return frame
