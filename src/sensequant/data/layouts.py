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
``broker_oi``       as ``ohlcv_lower`` with an ``oi`` column (``timestamp,...,volume,oi``).
``kaggle_nse``      ``Date,Symbol,Series,Prev Close,Open,High,Low,Last,Close,VWAP,Volume,
                    Turnover,Trades,Deliverable Volume,%Deliverble``: only ``Series == EQ`` rows
                    are kept; ``VWAP`` -> ``vwap``, ``Trades`` -> ``trades``,
                    ``Deliverable Volume`` -> ``delivery_volume``; the others are dropped.
``parquet``         a ``.parquet`` file with the store's own column names.
==================  =========================================================================

The generic layouts may also carry the store's optional columns (``oi``, ``vwap``, ``trades``,
``delivery_volume``); any other column makes the layout unknown (an error, never a guess).

Decisions
---------
* Naive timestamps are IST; tz-aware ones are converted to ``Asia/Kolkata``; a file mixing
  time zones (or naive and aware stamps) is rejected. Daily bars are stamped at IST midnight.
* Index volume is kept as read (NSE's index volume, or Yahoo's meaningless 0 / nominal values
  in ``index_yf_lower``): it is not a traded quantity and must not be used as one;
  ``quality.clean_bars(..., is_index=True)`` skips every volume check.
* An empty volume cell stays NaN here (not 0): ``quality.clean_bars`` flags it as
  ``missing_volume``. Empty prices are a hard error.
* ``bars`` keeps a ``_line`` column: the 1-based line of each row in the source file, header =
  line 1 (for Parquet: the 1-based row number). It exists so quality findings can name lines;
  ``quality.clean_bars`` drops it and it must never be stored.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from sensequant.data.symbols import symbol_from_filename, validate_symbol
from sensequant.errors import InputFileError, InvalidSymbolError
from sensequant.types import BAR_COLUMNS, INTERVALS, IST, OPTIONAL_BAR_COLUMNS

LAYOUTS: Final[tuple[str, ...]] = (
    "yahoo_daily",
    "yfinance_v2",
    "index_pandas",
    "index_yf_lower",
    "ohlcv_lower",
    "broker_oi",
    "kaggle_nse",
    "parquet",
)
PRICE_COLUMNS: Final[tuple[str, ...]] = ("open", "high", "low", "close")
SPACING_INTERVALS: Final[dict[int, str]] = {60: "1minute", 300: "5minute", 1800: "30minute"}
"""Modal within-session bar spacing in seconds -> interval name."""

_TIME_NAMES = ("date", "timestamp", "datetime")
_RENAME = {"deliverable volume": "delivery_volume"}
_DROPPED = {"adj close", "prev close", "last", "turnover", "%deliverble", "%deliverable"}
_KAGGLE_EXTRA = {"symbol", "series"}
_YFINANCE_V2 = ("date", "adj close", "close", "high", "low", "open", "volume")
_INDEX_YF = ("date", "close", "high", "low", "open", "volume")
_KNOWN = (
    set(_TIME_NAMES)
    | set(BAR_COLUMNS)
    | set(OPTIONAL_BAR_COLUMNS)
    | set(_RENAME)
    | _DROPPED
    | _KAGGLE_EXTRA
)
_MAX_LINES = 5


@dataclass(frozen=True)
class ParsedFile:
    """One bar file read and normalised (not yet cleaned).

    Attributes
    ----------
    path : pathlib.Path
        The file read.
    layout : str
        Detected layout, one of :data:`LAYOUTS`.
    symbol : str or None
        NSE symbol: the ``symbol`` argument, else the file's own symbol column (Kaggle: the
        latest name), else derived from the file name; None if none of these is valid.
    interval : str
        ``"1day"``, ``"30minute"``, ``"5minute"`` or ``"1minute"``.
    bars : pandas.DataFrame
        ``timestamp`` (tz-aware IST), ``open, high, low, close, volume`` (float64), the optional
        columns present, and ``_line`` (int64, source line, see module notes). Sorted by
        timestamp (stable), NOT deduplicated or cleaned: pass it to ``quality.clean_bars``.
    """

    path: Path
    layout: str
    symbol: str | None
    interval: str
    bars: pd.DataFrame


def _lines_text(lines: Sequence[int] | np.ndarray) -> str:
    head = ", ".join(str(int(x)) for x in list(lines)[:_MAX_LINES])
    more = len(lines) - _MAX_LINES
    return (
        ("line " if len(lines) == 1 else "lines ")
        + head
        + (f" and {more} more" if more > 0 else "")
    )


def _fail_rows(
    path: Path, problem: str, frame: pd.DataFrame, mask: np.ndarray | pd.Series, hint: str
) -> InputFileError:
    lines = frame.loc[np.asarray(mask, dtype=bool), "_line"].to_numpy()
    return InputFileError(path, f"{problem} at {_lines_text(np.sort(lines))}", hint=hint)


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputFileError(
            path,
            f"undecodable bytes (not UTF-8) at line {line}, byte {exc.start}",
            hint="re-export the file as UTF-8 CSV",
        ) from exc
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputFileError(
            path, f"binary data (NUL byte) at line {line}", hint="is this really a CSV file?"
        )
    return text


def _detect(path: Path, header: list[str]) -> tuple[str, list[str]]:
    """Layout name and the normalised column names (``""`` = column to skip)."""
    cols = [h.strip().lower() for h in header]
    names = list(cols)
    layout = ""
    if cols and (cols[0] == "" or cols[0].startswith("unnamed:")):
        layout, names[0] = "index_pandas", ""
    unknown = [h for h, c in zip(header, names, strict=True) if c and c not in _KNOWN]
    if unknown or len(set(cols)) != len(cols):
        problem = f"unknown columns {unknown}" if unknown else "duplicated column names"
        raise InputFileError(
            path,
            f"unknown layout: {problem}; columns found: {[h.strip() for h in header]}",
            hint=f"expected one of the layouts {', '.join(LAYOUTS)} "
            "(see sensequant.data.layouts); rename the columns or convert the file",
        )
    present = set(names)
    if not layout:
        if present >= _KAGGLE_EXTRA:
            layout = "kaggle_nse"
        elif "adj close" in present:
            layout = "yfinance_v2" if tuple(cols) == _YFINANCE_V2 else "yahoo_daily"
        elif "oi" in present:
            layout = "broker_oi"
        else:
            layout = "index_yf_lower" if tuple(cols) == _INDEX_YF else "ohlcv_lower"
    times = [c for c in names if c in _TIME_NAMES]
    required = list(BAR_COLUMNS[1:]) + (sorted(_KAGGLE_EXTRA) if layout == "kaggle_nse" else [])
    missing = [c for c in required if c not in present]
    if len(times) != 1 or missing:
        if len(times) > 1:
            what = [f"exactly one time column, found {times}"]
        else:
            what = missing + ([] if times else ["date (or timestamp)"])
        raise InputFileError(
            path,
            f"missing required columns {what} for layout {layout}; "
            f"columns found: {[h.strip() for h in header]}",
            hint="the file needs a date/timestamp column and open, high, low, close, volume",
        )
    return layout, [
        "timestamp" if c in _TIME_NAMES else ("" if c in _DROPPED else _RENAME.get(c, c))
        for c in names
    ]


def _read_csv(path: Path) -> tuple[str, pd.DataFrame]:
    text = _decode(path, path.read_bytes())
    if not text.strip():
        raise InputFileError(path, "the file is empty", hint="re-download the file")
    end = text.find("\n")
    first = (text if end < 0 else text[:end]).rstrip("\r")
    header = next(csv.reader([first]))
    layout, names = _detect(path, header)
    text_cols = {"timestamp", "symbol", "series"}
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            header=None,
            skiprows=1,
            names=[n or f"_skip{i}" for i, n in enumerate(names)],
            dtype={n: str for n in names if n in text_cols},
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputFileError(path, f"malformed CSV: {exc}", hint="check the rows named") from exc
    # no usecols: with it pandas silently ignores extra fields in ragged rows
    frame = frame[[n for n in names if n]]
    frame["_line"] = np.arange(2, len(frame) + 2, dtype=np.int64)
    frame = frame[frame.drop(columns="_line").notna().any(axis=1)]  # blank lines
    if frame.empty:
        raise InputFileError(path, "no data rows (header only)", hint="re-download the file")
    return layout, frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise InputFileError(path, f"cannot read Parquet: {exc}", hint="re-export it") from exc
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


def _to_numeric(path: Path, frame: pd.DataFrame) -> None:
    for col in [c for c in frame.columns if c in BAR_COLUMNS[1:] or c in OPTIONAL_BAR_COLUMNS]:
        values = frame[col]
        if not pd.api.types.is_numeric_dtype(values.dtype):
            numeric = pd.to_numeric(values, errors="coerce")
            bad = numeric.isna() & values.notna()
            if bad.any():
                raise _fail_rows(path, f"non-numeric {col}", frame, bad, "fix or remove these rows")
            values = numeric
        frame[col] = values.astype(np.float64)


def check_prices(bars: pd.DataFrame, path: Path | str) -> None:
    """Hard price checks: every open/high/low/close must be a finite number > 0.

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars with float ``open, high, low, close`` and a ``_line`` column (source lines).
    path : pathlib.Path or str
        File the bars came from (for the message).

    Raises
    ------
    InputFileError
        Naming the first problem found (NaN, infinite or non-positive prices) and up to five
        of its line numbers.
    """
    prices = bars[list(PRICE_COLUMNS)].to_numpy(dtype=np.float64)
    nan = np.isnan(prices).any(axis=1)
    if nan.any():
        raise _fail_rows(Path(path), "missing (NaN) prices", bars, nan, "fill or remove them")
    bad = (~np.isfinite(prices) | (prices <= 0)).any(axis=1)
    if bad.any():
        raise _fail_rows(
            Path(path),
            "non-positive or infinite prices (open/high/low/close <= 0)",
            bars,
            bad,
            "prices must be > 0; fix or remove these rows",
        )


_TZ_SUFFIX = r"(?:Z|[+-]\d\d:?\d\d)$"
_OFFSET = re.compile(r"[+-]\d\d:\d\d")
_TIME_HINT = "use ISO timestamps such as 2024-01-05 or 2023-07-03 09:15:00+05:30"


def _mixed_zones(path: Path, frame: pd.DataFrame, text: pd.Series) -> InputFileError:
    """Error naming the lines whose time zone differs from the majority's."""
    zone = text.str.extract(f"({_TZ_SUFFIX[:-1]})$", expand=False).fillna("naive")
    counts = zone.value_counts()
    odd = (zone != counts.index[0]).to_numpy()
    return _fail_rows(path, f"mixed time zones {list(counts.index)}", frame, odd, _TIME_HINT)


def _parse_times(path: Path, frame: pd.DataFrame) -> pd.Series:
    """Timestamps as tz-aware IST (naive ones are taken as IST)."""
    raw = frame["timestamp"]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert(IST)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.dt.tz_localize(IST)
    text = raw.astype(str).where(raw.notna(), "")
    tails: list[object] = list(text.str[-6:].unique()) if len(str(text.iloc[0])) > 10 else []
    if len(tails) == 1 and _OFFSET.fullmatch(str(tails[0])):
        # fast path: one fixed offset for every stamp (e.g. +05:30): parse the rest as naive
        offset = str(tails[0])
        naive = pd.to_datetime(text.str[:-6], format="ISO8601", errors="coerce")
        if not isinstance(naive.dtype, pd.DatetimeTZDtype):
            bad = naive.isna()
            if bad.any():
                raise _fail_rows(path, "unparseable timestamps", frame, bad, _TIME_HINT)
            shift = pd.Timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            utc = naive - shift if offset[0] == "+" else naive + shift
            return utc.dt.tz_localize("UTC").dt.tz_convert(IST)
    with warnings.catch_warnings():
        # pandas warns on mixed offsets (object result); that case is reported below
        warnings.simplefilter("ignore", FutureWarning)
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if parsed.isna().any():  # retry once without surrounding blanks
            text = text.str.strip()
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if parsed.dtype == object:
        raise _mixed_zones(path, frame, text)
    bad = parsed.isna()
    if bad.any():
        raise _fail_rows(path, "unparseable timestamps", frame, bad, _TIME_HINT)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        # pandas silently gives later naive stamps the first one's offset: check them all
        if not bool(text.str.contains(_TZ_SUFFIX, regex=True).all()):
            raise _mixed_zones(path, frame, text)
        return parsed.dt.tz_convert(IST)
    return parsed.dt.tz_localize(IST)


def _detect_interval(path: Path, ts: pd.Series, given: str | None) -> str:
    """Interval from the timestamps; checks a given interval against them."""
    if given is not None and given not in INTERVALS:
        raise InputFileError(path, f"unknown interval {given!r}", hint=f"use one of {INTERVALS}")
    days = ts.dt.normalize()
    midnight = bool((ts == days).all())
    values = np.sort(ts.to_numpy(dtype="datetime64[ns]").astype(np.int64))
    day_values = np.sort(days.to_numpy(dtype="datetime64[ns]").astype(np.int64))
    steps = np.diff(values) // 1_000_000_000
    same_day = np.diff(day_values) == 0
    spacing = steps[same_day & (steps > 0)]
    if midnight or spacing.size == 0:
        detected = "1day"
        if given not in (None, "1day") and not midnight:
            return str(given)  # one bar per day at a time of day: cannot tell, trust caller
        gaps = np.diff(np.unique(day_values)) // (86_400 * 1_000_000_000)
        if gaps.size >= 2 and float(np.median(gaps)) > 5:
            raise InputFileError(
                path,
                f"daily stamps lie a median {float(np.median(gaps)):.0f} days apart: "
                "weekly or monthly bars are not supported",
                hint="import daily (or 1/5/30-minute) bars",
            )
    else:
        modes, counts = np.unique(spacing, return_counts=True)
        mode = int(modes[np.argmax(counts)])
        if mode not in SPACING_INTERVALS:
            raise InputFileError(
                path,
                f"unsupported bar spacing of {mode} s (modal spacing within a session)",
                hint="supported: 1day, 30minute (1800 s), 5minute (300 s), 1minute (60 s)",
            )
        detected = SPACING_INTERVALS[mode]
    if given is not None and given != detected:
        raise InputFileError(
            path,
            f"interval {given!r} was given but the timestamps look like {detected!r}",
            hint="pass the right interval or leave it out to detect it",
        )
    return detected


def _column_symbol(path: Path, frame: pd.DataFrame) -> str:
    """Latest symbol of a file's symbol column; refuses files holding several symbols at once."""
    syms = frame["symbol"].astype("string").str.strip().str.upper()
    if syms.isna().any():
        raise _fail_rows(path, "empty Symbol", frame, syms.isna(), "fill the Symbol column")
    if syms.nunique() > 1:
        spans = frame.groupby(syms, sort=False)["timestamp"].agg(["min", "max"]).sort_values("min")
        if bool((spans["min"].iloc[1:].to_numpy() <= spans["max"].iloc[:-1].to_numpy()).any()):
            raise InputFileError(
                path,
                f"the file holds {syms.nunique()} symbols at the same dates "
                f"({', '.join(list(spans.index)[:5])} ...)",
                hint="split it into one file per symbol",
            )
    return validate_symbol(str(syms.iloc[int(frame["timestamp"].argmax())]))


def read_bar_file(
    path: Path, *, symbol: str | None = None, interval: str | None = None
) -> ParsedFile:
    """Read one bar file, detect its layout and interval, and normalise it.

    Parameters
    ----------
    path : pathlib.Path
        CSV (any layout in the module notes) or ``.parquet`` file with store column names.
    symbol : str, optional
        NSE symbol of the bars; default: the file's symbol column or its file name.
    interval : str, optional
        Expected interval; checked against the timestamps. Default: detected.

    Returns
    -------
    ParsedFile
        Layout, symbol, interval and the bars (sorted, not cleaned, with ``_line``).

    Raises
    ------
    InputFileError
        On an empty or header-only file, undecodable bytes, an unknown layout, missing
        columns, unparseable or future timestamps, mixed time zones, non-numeric / NaN /
        non-positive prices, an unsupported bar spacing or a contradicting ``interval``. The
        message names the problem and up to five line numbers.
    InvalidSymbolError
        If ``symbol`` is given and invalid.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "no such file", hint="check the path")
    if path.suffix.lower() == ".parquet":
        layout, frame = "parquet", _read_parquet(path)
    else:
        layout, frame = _read_csv(path)
    frame = frame.reset_index(drop=True)
    if "series" in frame.columns:  # Kaggle: equity series only
        series = frame["series"].astype("string").str.strip().str.upper()
        frame = frame[(series == "EQ").fillna(False).to_numpy(dtype=bool)].copy()
        if frame.empty:
            raise InputFileError(path, "no rows of series EQ", hint="is this an equity file?")
    _to_numeric(path, frame)
    check_prices(frame, path)
    ts = _parse_times(path, frame)
    future = ts > pd.Timestamp.now(tz=IST)
    if future.any():
        raise _fail_rows(path, "timestamps in the future", frame, future, "check the dates")
    frame["timestamp"] = ts
    found = _detect_interval(path, ts, interval)
    if found == "1day":
        frame["timestamp"] = ts.dt.normalize()
    if symbol is not None:
        sym: str | None = validate_symbol(symbol)
    elif "symbol" in frame.columns:
        sym = _column_symbol(path, frame)
    else:
        try:
            sym = symbol_from_filename(path.stem)
        except InvalidSymbolError:
            sym = None
    columns = [c for c in (*BAR_COLUMNS, *OPTIONAL_BAR_COLUMNS) if c in frame.columns]
    bars = frame[[*columns, "_line"]].sort_values("timestamp", kind="mergesort")
    return ParsedFile(
        path=path, layout=layout, symbol=sym, interval=found, bars=bars.reset_index(drop=True)
    )
