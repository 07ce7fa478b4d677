"""Read one bar file (CSV or Parquet), detect its layout and normalise it to store columns.

Layouts (detected from the header: names are whitespace-trimmed and compared case-insensitively)

==================  =========================================================================
``yahoo_daily``     ``Date,Open,High,Low,Close,Adj Close,Volume``. ``Close`` (split/bonus
                    adjusted) is stored; ``Adj Close`` (also dividend-adjusted) is dropped.
``yfinance_v2``     ``Date,Adj Close,Close,High,Low,Open,Volume`` (yfinance >= 0.2), as above.
``index_pandas``    ``,Date,Open,High,Low,Close,Volume``: the first, unnamed column is a pandas
                    index and is dropped (NIFTY 50 ``nifty50_2000_2019.csv``).
``index_yf_lower``  ``date,close,high,low,open,volume`` in exactly this order
                    (``nifty50_2007_2024_yf.csv``).
``ohlcv_lower``     ``date`` (or ``timestamp``) plus ``open,high,low,close,volume`` in any
                    order, e.g. the 5-minute export (``2023-07-03 09:15:00+05:30``).
``ohlc_lower``      as ``ohlcv_lower`` WITHOUT a volume column (``date,open,high,low,close``,
                    e.g. the ETF end-of-day export): volume is stored ABSENT (NaN, never 0).
``broker_oi``       as ``ohlcv_lower`` with an ``oi`` column (``timestamp,...,volume,oi``).
``kaggle_nse``      ``Date,Symbol,Series,Prev Close,Open,High,Low,Last,Close,VWAP,Volume,
                    Turnover,Trades,Deliverable Volume,%Deliverble``: only rows of the series
                    asked (default ``EQ``) are kept; ``VWAP`` -> ``vwap``, ``Trades`` -> ``trades``,
                    ``Deliverable Volume`` -> ``delivery_volume``; the others are dropped.
``parquet``         a ``.parquet`` file with the store's own column names.
``bhavcopy_legacy`` NSE's daily bhavcopy, one file per day with every symbol, ``.csv`` or
``bhavcopy_udiff``  ``.zip`` (see :mod:`sensequant.data.readers.bhavcopy`): raw, unadjusted prices;
                    ``symbol`` is None and ``bars`` has a ``symbol`` column.
==================  =========================================================================

The generic layouts may also carry the store's optional columns (``oi``, ``vwap``, ``trades``,
``delivery_volume``); any other column is ignored with a note as long as the required columns
are there (else the layout is unknown: an error naming the columns, never a guess). A header
with semicolons (or tabs) and no comma is read as a semicolon- (tab-) separated file (noted);
decimal commas (``1234,5``) are refused naming the line.

Decisions
---------
* Naive timestamps are IST; tz-aware ones are converted to ``Asia/Kolkata``; a file mixing
  time zones (or naive and aware stamps) is rejected. Daily bars are stamped at IST midnight.
  Numeric dates ``DD-MM-YYYY`` / ``MM-DD-YYYY`` are read in the order the whole file proves
  (a field above 12), never guessed (:mod:`sensequant.data.readers.timestamps`).
* A ``symbol`` column may carry the ``NSE:`` exchange prefix (``NSE:RELIANCE``, broker
  exports): it is stripped and noted; other exchanges are refused
  (:mod:`sensequant.data.readers.symbols`).
* Index volume is kept as read (NSE's index volume, or Yahoo's meaningless 0 / nominal values
  in ``index_yf_lower``): it is not a traded quantity and must not be used as one;
  ``quality.clean_bars(..., is_index=True)`` skips every volume check.
* An empty volume cell stays NaN here (not 0): ``quality.clean_bars`` flags it as
  ``missing_volume``. Empty prices are a hard error.
* ``bars`` keeps a ``_line`` column: the 1-based line of each row in the source file, header =
  line 1 (for Parquet: the 1-based row number). It exists so quality findings can name lines;
  ``quality.clean_bars`` drops it and it must never be stored.
* Given an alias table, every symbol (argument, file name, Symbol column) is mapped to its
  current form and the rename is noted (``UTIBANK stored as AXISBANK (alias table)``); a
  Kaggle file holding an old and a new symbol one after the other becomes one series.
* Text must be UTF-8 (or UTF-16 with a BOM); see
  :func:`sensequant.data.readers.decoding.decode_text` for the encodings, binary content and
  HTML pages that are refused.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from sensequant.data.readers.bhavcopy import (
    BHAVCOPY_LAYOUTS,
    DEFAULT_SERIES,
    bhavcopy_layout,
    normalise_series,
    parse_bhavcopy,
)
from sensequant.data.readers.bhavcopy_zip import read_bhavcopy_zip
from sensequant.data.readers.decoding import decode_text
from sensequant.data.readers.intervals import detect_interval
from sensequant.data.readers.parsing import (
    PRICE_COLUMNS,
    ParsedFile,
    check_prices,
    read_csv_text,
    to_numeric,
)
from sensequant.data.readers.symbols import file_symbol
from sensequant.data.readers.timestamps import (
    check_not_future,
    parse_numeric_dates,
    parse_times,
)
from sensequant.data.readers.values import check_ohlc, check_spikes, resolve_conflicts
from sensequant.errors import InputFileError
from sensequant.types import BAR_COLUMNS, OPTIONAL_BAR_COLUMNS

__all__ = ["LAYOUTS", "PRICE_COLUMNS", "ParsedFile", "check_prices", "read_bar_file"]

LAYOUTS: Final[tuple[str, ...]] = (
    "yahoo_daily",
    "yfinance_v2",
    "index_pandas",
    "index_yf_lower",
    "ohlcv_lower",
    "ohlc_lower",
    "broker_oi",
    "kaggle_nse",
    "parquet",
    *BHAVCOPY_LAYOUTS,
)

_TIME_NAMES = ("date", "timestamp", "datetime")
_RENAME = {"deliverable volume": "delivery_volume"}
_DROPPED = {"adj close", "prev close", "last", "turnover", "%deliverble", "%deliverable"}
_KAGGLE_EXTRA = {"symbol", "series"}
_YFINANCE_V2 = ("date", "adj close", "close", "high", "low", "open", "volume")
_INDEX_YF = ("date", "close", "high", "low", "open", "volume")
_LAYOUT_HINT = (
    f"expected one of the layouts {', '.join(LAYOUTS)} (see sensequant.data.readers.layouts); "
    "rename the columns or convert the file"
)
_KNOWN = (
    set(_TIME_NAMES)
    | set(BAR_COLUMNS)
    | set(OPTIONAL_BAR_COLUMNS)
    | set(_RENAME)
    | _DROPPED
    | _KAGGLE_EXTRA
)


def _detect(path: Path, header: list[str], notes: list[str]) -> tuple[str, list[str]]:
    """Layout name and the normalised column names (``""`` = column to skip); unknown extra
    columns are skipped with a note."""
    cols = [h.strip().lower() for h in header]
    names = list(cols)
    layout = ""
    if cols and (cols[0] == "" or cols[0].startswith("unnamed:")):
        layout, names[0] = "index_pandas", ""
    found = [h.strip() for h in header]
    if len(set(cols)) != len(cols):
        raise InputFileError(
            path,
            f"unknown layout: duplicated column names; columns found: {found}",
            hint=_LAYOUT_HINT,
        )
    unknown = [h.strip() for h, c in zip(header, names, strict=True) if c and c not in _KNOWN]
    names = ["" if c not in _KNOWN else c for c in names]
    present = set(names) - {""}
    if not layout:
        if present >= _KAGGLE_EXTRA:
            layout = "kaggle_nse"
        elif "adj close" in present:
            layout = "yfinance_v2" if tuple(cols) == _YFINANCE_V2 else "yahoo_daily"
        elif "oi" in present:
            layout = "broker_oi"
        elif "volume" not in present and present >= set(PRICE_COLUMNS):
            layout = "ohlc_lower"  # no volume column: volume stored absent (NaN)
        else:
            layout = "index_yf_lower" if tuple(cols) == _INDEX_YF else "ohlcv_lower"
    times = [c for c in names if c in _TIME_NAMES]
    required = list(BAR_COLUMNS[1:]) + (sorted(_KAGGLE_EXTRA) if layout == "kaggle_nse" else [])
    required = [c for c in required if not (layout == "ohlc_lower" and c == "volume")]
    missing = [c for c in required if c not in present]
    if len(times) != 1 or missing:
        if len(times) > 1:
            what = [f"exactly one time column, found {times}"]
        else:
            what = missing + ([] if times else ["date (or timestamp)"])
        if unknown:
            raise InputFileError(
                path,
                f"unknown layout: missing required columns {what}, unknown columns {unknown}; "
                f"columns found: {found}",
                hint=_LAYOUT_HINT,
            )
        raise InputFileError(
            path,
            f"missing required columns {what} for layout {layout}; columns found: {found}",
            hint="the file needs a date/timestamp column and open, high, low, close, volume",
        )
    if unknown:
        notes.append(f"columns {unknown} ignored (not bar columns; layout {layout})")
    return layout, [
        "timestamp" if c in _TIME_NAMES else ("" if c in _DROPPED else _RENAME.get(c, c))
        for c in names
    ]


def _header(text: str) -> tuple[list[str], str]:
    """The header's fields and the delimiter: ``;`` or a tab when the header has one and no
    comma."""
    end = text.find("\n")
    first = (text if end < 0 else text[:end]).rstrip("\r")
    sep = next((d for d in (";", "\t") if d in first and "," not in first), ",")
    return next(csv.reader([first], delimiter=sep), []), sep


def _read_csv(
    path: Path, text: str, header: list[str], sep: str, notes: list[str]
) -> tuple[str, pd.DataFrame]:
    layout, names = _detect(path, header, notes)
    text_cols = {"timestamp", "symbol", "series"}
    frame = read_csv_text(
        path,
        text,
        "check the rows named",
        sep=sep,
        header=None,
        skiprows=1,
        names=[n or f"_skip{i}" for i, n in enumerate(names)],
        dtype={n: str for n in names if n in text_cols},
        skip_blank_lines=False,
    )
    # no usecols: with it pandas silently ignores extra fields in ragged rows
    frame = frame[[n for n in names if n]]
    frame["_line"] = np.arange(2, len(frame) + 2, dtype=np.int64)
    frame = frame[frame.drop(columns="_line").notna().any(axis=1)]  # blank lines
    if frame.empty:
        raise InputFileError(path, "no data rows (header only)", hint="re-download the file")
    if layout == "ohlc_lower":
        frame = frame.assign(volume=np.nan)  # absent (unknown), never 0
    return layout, frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise InputFileError(
            path,
            f"cannot read Parquet (truncated or corrupt file?): {exc}",
            hint="copy or export the file again",
        ) from None
    frame = frame.reset_index(drop=True)
    allowed = set(BAR_COLUMNS) | set(OPTIONAL_BAR_COLUMNS)
    missing = [c for c in BAR_COLUMNS if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in allowed]
    if missing or unknown:
        raise InputFileError(
            path,
            f"Parquet columns {list(frame.columns)}: missing {missing}, unknown {unknown}",
            hint=f"a bar Parquet file has the store columns {', '.join(sorted(allowed))}",
        )
    if frame.empty:
        raise InputFileError(path, "no data rows", hint="re-export the file")
    frame["_line"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return frame


def read_bar_file(
    path: Path,
    *,
    symbol: str | None = None,
    interval: str | None = None,
    series: Sequence[str] = DEFAULT_SERIES,
    aliases: Mapping[str, str] | None = None,
    repair_ohlc: bool = False,
    on_conflict: str = "fail",
) -> ParsedFile:
    """Read one bar file, detect its layout and interval, and normalise it.

    Parameters
    ----------
    path : pathlib.Path
        CSV (any layout in the module notes), ``.parquet`` file with store column names, or a
        ``.zip`` holding an NSE bhavcopy.
    symbol : str, optional
        NSE symbol of the bars; default: the file's symbol column or its file name. Refused
        for a bhavcopy (it holds every symbol).
    interval : str, optional
        Expected interval; checked against the timestamps. Default: detected.
    series : sequence of str, default ("EQ",)
        NSE series kept from files with a series column (Kaggle, bhavcopy).
    aliases : mapping of str to str, optional
        Old symbol -> newer symbol (:func:`sensequant.data.reference.aliases.load_aliases`);
        default: no mapping.
    repair_ohlc : bool, default False
        Keep rows whose high/low do not bound open and close (noted; ``clean_bars`` repairs
        them) instead of refusing the file (:func:`sensequant.data.readers.values.check_ohlc`).
    on_conflict : {'fail', 'keep', 'replace'}, default 'fail'
        Rows of one timestamp with different values in this file: an error naming both
        lines, or keep the earlier / the later line
        (:func:`sensequant.data.readers.values.resolve_conflicts`).

    Returns
    -------
    ParsedFile
        Layout, symbol, interval, the bars (sorted, not cleaned, with ``_line``) and notes.

    Raises
    ------
    InputFileError
        On an empty or header-only file, undecodable bytes, binary content, an HTML page, an
        unknown layout, missing columns, unparseable or future timestamps, mixed time zones,
        non-numeric / NaN / infinite / non-positive / implausibly high (> 1e8) prices, a price
        more than 20x away from both neighbouring closes, inconsistent OHLC (unless
        ``repair_ohlc``), conflicting rows of one timestamp (``on_conflict="fail"``), a bad
        value in a Symbol column, an unsupported bar spacing or a contradicting ``interval``.
        The message names the problem and up to five line numbers.
    InvalidSymbolError
        If ``symbol`` is given and invalid.
    UsageError
        If ``series`` is malformed.
    """
    path = Path(path)
    series = normalise_series(series)
    if not path.is_file():
        raise InputFileError(path, "no such file", hint="check the path")
    suffix = path.suffix.lower()
    parsed: ParsedFile | None = None
    notes: list[str] = []
    if suffix == ".zip":
        parsed = read_bhavcopy_zip(path, series=series, aliases=aliases)
    elif suffix == ".parquet":
        layout, frame = "parquet", _read_parquet(path)
    else:
        text = decode_text(path, path.read_bytes())
        if not text.strip():
            raise InputFileError(path, "the file is empty", hint="re-download the file")
        header, sep = _header(text)
        if sep != ",":
            what = "semicolon" if sep == ";" else "tab"
            notes.append(f"{what}-separated file (read with {sep!r} as the delimiter)")
        bhav = bhavcopy_layout(header) if sep == "," else None
        if bhav is not None:
            parsed = parse_bhavcopy(path, text, bhav, series=series, aliases=aliases)
        else:
            layout, frame = _read_csv(path, text, header, sep, notes)
    if parsed is not None:
        if symbol is not None or interval not in (None, "1day"):
            raise InputFileError(
                path,
                "an NSE bhavcopy holds daily bars of every symbol: a symbol or interval "
                "cannot be forced on it",
                hint="leave out --symbol/--interval; select symbols with --symbols",
            )
        check_ohlc(path, parsed.bars, repair=repair_ohlc, notes=notes)
        return replace(parsed, notes=(*parsed.notes, *notes))
    frame = frame.reset_index(drop=True)
    if "series" in frame.columns:  # Kaggle: the asked series only (default EQ)
        values = frame["series"].astype("string").str.strip().str.upper()
        frame = frame[values.isin(series).fillna(False).to_numpy(dtype=bool)].copy()
        if frame.empty:
            raise InputFileError(
                path, f"no rows of series {list(series)}", hint="is this an equity file?"
            )
    to_numeric(path, frame)
    check_prices(frame, path)
    if layout == "ohlc_lower":
        notes.append("no volume column: volume stored as absent (NaN), never 0")
    ts = parse_numeric_dates(path, frame, notes)
    ts = parse_times(path, frame) if ts is None else ts
    check_not_future(path, frame, ts)
    frame["timestamp"] = ts
    found = detect_interval(path, ts, interval)
    if found == "1day":
        frame["timestamp"] = ts.dt.normalize()
    sym, symbol_notes = file_symbol(path, frame, symbol, aliases)
    notes += symbol_notes
    columns = [c for c in (*BAR_COLUMNS, *OPTIONAL_BAR_COLUMNS) if c in frame.columns]
    bars = frame[[*columns, "_line"]].sort_values("timestamp", kind="mergesort")
    bars = resolve_conflicts(path, bars.reset_index(drop=True), on_conflict, notes)
    check_spikes(path, bars.drop_duplicates("timestamp"))
    check_ohlc(path, bars, repair=repair_ohlc, notes=notes)
    return ParsedFile(
        path=path,
        layout=layout,
        symbol=sym,
        interval=found,
        bars=bars.reset_index(drop=True),
        notes=tuple(notes),
    )
