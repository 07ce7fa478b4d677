"""Named, switchable feature sets and the per-symbol ones (technical, levels, returns).

Sets and their columns (:data:`SET_COLUMNS`)::

    technical        TA-Lib indicators             per symbol  (technical.py)
    levels           52-week range, pivots, AVWAP  per symbol  (levels.py)
    returns          log returns, vol-scaled, 12-1 per symbol  (this module)
    cross_sectional  return minus universe mean    panel       (panel.py)
    sector           return minus sector mean      panel       (panel.py)
    market           NIFTY 50 returns / volatility panel       (panel.py)
    intraday         time of day, gap, VWAP, OR    per symbol  (intraday.py, intraday bars)
    daily            previous session's daily set  per symbol  (intraday.py, intraday bars)

The default ``FeatureConfig()`` (``technical`` + ``levels``) gives exactly
:data:`sensequant.dataset.features.FEATURE_NAMES`. :func:`symbol_features` computes the
per-symbol sets over one symbol's whole history; :func:`sensequant.dataset.features.panel.
panel_features` adds the panel sets to the long panel and normalises per date.
"""

from __future__ import annotations

import hashlib
import json
from typing import Final

import numpy as np
import pandas as pd

from sensequant.dataset.features.build import (
    FEATURE_PARAMS,
    FEATURE_SET_VERSION,
    _validated_arrays,
    build_features,
)
from sensequant.dataset.features.build import feature_set_hash as _default_hash
from sensequant.dataset.features.intraday import (
    DAILY_FEATURE_NAMES,
    INTRADAY_FEATURE_NAMES,
    INTRADAY_PARAMS,
    daily_context_features,
    intraday_features,
)
from sensequant.dataset.features.levels import LEVEL_FEATURE_NAMES
from sensequant.dataset.features.technical import TECHNICAL_FEATURE_NAMES
from sensequant.run_config import FeatureConfig

RETURN_HORIZONS: Final = (1, 5, 20, 60)
"""Sessions n of the ``returns``, ``cross_sectional`` and ``sector`` sets."""
RETURN_VOL_PERIOD: Final = 20
"""Sessions of daily log returns in sigma_20 (vol-scaled returns)."""
MOMENTUM_SKIP, MOMENTUM_LOOKBACK = 21, 252
"""12-1 momentum: ``ln close_{t-21} - ln close_{t-252}``."""
MARKET_RETURN_HORIZONS: Final = (5, 20, 60)
MARKET_VOL_PERIODS: Final = (20, 60)

RETURN_FEATURE_NAMES: Final[tuple[str, ...]] = (
    *(f"ret_{n}" for n in RETURN_HORIZONS),
    *(f"ret_{n}_volscaled" for n in RETURN_HORIZONS),
    "mom_12_1",
)
CROSS_SECTIONAL_FEATURE_NAMES: Final[tuple[str, ...]] = tuple(
    f"xs_ret_{n}" for n in RETURN_HORIZONS
)
SECTOR_FEATURE_NAMES: Final[tuple[str, ...]] = tuple(f"sector_ret_{n}" for n in RETURN_HORIZONS)
MARKET_FEATURE_NAMES: Final[tuple[str, ...]] = (
    *(f"mkt_ret_{n}" for n in MARKET_RETURN_HORIZONS),
    *(f"mkt_vol_{n}" for n in MARKET_VOL_PERIODS),
)

SET_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "technical": TECHNICAL_FEATURE_NAMES,
    "levels": LEVEL_FEATURE_NAMES,
    "returns": RETURN_FEATURE_NAMES,
    "cross_sectional": CROSS_SECTIONAL_FEATURE_NAMES,
    "sector": SECTOR_FEATURE_NAMES,
    "market": MARKET_FEATURE_NAMES,
    "intraday": INTRADAY_FEATURE_NAMES,
    "daily": DAILY_FEATURE_NAMES,
}
"""Columns of every named set, in order."""
SYMBOL_SETS: Final = ("technical", "levels", "returns", "intraday", "daily")
"""Sets computed per symbol (and normalised per date when ``cs_normalize`` is set)."""
PANEL_SETS: Final = ("cross_sectional", "sector", "market")
"""Sets computed on the panel by :func:`sensequant.dataset.features.panel.panel_features`."""
SET_PARAMS: Final[dict[str, object]] = {
    "returns": {
        "horizons": list(RETURN_HORIZONS),
        "vol_period": RETURN_VOL_PERIOD,
        "momentum": [MOMENTUM_SKIP, MOMENTUM_LOOKBACK],
    },
    "cross_sectional": {"horizons": list(RETURN_HORIZONS), "mean": "equal_weight"},
    "sector": {"horizons": list(RETURN_HORIZONS), "mean": "equal_weight", "unknown": "nan"},
    "market": {"returns": list(MARKET_RETURN_HORIZONS), "vol": list(MARKET_VOL_PERIODS)},
    "intraday": INTRADAY_PARAMS,
    "daily": INTRADAY_PARAMS,
}
"""Parameters of the new sets (hashed by ``feature_set_hash`` when they are chosen)."""


def selected_names(config: FeatureConfig, *, kinds: tuple[str, ...] | None = None) -> list[str]:
    """Feature columns of ``config``, in order.

    Parameters
    ----------
    config : FeatureConfig
        Chosen sets.
    kinds : tuple of str, optional
        Only these sets (e.g. :data:`SYMBOL_SETS`); default every chosen set.

    Returns
    -------
    list of str
    """
    return [c for s in config.sets if kinds is None or s in kinds for c in SET_COLUMNS[s]]


def feature_set_hash(config: FeatureConfig | None = None) -> str:
    """Fingerprint of the chosen feature sets, for model metadata and manifests.

    Parameters
    ----------
    config : FeatureConfig, optional
        Chosen sets and normalisation; None or the default config gives exactly the hash of
        the original feature set (:func:`sensequant.dataset.features.build.feature_set_hash`).

    Returns
    -------
    str
        16 hex digits. For a non-default config: SHA-256 of the canonical JSON of
        ``{"version", "sets", "names", "params" (of the chosen sets), "cs_normalize"}``.
    """
    if config is None or config == FeatureConfig():
        return _default_hash()
    params = {**FEATURE_PARAMS, **SET_PARAMS}
    blob = json.dumps(
        {
            "version": FEATURE_SET_VERSION,
            "sets": list(config.sets),
            "names": selected_names(config),
            "params": {s: params[s] for s in config.sets},
            "cs_normalize": config.cs_normalize,
        },
        sort_keys=True,
    ).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _lag(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full_like(x, np.nan)
    if len(x) > n:
        out[n:] = x[:-n]
    return out


def return_features(close: np.ndarray) -> dict[str, np.ndarray]:
    """The ``returns`` set of one symbol.

    Parameters
    ----------
    close : ndarray of shape (n_bars,)
        Closes in rupees (> 0), oldest first, one per session.

    Returns
    -------
    dict of str to ndarray of shape (n_bars,)
        In :data:`RETURN_FEATURE_NAMES` order (float64, NaN during warm-up):

        * ``ret_n``: ``ln close_t - ln close_{t-n}`` for n in 1, 5, 20, 60 (sessions).
        * ``ret_n_volscaled``: ``ret_n / (sigma_20 * sqrt(n))``, sigma_20 = sample std
          (ddof=1) of the last 20 daily log returns; NaN where sigma_20 is 0.
        * ``mom_12_1``: ``ln close_{t-21} - ln close_{t-252}``.

        Row t uses closes ``0..t`` only.
    """
    logc = np.log(np.asarray(close, dtype=np.float64))
    r1 = logc - _lag(logc, 1)
    sigma = pd.Series(r1).rolling(RETURN_VOL_PERIOD, min_periods=RETURN_VOL_PERIOD).std(ddof=1)
    sig = sigma.to_numpy()
    out: dict[str, np.ndarray] = {}
    for n in RETURN_HORIZONS:
        out[f"ret_{n}"] = logc - _lag(logc, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for n in RETURN_HORIZONS:
            scaled = out[f"ret_{n}"] / (sig * np.sqrt(n))
            out[f"ret_{n}_volscaled"] = np.where(np.isfinite(scaled), scaled, np.nan)
    out["mom_12_1"] = _lag(logc, MOMENTUM_SKIP) - _lag(logc, MOMENTUM_LOOKBACK)
    return out


def symbol_features(bars: pd.DataFrame, config: FeatureConfig) -> pd.DataFrame:
    """The per-symbol sets of ``config`` (technical, levels, returns) for one symbol.

    Parameters
    ----------
    bars : pandas.DataFrame
        Daily bars of ONE symbol, as for :func:`sensequant.dataset.features.build_features`.
    config : FeatureConfig
        Chosen sets; panel sets (cross_sectional, sector, market) are ignored here.

    Returns
    -------
    pandas.DataFrame of shape (n_bars, n_symbol_features)
        Index ``timestamp``; columns :func:`selected_names` restricted to
        :data:`SYMBOL_SETS`, float64. With the default config this equals
        ``build_features(bars)`` exactly.

    Raises
    ------
    DataError
        As :func:`sensequant.dataset.features.build_features` (bad columns or prices).
    """
    names = selected_names(config, kinds=SYMBOL_SETS)
    if {"technical", "levels"} & set(config.sets) or not names:
        base = build_features(bars)  # validates the bars even when only `returns` is chosen
    else:  # intraday sets only: the same checks, without the daily indicators' cost
        _validated_arrays(bars)
        base = pd.DataFrame(index=pd.DatetimeIndex(bars["timestamp"], name="timestamp"))
    extra: dict[str, np.ndarray] = {}
    if "returns" in config.sets:
        extra.update(return_features(bars["close"].to_numpy(dtype=np.float64)))
    if "intraday" in config.sets:
        extra.update(intraday_features(bars))
    if "daily" in config.sets:
        extra.update(daily_context_features(bars))
    if extra:
        base = pd.concat([base, pd.DataFrame(extra, index=base.index)], axis=1)
    out = base[names]
    if all(dtype == np.float64 for dtype in out.dtypes):  # one float64 block (same values):
        # later steps take views of it instead of copying a frame of several blocks
        out = pd.DataFrame(out.to_numpy(), index=out.index, columns=out.columns, copy=False)
    return out
