"""Scale-free, causal, versioned features (see :func:`build_features`)."""

from __future__ import annotations

from sensequant.dataset.features.build import (
    FEATURE_NAMES,
    FEATURE_PARAMS,
    FEATURE_SET_VERSION,
    build_features,
)
from sensequant.dataset.features.panel import (
    ZSCORE_CLIP,
    RelativeReturns,
    cs_normalize,
    cs_rank,
    cs_robust_z,
    panel_features,
    relative_returns,
    session_log_returns,
    wide_closes,
)
from sensequant.dataset.features.sets import (
    PANEL_SETS,
    SET_COLUMNS,
    SYMBOL_SETS,
    feature_set_hash,
    return_features,
    selected_names,
    symbol_features,
)

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_PARAMS",
    "FEATURE_SET_VERSION",
    "PANEL_SETS",
    "SET_COLUMNS",
    "SYMBOL_SETS",
    "ZSCORE_CLIP",
    "RelativeReturns",
    "build_features",
    "cs_normalize",
    "cs_rank",
    "cs_robust_z",
    "feature_set_hash",
    "panel_features",
    "relative_returns",
    "return_features",
    "selected_names",
    "session_log_returns",
    "symbol_features",
    "wide_closes",
]
