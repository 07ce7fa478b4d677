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
symbol
resolves to the current one (``UTIBANK`` -> ``AXISBANK``) and :func:`resolve` reports the
rename. Resolution never requires bars to exist unless asked (``require_stored``): ``data
fetch`` resolves universes whose symbols are not stored yet.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sensequant.data.catalog import Catalog, SymbolInfo
from sensequant.data.market import validate_symbol
from sensequant.data.reference.aliases import canonical_symbol, load_aliases
from sensequant.data.store import BarStore
from sensequant.errors import InputFileError, InvalidSymbolError, NoDataError, UnknownUniverseError
from sensequant.types import BENCHMARK_SYMBOL, INTERVALS

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

NSE_LIST_COLUMNS = ("Company Name", "Industry", "Symbol", "Series", "ISIN Code")
"""Header of NSE's index-constituent downloads (``ind_nifty100list.csv`` ...)."""

_ISIN = re.compile(r"^IN[A-Z0-9]{10}$")
_UNIVERSE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FILE_SUFFIXES = (".txt", ".csv", ".lst", ".list")
_NIFTY100_HINT = (
    "import NSE's constituent list first: `sensequant data import "
    "FOLDER/ind_nifty100list.csv` (download: niftyindices.com)"
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


def _is_file_spec(item: str) -> bool:
    """A spec item names a file when it has a file suffix or (existing) path separators."""
    if item.lower().endswith(_FILE_SUFFIXES):
        return True
    return ("/" in item or "\\" in item) and Path(item).expanduser().is_file()


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
        raise UnknownUniverseError(
            f"unknown universe {item!r}; known: {', '.join(_known_names(catalog))}",
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
