"""NSE symbol validation and the file-name forms of symbols.

Three spellings of a symbol exist in SenseQuant:

* the **NSE symbol** itself (``RELIANCE``, ``M&M``, ``BAJAJ-AUTO``, the index ``NIFTY 50``),
  checked by :func:`validate_symbol`;
* the **input file stem** of a downloaded file (``MM.csv`` for ``M&M``,
  ``nifty50_2000_2019.csv`` for ``NIFTY 50``), read by :func:`symbol_from_filename`;
* the **store file name**, a reversible percent-encoding of every character outside
  ``[A-Z0-9_-]`` (``M%26M``, ``NIFTY%2050``), written by :func:`symbol_to_filename` and read
  back by :func:`symbol_from_store_filename`.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote

from sensequant.errors import InvalidSymbolError

MAX_SYMBOL_LENGTH: Final = 32
"""Longest accepted symbol (NSE symbols are at most 20 characters; indices are longer)."""

FILE_SAFE_ALIASES: Final[dict[str, str]] = {
    "MM": "M&M",
    "MMFIN": "M&MFIN",
}
"""File-name-safe stems of NSE symbols that contain ``&`` (upper-case stem -> symbol)."""

_ALLOWED = re.compile(r"[A-Z0-9&_.\-]+(?: [A-Z0-9&_.\-]+)*")
_STORE_SAFE: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_STORE_NAME = re.compile(r"(?:[A-Z0-9_\-]|%[0-9A-F]{2})+")
_INDEX_STEM = re.compile(r"nifty[ _\-]?50(?!\d)", re.IGNORECASE)
_YAHOO_SUFFIX = re.compile(r"\.(NS|BO)$")
_HINT = "use the NSE symbol, e.g. RELIANCE, M&M, BAJAJ-AUTO or 'NIFTY 50'"


def _reject(value: str, rule: str) -> InvalidSymbolError:
    return InvalidSymbolError(f"invalid symbol {value!r}: {rule}", hint=_HINT)


def validate_symbol(symbol: str) -> str:
    """Check an NSE symbol and return its canonical (stripped, upper-case) form.

    Parameters
    ----------
    symbol : str
        Symbol as typed or read, e.g. ``" reliance "``, ``"M&M"``, ``"NIFTY 50"``.

    Returns
    -------
    str
        The stripped, upper-case symbol.

    Raises
    ------
    InvalidSymbolError
        If the symbol is empty, longer than :data:`MAX_SYMBOL_LENGTH`, contains control
        characters, ``/``, ``\\``, ``..``, starts with ``.``, or holds characters other than
        ``A-Z 0-9 & - _ .`` and single inner spaces. The message names the value and the rule.
    """
    if not isinstance(symbol, str):
        raise _reject(repr(symbol), f"expected a string, got {type(symbol).__name__}")
    value = symbol.strip().upper()
    if not value:
        raise _reject(symbol, "it is empty")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise _reject(symbol, "it contains control characters")
    if "/" in value or "\\" in value:
        raise _reject(symbol, "it contains a path separator ('/' or '\\')")
    if ".." in value:
        raise _reject(symbol, "it contains '..'")
    if value.startswith("."):
        raise _reject(symbol, "it starts with '.'")
    if len(value) > MAX_SYMBOL_LENGTH:
        raise _reject(symbol, f"it is longer than {MAX_SYMBOL_LENGTH} characters")
    if not _ALLOWED.fullmatch(value):
        raise _reject(
            symbol,
            "allowed are A-Z, 0-9, '&', '-', '_', '.' and single spaces between words",
        )
    return value


def symbol_from_filename(stem: str) -> str:
    """NSE symbol of an input file, from its file stem.

    Rules, in order: percent-encoded stems are decoded (``M%26M`` -> ``M&M``); stems of
    NIFTY 50 index files (``nifty50_2000_2019``, ``nifty50_2007_2024_yf``, ``NIFTY_50``) map to
    ``"NIFTY 50"`` (``nifty500`` does not); a Yahoo exchange suffix ``.NS`` / ``.BO`` is
    dropped; the stem is upper-cased and looked up in :data:`FILE_SAFE_ALIASES`
    (``MM`` -> ``M&M``).

    Parameters
    ----------
    stem : str
        File name without its extension, e.g. ``Path("MM.csv").stem``.

    Returns
    -------
    str
        The validated NSE symbol.

    Raises
    ------
    InvalidSymbolError
        If the resulting symbol is not valid (see :func:`validate_symbol`).
    """
    value = unquote(stem) if "%" in stem else stem
    value = value.strip()
    if _INDEX_STEM.match(value):
        return "NIFTY 50"
    value = _YAHOO_SUFFIX.sub("", value.upper())
    return validate_symbol(FILE_SAFE_ALIASES.get(value, value))


def symbol_to_filename(symbol: str) -> str:
    """Store file stem of a symbol: percent-encode every character outside ``[A-Z0-9_-]``.

    Parameters
    ----------
    symbol : str
        NSE symbol; validated first.

    Returns
    -------
    str
        File-name-safe stem, e.g. ``"M&M"`` -> ``"M%26M"``, ``"NIFTY 50"`` -> ``"NIFTY%2050"``.
        :func:`symbol_from_store_filename` reverses it exactly.

    Raises
    ------
    InvalidSymbolError
        If the symbol is not valid.
    """
    value = validate_symbol(symbol)
    return "".join(ch if ch in _STORE_SAFE else f"%{ord(ch):02X}" for ch in value)


def symbol_from_store_filename(name: str) -> str:
    """Symbol of a store file name written by :func:`symbol_to_filename`.

    Parameters
    ----------
    name : str
        File name with or without its extension (``"M%26M.parquet"`` or ``"M%26M"``). As ``.``
        is always percent-encoded in store names, everything from the first ``.`` on is taken
        as the extension.

    Returns
    -------
    str
        The NSE symbol (``"M&M"``).

    Raises
    ------
    InvalidSymbolError
        If the stem is not the canonical encoding of a valid symbol (e.g. a foreign file).
    """
    stem = name.split(".", 1)[0]
    if not _STORE_NAME.fullmatch(stem):
        raise InvalidSymbolError(
            f"{name!r} is not a store file name (expected [A-Z0-9_-] and %XX escapes)",
            hint="store file names are written by symbol_to_filename(); move foreign files away",
        )
    symbol = validate_symbol(unquote(stem))
    if symbol_to_filename(symbol) != stem:
        raise InvalidSymbolError(
            f"{name!r} is not the canonical store file name of {symbol!r} "
            f"(expected {symbol_to_filename(symbol)!r})",
            hint="rename the file or re-import the series",
        )
    return symbol
