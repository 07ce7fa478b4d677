"""sensequant.data.reference: public face."""

from sensequant.data.reference.aliases import canonical_symbol, load_aliases, packaged_aliases
from sensequant.data.reference.symbol_master import (
    MASTER_COLUMNS,
    effective_first_bar,
    series_extent,
    symbol_master,
)
from sensequant.data.reference.universe import (
    is_index_list_file,
    is_index_symbol,
    load_nse_index_list,
    packaged_universes,
    read_universe_file,
    resolve,
    resolve_universe,
)

__all__ = [
    "MASTER_COLUMNS",
    "canonical_symbol",
    "effective_first_bar",
    "is_index_list_file",
    "is_index_symbol",
    "load_aliases",
    "load_nse_index_list",
    "packaged_aliases",
    "packaged_universes",
    "read_universe_file",
    "resolve",
    "resolve_universe",
    "series_extent",
    "symbol_master",
]
