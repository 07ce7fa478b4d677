"""Building blocks shared by the bar-file readers (:mod:`.layouts`, :mod:`.bhavcopy`).

Everything here turns raw bytes or text columns into checked values and raises
:class:`~sensequant.errors.InputFileError` naming the file, the line numbers (header = line 1)
and a fix. Nothing here knows a layout. Decoding bytes to text lives in :mod:`.decoding`,
timestamp parsing in :mod:`.timestamps`.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from sensequant.errors import InputFileError
from sensequant.types import BAR_COLUMNS, OPTIONAL_BAR_COLUMNS

__all__ = [
    "MAX_PRICE",
    "PRICE_COLUMNS",
    "ParsedFile",
    "check_prices",
    "fail_rows",
    "lines_text",
    "read_csv_text",
    "to_numeric",
]

PRICE_COLUMNS: Final[tuple[str, ...]] = ("open", "high", "low", "close")
MAX_PRICE: Final = 1e8
"""Highest plausible price in rupees: 10 crore (1e8) per share or index point. The dearest
NSE share (MRF) trades near 1.5 lakh; a price above this is a unit or typo error."""
MAX_LINES: Final = 5
"""Line numbers shown in one message before ``and N more``."""


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


def _ragged_line(text: str, delimiter: str = ",") -> str:
    """Where the first row whose field count differs from the header's is, in words."""
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
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
        sep = str(kwargs.get("sep", ","))
        ragged = "field" in str(exc) or "Length" in str(exc)
        problem = _ragged_line(text, sep) if ragged else exc
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
                comma = "," in first and "." not in first
                raise fail_rows(
                    path,
                    f"non-numeric {col}",
                    frame,
                    bad,
                    "write decimals with a point (1234.5), not a comma"
                    if comma
                    else "numbers only (no currency signs or text); fix or remove these rows",
                    detail=f" (first value {first!r})",
                )
            values = numeric
        frame[col] = values.astype(np.float64)


def check_prices(bars: pd.DataFrame, path: Path | str) -> None:
    """Hard price checks: every open/high/low/close must be a finite number in
    ``(0, MAX_PRICE]`` (at most 10 crore rupees).

    Parameters
    ----------
    bars : pandas.DataFrame
        Bars with float ``open, high, low, close`` and a ``_line`` column (source lines).
    path : pathlib.Path or str
        File the bars came from (for the message).

    Raises
    ------
    InputFileError
        Naming the first problem found (NaN, infinite, non-positive or implausibly high
        prices) and up to five of its line numbers.
    """
    prices = bars[list(PRICE_COLUMNS)].to_numpy(dtype=np.float64)
    nan = np.isnan(prices).any(axis=1)
    if nan.any():
        raise fail_rows(Path(path), "missing (NaN) prices", bars, nan, "fill or remove them")
    inf = np.asarray(np.isinf(prices).any(axis=1), dtype=bool)
    if inf.any():
        raise fail_rows(
            Path(path), "infinite prices", bars, inf, "prices must be finite; fix or remove them"
        )
    bad = np.asarray((prices <= 0).any(axis=1), dtype=bool)
    if bad.any():
        raise fail_rows(
            Path(path),
            "non-positive prices (open/high/low/close <= 0)",
            bars,
            bad,
            "prices must be > 0; fix or remove these rows",
        )
    high = np.asarray((prices > MAX_PRICE).any(axis=1), dtype=bool)
    if high.any():
        first = float(prices[high].max(axis=1)[0])
        raise fail_rows(
            Path(path),
            f"implausible prices above {MAX_PRICE:.0e} rupees (10 crore)",
            bars,
            high,
            "a unit error (paise?) or a typo; fix or remove these rows",
            detail=f" (first {first:g})",
        )
