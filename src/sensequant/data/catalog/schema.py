"""Catalog schema: the DDL of each version and the migrations between them.

Version 1 (the end-to-end release): symbols, universe_members, imports, quality_findings,
ingest_log. Version 2 (data layer): ``corporate_actions`` (price factors stored apart from
the raw bars and applied on read), ``api_calls`` (per-provider, per-IST-day call counter
shared by every process, so the daily budget survives restarts), and ``symbol_aliases``
(old NSE symbol -> current one). Version 3 (a store you can trust): ``imports.store_sha256``
(the stored series file after the import, so an unchanged input file is only skipped while
the store still holds what it wrote), ``action_detections`` (detected corporate actions per
series, keyed by the series fingerprint: derived state, recomputed when missing or stale)
and ``action_reviews`` (confirm/reject decisions with the reviewer, kept apart from the
derived rows so re-detection and ``data repair`` never lose them; reviews made before
version 3 are carried over). Version 4 (structural breaks): ``structural_breaks``, the
one-session moves far beyond a symbol's volatility that await a reviewer (see
:mod:`sensequant.data.quality.breaks`). A database is migrated in place, inside one
transaction.
"""

from __future__ import annotations

from typing import Final

from sensequant.dbutil import Schema

__all__ = ["BREAKS_MIGRATION", "CATALOG_SCHEMA", "MIGRATIONS", "SCHEMA_V1", "SCHEMA_VERSION"]

SCHEMA_VERSION: Final = 4
"""Version of the schema this code writes; a newer database is refused."""

SCHEMA_V1: Final = """
CREATE TABLE schema_version (
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL
);
CREATE TABLE symbols (
    symbol TEXT PRIMARY KEY,
    name TEXT,
    industry TEXT,
    isin TEXT,
    series TEXT,
    isec_code TEXT,
    listing_date TEXT,
    status TEXT,
    data_unavailable_reason TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE universe_members (
    universe TEXT NOT NULL,
    symbol TEXT NOT NULL,
    source TEXT,
    as_of TEXT,
    PRIMARY KEY (universe, symbol)
);
CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    source TEXT NOT NULL,
    symbol TEXT,
    interval TEXT,
    layout TEXT,
    rows_in INTEGER,
    rows_out INTEGER,
    added INTEGER,
    replaced INTEGER,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error TEXT,
    content_sha256 TEXT
);
CREATE TABLE quality_findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    symbol TEXT NOT NULL,
    interval TEXT NOT NULL,
    kind TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_timestamp TEXT,
    detail TEXT,
    lines TEXT
);
CREATE INDEX quality_findings_series ON quality_findings (symbol, interval);
CREATE TABLE ingest_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    symbol TEXT NOT NULL,
    interval TEXT NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    rows INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    content_sha256 TEXT,
    fetched_at TEXT NOT NULL
);
CREATE INDEX ingest_log_series ON ingest_log (provider, symbol, interval);
"""


BREAKS_MIGRATION: Final = """
CREATE TABLE structural_breaks (
    symbol TEXT NOT NULL,
    interval TEXT NOT NULL,
    session_date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('level_shift', 'spike', 'bad_print')),
    last_date TEXT NOT NULL,
    size REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
    detail TEXT,
    detected_at TEXT NOT NULL,
    reviewer TEXT,
    decided_at TEXT,
    PRIMARY KEY (symbol, interval, session_date, kind)
);
"""
"""DDL of the ``structural_breaks`` table (self-contained: a merge may renumber its version)."""

MIGRATIONS: Final[dict[int, str]] = {
    2: """
CREATE TABLE corporate_actions (
    symbol TEXT NOT NULL,
    ex_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    price_factor REAL NOT NULL CHECK (price_factor > 0),
    source TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('suspected', 'confirmed', 'rejected')),
    detail TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (symbol, ex_date)
);
CREATE TABLE api_calls (
    provider TEXT NOT NULL,
    day TEXT NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (provider, day)
);
CREATE TABLE symbol_aliases (
    old_symbol TEXT PRIMARY KEY,
    symbol TEXT NOT NULL,
    effective TEXT,
    source TEXT
);
""",
    3: """
ALTER TABLE imports ADD COLUMN store_sha256 TEXT;
CREATE TABLE action_detections (
    symbol TEXT NOT NULL,
    interval TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    found TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    PRIMARY KEY (symbol, interval)
);
CREATE TABLE action_reviews (
    symbol TEXT NOT NULL,
    ex_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'rejected')),
    kind TEXT NOT NULL,
    price_factor REAL NOT NULL CHECK (price_factor > 0),
    reviewer TEXT NOT NULL,
    reviewer_name TEXT,
    fingerprint TEXT,
    reviewed_at TEXT NOT NULL,
    PRIMARY KEY (symbol, ex_date)
);
INSERT INTO action_reviews (symbol, ex_date, status, kind, price_factor, reviewer,
    reviewed_at)
SELECT symbol, ex_date, status, kind, price_factor, 'unknown (reviewed before schema 3)',
    recorded_at
FROM corporate_actions WHERE status IN ('confirmed', 'rejected');
""",
    4: BREAKS_MIGRATION,
}
"""DDL run to reach each version from the one before."""

CATALOG_SCHEMA: Final = Schema(
    latest=SCHEMA_VERSION,
    migrations={1: SCHEMA_V1, **MIGRATIONS},
    versioning="table",
)
"""The catalog's schema for :func:`sensequant.dbutil.migrate` (versions in ``schema_version``)."""
