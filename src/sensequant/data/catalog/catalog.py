"""SQLite catalog: symbol master, universes, import history, quality findings, ingest log.

One database file (``Settings().catalog_path``), stdlib :mod:`sqlite3` in WAL mode with
foreign keys on; the schema is created on first use and versioned in ``schema_version``.
Every write runs in one ``BEGIN IMMEDIATE`` transaction that is rolled back on any error, so
a failure mid-way leaves the database as it was. All times are stored as ISO-8601 strings in
IST (``2024-09-06T15:30:00+05:30``); dates as ``YYYY-MM-DD``. The row types
(:class:`SymbolInfo`, :class:`IngestRecord`) and their SQL live in
:mod:`sensequant.data.catalog.rows`; each concern's methods live in their own module
(connection, symbols, universes, imports, ingest_log, api_calls, actions, aliases,
breaks) and
:class:`Catalog` composes them.
"""

from __future__ import annotations

from sensequant.data.catalog.action_state import ActionStateMixin
from sensequant.data.catalog.actions import CorporateActionsMixin
from sensequant.data.catalog.aliases import AliasesMixin
from sensequant.data.catalog.api_calls import ApiCallsMixin
from sensequant.data.catalog.breaks import StructuralBreaksMixin
from sensequant.data.catalog.imports import ImportsMixin
from sensequant.data.catalog.ingest_log import IngestLogMixin
from sensequant.data.catalog.rows import FindingLike, IngestRecord, SymbolInfo
from sensequant.data.catalog.schema import SCHEMA_VERSION
from sensequant.data.catalog.symbols import SymbolsMixin
from sensequant.data.catalog.universes import UniversesMixin

__all__ = ["SCHEMA_VERSION", "Catalog", "FindingLike", "IngestRecord", "SymbolInfo"]


class Catalog(
    SymbolsMixin,
    UniversesMixin,
    ImportsMixin,
    IngestLogMixin,
    ApiCallsMixin,
    CorporateActionsMixin,
    ActionStateMixin,
    AliasesMixin,
    StructuralBreaksMixin,
):
    """The SQLite catalog at ``path`` (created with its schema on first use).

    Parameters
    ----------
    path : pathlib.Path
        Database file; its folder is created if needed.

    Raises
    ------
    StoreError
        If the file is not a SenseQuant catalog or was written by a newer version.
    """
