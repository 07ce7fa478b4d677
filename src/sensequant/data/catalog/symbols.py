"""Symbol-master rows of the catalog (:class:`SymbolsMixin`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sensequant.data.catalog import rows as rows_sql
from sensequant.data.catalog.connection import CatalogBase
from sensequant.data.catalog.rows import SymbolInfo

__all__ = ["SymbolsMixin"]


class SymbolsMixin(CatalogBase):
    """Catalog mixin: symbol-master rows."""

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

    def industries(self, symbols: Sequence[str]) -> dict[str, str | None]:
        """Each symbol's industry (the NIFTY 100 list's ``Industry``), one query.

        Returns
        -------
        dict of str to str or None
            Every symbol of ``symbols``; None where the symbol master has no industry (or
            no row) for it.
        """
        known = {info.symbol: info.industry for info in self.symbols(symbols)}
        return {s: known.get(s) for s in symbols}

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
