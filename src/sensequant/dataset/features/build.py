"""Assemble the feature matrix of one symbol and fingerprint the feature set.

:func:`build_features` is computed ONCE over a symbol's whole history and then sliced into
windows (:mod:`sensequant.dataset.windows`), so indicator warm-up only costs the start of the
history. Every column at row ``t`` depends on bars ``0..t`` only;
``tests/dataset/features/test_lookahead.py`` checks that ``build_features(bars[:t+1])`` equals
``build_features(bars)[:t+1]``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Final

import numpy as np
import pandas as pd

from sensequant.dataset.features.levels import LEVEL_FEATURE_NAMES, LEVEL_PARAMS, level_features
from sensequant.dataset.features.technical import (
    TECHNICAL_FEATURE_NAMES,
    TECHNICAL_PARAMS,
    technical_features,
)
from sensequant.errors import DataError
from sensequant.types import BAR_COLUMNS

FEATURE_SET_VERSION: Final = "1.0.0"
"""Bump when a feature's definition changes (the hash changes with parameters anyway)."""

FEATURE_NAMES: Final[tuple[str, ...]] = TECHNICAL_FEATURE_NAMES + LEVEL_FEATURE_NAMES
"""Columns of :func:`build_features`, in order."""

FEATURE_PARAMS: Final[dict[str, object]] = {"technical": TECHNICAL_PARAMS, "levels": LEVEL_PARAMS}
"""Every parameter of the feature set (hashed by :func:`feature_set_hash`)."""


def feature_set_hash() -> str:
    """Fingerprint of the feature set, for model metadata and manifests.

    Returns
    -------
    str
        First 16 hex digits of SHA-256 over the canonical JSON (sorted keys) of
        ``{"version": FEATURE_SET_VERSION, "names": FEATURE_NAMES, "params": FEATURE_PARAMS}``.
    """
    blob = json.dumps(
        {"version": FEATURE_SET_VERSION, "names": list(FEATURE_NAMES), "params": FEATURE_PARAMS},
        sort_keys=True,
    ).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _validated_arrays(bars: pd.DataFrame) -> dict[str, np.ndarray]:
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise DataError(
            f"bar frame lacks column(s) {missing}; it has {list(bars.columns)}",
            hint=f"pass bars with columns {list(BAR_COLUMNS)} (as read from the bar store)",
        )
    ts = pd.DatetimeIndex(bars["timestamp"])
    if len(ts) > 1 and not (ts.is_monotonic_increasing and ts.is_unique):
        raise DataError(
            "bar timestamps are not sorted and unique "
            f"(first bar {ts[0]}, last bar {ts[-1]}, {int(ts.duplicated().sum())} duplicate(s))",
            hint="sort by timestamp and drop duplicates (the data quality step does this)",
        )
    arrays: dict[str, np.ndarray] = {}
    for col in ("open", "high", "low", "close", "volume"):
        x = bars[col].to_numpy(dtype=np.float64, copy=True)
        # a NaN volume = absent (files without volume, e.g. the ETFs): allowed
        bad = np.isinf(x) | (x < 0) if col == "volume" else ~np.isfinite(x) | (x <= 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"bar {ts[i]}: {col} = {x[i]!r} is not a "
                f"{'finite non-negative volume' if col == 'volume' else 'positive finite price'}"
                f" ({int(bad.sum())} such row(s))",
                hint="run the data quality step, which rejects or corrects such rows",
            )
        arrays[col] = x
    return arrays


def build_features(bars: pd.DataFrame) -> pd.DataFrame:
    """Compute the full feature matrix of one symbol.

    Parameters
    ----------
    bars : pandas.DataFrame
        Daily bars of ONE symbol: ``timestamp`` (tz-aware ``Asia/Kolkata``, sorted, unique),
        ``open``, ``high``, ``low``, ``close`` (rupees, > 0), ``volume`` (shares, >= 0; NaN
        = absent, which makes the volume-based columns NaN). Extra columns are ignored.

    Returns
    -------
    pandas.DataFrame of shape (n_bars, len(FEATURE_NAMES))
        Index: ``bars["timestamp"]`` as a DatetimeIndex named ``timestamp``; columns
        :data:`FEATURE_NAMES` (float64). Row ``t`` uses bars ``0..t`` only. Warm-up rows are
        NaN (fewer bars than the longest lookback, 252, gives NaN columns, not an error);
        +/-inf (e.g. from constant prices) is replaced by NaN. See
        :func:`sensequant.dataset.features.technical.technical_features` and
        :func:`sensequant.dataset.features.levels.level_features` for each definition.

    Raises
    ------
    DataError
        If a column is missing, timestamps are not sorted/unique, a price is non-positive or
        not finite, or a volume is negative or infinite (NaN = absent).

    Examples
    --------
    >>> from sensequant.testing.synthetic import synthetic_bars
    >>> bars = synthetic_bars("DEMO", "1day", "2023-01-01", "2024-12-31")
    >>> features = build_features(bars)
    >>> features.shape == (len(bars), len(FEATURE_NAMES))
    True
    >>> features.index.name, features.columns[0]
    ('timestamp', 'logret_1')
    >>> bool(features.iloc[0].isna().any()), bool(features.iloc[-1].notna().all())
    (True, True)
    """
    a = _validated_arrays(bars)
    cols = technical_features(a["open"], a["high"], a["low"], a["close"], a["volume"])
    cols.update(level_features(a["high"], a["low"], a["close"], a["volume"]))
    matrix = np.column_stack([cols[name] for name in FEATURE_NAMES]) if len(bars) else None
    index = pd.DatetimeIndex(bars["timestamp"], name="timestamp")
    if matrix is None:
        matrix = np.empty((0, len(FEATURE_NAMES)), dtype=np.float64)
    matrix[~np.isfinite(matrix)] = np.nan
    return pd.DataFrame(matrix, index=index, columns=list(FEATURE_NAMES), dtype=np.float64)
