"""Which input files are unchanged since their last successful import (the no-op re-import).

Every successful import records, per input file, a catalog ``imports`` row whose ``source`` is
the file's absolute path and whose ``content_sha256`` is its **import key**: the SHA-256 of the
file's bytes when it was imported with the default options, else the SHA-256 of that hash plus
the options (series, symbols, forced symbol and interval, ``--repair-ohlc``, ``--on-conflict``),
so that an import narrowed by ``--symbols`` never makes a later, wider import skip the file,
and an unchanged file imported again with another repair or conflict policy (e.g. ``keep``,
then ``replace``) is read again under the new policy.

A file is skipped when its key equals the key of the last successful import of the same path
AND what that import wrote is still there: its series file in the store, byte for byte as
that import left it (single-symbol files; the SHA-256 of the stored file is recorded with the
import, so a series changed since by another file, a fetch or ``--on-conflict replace`` makes
the file be read again, and a catalog from before schema 3, which lacks it, reads it once),
every series ever imported from bhavcopies (bhavcopy files), or its universe in the catalog
(constituent lists). Deleting a series file and importing again therefore restores it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore

__all__ = ["ImportHistory", "PriorImport", "file_sha256", "import_key"]


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_key(
    sha256: str,
    *,
    series: Sequence[str],
    symbols: Sequence[str] | None,
    symbol: str | None,
    interval: str | None,
    repair_ohlc: bool = False,
    on_conflict: str = "fail",
) -> str:
    """The import key of a file: its SHA-256, or a hash of it and non-default options.

    Parameters
    ----------
    sha256 : str
        Hex SHA-256 of the file.
    series : sequence of str
        Series kept (default ``("EQ",)``).
    symbols : sequence of str, optional
        Symbols asked for (current forms); None = all.
    symbol, interval : str, optional
        Forced symbol / interval.
    repair_ohlc : bool, default False
        ``--repair-ohlc``.
    on_conflict : {'fail', 'keep', 'replace'}, default 'fail'
        ``--on-conflict``.

    Returns
    -------
    str
        64 hex characters.
    """
    narrowed = tuple(series) != ("EQ",) or symbols is not None or symbol or interval
    if not narrowed and not repair_ohlc and on_conflict == "fail":
        return sha256
    options = (
        f"series={','.join(series)};symbols={','.join(sorted(symbols)) if symbols else '*'};"
        f"symbol={symbol or ''};interval={interval or ''}"
    )
    if repair_ohlc or on_conflict != "fail":  # keys of earlier imports stay as they were
        options += f";repair_ohlc={int(repair_ohlc)};on_conflict={on_conflict}"
    return hashlib.sha256(f"{sha256}\n{options}".encode()).hexdigest()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class PriorImport:
    """The last successful import of one file.

    Attributes
    ----------
    source : str
        Absolute path.
    key : str
        Its import key then.
    symbol, interval, layout : str, optional
        What it was imported as (``symbol`` is None for bhavcopies and constituent lists).
    store_sha256 : str, optional
        SHA-256 of the stored series file after that import (None before schema 3).
    """

    source: str
    key: str
    symbol: str | None
    interval: str | None
    layout: str | None
    store_sha256: str | None = None


class ImportHistory:
    """Last successful import per source path, read once from the catalog.

    Parameters
    ----------
    records : dict of str to PriorImport
        By absolute path.
    store : BarStore
        Checked for the series a skipped file fed.
    bhavcopy_series : set of str
        Symbols ever stored from bhavcopies (their 1day series must all still exist for a
        bhavcopy file to be skipped).
    universes : set of str
        Universe names present in the catalog.
    """

    def __init__(
        self,
        records: dict[str, PriorImport],
        store: BarStore,
        bhavcopy_series: set[str],
        universes: set[str],
    ) -> None:
        self.records = records
        self.store = store
        self.universes = universes
        self._bhavcopy_series = bhavcopy_series
        self._bhavcopy_intact: bool | None = None
        self._stored: dict[tuple[str, str], str | None] = {}

    @classmethod
    def empty(cls, store: BarStore) -> ImportHistory:
        """A history that knows nothing (every file is read: ``force=True``)."""
        return cls({}, store, set(), set())

    @classmethod
    def load(cls, catalog: Catalog, store: BarStore) -> ImportHistory:
        """Read the successful imports from the catalog (one query)."""
        frame = catalog.imports(limit=None)
        ok = frame.loc[(frame["status"] == "ok") & frame["content_sha256"].notna()]
        latest = ok.drop_duplicates("source", keep="first")  # newest first
        records: dict[str, PriorImport] = {}
        columns = ["source", "content_sha256", "symbol", "interval", "layout", "store_sha256"]
        for source, key, symbol, interval, layout, stored in latest[columns].itertuples(
            index=False
        ):
            records[str(source)] = PriorImport(
                str(source), str(key), _text(symbol), _text(interval), _text(layout), _text(stored)
            )
        bhav = ok.loc[ok["symbol"].notna() & ok["layout"].fillna("").str.contains("bhavcopy")]
        return cls(records, store, set(bhav["symbol"]), set(catalog.universes()))

    def _bhavcopy_ok(self) -> bool:
        if self._bhavcopy_intact is None:
            self._bhavcopy_intact = all(
                self.store.exists(s, "1day") for s in sorted(self._bhavcopy_series)
            )
        return self._bhavcopy_intact

    def _stored_sha(self, symbol: str, interval: str) -> str | None:
        key = (symbol, interval)
        if key not in self._stored:
            path = self.store.path(symbol, interval)
            self._stored[key] = file_sha256(path) if path.is_file() else None
        return self._stored[key]

    def unchanged(self, source: str, key: str, universe: str | None = None) -> PriorImport | None:
        """The prior import when ``source`` can be skipped, else None.

        Parameters
        ----------
        source : str
            Absolute path of the file.
        key : str
            Its import key now (:func:`import_key`).
        universe : str, optional
            For a constituent list: the universe it feeds (must still exist).
        """
        prior = self.records.get(source)
        if prior is None or prior.key != key:
            return None
        if prior.layout == "nse_index_list":
            return prior if universe in self.universes else None
        if prior.symbol is not None and prior.interval is not None:
            stored = self._stored_sha(prior.symbol, prior.interval)
            return prior if stored is not None and stored == prior.store_sha256 else None
        if prior.layout is not None and prior.layout.startswith("bhavcopy"):
            return prior if self._bhavcopy_ok() else None
        return None
