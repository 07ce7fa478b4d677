"""sensequant.data.catalog: public face."""

from sensequant.data.catalog.catalog import SCHEMA_VERSION, Catalog, IngestRecord, SymbolInfo
from sensequant.data.catalog.schema import SCHEMA_V1

__all__ = [
    "SCHEMA_V1",
    "SCHEMA_VERSION",
    "Catalog",
    "IngestRecord",
    "SymbolInfo",
]
