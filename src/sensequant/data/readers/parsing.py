"""Building blocks shared by the bar-file readers (:mod:`.layouts`, :mod:`.bhavcopy`).

Everything here turns raw bytes or text columns into checked values and raises
:class:`~sensequant.errors.InputFileError` naming the file, the line numbers (header = line 1)
and a fix. Nothing here knows a layout.

Decoding (:func:`decode_text`) accepts UTF-8 (with or without BOM) and UTF-16 with a BOM, and
rejects, each with its own message: UTF-16 without a BOM, other undecodable bytes (Latin-1 /
Windows-1252 exports), binary content, NUL bytes and HTML pages (a maintenance, login or error
page saved under a ``.csv`` name).
"""

from __future__ import annotations

import codecs
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

from sensequant.errors import InputFileError
from sensequant.types import BAR_COLUMNS, IST, OPTIONAL_BAR_COLUMNS

__all__ = [
    "PRICE_COLUMNS",
    "ParsedFile",
    "check_not_future",
    "check_prices",
    "decode_text",
    "fail_rows",
    "lines_text",
    "parse_times",
    "read_csv_text",
    "to_numeric",
]

PRICE_COLUMNS: Final[tuple[str, ...]] = ("open", "high", "low", "close")
MAX_LINES: Final = 5
"""Line numbers shown in one message before ``and N more``."""

_HTML_START = ("<!doctype html", "<html", "<?xml", "<head", "<body", "<!--")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_UTF8_HINT = "re-export the file as UTF-8 CSV (in Excel: Save As > CSV UTF-8)"


@dataclass(frozen=True)
class ParsedFile:
    """One bar file read and normalised (not yet cleaned).

    Attributes
    ----------
    path : pathlib.Path
        The file read.
    layout : str
        Detected layout, one of :data:`sensequant.data.readers.layouts.LAYOUTS`.
    symbol : str or None
        NSE symbol of every bar: the ``symbol`` argument, else the file's own symbol column
        (Kaggle: the latest name), else derived from the file name; mapped through the alias
        table when one was given. None for a multi-symbol file (NSE bhavcopy: then ``bars`` has
        a ``symbol`` column) or when no valid symbol is known.
    interval : str
        ``"1day"``, ``"30minute"``, ``"5minute"`` or ``"1minute"``.
    bars : pandas.DataFrame
        ``timestamp`` (tz-aware IST), ``open, high, low, close, volume`` (float64), the optional
        columns present, ``symbol`` (str) for multi-symbol files, and ``_line`` (int64, source
        line; header = line 1). Sorted by timestamp (stable), NOT deduplicated or cleaned:
        pass it to ``quality.clean_bars``.
    notes : tuple of str
        What the reader decided that a user should know, e.g. ``"UTIBANK stored as AXISBANK
        (alias table)"`` or that bhavcopy prices are raw (unadjusted).
    """

    path: Path
    layout: str
    symbol: str | None
    interval: str
    bars: pd.DataFrame
    notes: tuple[str, ...] = ()


def lines_text(lines: Sequence[int] | np.ndarray) -> str:
    """``line 4`` / ``lines 2, 3, 4, 5, 6 and 4 more`` for up to :data:`MAX_LINES` lines."""
    head = ", ".join(str(int(x)) for x in list(lines)[:MAX_LINES])
    more = len(lines) - MAX_LINES
    return (
        ("line " if len(lines) == 1 else "lines ")
        + head
        + (f" and {more} more" if more > 0 else "")
    )


def fail_rows(
    path: Path,
    problem: str,
    frame: pd.DataFrame,
    mask: np.ndarray | pd.Series,
    hint: str,
    detail: str = "",
) -> InputFileError:
    """Error naming the source lines (``_line`` column) of the rows selected by ``mask``.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    problem : str
        What is wrong, e.g. ``"non-numeric close"``.
    frame : pandas.DataFrame
        Rows with a ``_line`` column.
    mask : array of bool, shape (len(frame),)
        Offending rows.
    hint : str
        The fix.
    detail : str, optional
        Appended after the line numbers (e.g. ``" (first value 'abc')"``).

    Returns
    -------
    InputFileError
        ``"<problem> at line(s) ...<detail>"`` (to be raised by the caller).
    """
    lines = frame.loc[np.asarray(mask, dtype=bool), "_line"].to_numpy()
    return InputFileError(path, f"{problem} at {lines_text(np.sort(lines))}{detail}", hint=hint)


def _looks_utf16_without_bom(raw: bytes) -> bool:
    sample = raw[:4096]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    # ASCII text in UTF-16: every other byte is NUL (odd ones for LE, even ones for BE)
    return (
        max(odd.count(0) / len(odd), even.count(0) / len(even)) > 0.4
        and min(odd.count(0) / len(odd), even.count(0) / len(even)) < 0.05
    )


def _looks_binary(raw: bytes) -> bool:
    sample = raw[:4096]
    if not sample:
        return False
    text_bytes = set(range(32, 127)) | {9, 10, 13}
    odd = sum(b not in text_bytes and b < 128 for b in sample)
    return b"\x00" in sample or odd / len(sample) > 0.05


def _check_html(path: Path, text: str) -> None:
    head = text[:4096].lstrip()[:2048].lower()
    first = head.split("\n", 1)[0]
    if head.startswith(_HTML_START) or "<html" in first:
        match = _TITLE.search(text[:8192])
        title = " ".join(match.group(1).split())[:80] if match else ""
        shown = f" (page title {title!r})" if title else ""
        raise InputFileError(
            path,
            f"this is an HTML web page, not CSV data{shown}",
            hint="the download returned a web page (maintenance, login or error page) "
            "instead of the file: download it again later",
        )


def decode_text(path: Path, raw: bytes) -> str:
    """Decode a text data file: UTF-8 (BOM optional) or UTF-16 with a BOM.

    Parameters
    ----------
    path : pathlib.Path
        The file (for messages).
    raw : bytes
        Its content.

    Returns
    -------
    str
        The text (may be empty or blank: the caller decides).

    Raises
    ------
    InputFileError
        UTF-16 without a byte-order mark, binary content, undecodable bytes (naming line and
        byte offset), a NUL byte (naming the line) or an HTML page.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputFileError(
                path, f"broken UTF-16 text at byte {exc.start}", hint=_UTF8_HINT
            ) from None
    elif _looks_utf16_without_bom(raw):
        raise InputFileError(
            path,
            "the file looks like UTF-16 text without a byte-order mark (every other byte is 0)",
            hint=_UTF8_HINT,
        )
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if _looks_binary(raw):
                raise InputFileError(
                    path,
                    "binary content, not a text CSV file",
                    hint="is this really a CSV file? export the data as CSV or Parquet",
                ) from None
            line = raw.count(b"\n", 0, exc.start) + 1
            start = raw.rfind(b"\n", 0, exc.start) + 1
            column = raw.count(b",", start, exc.start) + 1
            where = "the header" if line == 1 else f"line {line}"
            raise InputFileError(
                path,
                f"undecodable bytes (not UTF-8) at line {line}, byte {exc.start}: column "
                f"{column} of {where} (Latin-1 / Windows-1252 text?)",
                hint=_UTF8_HINT,
            ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputFileError(
            path, f"binary data (NUL byte) at line {line}", hint="is this really a CSV file?"
        )
    _check_html(path, text)
    return text


def _ragged_line(text: str) -> str:
    """Where the first row whose field count differs from the header's is, in words."""
    rows = csv.reader(io.StringIO(text))
    width = len(next(rows, []))
    for number, row in enumerate(rows, start=2):
        if row and len(row) != width:
            return f"line {number} has {len(row)} fields, the header has {width}"
    return "rows do not match the header"


def read_csv_text(path: Path, text: str, hint: str, **kwargs: object) -> pd.DataFrame:
    """``pandas.read_csv`` on decoded text, refusing rows with more fields than the header.

    pandas silently turns the first columns into an index when the FIRST data row is longer
    than the header (shifting every value), and names no line otherwise; here any ragged row is
    an :class:`InputFileError` naming the first such line.

    Parameters
    ----------
    path : pathlib.Path
        The file (for messages).
    text : str
        Its decoded content.
    hint : str
        The fix to print.
    **kwargs
        Passed to :func:`pandas.read_csv` (``index_col`` is always False).

    Returns
    -------
    pandas.DataFrame
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame: pd.DataFrame = pd.read_csv(  # type: ignore[call-overload]
                io.StringIO(text), index_col=False, **kwargs
            )
            return frame
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as exc:
        problem = _ragged_line(text) if "field" in str(exc) or "Length" in str(exc) else exc
        raise InputFileError(path, f"malformed CSV: {problem}", hint=hint) from None


def to_numeric(path: Path, frame: pd.DataFrame, columns: Sequence[str] | None = None) -> None:
    """Convert bar columns in place to float64; text cells are an error naming lines.

    Parameters
    ----------
    path : pathlib.Path
        The file (for messages).
    frame : pandas.DataFrame
        Rows with ``_line``; modified in place.
    columns : sequence of str, optional
        Columns to convert (default: every store column present except ``timestamp``).

    Raises
    ------
    InputFileError
        ``non-numeric <column> at line(s) ...`` with the first offending value.
    """
    wanted = set(BAR_COLUMNS[1:]) | set(OPTIONAL_BAR_COLUMNS)
    cols = [c for c in frame.columns if c in wanted] if columns is None else list(columns)
    for col in cols:
        values = frame[col]
        if not pd.api.types.is_numeric_dtype(values.dtype):
            numeric = pd.to_numeric(values, errors="coerce")
            bad = (numeric.isna() & values.notna()).to_numpy(dtype=bool)
            if bad.any():
                first = str(values[bad].iloc[0])
                raise fail_rows(
                    path,
                    f"non-numeric {col}",
                    frame,
                    bad,
                    "numbers only (no currency signs or text); fix or remove these rows",
                    detail=f" (first value {first!r})",
                )
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
        raise fail_rows(Path(path), "missing (NaN) prices", bars, nan, "fill or remove them")
    bad = (~np.isfinite(prices) | (prices <= 0)).any(axis=1)
    if bad.any():
        raise fail_rows(
            Path(path),
            "non-positive or infinite prices (open/high/low/close <= 0)",
            bars,
            bad,
            "prices must be > 0; fix or remove these rows",
        )


def check_not_future(path: Path, frame: pd.DataFrame, ts: pd.Series) -> None:
    """Refuse timestamps after now (IST): a bar cannot describe the future.

    Raises
    ------
    InputFileError
        ``timestamps in the future at line(s) ...`` with today's IST date and the first one.
    """
    now = pd.Timestamp.now(tz=IST)
    future = (ts > now).to_numpy()
    if future.any():
        first = ts[future].min()
        raise fail_rows(
            path,
            "timestamps in the future",
            frame,
            future,
            "a bar cannot be dated after today: fix the dates (day and month swapped?) or "
            "remove these rows",
            detail=f" (today is {now:%Y-%m-%d} IST; earliest future stamp {first:%Y-%m-%d %H:%M})",
        )


_TZ_SUFFIX = r"(?:Z|[+-]\d\d:?\d\d)$"
_OFFSET = re.compile(r"[+-]\d\d:\d\d")
TIME_HINT: Final = "use ISO timestamps such as 2024-01-05 or 2023-07-03 09:15:00+05:30"


def _mixed_zones(path: Path, frame: pd.DataFrame, text: pd.Series) -> InputFileError:
    """Error naming the lines whose time zone differs from the majority's."""
    zone = text.str.extract(f"({_TZ_SUFFIX[:-1]})$", expand=False).fillna("naive")
    counts = zone.value_counts()
    odd = (zone != counts.index[0]).to_numpy()
    return fail_rows(path, f"mixed time zones {list(counts.index)}", frame, odd, TIME_HINT)


def parse_times(path: Path, frame: pd.DataFrame) -> pd.Series:
    """The ``timestamp`` column as tz-aware IST (naive stamps are taken as IST).

    Raises
    ------
    InputFileError
        Unparseable stamps or mixed time zones (naive and aware, or several offsets), naming
        the lines.
    """
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
                raise fail_rows(path, "unparseable timestamps", frame, bad, TIME_HINT)
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
        first = str(raw[bad.to_numpy()].iloc[0])
        raise fail_rows(
            path, "unparseable timestamps", frame, bad, TIME_HINT, detail=f" (first {first!r})"
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        # pandas silently gives later naive stamps the first one's offset: check them all
        if not bool(text.str.contains(_TZ_SUFFIX, regex=True).all()):
            raise _mixed_zones(path, frame, text)
        return parsed.dt.tz_convert(IST)
    return parsed.dt.tz_localize(IST)
