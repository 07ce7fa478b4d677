"""Symbol master view: what the catalog knows of each symbol next to what the store holds.

Per symbol: ISEC code (Breeze), ISIN, industry, listing date and data-unavailable reason from
the catalog's symbol master; first bar, last bar and bar count per stored interval from the
store. Store extents come from Parquet footers (row-group statistics of ``timestamp``), so a
100-symbol listing reads no bar data at all.

Listing dates also bound the usable history: :func:`effective_first_bar` is the first bar the
window planner may rely on, ``max(first stored bar, listing date)``, so windows that start
before a listing are skipped ("before listing") even when stray earlier bars exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final, cast

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sensequant.data.catalog import Catalog, SymbolInfo
from sensequant.data.market import to_ist
from sensequant.data.store import BarStore
from sensequant.errors import StoreError
from sensequant.types import INTERVALS, IST

__all__ = ["MASTER_COLUMNS", "effective_first_bar", "series_extent", "symbol_master"]

MASTER_COLUMNS: Final[tuple[str, ...]] = (
    "symbol",
    "interval",
    "first",
    "last",
    "bars",
    "isec_code",
    "isin",
    "industry",
    "listing_date",
    "data_unavailable_reason",
)
"""Columns of :func:`symbol_master`, in order."""

_INFO_FIELDS: Final = ("isec_code", "isin", "industry", "listing_date", "data_unavailable_reason")


def effective_first_bar(first_bar: pd.Timestamp, listing_date: dt.date | None) -> pd.Timestamp:
    """First bar the window planner may use: ``max(first stored bar, listing date)``.

    Parameters
    ----------
    first_bar : pandas.Timestamp
        The symbol's first stored bar (tz-aware).
    listing_date : datetime.date or None
        Listing date from the catalog's symbol master; None = unknown.

    Returns
    -------
    pandas.Timestamp
        ``first_bar`` in IST, or 00:00 IST of the listing date when that is later (stray bars
        before a listing, e.g. grey-market or vendor artefacts, then do not count).
    """
    first = to_ist(first_bar)
    if listing_date is None:
        return first
    listed = pd.Timestamp(listing_date).tz_localize(IST)
    return max(first, listed)


def series_extent(
    store: BarStore, symbol: str, interval: str
) -> tuple[pd.Timestamp, pd.Timestamp, int] | None:
    """First bar, last bar and bar count of a stored series, from the Parquet footer only.

    Parameters
    ----------
    store : BarStore
    symbol, interval : str

    Returns
    -------
    tuple of (pandas.Timestamp, pandas.Timestamp, int) or None
        ``(first, last, bars)`` (IST; NaT and 0 for a file without rows); None when the series
        is not stored. Falls back to reading the timestamp column when a writer left no
        statistics.

    Raises
    ------
    StoreError
        If the file is not readable Parquet.
    """
    path = store.path(symbol, interval)
    if not path.is_file():
        return None
    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowInvalid, OSError) as exc:
        raise StoreError(
            f"cannot read {path} ({symbol} {interval}): {exc}",
            hint="delete the file and import or fetch the series again",
        ) from None
    if meta.num_rows == 0 or meta.num_row_groups == 0:
        nat = cast(pd.Timestamp, pd.NaT)
        return nat, nat, 0
    column = meta.schema.names.index("timestamp")
    head = meta.row_group(0).column(column).statistics
    tail = meta.row_group(meta.num_row_groups - 1).column(column).statistics
    if head is None or tail is None or not (head.has_min_max and tail.has_min_max):
        ts = store.read(symbol, interval, columns=[])["timestamp"]
        return ts.iloc[0], ts.iloc[-1], len(ts)
    # the store writes sorted timestamps: the first group's min and the last group's max
    return to_ist(head.min, naive="UTC"), to_ist(tail.max, naive="UTC"), int(meta.num_rows)


def symbol_master(
    catalog: Catalog,
    store: BarStore,
    symbols: Sequence[str] | None = None,
    intervals: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The symbol master joined with store coverage.

    Parameters
    ----------
    catalog : Catalog
        Symbol-master rows (ISEC code, ISIN, industry, listing date, unavailable reason).
    store : BarStore
        Only Parquet footers are read.
    symbols : sequence of str, optional
        Symbols to show; default every symbol stored at one of ``intervals``.
    intervals : sequence of str, optional
        Default all of :data:`sensequant.types.INTERVALS`.

    Returns
    -------
    pandas.DataFrame
        :data:`MASTER_COLUMNS`; one row per stored (symbol, interval), sorted by symbol then
        interval order, plus one row with ``interval`` None (``first``/``last`` NaT, ``bars``
        0) for each requested symbol with no series at those intervals, so a symbol a provider
        has nothing for still shows its data-unavailable reason.
    """
    ivs = tuple(intervals) if intervals is not None else INTERVALS
    if symbols is None:
        names = sorted({s for iv in ivs for s in store.symbols(iv)})
    else:
        names = list(dict.fromkeys(symbols))
    rows: list[dict[str, object]] = []
    for sym in names:
        info = catalog.get_symbol(sym) or SymbolInfo(symbol=sym)
        extra = {f: getattr(info, f) for f in _INFO_FIELDS}
        found = False
        for iv in ivs:
            extent = series_extent(store, sym, iv)
            if extent is None:
                continue
            found = True
            first, last, bars = extent
            rows.append(
                {"symbol": sym, "interval": iv, "first": first, "last": last, "bars": bars, **extra}
            )
        if not found:
            rows.append(
                {"symbol": sym, "interval": None, "first": pd.NaT, "last": pd.NaT, "bars": 0}
                | extra
            )
    frame = pd.DataFrame(rows, columns=list(MASTER_COLUMNS))
    for col in ("first", "last"):
        frame[col] = pd.to_datetime(frame[col], utc=True).dt.tz_convert(IST)
    frame["bars"] = frame["bars"].astype("int64")
    return frame
