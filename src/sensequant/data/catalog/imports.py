"""Import history and quality findings of the catalog (:class:`ImportsMixin`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Literal

import pandas as pd

from sensequant.data.catalog import rows as rows_sql
from sensequant.data.catalog.connection import CatalogBase, filters
from sensequant.data.catalog.rows import FindingLike
from sensequant.data.catalog.rows import iso_text as _iso
from sensequant.data.catalog.rows import now_text as _now
from sensequant.data.market import TimeLike
from sensequant.errors import StoreError

__all__ = ["ImportsMixin"]


class ImportsMixin(CatalogBase):
    """Catalog mixin: import history and quality findings."""

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
        store_sha256: str | None = None,
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
        store_sha256 : str, optional
            SHA-256 of the stored series file after the import (an unchanged input file is
            skipped only while the store still holds it).
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
                "rows_in, rows_out, added, replaced, status, error, content_sha256, store_sha256) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    store_sha256,
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
        where, params = filters(("f.symbol", symbol), ("f.interval", interval))
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
