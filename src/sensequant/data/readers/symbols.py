"""The NSE symbol of a bar file: given, from its symbol column, or from its file name.

A symbol column may write the exchange before the symbol, as broker exports do
(``NSE:RELIANCE``): the ``NSE:`` prefix is stripped (and noted); any other exchange prefix
(``BSE:``, ``NFO:``, ``MCX:`` ...) is refused naming the lines, since only NSE bars are stored.

Without a symbol column the symbol comes from the file name (:func:`filename_symbol`): its
leading NSE symbol when the name carries an exchange prefix (``NSE_INFY``, ``NSE-INFY``,
``NSE:INFY``), a Yahoo suffix (``INFY.NS``) or a tail after ``_`` made only of dates, years,
``to`` and interval or source words (``INFY_2020-10-01_to_2025-09-30``, ``INFY_5minute``,
``INFY_daily``, ``TCS_2015_2024``); the name is read whole otherwise. The stripping is noted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import pandas as pd

from sensequant.data.market import symbol_from_filename, validate_symbol
from sensequant.data.readers.parsing import fail_rows
from sensequant.data.reference import canonical_symbol
from sensequant.errors import InputFileError, InvalidSymbolError

__all__ = ["EXCHANGE_PREFIX", "column_symbol", "file_symbol", "filename_symbol"]

EXCHANGE_PREFIX: Final = "NSE:"
"""Exchange prefix accepted (and stripped) in a symbol column."""
_PREFIX: Final = re.compile(r"^([A-Z][A-Z0-9]*):")
_NAME_PREFIX: Final = re.compile(r"^NSE[_:\- ]+(?=\S)", re.IGNORECASE)
_TOKEN: Final = (
    r"(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|to|\d*(?:minutes?|mins?|m|days?|d|hours?|h)|daily|"
    r"intraday|eod|historical|history|hist|data|eq|nse|ohlcv?|bars?|prices?|yf|yahoo)"
)
_NAME_TAIL: Final = re.compile(rf"^{_TOKEN}(?:[_\- ]{_TOKEN})*$", re.IGNORECASE)


def filename_symbol(stem: str) -> tuple[str, str | None]:
    """The NSE symbol a file name stands for, and a note when a prefix or suffix was dropped.

    Parameters
    ----------
    stem : str
        File name without its extension (``INFY_2020-10-01_to_2025-09-30``).

    Returns
    -------
    symbol : str
        The validated symbol (see the module notes and
        :func:`sensequant.data.market.symbol_from_filename`).
    note : str or None
        ``"<stem> stored as <symbol> (symbol from the file name)"`` when anything was dropped.

    Raises
    ------
    InvalidSymbolError
        If no valid symbol remains.
    """
    core = _NAME_PREFIX.sub("", stem.strip())
    head, sep, tail = core.partition("_")
    if sep and head and _NAME_TAIL.match(tail):
        core = head
    symbol = symbol_from_filename(core)
    try:
        plain: str | None = symbol_from_filename(stem)
    except InvalidSymbolError:
        plain = None
    note = None if plain == symbol else f"{stem} stored as {symbol} (symbol from the file name)"
    return symbol, note


def _strip_exchange(path: Path, frame: pd.DataFrame, raw: pd.Series, notes: list[str]) -> pd.Series:
    """``raw`` (upper-cased symbols) without the ``NSE:`` prefix; other exchanges refused."""
    prefix = raw.str.extract(_PREFIX, expand=False)
    has = prefix.notna().to_numpy(dtype=bool)
    if not has.any():
        return raw
    other = has & (prefix.fillna("").to_numpy(dtype=str) != EXCHANGE_PREFIX[:-1])
    if other.any():
        first = str(raw[other].iloc[0])
        raise fail_rows(
            path,
            f"symbols of another exchange than NSE in the Symbol column (first {first!r})",
            frame,
            other,
            f"only NSE bars are imported (symbols written RELIANCE or {EXCHANGE_PREFIX}RELIANCE); "
            "remove these rows or import the NSE file",
        )
    stripped = raw.str.slice(len(EXCHANGE_PREFIX)).where(has, raw)
    for value in raw[has].unique():
        notes.append(f"{value} stored as {str(value)[len(EXCHANGE_PREFIX) :]} (exchange prefix)")
    return stripped


def column_symbol(
    path: Path, frame: pd.DataFrame, aliases: Mapping[str, str] | None, notes: list[str]
) -> str:
    """One symbol for a file's symbol column: old and new names of one company (alias table,
    or one symbol following another in time) become the latest; symbols trading at the same
    dates, and exchanges other than NSE, are refused (see the module notes)."""
    raw = frame["symbol"].astype("string").str.strip().str.upper()
    if raw.isna().any() or (raw == "").any():
        empty = (raw.isna() | (raw == "")).to_numpy(dtype=bool)
        raise fail_rows(path, "empty Symbol", frame, empty, "fill the Symbol column")
    raw = _strip_exchange(path, frame, raw, notes)
    mapping: dict[str, str] = {}
    for value in raw.unique():
        try:
            valid = validate_symbol(str(value))
        except InvalidSymbolError as exc:
            raise fail_rows(
                path,
                f"bad value in the Symbol column: {exc.message}",
                frame,
                (raw == value).to_numpy(dtype=bool),
                "a symbol is A-Z, 0-9, & - _ . only (no path separators); fix these rows",
            ) from None
        mapping[str(value)] = canonical_symbol(valid, aliases) if aliases else valid
    syms = raw.map(mapping)
    if syms.nunique() > 1:
        spans = frame.groupby(syms, sort=False)["timestamp"].agg(["min", "max"]).sort_values("min")
        if bool((spans["min"].iloc[1:].to_numpy() <= spans["max"].iloc[:-1].to_numpy()).any()):
            raise InputFileError(
                path,
                f"the file holds {syms.nunique()} symbols at the same dates "
                f"({', '.join(list(spans.index)[:5])} ...)",
                hint="split it into one file per symbol",
            )
    final = str(syms.iloc[int(frame["timestamp"].argmax())])
    for old in sorted(mapping):
        if old != final:
            why = "alias table" if mapping[old] == final else "the file's latest symbol"
            notes.append(f"{old} stored as {final} ({why})")
    return final


def file_symbol(
    path: Path, frame: pd.DataFrame, symbol: str | None, aliases: Mapping[str, str] | None
) -> tuple[str | None, list[str]]:
    """The bars' symbol (``symbol``, else the symbol column, else the file name; mapped
    through ``aliases``) and notes on what was decided; None when no valid symbol is known."""
    notes: list[str] = []
    if symbol is not None:
        sym: str | None = validate_symbol(symbol)
    elif "symbol" in frame.columns:
        return column_symbol(path, frame, aliases, notes), notes
    else:
        try:
            sym, note = filename_symbol(path.stem)
        except InvalidSymbolError:
            return None, notes
        notes.extend([note] if note else [])
    if sym is not None and aliases:
        current = canonical_symbol(sym, aliases)
        if current != sym:
            notes.append(f"{sym} stored as {current} (alias table)")
            sym = current
    return sym, notes
