"""Symbol aliases of the catalog: old NSE symbol -> current (:class:`AliasesMixin`)."""

from __future__ import annotations

from collections.abc import Mapping

from sensequant.data.catalog.connection import CatalogBase
from sensequant.data.market import validate_symbol

__all__ = ["AliasesMixin"]


class AliasesMixin(CatalogBase):
    """Catalog mixin: symbol aliases."""

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
