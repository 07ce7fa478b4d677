"""SQLite catalog: symbol master, universes, import history, quality findings, ingest log.

One database file (``Settings().catalog_path``), stdlib :mod:`sqlite3` in WAL mode with
foreign keys on; the schema is created on first use and versioned in ``schema_version``.
Every write runs in one ``BEGIN IMMEDIATE`` transaction that is rolled back on any error, so
a failure mid-way leaves the database as it was. All times are stored as ISO-8601 strings in
IST (``2024-09-06T15:30:00+05:30``); dates as ``YYYY-MM-DD``. The row types
(:class:`SymbolInfo`, :class:`IngestRecord`) and their SQL live in
:mod:`sensequant.data.catalog.rows`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sensequant.data.catalog import rows as rows_sql
from sensequant.data.catalog.rows import FindingLike, IngestRecord, SymbolInfo
from sensequant.data.catalog.rows import iso_text as _iso
from sensequant.data.catalog.rows import now_text as _now
from sensequant.data.catalog.schema import MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION
from sensequant.data.market import validate_symbol
from sensequant.data.store import TimeLike
from sensequant.errors import StoreError

__all__ = ["SCHEMA_VERSION", "Catalog", "FindingLike", "IngestRecord", "SymbolInfo"]


class Catalog:
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

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
        with self._transaction() as con:
            found = con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
            ).fetchone()
            if found is None:
                _run_script(con, SCHEMA_V1)
                con.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (1, _now())
                )
            version = con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
            if version is not None and version < SCHEMA_VERSION:
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    _run_script(con, MIGRATIONS[target])
                    con.execute(
                        "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                        (target, _now()),
                    )
                version = SCHEMA_VERSION
        if version is None or version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has catalog schema version {version}; this SenseQuant knows "
                f"version {SCHEMA_VERSION}",
                hint="upgrade SenseQuant or use another SENSEQUANT_HOME",
            )

    def __repr__(self) -> str:
        return f"Catalog({str(self.path)!r})"

    # ------------------------------------------------------------ connection
    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the catalog {self.path}: {exc}") from None
        try:
            try:
                con.execute("PRAGMA foreign_keys = ON")
                con.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; fsync at checkpoints
            except sqlite3.DatabaseError as exc:
                raise StoreError(
                    f"{self.path} is not a usable SQLite database ({exc})",
                    hint="point SENSEQUANT_HOME elsewhere or move the file away",
                ) from None
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        with self._connect() as con:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(
                    f"cannot write the catalog {self.path}: {exc}",
                    hint="another process may hold it; try again",
                ) from None
            try:
                yield con
            except BaseException as exc:
                con.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(
                        f"catalog write to {self.path} failed and was rolled back: {exc}"
                    ) from exc
                raise
            con.execute("COMMIT")

    def _frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self._connect() as con:
            cur = con.execute(sql, params)
            cols = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=cols)

    # --------------------------------------------------------- symbol master
    def upsert_symbols(self, rows: Iterable[SymbolInfo]) -> int:
        """Insert or update symbol-master rows (``None`` fields keep the stored value).

        Parameters
        ----------
        rows : iterable of SymbolInfo

        Returns
        -------
        int
            Rows written.

        Raises
        ------
        InvalidSymbolError
            If a symbol is malformed (nothing is written).
        StoreError
            If the database write fails (nothing is written).
        """
        with self._transaction() as con:
            return rows_sql.upsert_symbols(con, rows)

    def get_symbol(self, symbol: str) -> SymbolInfo | None:
        """The symbol-master row of ``symbol``, or None if unknown."""
        found = self.symbols([symbol])
        return found[0] if found else None

    def symbols(self, symbols: Sequence[str] | None = None) -> list[SymbolInfo]:
        """Symbol-master rows in bulk (one query; :meth:`get_symbol` costs one per symbol).

        Parameters
        ----------
        symbols : sequence of str, optional
            Symbols wanted (exact NSE spelling); unknown ones are left out, repeated ones
            given once. None = the whole symbol master.

        Returns
        -------
        list of SymbolInfo
            In the order of ``symbols``, or sorted by symbol when None.
        """
        with self._connect() as con:
            return rows_sql.select_symbols(con, symbols)

    def clear_unavailable(self, symbol: str) -> bool:
        """Remove ``symbol``'s ``data_unavailable_reason`` (it has data after all).

        :meth:`upsert_symbols` cannot do it: a ``None`` field keeps the stored value.

        Parameters
        ----------
        symbol : str
            NSE symbol.

        Returns
        -------
        bool
            True if a reason was stored and is now cleared; False if there was none (or the
            symbol is unknown).

        Raises
        ------
        InvalidSymbolError
            If ``symbol`` is malformed.
        StoreError
            If the database write fails.
        """
        with self._transaction() as con:
            return rows_sql.clear_unavailable(con, symbol)

    # ------------------------------------------------------------- universes
    def set_universe(
        self, name: str, symbols: Iterable[str], source: str, as_of: TimeLike | None
    ) -> int:
        """Replace the membership of universe ``name``.

        Parameters
        ----------
        name : str
            Universe name (``nifty100``), stored lower-case.
        symbols : iterable of str
            Members (validated, de-duplicated).
        source : str
            Where the list came from (a file path, a URL).
        as_of : str, date or Timestamp, optional
            Date the list describes.

        Returns
        -------
        int
            Number of members.

        Raises
        ------
        InvalidSymbolError, StoreError
            Nothing is written then.
        """
        members = sorted({validate_symbol(s) for s in symbols})
        key = name.strip().lower()
        as_of_text = _iso(as_of)
        with self._transaction() as con:
            con.execute("DELETE FROM universe_members WHERE universe = ?", (key,))
            con.executemany(
                "INSERT INTO universe_members (universe, symbol, source, as_of) VALUES (?,?,?,?)",
                [(key, s, source, as_of_text) for s in members],
            )
        return len(members)

    def universe(self, name: str) -> list[str]:
        """Members of a catalog universe, sorted (empty if unknown)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT symbol FROM universe_members WHERE universe = ? ORDER BY symbol",
                (name.strip().lower(),),
            ).fetchall()
        return [r[0] for r in rows]

    def universes(self) -> dict[str, int]:
        """Catalog universes and their member counts."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT universe, COUNT(*) FROM universe_members GROUP BY universe ORDER BY 1"
            ).fetchall()
        return {name: int(count) for name, count in rows}

    # --------------------------------------------------------------- imports
    def record_import(
        self,
        *,
        source: str,
        status: Literal["ok", "failed"],
        symbol: str | None = None,
        interval: str | None = None,
        layout: str | None = None,
        rows_in: int | None = None,
        rows_out: int | None = None,
        added: int | None = None,
        replaced: int | None = None,
        error: str | None = None,
        content_sha256: str | None = None,
        started_at: TimeLike | None = None,
        finished_at: TimeLike | None = None,
        findings: Sequence[FindingLike] = (),
    ) -> int:
        """Record one import (and, in the same transaction, its quality findings).

        Parameters
        ----------
        source : str
            Imported file(s), ``; ``-separated when several files made one series.
        status : {'ok', 'failed'}
        symbol, interval, layout : str, optional
        rows_in, rows_out : int, optional
            Rows parsed and rows kept after cleaning.
        added, replaced : int, optional
            Bars added to / replaced in the store.
        error : str, optional
            Error message of a failed import.
        content_sha256 : str, optional
            SHA-256 of the source content.
        started_at, finished_at : time-like, optional
            Default now.
        findings : sequence of Finding, optional
            Stored with :meth:`record_findings` semantics (needs ``symbol`` and ``interval``).

        Returns
        -------
        int
            The import id.
        """
        now = _now()
        with self._transaction() as con:
            cur = con.execute(
                "INSERT INTO imports (started_at, finished_at, source, symbol, interval, layout, "
                "rows_in, rows_out, added, replaced, status, error, content_sha256) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    _iso(started_at) or now,
                    _iso(finished_at) or now,
                    source,
                    symbol,
                    interval,
                    layout,
                    rows_in,
                    rows_out,
                    added,
                    replaced,
                    status,
                    error,
                    content_sha256,
                ),
            )
            import_id = int(cur.lastrowid or 0)
            if findings:
                if symbol is None or interval is None:
                    raise StoreError("findings need the import's symbol and interval")
                rows_sql.insert_findings(con, import_id, symbol, interval, findings)
        return import_id

    def record_findings(
        self, import_id: int, symbol: str, interval: str, findings: Iterable[FindingLike]
    ) -> int:
        """Store quality findings of an import.

        Parameters
        ----------
        import_id : int
            From :meth:`record_import`.
        symbol, interval : str
        findings : iterable of Finding
            Objects with ``kind, count, detail, first_timestamp, lines`` (``lines``: source
            line numbers, stored as a JSON list).

        Returns
        -------
        int
            Findings written.

        Raises
        ------
        StoreError
            If ``import_id`` is unknown (nothing is written).
        """
        with self._transaction() as con:
            return rows_sql.insert_findings(con, import_id, symbol, interval, findings)

    def findings(self, symbol: str | None = None, interval: str | None = None) -> pd.DataFrame:
        """Quality findings, newest import first.

        Returns
        -------
        pandas.DataFrame
            Columns ``id, import_id, symbol, interval, kind, count, first_timestamp, detail,
            lines`` (a list of ints) and the import's ``source`` and ``imported_at``.
        """
        where, params = _filters(("f.symbol", symbol), ("f.interval", interval))
        frame = self._frame(
            "SELECT f.id, f.import_id, f.symbol, f.interval, f.kind, f.count, "
            "f.first_timestamp, f.detail, f.lines, i.source, i.started_at AS imported_at "
            f"FROM quality_findings f JOIN imports i ON i.id = f.import_id {where} "
            "ORDER BY f.import_id DESC, f.id",
            params,
        )
        frame["lines"] = [json.loads(x) if x else [] for x in frame["lines"]]
        return frame

    def imports(self, limit: int | None = 100) -> pd.DataFrame:
        """Import history, newest first (at most ``limit`` rows; None = all)."""
        sql = "SELECT * FROM imports ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._frame(sql)

    # ------------------------------------------------------------ ingest log
    def record_ingest(
        self,
        *,
        provider: str,
        symbol: str,
        interval: str,
        start: TimeLike,
        end: TimeLike,
        rows: int,
        status: str,
        error: str | None = None,
        content_sha256: str | None = None,
        fetched_at: TimeLike | None = None,
    ) -> int:
        """Record one fetched chunk in the ingest log (used by the broker fetcher to resume).

        Parameters
        ----------
        provider : str
            ``breeze``, ``yfinance``, ...
        symbol, interval : str
        start, end : time-like
            Requested chunk bounds (IST).
        rows : int
            Bars received.
        status : str
            ``ok``, ``empty`` or ``failed``.
        error : str, optional
        content_sha256 : str, optional
            Hash of the chunk's content.
        fetched_at : time-like, optional
            Default now.

        Returns
        -------
        int
            The log row id.
        """
        record = IngestRecord(
            provider, symbol, interval, start, end, rows, status, error, content_sha256, fetched_at
        )
        return self.record_ingest_many([record])[0]

    def record_ingest_many(self, records: Iterable[IngestRecord]) -> list[int]:
        """Record several ingest-log rows in ONE transaction (all or none).

        Every catalog call opens a connection and commits a transaction (about 10 ms with the
        WAL checkpoints' fsyncs), so the fetch engine logs the chunks of one store flush with
        one call.

        Parameters
        ----------
        records : iterable of IngestRecord
            Rows as :meth:`record_ingest` takes them (``fetched_at`` default: now).

        Returns
        -------
        list of int
            The log row ids, in order.

        Raises
        ------
        StoreError
            If the database write fails (nothing is written).
        """
        with self._transaction() as con:
            return rows_sql.insert_ingest(con, records)

    def ingest_log(
        self,
        provider: str | None = None,
        symbol: str | None = None,
        interval: str | None = None,
    ) -> pd.DataFrame:
        """Ingest-log rows (all columns), oldest first, optionally filtered."""
        where, params = _filters(("provider", provider), ("symbol", symbol), ("interval", interval))
        return self._frame(f"SELECT * FROM ingest_log {where} ORDER BY id", params)

    # ------------------------------------------------------- API call budget
    def add_api_calls(self, provider: str, day: dt.date, calls: int = 1) -> int:
        """Count ``calls`` provider calls made on IST ``day``; return the day's new total.

        The counter lives in the catalog so every process and every restart shares one daily
        budget (Breeze allows 5,000 calls per user per day).
        """
        with self._transaction() as con:
            con.execute(
                "INSERT INTO api_calls (provider, day, calls) VALUES (?, ?, ?) "
                "ON CONFLICT (provider, day) DO UPDATE SET calls = calls + excluded.calls",
                (provider, day.isoformat(), int(calls)),
            )
            row = con.execute(
                "SELECT calls FROM api_calls WHERE provider = ? AND day = ?",
                (provider, day.isoformat()),
            ).fetchone()
        return int(row[0])

    def api_calls(self, provider: str, day: dt.date) -> int:
        """Provider calls counted on IST ``day`` (0 when none)."""
        with self._connect() as con:
            row = con.execute(
                "SELECT calls FROM api_calls WHERE provider = ? AND day = ?",
                (provider, day.isoformat()),
            ).fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------ corporate actions
    def upsert_corporate_actions(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert or replace corporate-action factors.

        Parameters
        ----------
        rows : iterable of mapping
            Keys ``symbol``, ``ex_date`` (date), ``kind`` (``split``, ``bonus``, ...),
            ``price_factor`` (new price / old price, e.g. 0.5 for a 1:1 bonus), ``source``
            (``detected``, ``manual``, ...), ``status`` (``suspected``, ``confirmed``,
            ``rejected``), optional ``detail``. A row whose (symbol, ex_date) exists with a
            status other than ``suspected`` keeps that reviewed status.

        Returns
        -------
        int
            Rows written.
        """
        n = 0
        with self._transaction() as con:
            for row in rows:
                symbol = validate_symbol(str(row["symbol"]))
                ex_date = pd.Timestamp(row["ex_date"]).date().isoformat()
                con.execute(
                    "INSERT INTO corporate_actions (symbol, ex_date, kind, price_factor, source, "
                    "status, detail, recorded_at) VALUES (?,?,?,?,?,?,?,?) "
                    "ON CONFLICT (symbol, ex_date) DO UPDATE SET kind = excluded.kind, "
                    "price_factor = excluded.price_factor, source = excluded.source, "
                    "detail = excluded.detail, recorded_at = excluded.recorded_at, "
                    "status = CASE WHEN corporate_actions.status = 'suspected' "
                    "THEN excluded.status ELSE corporate_actions.status END",
                    (
                        symbol,
                        ex_date,
                        str(row["kind"]),
                        float(row["price_factor"]),
                        str(row["source"]),
                        str(row["status"]),
                        row.get("detail"),
                        _now(),
                    ),
                )
                n += 1
        return n

    def set_corporate_action_status(self, symbol: str, ex_date: dt.date, status: str) -> None:
        """Review one corporate action (``confirmed`` or ``rejected``).

        Raises
        ------
        StoreError
            When no action is recorded for ``symbol`` on ``ex_date``.
        """
        with self._transaction() as con:
            cur = con.execute(
                "UPDATE corporate_actions SET status = ? WHERE symbol = ? AND ex_date = ?",
                (status, validate_symbol(symbol), ex_date.isoformat()),
            )
            if cur.rowcount == 0:
                raise StoreError(
                    f"no corporate action recorded for {symbol} on {ex_date}",
                    hint="list them with `sensequant data actions`",
                )

    def corporate_actions(
        self, symbol: str | None = None, statuses: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Corporate-action rows (all columns), by symbol and ex-date, optionally filtered."""
        where, params = _filters(("symbol", symbol))
        if statuses:
            marks = ",".join("?" * len(statuses))
            where = (where + " AND " if where else "WHERE ") + f"status IN ({marks})"
            params = [*params, *statuses]
        return self._frame(
            f"SELECT * FROM corporate_actions {where} ORDER BY symbol, ex_date", params
        )

    # ---------------------------------------------------------- symbol aliases
    def upsert_aliases(self, aliases: Mapping[str, str], source: str = "packaged") -> int:
        """Record old NSE symbols and the symbol they are now (``UTIBANK`` -> ``AXISBANK``)."""
        with self._transaction() as con:
            for old, new in aliases.items():
                con.execute(
                    "INSERT INTO symbol_aliases (old_symbol, symbol, source) VALUES (?,?,?) "
                    "ON CONFLICT (old_symbol) DO UPDATE SET symbol = excluded.symbol, "
                    "source = excluded.source",
                    (validate_symbol(old), validate_symbol(new), source),
                )
        return len(aliases)

    def aliases(self) -> dict[str, str]:
        """The alias table: old symbol -> current symbol."""
        frame = self._frame("SELECT old_symbol, symbol FROM symbol_aliases")
        return dict(zip(frame["old_symbol"], frame["symbol"], strict=True))


def _run_script(con: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            con.execute(statement)


def _filters(*pairs: tuple[str, str | None]) -> tuple[str, list[str]]:
    used = [(col, val) for col, val in pairs if val is not None]
    if not used:
        return "", []
    return "WHERE " + " AND ".join(f"{c} = ?" for c, _ in used), [v for _, v in used]
