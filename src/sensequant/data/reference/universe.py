"""Universes: named symbol lists and NSE's index-constituent files.

Sources of a universe, by name:

* packaged (``sensequant/resources/universes.yaml``): ``nifty50`` (membership as of 2024-09,
  survivorship-biased for history) and ``metals`` (GOLDBEES, SILVERBEES);
* the catalog: lists imported from NSE's constituent CSVs (``ind_nifty100list.csv`` becomes
  ``nifty100``), see :func:`load_nse_index_list`;
* ``all``: every symbol stored at the interval, except indices (the benchmark ``NIFTY 50``);
* a FILE: one symbol per line (``#`` comments) or a CSV with a ``Symbol`` column, see
  :func:`read_universe_file`;
* a comma-separated list of symbols, universe names and files (``RELIANCE,TCS``,
  ``nifty50,metals``, ``nifty50,extra.txt``).

Listed symbols go through the alias table (:mod:`sensequant.data.reference.aliases`): an old NSE
symbol resolves to the current one (``UTIBANK`` -> ``AXISBANK``) and :func:`resolve` reports the
rename. Resolution never requires bars to exist unless asked (``require_stored``): ``data
fetch`` resolves universes whose symbols are not stored yet.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sensequant.data.catalog import Catalog
from sensequant.data.market import validate_symbol
from sensequant.data.reference.aliases import canonical_symbol, load_aliases
from sensequant.data.reference.universe_files import (
    NSE_LIST_COLUMNS,
    is_index_list_file,
    is_index_symbol,
    load_nse_index_list,
    read_universe_file,
)
from sensequant.data.store import BarStore
from sensequant.errors import NoDataError, UnknownUniverseError
from sensequant.types import INTERVALS

__all__ = [
    "NSE_LIST_COLUMNS",
    "UniverseResolution",
    "is_index_list_file",
    "is_index_symbol",
    "load_nse_index_list",
    "packaged_universes",
    "read_universe_file",
    "resolve",
    "resolve_universe",
]

_UNIVERSE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FILE_SUFFIXES = (".txt", ".csv", ".lst", ".list")
_NIFTY100_HINT = (
    "import NSE's constituent list first: `sensequant data import "
    "FOLDER/ind_nifty100list.csv` (download: niftyindices.com)"
)


@functools.cache
def packaged_universes() -> dict[str, dict[str, Any]]:
    """The universes of the packaged ``resources/universes.yaml`` (name -> entry)."""
    text = (resources.files("sensequant") / "resources" / "universes.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {str(k).lower(): v for k, v in (data.get("universes") or {}).items()}


def _known_names(catalog: Catalog) -> list[str]:
    return sorted({*packaged_universes(), "nifty100", "all", *catalog.universes()})


def _is_file_spec(item: str) -> bool:
    """A spec item names a file when it has a file suffix or (existing) path separators."""
    if item.lower().endswith(_FILE_SUFFIXES):
        return True
    return ("/" in item or "\\" in item) and Path(item).expanduser().is_file()


@dataclass(frozen=True)
class UniverseResolution:
    """What a universe spec resolved to.

    Attributes
    ----------
    spec : str
        The spec as given.
    symbols : list of str
        Sorted unique current symbols.
    renamed : dict of str to str
        Old symbol -> current symbol, for every member the alias table renamed.
    notes : list of str
        Human-readable notes (one per rename), for the CLI / pre-flight to show.
    """

    spec: str
    symbols: list[str]
    renamed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _stored_symbols(store: BarStore, interval: str | None) -> list[str]:
    intervals = INTERVALS if interval is None else (interval,)
    found = {s for iv in intervals for s in store.symbols(iv)}
    return sorted(s for s in found if not is_index_symbol(s))


def _resolve_one(item: str, catalog: Catalog) -> list[str]:
    """Members of one non-``all`` spec item (a name, a file or a symbol), before aliasing."""
    name = item.lower()
    if _is_file_spec(item):
        return read_universe_file(Path(item))
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
        known = _known_names(catalog)
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownUniverseError(
            f"unknown universe {item!r}{guess}; known: {', '.join(known)}",
            hint=f"lower-case words are universe names; for the symbol write {item.upper()!r}",
        )
    return [validate_symbol(item)]


def resolve(
    spec: str,
    catalog: Catalog,
    store: BarStore,
    interval: str | None = "1day",
    *,
    require_stored: bool = False,
) -> UniverseResolution:
    """Resolve a universe spec, with the renames the alias table made.

    Parameters
    ----------
    spec : str
        Comma-separated items, each one of: a universe name (``nifty50``, ``nifty100``,
        ``metals``, any universe imported into the catalog), ``all``, a FILE (a path with a
        ``.txt``/``.csv``/``.lst``/``.list`` suffix, or an existing file given with a
        folder: see :func:`read_universe_file`), or an NSE symbol. Lower-case words are
        universe names; anything else is a symbol.
    catalog : Catalog
        Imported universes and the alias table
        (:func:`sensequant.data.reference.aliases.load_aliases`).
    store : BarStore
        Read for ``all`` and for ``require_stored``.
    interval : str or None, default "1day"
        Interval whose stored symbols ``all`` means; None = stored at any interval.
    require_stored : bool, default False
        False: members need not have bars yet (``data fetch`` resolves a universe in order to
        fill the store; the pipeline's pre-flight reports missing series itself). True: every
        member must be stored at ``interval`` (any interval when None).

    Returns
    -------
    UniverseResolution
        Symbols are mapped to their current names through the alias table (``UTIBANK`` ->
        ``AXISBANK``, with a note); ``all`` lists stored series as they are named in the
        store, indices (``NIFTY 50``) excluded.

    Raises
    ------
    UnknownUniverseError
        Unknown universe name (the message lists the known ones), ``nifty100`` not imported,
        an empty spec or an empty result.
    InvalidSymbolError
        A malformed symbol in the spec (``../x``).
    InputFileError
        A universe file that is missing, unreadable or has bad lines (named with their line
        numbers).
    NoDataError
        ``require_stored`` and some members have no stored bars (the message names them).
    """
    items = [part.strip() for part in spec.split(",") if part.strip()]
    if not items:
        raise UnknownUniverseError(
            f"empty universe {spec!r}", hint=f"use one of {', '.join(_known_names(catalog))}"
        )
    symbols: set[str] = set()
    listed: list[str] = []
    for item in items:
        if item.lower() == "all":
            symbols.update(_stored_symbols(store, interval))
        else:
            listed.extend(_resolve_one(item, catalog))
    renamed: dict[str, str] = {}
    if listed:
        aliases = load_aliases(catalog)
        for sym in listed:
            current = canonical_symbol(sym, aliases)
            if current != sym:
                renamed[sym] = current
            symbols.add(current)
    where = f"at {interval}" if interval else "in the store"
    if not symbols:
        raise UnknownUniverseError(
            f"universe {spec!r} has no symbols {where}",
            hint="import data first: `sensequant data import PATH`",
        )
    if require_stored:
        missing = sorted(s for s in symbols if not _is_stored(store, s, interval))
        if missing:
            raise NoDataError(
                f"{len(missing)} of {len(symbols)} symbols of universe {spec!r} have no bars "
                f"{where}: {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}",
                hint="bring them first: `sensequant data fetch` or `sensequant data import PATH`",
            )
    notes = [f"{old} is now {new} (symbol alias table)" for old, new in sorted(renamed.items())]
    return UniverseResolution(spec, sorted(symbols), renamed, notes)


def _is_stored(store: BarStore, symbol: str, interval: str | None) -> bool:
    return any(store.exists(symbol, iv) for iv in (INTERVALS if interval is None else (interval,)))


def resolve_universe(
    spec: str,
    catalog: Catalog,
    store: BarStore,
    interval: str | None = "1day",
    *,
    require_stored: bool = False,
) -> list[str]:
    """Turn a universe spec into symbols (sorted, unique, current names).

    Same parameters, rules and errors as :func:`resolve`, which also returns the renames the
    alias table made.

    Returns
    -------
    list of str
    """
    return resolve(spec, catalog, store, interval, require_stored=require_stored).symbols
