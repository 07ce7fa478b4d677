"""Row types of the catalog and their SQL encoding (used by :mod:`sensequant.data.catalog.catalog`).

:class:`SymbolInfo` (a symbol-master row), :class:`IngestRecord` (an ingest-log row) and
:class:`FindingLike` (what a stored quality finding needs), plus the statements that write and
read them inside a caller's connection or transaction. Times are stored as ISO-8601 text in
IST (``2024-09-06T15:30:00+05:30``), dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Final, Protocol

import pandas as pd

from sensequant.data.market import TimeLike, to_ist, validate_symbol
from sensequant.types import IST

__all__ = [
    "SYMBOL_FIELDS",
    "FindingLike",
    "IngestRecord",
    "SymbolInfo",
    "clear_unavailable",
    "insert_findings",
    "insert_ingest",
    "iso_text",
    "now_text",
    "select_symbols",
    "upsert_symbols",
]

_IN_BATCH: Final = 900
"""Symbols per ``IN (...)`` list (below SQLite's historical limit of 999 parameters)."""


@dataclass(frozen=True)
class SymbolInfo:
    """One row of the symbol master.

    ``None`` means "unknown": :meth:`Catalog.upsert_symbols` keeps the stored value then, so
    a source that knows only some fields (the NSE list has no ISEC code) never erases others.
    :meth:`Catalog.clear_unavailable` is the way to remove a ``data_unavailable_reason``.

    Attributes
    ----------
    symbol : str
        NSE trading symbol (``M&M``, ``NIFTY 50``).
    name, industry, isin, series : str, optional
        Company name, NSE industry, 12-character ISIN, NSE series (``EQ``).
    isec_code : str, optional
        ICICI Breeze stock code.
    listing_date : datetime.date, optional
    status : str, optional
        e.g. ``active``, ``delisted``, ``suspended``.
    data_unavailable_reason : str, optional
        Why a provider has no data for it (shown at pre-flight).
    """

    symbol: str
    name: str | None = None
    industry: str | None = None
    isin: str | None = None
    series: str | None = None
    isec_code: str | None = None
    listing_date: dt.date | None = None
    status: str | None = None
    data_unavailable_reason: str | None = None


SYMBOL_FIELDS: Final = tuple(f.name for f in fields(SymbolInfo))
"""Columns of the ``symbols`` table that :class:`SymbolInfo` holds, in its field order."""


@dataclass(frozen=True)
class IngestRecord:
    """One ingest-log row: a chunk a provider was asked for (the fetch engine's resume key).

    Attributes
    ----------
    provider : str
        ``breeze``, ``yahoo``, ...
    symbol, interval : str
    start, end : time-like
        Requested chunk bounds (IST).
    rows : int
        Bars received (after cleaning).
    status : str
        ``ok``, ``empty`` or ``failed``.
    error : str, optional
        Message of a failed chunk (already redacted).
    content_sha256 : str, optional
        Hash of the chunk's content.
    fetched_at : time-like, optional
        Default: when it is written.
    """

    provider: str
    symbol: str
    interval: str
    start: TimeLike
    end: TimeLike
    rows: int
    status: str
    error: str | None = None
    content_sha256: str | None = None
    fetched_at: TimeLike | None = None


class FindingLike(Protocol):
    """What :meth:`Catalog.record_findings` needs of a quality finding."""

    @property
    def kind(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def detail(self) -> str: ...
    @property
    def first_timestamp(self) -> Any: ...
    @property
    def lines(self) -> Any: ...


def now_text() -> str:
    """The current IST time as ISO text."""
    return pd.Timestamp.now(tz=IST).isoformat()


def iso_text(value: TimeLike | None) -> str | None:
    """ISO text of a date (kept as a date) or a time (converted to IST); None stays None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return to_ist(value).isoformat()


# ------------------------------------------------------------------ symbol master
def upsert_symbols(con: sqlite3.Connection, rows: Iterable[SymbolInfo]) -> int:
    """Insert or update symbol-master rows in ``con``'s transaction (``None`` keeps values).

    Returns the number of rows written; raises ``InvalidSymbolError`` on a malformed symbol.
    """
    cols = SYMBOL_FIELDS[1:]
    updates = ", ".join(f"{c} = COALESCE(excluded.{c}, symbols.{c})" for c in cols)
    sql = (
        f"INSERT INTO symbols ({', '.join(SYMBOL_FIELDS)}, updated_at) "
        f"VALUES ({', '.join('?' * (len(SYMBOL_FIELDS) + 1))}) "
        f"ON CONFLICT(symbol) DO UPDATE SET {updates}, updated_at = excluded.updated_at"
    )
    listing = SYMBOL_FIELDS.index("listing_date")
    n = 0
    for row in rows:
        values = [getattr(row, f) for f in SYMBOL_FIELDS]
        values[0] = validate_symbol(row.symbol)
        values[listing] = iso_text(row.listing_date)
        con.execute(sql, [*values, now_text()])
        n += 1
    return n


def _symbol_info(row: Sequence[Any]) -> SymbolInfo:
    data = dict(zip(SYMBOL_FIELDS, row, strict=True))
    if data["listing_date"]:
        data["listing_date"] = dt.date.fromisoformat(data["listing_date"])
    return SymbolInfo(**data)


def select_symbols(
    con: sqlite3.Connection, symbols: Sequence[str] | None = None
) -> list[SymbolInfo]:
    """Symbol-master rows: all (sorted by symbol), or those of ``symbols`` in the order given.

    Unknown symbols are left out, repeated ones given once. One query per 900 symbols.
    """
    select = f"SELECT {', '.join(SYMBOL_FIELDS)} FROM symbols"
    if symbols is None:
        return [_symbol_info(r) for r in con.execute(f"{select} ORDER BY symbol")]
    wanted = list(dict.fromkeys(symbols))
    found: dict[str, SymbolInfo] = {}
    for i in range(0, len(wanted), _IN_BATCH):
        batch = wanted[i : i + _IN_BATCH]
        marks = ",".join("?" * len(batch))
        for row in con.execute(f"{select} WHERE symbol IN ({marks})", batch):
            info = _symbol_info(row)
            found[info.symbol] = info
    return [found[s] for s in wanted if s in found]


def clear_unavailable(con: sqlite3.Connection, symbol: str) -> bool:
    """Set ``symbol``'s ``data_unavailable_reason`` to NULL; True if one was cleared."""
    cur = con.execute(
        "UPDATE symbols SET data_unavailable_reason = NULL, updated_at = ? "
        "WHERE symbol = ? AND data_unavailable_reason IS NOT NULL",
        (now_text(), validate_symbol(symbol)),
    )
    return cur.rowcount > 0


# ------------------------------------------------------------- logs and findings
def insert_ingest(con: sqlite3.Connection, records: Iterable[IngestRecord]) -> list[int]:
    """Insert ingest-log rows in ``con``'s transaction; returns their ids in order."""
    now = now_text()
    ids: list[int] = []
    for r in records:
        cur = con.execute(
            'INSERT INTO ingest_log (provider, symbol, interval, start, "end", rows, status, '
            "error, content_sha256, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                r.provider,
                r.symbol,
                r.interval,
                iso_text(r.start),
                iso_text(r.end),
                int(r.rows),
                r.status,
                r.error,
                r.content_sha256,
                iso_text(r.fetched_at) or now,
            ),
        )
        ids.append(int(cur.lastrowid or 0))
    return ids


def insert_findings(
    con: sqlite3.Connection,
    import_id: int,
    symbol: str,
    interval: str,
    findings: Iterable[FindingLike],
) -> int:
    """Insert quality findings of import ``import_id`` in ``con``'s transaction; returns n."""
    n = 0
    for f in findings:
        lines = [int(x) for x in (f.lines or ())]
        con.execute(
            "INSERT INTO quality_findings (import_id, symbol, interval, kind, count, "
            "first_timestamp, detail, lines) VALUES (?,?,?,?,?,?,?,?)",
            (
                import_id,
                symbol,
                interval,
                f.kind,
                int(f.count),
                iso_text(f.first_timestamp),
                f.detail,
                json.dumps(lines),
            ),
        )
        n += 1
    return n
