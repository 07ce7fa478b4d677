"""Weight arrays and caps: :func:`weight_values` (refuses NaN) and :func:`apply_caps`.

Re-exported by :mod:`sensequant.evaluation.portfolio`. Pure computation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sensequant.errors import ConfigError, DataError


def weight_values(weights: pd.DataFrame) -> np.ndarray:
    """The weights as a float array, refusing NaN (a weight must be a number; 0 = not held).

    Raises
    ------
    DataError
        Naming the first (symbol, date) with a NaN weight.
    """
    values = weights.to_numpy(dtype=float)
    if np.isnan(values).any():
        r, c = np.argwhere(np.isnan(values))[0]
        raise DataError(
            f"weights hold NaN for {weights.columns[c]} on {weights.index[r]}",
            hint="use 0.0 for symbols not held",
        )
    return values


def _check_param(name: str, value: float, *, low: float, high: float = math.inf) -> float:
    value = float(value)
    if not (math.isfinite(value) and low <= value <= high):
        raise ConfigError(
            f"{name} must lie in [{low:g}, {high:g}], got {value}",
            hint=f"pass a finite {name} in range",
        )
    return value


def apply_caps(
    weights: pd.DataFrame, *, max_weight_per_symbol: float, max_gross: float = 1.0
) -> pd.DataFrame:
    """Cap each position and the gross exposure; what is cut goes to cash.

    Each weight is clipped to ``[-max_weight_per_symbol, max_weight_per_symbol]``; then a row
    whose gross ``sum |w|`` exceeds ``max_gross`` is scaled down pro rata. Nothing is
    redistributed to other names (a capped book holds more cash), so the caps hold exactly.

    Parameters
    ----------
    weights : pandas.DataFrame
        Dates x symbols, fractions of equity (negative = short), no NaN.
    max_weight_per_symbol : float
        Largest ``|w|`` per name, in (0, 1].
    max_gross : float, default 1.0
        Largest ``sum |w|`` per row, > 0.

    Returns
    -------
    pandas.DataFrame
        Same index and columns.

    Raises
    ------
    DataError
        NaN weights.
    ConfigError
        Caps out of range.
    """
    cap = _check_param("max_weight_per_symbol", max_weight_per_symbol, low=0.0, high=1.0)
    gmax = _check_param("max_gross", max_gross, low=0.0)
    if cap == 0.0 or gmax == 0.0:
        raise ConfigError("caps must be > 0", hint="use a positive max_weight_per_symbol/max_gross")
    values = weight_values(weights)
    capped = np.clip(values, -cap, cap)
    total = np.abs(capped).sum(axis=1, keepdims=True)
    scale = np.where(total > gmax, gmax / np.where(total > 0, total, 1.0), 1.0)
    return pd.DataFrame(capped * scale, index=weights.index, columns=weights.columns)
