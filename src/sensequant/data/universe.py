"""Universes: named symbol lists and NSE's index-constituent files.

Sources of a universe, by name:

* packaged (``sensequant/resources/universes.yaml``): ``nifty50`` (membership as of 2024-09,
  survivorship-biased for history) and ``metals`` (GOLDBEES, SILVERBEES);
* the catalog: lists imported from NSE's constituent CSVs (``ind_nifty100list.csv`` becomes
  ``nifty100``), see :func:`load_nse_index_list`;
* ``all``: every symbol stored at the interval, except indices (the benchmark ``NIFTY 50``);
* a comma-separated list of symbols and/or universe names (``RELIANCE,TCS``, ``nifty50,metals``).
"""

from __future__ import annotations

import csv
import functools
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sensequant.data.catalog import Catalog, SymbolInfo
from sensequant.data.store import BarStore
from sensequant.data.symbols import validate_symbol
from sensequant.errors import InputFileError, InvalidSymbolError, UnknownUniverseError
from sensequant.types import BENCHMARK_SYMBOL

__all__ = [
    "NSE_LIST_COLUMNS",
    "is_index_list_file",
    "is_index_symbol",
    "load_nse_index_list",
    "packaged_universes",
    "resolve_universe",
]

NSE_LIST_COLUMNS = ("Company Name", "Industry", "Symbol", "Series", "ISIN Code")
"""Header of NSE's index-constituent downloads (``ind_nifty100list.csv`` ...)."""

_ISIN = re.compile(r"^IN[A-Z0-9]{10}$")
_UNIVERSE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_NIFTY100_HINT = (
    "import NSE's constituent list first: `sensequant data import "
    "../shared/data/universe/ind_nifty100list.csv` (download: niftyindices.com)"
)


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


@functools.cache
def packaged_universes() -> dict[str, dict[str, Any]]:
    """The universes of the packaged ``resources/universes.yaml`` (name -> entry)."""
    text = (resources.files("sensequant") / "resources" / "universes.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {str(k).lower(): v for k, v in (data.get("universes") or {}).items()}


def _known_names(catalog: Catalog) -> list[str]:
    return sorted({*packaged_universes(), "nifty100", "all", *catalog.universes()})


def _resolve_one(item: str, catalog: Catalog, store: BarStore, interval: str) -> list[str]:
    name = item.lower()
    if name == "all":
        return [s for s in store.symbols(interval) if not is_index_symbol(s)]
    packaged = packaged_universes()
    if name in packaged:
        return [validate_symbol(str(s)) for s in packaged[name]["symbols"]]
    members = catalog.universe(name)
    if members:
        return members
    if name == "nifty100":
        raise UnknownUniverseError(
            "universe nifty100 is not loaded in the catalog", hint=_NIFTY100_HINT
        )
    if _UNIVERSE_NAME.match(item):
        raise UnknownUniverseError(
            f"unknown universe {item!r}; known: {', '.join(_known_names(catalog))}",
            hint=f"lower-case words are universe names; for the symbol write {item.upper()!r}",
        )
    return [validate_symbol(item)]


def resolve_universe(
    spec: str, catalog: Catalog, store: BarStore, interval: str = "1day"
) -> list[str]:
    """Turn a universe spec into symbols.

    Parameters
    ----------
    spec : str
        ``nifty50``, ``nifty100``, ``metals``, ``all``, any universe imported into the catalog,
        or a comma-separated mix of NSE symbols and such names (``RELIANCE,TCS,metals``).
        Lower-case words are universe names; anything else is a symbol.
    catalog : Catalog
        Holds imported universes (``nifty100``).
    store : BarStore
        Read only for ``all``; other specs do not check that bars exist (pre-flight does).
    interval : str, default "1day"
        Interval whose stored symbols ``all`` means.

    Returns
    -------
    list of str
        Sorted unique symbols.

    Raises
    ------
    UnknownUniverseError
        Unknown universe name (the message lists the known ones), ``nifty100`` not imported,
        an empty spec or an empty result.
    InvalidSymbolError
        A malformed symbol (``../x``).
    """
    items = [part.strip() for part in spec.split(",") if part.strip()]
    if not items:
        raise UnknownUniverseError(
            f"empty universe {spec!r}", hint=f"use one of {', '.join(_known_names(catalog))}"
        )
    symbols: set[str] = set()
    for item in items:
        symbols.update(_resolve_one(item, catalog, store, interval))
    if not symbols:
        raise UnknownUniverseError(
            f"universe {spec!r} has no symbols at {interval}",
            hint="import data first: `sensequant data import PATH`",
        )
    return sorted(symbols)
