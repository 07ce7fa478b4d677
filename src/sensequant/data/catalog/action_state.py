"""Derived corporate actions and reviewer decisions of the catalog (:class:`ActionStateMixin`).

Detected actions are *derived state*: each stored series' detection result is kept in
``action_detections`` with the series fingerprint it was computed from, and the
``corporate_actions`` rows of source ``detected`` are rebuilt from those results (the union
over the symbol's intervals) in the same transaction. Reviews (``confirmed``/``rejected``)
live in ``action_reviews`` with the reviewer's identity and are re-applied on every rebuild,
so re-detection, a lost catalog row or ``sensequant data repair`` never lose a decision. A
confirmed action that is no longer detected stays applied (source ``review``). Manual rows
(any other source) are primary data and are never touched by a rebuild.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from sensequant.data.catalog.connection import CatalogBase
from sensequant.data.catalog.rows import now_text as _now
from sensequant.data.market import validate_symbol
from sensequant.errors import StoreError, UsageError
from sensequant.identity import current_actor, validate_display_name

__all__ = ["DERIVED_SOURCES", "ActionStateMixin"]

DERIVED_SOURCES: Final = ("detected", "review")
"""Sources of ``corporate_actions`` rows that a rebuild deletes and writes again."""
_INTERVAL_ORDER: Final = {"1day": 0, "30minute": 1, "5minute": 2, "1minute": 3}


def _rebuild(con: sqlite3.Connection, symbol: str) -> None:
    """Write ``symbol``'s derived rows again from its detections and reviews."""
    marks = ",".join("?" * len(DERIVED_SOURCES))
    con.execute(
        f"DELETE FROM corporate_actions WHERE symbol = ? AND source IN ({marks})",
        (symbol, *DERIVED_SOURCES),
    )
    states = con.execute(
        "SELECT interval, found FROM action_detections WHERE symbol = ?", (symbol,)
    ).fetchall()
    now = _now()
    for _, found in sorted(states, key=lambda r: _INTERVAL_ORDER.get(str(r[0]), 9)):
        for row in json.loads(found):
            con.execute(
                "INSERT OR IGNORE INTO corporate_actions (symbol, ex_date, kind, price_factor, "
                "source, status, detail, recorded_at) VALUES (?,?,?,?,'detected','suspected',?,?)",
                (symbol, row["ex_date"], row["kind"], row["price_factor"], row.get("detail"), now),
            )
    reviews = con.execute(
        "SELECT ex_date, status, kind, price_factor, reviewer, reviewer_name "
        "FROM action_reviews WHERE symbol = ?",
        (symbol,),
    ).fetchall()
    for ex_date, status, kind, factor, reviewer, name in reviews:
        cur = con.execute(
            "UPDATE corporate_actions SET status = ? WHERE symbol = ? AND ex_date = ?",
            (status, symbol, ex_date),
        )
        if cur.rowcount == 0 and status == "confirmed":
            who = reviewer + (f" ({name})" if name else "")
            con.execute(
                "INSERT INTO corporate_actions (symbol, ex_date, kind, price_factor, source, "
                "status, detail, recorded_at) VALUES (?,?,?,?,'review','confirmed',?,?)",
                (symbol, ex_date, kind, factor, f"confirmed by {who}; not detected now", now),
            )


class ActionStateMixin(CatalogBase):
    """Catalog mixin: detection results keyed by series fingerprint, and reviews."""

    def action_detections(self, symbol: str | None = None) -> pd.DataFrame:
        """Detection state rows ``symbol, interval, fingerprint, found`` (JSON), by series."""
        where, params = ("WHERE symbol = ?", [symbol]) if symbol else ("", [])
        return self._frame(
            "SELECT symbol, interval, fingerprint, found, detected_at FROM action_detections "
            f"{where} ORDER BY symbol, interval",
            params,
        )

    def replace_detected_actions(
        self,
        symbol: str,
        interval: str,
        fingerprint: str,
        rows: Sequence[Mapping[str, Any]],
    ) -> None:
        """Store the detection result of one series and rebuild the symbol's derived rows.

        Parameters
        ----------
        symbol, interval : str
            The series.
        fingerprint : str
            SHA-256 of the stored series the result was computed from
            (:meth:`BarStore.fingerprint`).
        rows : sequence of mapping
            ``ex_date``, ``kind``, ``price_factor`` (new / old price), optional ``detail``.

        Raises
        ------
        StoreError
            If the write fails (nothing is written: one transaction).
        """
        found = [
            {
                "ex_date": pd.Timestamp(r["ex_date"]).date().isoformat(),
                "kind": str(r["kind"]),
                "price_factor": float(r["price_factor"]),
                "detail": r.get("detail"),
            }
            for r in rows
        ]
        sym = validate_symbol(symbol)
        with self._transaction() as con:
            con.execute(
                "INSERT INTO action_detections (symbol, interval, fingerprint, found, "
                "detected_at) VALUES (?,?,?,?,?) ON CONFLICT (symbol, interval) DO UPDATE SET "
                "fingerprint = excluded.fingerprint, found = excluded.found, "
                "detected_at = excluded.detected_at",
                (sym, interval, fingerprint, json.dumps(found), _now()),
            )
            _rebuild(con, sym)

    def drop_detected_actions(self, symbol: str, interval: str) -> None:
        """Forget one series' detection result (it is no longer stored); rebuild the rows."""
        sym = validate_symbol(symbol)
        with self._transaction() as con:
            con.execute(
                "DELETE FROM action_detections WHERE symbol = ? AND interval = ?", (sym, interval)
            )
            _rebuild(con, sym)

    def review_corporate_action(
        self,
        symbol: str,
        ex_date: dt.date,
        status: str,
        *,
        reviewer: str | None = None,
        reviewer_name: str | None = None,
    ) -> None:
        """Confirm or reject one recorded action; the decision survives re-detection.

        Parameters
        ----------
        symbol : str
        ex_date : datetime.date
        status : {'confirmed', 'rejected'}
        reviewer : str, optional
            Default: the OS user running this process (:func:`sensequant.identity.
            current_actor`, the identity every review records).
        reviewer_name : str, optional
            Display name (:func:`sensequant.identity.validate_display_name`).

        Raises
        ------
        UsageError
            If ``status`` or ``reviewer_name`` is not usable, or the OS user is the
            pipeline's own actor.
        StoreError
            When no action is recorded for ``symbol`` on ``ex_date``.
        """
        if status not in ("confirmed", "rejected"):
            raise UsageError(f"unknown review status {status!r}", hint="confirmed or rejected")
        if reviewer:
            who, name = reviewer, validate_display_name(reviewer_name)
        else:
            actor = current_actor(reviewer_name)
            who, name = actor.os_user, actor.display_name
        sym, day = validate_symbol(symbol), ex_date.isoformat()
        with self._transaction() as con:
            row = con.execute(
                "SELECT kind, price_factor FROM corporate_actions WHERE symbol = ? AND ex_date = ?",
                (sym, day),
            ).fetchone()
            if row is None:
                raise StoreError(
                    f"no corporate action recorded for {symbol} on {ex_date}",
                    hint="list them with `sensequant data actions`",
                )
            fps = con.execute(
                "SELECT interval, fingerprint FROM action_detections WHERE symbol = ?", (sym,)
            ).fetchall()
            fingerprint = ";".join(f"{i}:{f}" for i, f in sorted(fps)) or None
            con.execute(
                "INSERT INTO action_reviews (symbol, ex_date, status, kind, price_factor, "
                "reviewer, reviewer_name, fingerprint, reviewed_at) VALUES (?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (symbol, ex_date) DO UPDATE SET status = excluded.status, "
                "kind = excluded.kind, price_factor = excluded.price_factor, "
                "reviewer = excluded.reviewer, reviewer_name = excluded.reviewer_name, "
                "fingerprint = excluded.fingerprint, reviewed_at = excluded.reviewed_at",
                (sym, day, status, row[0], row[1], who, name, fingerprint, _now()),
            )
            con.execute(
                "UPDATE corporate_actions SET status = ? WHERE symbol = ? AND ex_date = ?",
                (status, sym, day),
            )

    def set_corporate_action_status(
        self,
        symbol: str,
        ex_date: dt.date,
        status: str,
        *,
        reviewer: str | None = None,
        reviewer_name: str | None = None,
    ) -> None:
        """Review one corporate action: :meth:`review_corporate_action` (same arguments)."""
        self.review_corporate_action(
            symbol, ex_date, status, reviewer=reviewer, reviewer_name=reviewer_name
        )

    def action_reviews(self, symbol: str | None = None) -> pd.DataFrame:
        """Review rows (symbol, ex_date, status, kind, price_factor, reviewer, reviewer_name,
        fingerprint, reviewed_at), by symbol and ex-date."""
        where, params = ("WHERE symbol = ?", [symbol]) if symbol else ("", [])
        return self._frame(f"SELECT * FROM action_reviews {where} ORDER BY symbol, ex_date", params)
