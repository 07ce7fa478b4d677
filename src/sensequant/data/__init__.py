"""Data layer: the bar store, its catalog, and the sub-packages that feed and describe them.

Public face (import from here or from a sub-package's face, never from private modules):

* :class:`BarStore` -- Parquet bars, one file per (interval, symbol), atomic writes;
* :class:`AdjustedBarStore` -- the same bars with corporate-action factors applied on read;
* :class:`Catalog` -- the SQLite catalog (symbol master, ingest log, findings, actions);
* :func:`to_ist` -- the one conversion of times to tz-aware Asia/Kolkata.

Sub-packages: :mod:`.market` (calendar, sessions, symbols, time zone), :mod:`.catalog`,
:mod:`.reference` (universes, symbol master, aliases), :mod:`.readers` (file layouts,
bhavcopies), :mod:`.quality` (cleaning, checks, corporate actions, audit), :mod:`.imports`
(file import), :mod:`.fetch` (planned, rate-limited provider downloads) and :mod:`.providers`
(Breeze, Yahoo, files; built lazily by :func:`sensequant.data.providers.make_provider`).
"""

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.market import to_ist
from sensequant.data.store import BarStore

__all__ = ["AdjustedBarStore", "BarStore", "Catalog", "to_ist"]
