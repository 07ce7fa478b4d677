"""Per-provider, per-IST-day API call budget (:class:`ApiCallsMixin`)."""

from __future__ import annotations

import datetime as dt

from sensequant.data.catalog.connection import CatalogBase

__all__ = ["ApiCallsMixin"]


class ApiCallsMixin(CatalogBase):
    """Catalog mixin: per-provider, per-IST-day API call budget."""

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
