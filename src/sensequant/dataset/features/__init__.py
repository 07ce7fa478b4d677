"""Scale-free, causal, versioned features (see :func:`build_features`)."""

from __future__ import annotations

from sensequant.dataset.features.build import (
    FEATURE_NAMES,
    FEATURE_PARAMS,
    FEATURE_SET_VERSION,
    build_features,
    feature_set_hash,
)

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_PARAMS",
    "FEATURE_SET_VERSION",
    "build_features",
    "feature_set_hash",
]
