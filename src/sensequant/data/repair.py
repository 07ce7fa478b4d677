"""Rebuild the catalog's derived state from the bar store: ``sensequant data repair``.

The bar store is the source of truth for bars; the catalog holds (a) primary records that
exist nowhere else (symbol master, universes, aliases, reviewer decisions, manual corporate
actions, the API call counter) and (b) state derived from the stored bars (the detected
corporate actions and their detection fingerprints) or from the inputs (import history,
findings, fetch log; losing them only means files are read and chunks fetched again).

:func:`repair_catalog` recomputes (b) from the store for every stored series and forgets it
for series no longer stored; reviews are re-applied. A damaged catalog (fails ``PRAGMA
quick_check``) is first moved aside (``catalog.sqlite.damaged-<time>``, with its ``-wal``
and ``-shm``), a new one created, and the primary tables copied from the damaged file as far
as they can still be read. :func:`open_catalog` is how commands open the catalog: a catalog
missing next to a store that holds bars is rebuilt from the store, never silently empty.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.quality import SyncResult, sync_actions
from sensequant.data.store import BarStore
from sensequant.errors import CatalogCorruptError
from sensequant.types import INTERVALS, IST

__all__ = ["PRIMARY_TABLES", "RepairReport", "open_catalog", "repair_catalog"]

PRIMARY_TABLES: Final = (
    "symbols",
    "universe_members",
    "symbol_aliases",
    "action_reviews",
    "api_calls",
    "corporate_actions",
)
"""Tables copied from a damaged catalog (``corporate_actions``: manual rows only)."""
_SIDE_FILES: Final = ("-wal", "-shm")


@dataclass
class RepairReport:
    """What :func:`repair_catalog` did.

    Attributes
    ----------
    catalog_path : pathlib.Path
    created : bool
        The catalog did not exist (or was damaged) and was created anew.
    moved_aside : pathlib.Path, optional
        Where the damaged file went.
    salvaged : dict of str to int
        Rows copied from the damaged file per table.
    lost : list of str
        ``table: reason`` for tables of the damaged file that could not be read.
    series : list of SyncResult
        One per stored series (detected again) and per forgotten one (``dropped``).
    """

    catalog_path: Path
    created: bool = False
    moved_aside: Path | None = None
    salvaged: dict[str, int] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    series: list[SyncResult] = field(default_factory=list)

    @property
    def actions_found(self) -> int:
        """Corporate actions detected across the stored series."""
        return sum(r.found for r in self.series)


def _move_aside(path: Path) -> Path:
    stamp = pd.Timestamp.now(tz=IST).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in _SIDE_FILES:  # the WAL belongs to the damaged file: keep them together
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    path.replace(target)
    return target


def _salvage(damaged: Path, catalog: Catalog, report: RepairReport) -> None:
    """Copy the primary tables that can still be read from ``damaged`` into ``catalog``."""
    try:
        src = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        report.lost.append(f"all tables: {exc}")
        return
    dst = sqlite3.connect(catalog.path)
    try:
        with dst:  # one transaction, committed at the end
            for table in PRIMARY_TABLES:
                try:
                    cur = src.execute(f"SELECT * FROM {table}")
                    cols = [d[0] for d in cur.description]
                    rows = cur.fetchall()
                except sqlite3.Error as exc:
                    report.lost.append(f"{table}: {exc}")
                    continue
                if table == "corporate_actions":
                    keep = cols.index("source")
                    rows = [r for r in rows if r[keep] not in ("detected", "review")]
                names = ", ".join(cols)
                marks = ", ".join("?" * len(cols))
                dst.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})", rows)
                report.salvaged[table] = len(rows)
    finally:
        src.close()
        dst.close()


def repair_catalog(store: BarStore, catalog_path: Path) -> RepairReport:
    """Rebuild every derived catalog table from the store (see the module notes).

    Runs under the store's writer lock, so no import or fetch writes meanwhile.

    Parameters
    ----------
    store : BarStore
        The RAW store.
    catalog_path : pathlib.Path
        The catalog (``Settings().catalog_path``); created when missing.

    Returns
    -------
    RepairReport

    Raises
    ------
    StoreError
        If the store lock is held by another process, a series cannot be read, or the new
        catalog cannot be written.
    """
    report = RepairReport(Path(catalog_path))
    with store.lock():
        if not report.catalog_path.exists():
            report.created = True
            for suffix in _SIDE_FILES:  # a stray WAL would be replayed into the new file
                report.catalog_path.with_name(report.catalog_path.name + suffix).unlink(
                    missing_ok=True
                )
            catalog = Catalog(report.catalog_path)
        else:
            try:
                catalog = Catalog(report.catalog_path)
            except CatalogCorruptError:
                report.created = True
                report.moved_aside = _move_aside(report.catalog_path)
                catalog = Catalog(report.catalog_path)
                _salvage(report.moved_aside, catalog, report)
        stored = {(s, iv) for iv in INTERVALS for s in store.symbols(iv)}
        for sym, iv in sorted(stored):
            report.series.append(sync_actions(store, catalog, sym, iv, force=True))
        state = catalog.action_detections()
        for sym, iv in zip(state["symbol"], state["interval"], strict=True):
            if (sym, iv) not in stored:
                report.series.append(sync_actions(store, catalog, str(sym), str(iv)))
    return report


def open_catalog(
    catalog_path: Path, store: BarStore, *, notify: Callable[[str], None] | None = None
) -> Catalog:
    """Open the catalog; one missing beside a store that holds bars is rebuilt from the store.

    Parameters
    ----------
    catalog_path : pathlib.Path
    store : BarStore
    notify : callable, optional
        Told, in one line, that the catalog was rebuilt and what could not be.

    Returns
    -------
    Catalog

    Raises
    ------
    CatalogCorruptError
        If the catalog is damaged (the message points at ``sensequant data repair``).
    StoreError
        If the rebuild cannot take the store lock or write.
    """
    path = Path(catalog_path)
    if path.exists() or not any(store.symbols(iv) for iv in INTERVALS):
        return Catalog(path)
    report = repair_catalog(store, path)
    if notify is not None:
        notify(
            f"the catalog {path} was missing beside the bar store {store.root} "
            f"({len(report.series)} series): rebuilt its corporate actions from the stored "
            f"bars ({report.actions_found} detected). Import history, universes, aliases and "
            "review decisions lived only there: re-import the constituent lists and review "
            "the actions again (`sensequant data actions`)"
        )
    return Catalog(path)
