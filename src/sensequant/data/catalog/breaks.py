"""Structural breaks of the catalog (:class:`StructuralBreaksMixin`).

A break is keyed by ``(symbol, interval, session_date, kind)``; detection
(:mod:`sensequant.data.quality.breaks`) records them ``pending``; a reviewer sets ``confirmed``
(a real break: keep the bars out) or ``rejected`` (the data is right: use the bars), with
their identity and the time of the decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import pandas as pd

from sensequant.data.catalog.connection import CatalogBase, filters
from sensequant.data.catalog.rows import now_text as _now
from sensequant.data.market import validate_symbol
from sensequant.errors import StoreError, UsageError

__all__ = ["BREAK_STATUSES", "REVIEW_STATUSES", "StructuralBreaksMixin"]

BREAK_STATUSES: Final = ("pending", "confirmed", "rejected")
"""Every status a break can have."""
REVIEW_STATUSES: Final = ("confirmed", "rejected")
"""Statuses a reviewer sets."""

_COLUMNS = "symbol, interval, session_date, kind, last_date, size, status, detail, detected_at"


def _iso(day: Any) -> str:
    return pd.Timestamp(day).date().isoformat()


class StructuralBreaksMixin(CatalogBase):
    """Catalog mixin: structural breaks awaiting (or after) review."""

    def record_breaks(self, symbol: str, interval: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Replace the PENDING breaks of one series by a fresh detection; keep reviewed ones.

        Parameters
        ----------
        symbol, interval : str
        rows : iterable of mapping
            Keys ``session_date`` (date), ``kind`` (``level_shift``, ``spike``,
            ``bad_print``), ``last_date`` (date: last session affected), ``size`` (log move),
            optional ``detail``. A row whose key was already reviewed keeps its status,
            reviewer and decision time (its numbers are refreshed).

        Returns
        -------
        int
            Rows written.
        """
        symbol = validate_symbol(symbol)
        items = list(rows)
        keys = {(_iso(r["session_date"]), str(r["kind"])) for r in items}
        now = _now()
        with self._transaction() as con:
            pending = con.execute(
                "SELECT session_date, kind FROM structural_breaks WHERE symbol = ? AND "
                "interval = ? AND status = 'pending'",
                (symbol, interval),
            ).fetchall()
            for day, kind in pending:
                if (day, kind) not in keys:
                    con.execute(
                        "DELETE FROM structural_breaks WHERE symbol = ? AND interval = ? AND "
                        "session_date = ? AND kind = ?",
                        (symbol, interval, day, kind),
                    )
            for row in items:
                con.execute(
                    f"INSERT INTO structural_breaks ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) "
                    "ON CONFLICT (symbol, interval, session_date, kind) DO UPDATE SET "
                    "last_date = excluded.last_date, size = excluded.size, "
                    "detail = excluded.detail, detected_at = excluded.detected_at",
                    (
                        symbol,
                        interval,
                        _iso(row["session_date"]),
                        str(row["kind"]),
                        _iso(row["last_date"]),
                        float(row["size"]),
                        "pending",
                        row.get("detail"),
                        now,
                    ),
                )
        return len(items)

    def set_break_status(
        self,
        symbol: str,
        session_date: dt.date,
        status: str,
        reviewer: str,
        *,
        kind: str | None = None,
    ) -> int:
        """Review the break(s) of ``symbol`` on ``session_date`` (every kind, or ``kind``).

        Parameters
        ----------
        symbol : str
        session_date : datetime.date
            First session of the break.
        status : {'confirmed', 'rejected'}
        reviewer : str
            Who decided (the CLI passes the OS user); stored with the decision time (IST).
        kind : str, optional
            Only this kind (a date can hold a ``level_shift`` and a ``bad_print``).

        Returns
        -------
        int
            Breaks updated (>= 1).

        Raises
        ------
        UsageError
            ``status`` is not a review status or ``reviewer`` is empty.
        StoreError
            No break is recorded for ``symbol`` on ``session_date`` (of ``kind``).
        """
        if status not in REVIEW_STATUSES:
            raise UsageError(f"break status {status!r} is not one of {REVIEW_STATUSES}")
        if not reviewer.strip():
            raise UsageError("a break review needs the reviewer's name")
        where = "symbol = ? AND session_date = ?" + (" AND kind = ?" if kind else "")
        params: list[Any] = [validate_symbol(symbol), session_date.isoformat()]
        params += [kind] if kind else []
        with self._transaction() as con:
            cur = con.execute(
                f"UPDATE structural_breaks SET status = ?, reviewer = ?, decided_at = ? "
                f"WHERE {where}",
                [status, reviewer.strip(), _now(), *params],
            )
            if cur.rowcount == 0:
                what = f" ({kind})" if kind else ""
                raise StoreError(
                    f"no structural break{what} recorded for {symbol} on {session_date}",
                    hint="list them with `sensequant data breaks`",
                )
            return int(cur.rowcount)

    def structural_breaks(
        self,
        symbol: str | None = None,
        statuses: Sequence[str] | None = None,
        interval: str | None = None,
    ) -> pd.DataFrame:
        """Break rows (all columns) by symbol, interval and date, optionally filtered.

        Returns
        -------
        pandas.DataFrame
            Columns ``symbol, interval, session_date, kind, last_date, size, status, detail,
            detected_at, reviewer, decided_at`` (dates as ISO text).
        """
        where, params = filters(("symbol", symbol), ("interval", interval))
        if statuses:
            marks = ",".join("?" * len(statuses))
            where = (where + " AND " if where else "WHERE ") + f"status IN ({marks})"
            params = [*params, *statuses]
        return self._frame(
            f"SELECT * FROM structural_breaks {where} "
            "ORDER BY symbol, interval, session_date, kind",
            params,
        )
