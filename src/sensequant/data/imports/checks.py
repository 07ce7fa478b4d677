"""Import checks: symbols the symbol master knows, series left empty, the conflict policy.

A symbol is known when the catalog's symbol master lists it (NSE constituent lists, the Breeze
security master), a packaged or catalog universe holds it, the alias table names it (old or
new), it is an index (``NIFTY 50``) or the store already holds bars of it. An unknown symbol is
usually a typo or a file named after something else (``prices.csv``): it imports with a
warning naming it, or fails the file under ``strict`` (``sensequant data import --strict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sensequant.data.catalog import Catalog
from sensequant.data.quality import CleanResult
from sensequant.data.reference import is_index_symbol, packaged_universes
from sensequant.data.store import BarStore
from sensequant.errors import InputFileError
from sensequant.types import INTERVALS

__all__ = ["check_known", "known_symbols", "require_rows"]


def known_symbols(catalog: Catalog, store: BarStore, aliases: Mapping[str, str]) -> frozenset[str]:
    """Every symbol the symbol master, the universes, the alias table or the store knows.

    Parameters
    ----------
    catalog : Catalog
    store : BarStore
    aliases : mapping of str to str
        Old symbol -> newer symbol.

    Returns
    -------
    frozenset of str
    """
    known: set[str] = {info.symbol for info in catalog.symbols()}
    for entry in packaged_universes().values():
        known.update(str(s).upper() for s in entry.get("symbols") or ())
    for name in catalog.universes():
        known.update(catalog.universe(name))
    known.update(aliases)
    known.update(aliases.values())
    for interval in INTERVALS:
        known.update(store.symbols(interval))
    return frozenset(known)


def check_known(path: Path, symbol: str, known: frozenset[str], *, strict: bool) -> str | None:
    """The warning for a symbol unknown to the symbol master (None when known or an index).

    Raises
    ------
    InputFileError
        Under ``strict``, naming the symbol and how to make it known.
    """
    if symbol in known or is_index_symbol(symbol):
        return None
    problem = (
        f"symbol {symbol} is not in the symbol master (catalog symbols, universes, alias "
        "table, stored series)"
    )
    hint = (
        "check the spelling or the file name; import NSE's constituent list holding it "
        "(ind_nifty100list.csv) or pass --symbol"
    )
    if strict:
        raise InputFileError(path, problem + ": refused (--strict)", hint=hint)
    return f"{path}: {problem}; imported anyway ({hint}; --strict refuses such files)"


def require_rows(path: Path, result: CleanResult) -> None:
    """Refuse a series that cleaning left empty (e.g. a file of weekend rows only).

    Raises
    ------
    InputFileError
        Naming how many rows were dropped and why.
    """
    if not result.bars.empty:
        return
    dropped = "; ".join(f.detail for f in result.findings if f.kind.endswith("_dropped"))
    raise InputFileError(
        path,
        f"no rows left to import: all {result.rows_in} rows were dropped "
        f"({dropped or 'see the findings'})",
        hint="a file of weekend or holiday rows only has nothing to import; check the dates "
        "(day and month swapped?)",
    )
