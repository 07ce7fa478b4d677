"""Corporate-action price factors of the catalog (:class:`CorporateActionsMixin`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from sensequant.data.catalog.connection import CatalogBase, filters
from sensequant.data.catalog.rows import now_text as _now
from sensequant.data.market import validate_symbol

__all__ = ["CorporateActionsMixin"]


class CorporateActionsMixin(CatalogBase):
    """Catalog mixin: corporate-action price factors."""

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

    def corporate_actions(
        self, symbol: str | None = None, statuses: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Corporate-action rows (all columns), by symbol and ex-date, optionally filtered."""
        where, params = filters(("symbol", symbol))
        if statuses:
            marks = ",".join("?" * len(statuses))
            where = (where + " AND " if where else "WHERE ") + f"status IN ({marks})"
            params = [*params, *statuses]
        return self._frame(
            f"SELECT * FROM corporate_actions {where} ORDER BY symbol, ex_date", params
        )
