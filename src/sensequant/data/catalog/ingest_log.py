"""Ingest log of fetched chunks (:class:`IngestLogMixin`)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from sensequant.data.catalog import rows as rows_sql
from sensequant.data.catalog.connection import CatalogBase, filters
from sensequant.data.catalog.rows import IngestRecord
from sensequant.data.market import TimeLike

__all__ = ["IngestLogMixin"]


class IngestLogMixin(CatalogBase):
    """Catalog mixin: ingest log of fetched chunks."""

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
        where, params = filters(("provider", provider), ("symbol", symbol), ("interval", interval))
        return self._frame(f"SELECT * FROM ingest_log {where} ORDER BY id", params)
