"""Symbol aliases: old NSE trading symbols and the symbol the same company trades under now.

NSE symbols change when a company renames itself (``UTIBANK`` -> ``AXISBANK``). Old files
(the Kaggle NIFTY-50 set, bhavcopies before a rename) carry the old symbol; the store keeps ONE
series per company under its current symbol. Sources of the table:

* the packaged ``sensequant/resources/symbol_aliases.yaml`` (renames only, never mergers:
  ``HDFC`` -> ``HDFCBANK`` is a different company's shares and is NOT an alias);
* the catalog table ``symbol_aliases`` (user entries; they win over the packaged file, and
  ``OLD -> OLD`` switches a packaged alias off). The packaged entries are copied into it on
  first use, with source ``packaged``.

Chains are followed (``SESAGOA`` -> ``SSLT`` -> ``VEDL``); a cycle is an error.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Final

import yaml

from sensequant.data.catalog import Catalog
from sensequant.data.market import validate_symbol
from sensequant.errors import DataError, InvalidSymbolError

__all__ = ["PACKAGED_ALIASES_FILE", "canonical_symbol", "load_aliases", "packaged_aliases"]

PACKAGED_ALIASES_FILE: Final = "resources/symbol_aliases.yaml"
"""Package-relative path of the packaged alias table."""


@functools.cache
def _packaged() -> tuple[tuple[str, str], ...]:
    text = (resources.files("sensequant") / PACKAGED_ALIASES_FILE).read_text("utf-8")
    data = yaml.safe_load(text) or {}
    entries = data.get("aliases") or {}
    if not isinstance(entries, dict):
        raise DataError(
            f"sensequant/{PACKAGED_ALIASES_FILE}: 'aliases' must be a mapping OLD: NEW",
            hint="reinstall SenseQuant",
        )
    pairs: list[tuple[str, str]] = []
    for old, new in entries.items():
        try:
            pairs.append((validate_symbol(str(old)), validate_symbol(str(new))))
        except InvalidSymbolError as exc:
            raise DataError(
                f"sensequant/{PACKAGED_ALIASES_FILE}: bad entry {old!r}: {new!r} ({exc.message})",
                hint="reinstall SenseQuant",
            ) from None
    return tuple(pairs)


def packaged_aliases() -> dict[str, str]:
    """The packaged alias table (old symbol -> newer symbol), validated.

    Returns
    -------
    dict of str to str
        A fresh copy; entries may chain (use :func:`canonical_symbol`).

    Raises
    ------
    DataError
        If the packaged file is malformed.
    """
    return dict(_packaged())


def canonical_symbol(symbol: str, aliases: Mapping[str, str]) -> str:
    """The current symbol of ``symbol``, following alias chains.

    Parameters
    ----------
    symbol : str
        A valid NSE symbol (old or current), upper-case as :func:`validate_symbol` returns it.
    aliases : mapping of str to str
        Old symbol -> newer symbol (:func:`load_aliases` or :func:`packaged_aliases`).

    Returns
    -------
    str
        ``symbol`` itself when it has no alias, else the end of its chain
        (``SESAGOA`` -> ``VEDL``).

    Raises
    ------
    DataError
        If the chain loops (``A -> B -> A``); the message shows the loop.
    """
    seen = [symbol]
    current = symbol
    while current in aliases:
        current = aliases[current]
        if current in seen:
            loop = " -> ".join([*seen[seen.index(current) :], current])
            raise DataError(
                f"symbol alias table has a cycle: {loop}",
                hint="remove one of these entries from the catalog table symbol_aliases",
            )
        seen.append(current)
    return current


def load_aliases(catalog: Catalog) -> dict[str, str]:
    """The alias table in force: packaged entries overlaid with the catalog's (catalog wins).

    Packaged entries missing from the catalog table are written into it first (source
    ``packaged``), so the catalog shows the whole table; existing catalog entries are never
    overwritten. A catalog entry mapping a symbol to itself (``OLD -> OLD``) switches a
    packaged alias off.

    Parameters
    ----------
    catalog : Catalog

    Returns
    -------
    dict of str to str
        Old symbol -> newer symbol; every chain checked for cycles.

    Raises
    ------
    DataError
        A cycle in the merged table, or a malformed packaged file.
    StoreError
        If the catalog cannot be written.
    """
    stored = catalog.aliases()
    missing = {old: new for old, new in _packaged() if old not in stored}
    if missing:
        catalog.upsert_aliases(missing, source="packaged")
    merged = {**dict(_packaged()), **stored}
    merged = {old: new for old, new in merged.items() if old != new}
    for old in merged:
        canonical_symbol(old, merged)
    return merged
