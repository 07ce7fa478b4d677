"""The NSE symbol of a bar file: given, from its symbol column, or from its file name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from sensequant.data.market import symbol_from_filename, validate_symbol
from sensequant.data.readers.parsing import fail_rows
from sensequant.data.reference import canonical_symbol
from sensequant.errors import InputFileError, InvalidSymbolError

__all__ = ["column_symbol", "file_symbol"]


def column_symbol(
    path: Path, frame: pd.DataFrame, aliases: Mapping[str, str] | None, notes: list[str]
) -> str:
    """One symbol for a file's symbol column: old and new names of one company (alias table,
    or one symbol following another in time) become the latest; symbols trading at the same
    dates are refused."""
    raw = frame["symbol"].astype("string").str.strip().str.upper()
    if raw.isna().any() or (raw == "").any():
        empty = (raw.isna() | (raw == "")).to_numpy(dtype=bool)
        raise fail_rows(path, "empty Symbol", frame, empty, "fill the Symbol column")
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
    notes: list[str] = []
    if symbol is not None:
        sym: str | None = validate_symbol(symbol)
    elif "symbol" in frame.columns:
        return column_symbol(path, frame, aliases, notes), notes
    else:
        try:
            sym = symbol_from_filename(path.stem)
        except InvalidSymbolError:
            return None, notes
    if sym is not None and aliases:
        current = canonical_symbol(sym, aliases)
        if current != sym:
            notes.append(f"{sym} stored as {current} (alias table)")
            sym = current
    return sym, notes
