"""Universe files: NSE's index-constituent CSVs and plain symbol lists.

:func:`load_nse_index_list` reads NSE's constituent downloads (``ind_nifty100list.csv``) into
symbol-master rows; :func:`read_universe_file` reads a universe FILE (one symbol per line or a
CSV with a ``Symbol`` column). Re-exported by :mod:`sensequant.data.reference.universe`.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from sensequant.data.catalog import SymbolInfo
from sensequant.data.market import validate_symbol
from sensequant.errors import InputFileError, InvalidSymbolError
from sensequant.types import BENCHMARK_SYMBOL

__all__ = [
    "NSE_LIST_COLUMNS",
    "is_index_list_file",
    "is_index_symbol",
    "load_nse_index_list",
    "read_universe_file",
]

NSE_LIST_COLUMNS = ("Company Name", "Industry", "Symbol", "Series", "ISIN Code")
"""Header of NSE's index-constituent downloads (``ind_nifty100list.csv`` ...)."""

_ISIN = re.compile(r"^IN[A-Z0-9]{10}$")


def is_index_symbol(symbol: str) -> bool:
    """True for an index such as ``NIFTY 50`` or ``NIFTY BANK``.

    NSE index names contain a space and equity/ETF symbols never do, so ETFs like
    ``NIFTYBEES`` are not indices.
    """
    return symbol == BENCHMARK_SYMBOL or " " in symbol


def is_index_list_file(path: Path) -> bool:
    """True when ``path`` is a CSV whose header is NSE's constituent-list header.

    Only the first line is read; unreadable files give False.
    """
    if path.suffix.lower() != ".csv" or not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    names = {h.strip() for h in header}
    return {"Symbol", "ISIN Code", "Company Name"} <= names


def load_nse_index_list(path: Path) -> list[SymbolInfo]:
    """Read an NSE index-constituent CSV (``Company Name,Industry,Symbol,Series,ISIN Code``).

    Parameters
    ----------
    path : pathlib.Path
        e.g. ``ind_nifty100list.csv`` from niftyindices.com.

    Returns
    -------
    list of SymbolInfo
        One per row, in file order (name, industry, series and ISIN filled).

    Raises
    ------
    InputFileError
        If columns are missing, the file has no rows, or rows have a bad symbol, a bad ISIN
        (12 characters starting ``IN``) or a duplicate symbol (the message lists the lines).
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputFileError(path, f"cannot read the file ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in NSE_LIST_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(
            path,
            f"missing columns {missing} (found {list(frame.columns)})",
            hint=f"an NSE constituent list has the header {','.join(NSE_LIST_COLUMNS)}",
        )
    if frame.empty:
        raise InputFileError(path, "no rows", hint="download the list again from NSE")
    rows: list[SymbolInfo] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(frame.to_dict("records")):
        line = i + 2  # 1-based, after the header
        raw_symbol = rec["Symbol"].strip()
        isin = rec["ISIN Code"].strip().upper()
        try:
            symbol = validate_symbol(raw_symbol)
        except InvalidSymbolError:
            problems.append(f"line {line}: bad symbol {raw_symbol!r}")
            continue
        if not _ISIN.match(isin):
            problems.append(f"line {line}: bad ISIN {isin!r} for {symbol}")
            continue
        if symbol in seen:
            problems.append(f"line {line}: {symbol} repeats line {seen[symbol]}")
            continue
        seen[symbol] = line
        rows.append(
            SymbolInfo(
                symbol=symbol,
                name=rec["Company Name"].strip() or None,
                industry=rec["Industry"].strip() or None,
                isin=isin,
                series=rec["Series"].strip() or None,
            )
        )
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; ... {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise InputFileError(
            path,
            f"{len(problems)} bad rows: {shown}",
            hint="an ISIN is 12 characters starting with IN; fix or re-download the file",
        )
    return rows


def _problems_text(problems: list[str]) -> str:
    shown = "; ".join(problems[:5])
    return shown + (f"; ... {len(problems) - 5} more" if len(problems) > 5 else "")


def read_universe_file(path: Path) -> list[str]:
    """Read a universe file: one symbol per line, or a CSV with a ``Symbol`` column.

    Text files: one NSE symbol per line (a line may also hold a comma-separated few); ``#``
    starts a comment; blank lines are skipped; symbols are upper-cased. CSV files (suffix
    ``.csv``, or a first line with a ``Symbol`` field): the ``Symbol`` column is read (NSE's
    constituent lists such as ``ind_nifty100list.csv`` are checked as
    :func:`load_nse_index_list` does).

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    list of str
        Valid symbols in file order, without repeats.

    Raises
    ------
    InputFileError
        The file cannot be read, is not UTF-8, has no ``Symbol`` column (CSV), holds no symbol,
        or has malformed symbols (the message names every bad line, 1-based).
    """
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(
            path, "universe file not found", hint="check the path, or use a universe name"
        ) from None
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read the file ({exc.strerror})") from None
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    header = [h.strip().lower() for h in next(csv.reader([first]), [])]
    if path.suffix.lower() == ".csv" or (len(header) > 1 and "symbol" in header):
        if is_index_list_file(path):
            return [r.symbol for r in load_nse_index_list(path)]
        return _symbols_from_csv(path, lines)
    entries: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        body = line.split("#", 1)[0]
        entries.extend((number, part) for part in body.split(",") if part.strip())
    return _validated(path, entries, "one NSE symbol per line, # for comments")


def _symbols_from_csv(path: Path, lines: list[str]) -> list[str]:
    numbered = [
        (n, ln) for n, ln in enumerate(lines, start=1) if ln.strip() and not ln.startswith("#")
    ]
    rows = list(csv.reader([ln for _, ln in numbered]))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "symbol" not in header:
        raise InputFileError(
            path,
            f"no Symbol column (found {rows[0] if rows else 'an empty file'})",
            hint="a CSV universe needs a 'Symbol' column, like NSE's constituent lists",
        )
    col = header.index("symbol")
    entries = [
        (number, row[col] if col < len(row) else "")
        for (number, _), row in zip(numbered[1:], rows[1:], strict=True)
    ]
    return _validated(path, entries, "the Symbol column holds NSE symbols such as M&M")


def _validated(path: Path, entries: list[tuple[int, str]], hint: str) -> list[str]:
    symbols: dict[str, None] = {}
    problems: list[str] = []
    for number, raw in entries:
        try:
            symbols[validate_symbol(raw)] = None
        except InvalidSymbolError as exc:
            problems.append(f"line {number}: {exc.message}")
    if problems:
        raise InputFileError(
            path, f"{len(problems)} bad lines: {_problems_text(problems)}", hint=hint
        )
    if not symbols:
        raise InputFileError(path, "no symbols in the file", hint=hint)
    return list(symbols)
