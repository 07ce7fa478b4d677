"""Universe membership lists of the catalog (:class:`UniversesMixin`)."""

from __future__ import annotations

from collections.abc import Iterable

from sensequant.data.catalog.connection import CatalogBase
from sensequant.data.catalog.rows import iso_text as _iso
from sensequant.data.market import TimeLike, validate_symbol

__all__ = ["UniversesMixin"]


class UniversesMixin(CatalogBase):
    """Catalog mixin: universe membership lists."""

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
