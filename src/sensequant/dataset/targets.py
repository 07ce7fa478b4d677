"""Cross-sectional training targets and LightGBM ranking inputs from the panel's fwd_return.

Per decision date t (the panel's ``timestamp``), using only that date's ``fwd_return`` values
(each known at its own ``t1``, see :mod:`sensequant.dataset.labels`):

* ``cs_rank``: Qlib's CSRankNorm, ``(rank_pct - 0.5) * sqrt(12)`` (unit variance for a
  uniform rank);
* ``cs_zscore``: robust z ``(x - median) / (1.4826 * MAD)`` clipped to +/-3;
* :func:`relevance_grades`: per-date quantile bins 0..n-1 for ``lambdarank``;
* :func:`rank_groups`: one query group per date, for LightGBM's ``group``.

A date with fewer than :data:`MIN_VALID_PER_DATE` finite ``fwd_return`` values gets NaN.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import pandas as pd

from sensequant.dataset.features.panel import cs_rank, cs_robust_z
from sensequant.errors import DataError

MIN_VALID_PER_DATE: Final = 5
"""Dates with fewer valid fwd_return values get NaN targets."""
TARGET_ZSCORE_CLIP: Final = 3.0
"""Clip of the ``cs_zscore`` target."""

TargetKind = Literal["cs_rank", "cs_zscore"]


def _fwd(panel: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    missing = [c for c in ("timestamp", "fwd_return") if c not in panel.columns]
    if missing:
        raise DataError(
            f"panel lacks column(s) {missing} needed for cross-sectional targets",
            hint="build it with sensequant.dataset.panel_frame",
        )
    fwd = panel[["fwd_return"]].astype(np.float64)
    fwd = fwd.where(np.isfinite(fwd.to_numpy()))
    key = pd.DatetimeIndex(panel["timestamp"]).asi8
    valid = fwd["fwd_return"].notna().groupby(key).transform("sum").to_numpy()
    return fwd, key, valid >= MIN_VALID_PER_DATE


def cs_target(panel: pd.DataFrame, kind: TargetKind) -> pd.Series:
    """Per-date cross-sectional transform of ``fwd_return``.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel with ``timestamp`` (decision date) and ``fwd_return`` (fraction).
    kind : {"cs_rank", "cs_zscore"}
        ``cs_rank``: ``(rank / n_valid - 0.5) * sqrt(12)``, in about [-1.73, 1.73];
        ``cs_zscore``: robust z-score clipped to +/-3.

    Returns
    -------
    pandas.Series of shape (n_rows,)
        float64, index = ``panel.index``, named ``target``; NaN where ``fwd_return`` is NaN
        or the date has fewer than 5 valid values.

    Raises
    ------
    DataError
        If ``timestamp`` or ``fwd_return`` is missing.
    ValueError
        If ``kind`` is unknown.
    """
    fwd, key, enough = _fwd(panel)
    if kind == "cs_rank":
        vals = cs_rank(fwd, key).to_numpy()[:, 0] * np.sqrt(12.0)
    elif kind == "cs_zscore":
        vals = cs_robust_z(fwd, key, TARGET_ZSCORE_CLIP).to_numpy()[:, 0]
    else:
        raise ValueError(f"unknown target kind {kind!r}; use 'cs_rank' or 'cs_zscore'")
    vals = np.where(enough, vals, np.nan)
    return pd.Series(vals, index=panel.index, name="target", dtype=np.float64)


def ts_volscaled_target(labels: pd.DataFrame, k: float) -> pd.Series:
    """One symbol's own vol-scaled forward return (a target without a cross-section).

    Parameters
    ----------
    labels : pandas.DataFrame
        :func:`sensequant.dataset.make_labels` output (``fwd_return``, ``threshold``).
    k : float
        The k of ``threshold = k * sigma_t * sqrt(h)`` (``barrier_k`` or ``threshold_k``).

    Returns
    -------
    pandas.Series of shape (n_rows,)
        ``fwd_return / (sigma_t * sqrt(h))`` clipped to +/-``TARGET_ZSCORE_CLIP``, named
        ``target``; NaN where either input is NaN or the threshold is 0.
    """
    fwd = labels["fwd_return"].to_numpy(dtype=np.float64)
    thr = labels["threshold"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(thr > 0, fwd * k / thr, np.nan)
    z = np.clip(z, -TARGET_ZSCORE_CLIP, TARGET_ZSCORE_CLIP)
    return pd.Series(z, index=labels.index, name="target", dtype=np.float64)


def rank_groups(timestamps: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """LightGBM ranking group sizes: one group per date, in row order.

    Parameters
    ----------
    timestamps : array-like of shape (n_rows,)
        Decision dates of the rows actually passed to LightGBM (after dropping NaN targets),
        sorted ascending.

    Returns
    -------
    ndarray of int64, shape (n_dates,)
        Consecutive run lengths; sums to n_rows.

    Raises
    ------
    DataError
        If the timestamps are not sorted (a date's rows must be contiguous).
    """
    ts = pd.DatetimeIndex(timestamps)
    if len(ts) == 0:
        return np.zeros(0, dtype=np.int64)
    if not ts.is_monotonic_increasing:
        raise DataError(
            "rank_groups needs rows sorted by timestamp (each date contiguous)",
            hint="sort the panel by timestamp (panel_frame does) before building groups",
        )
    v = ts.asi8
    starts = np.flatnonzero(np.concatenate(([True], v[1:] != v[:-1])))
    return np.diff(np.append(starts, len(v))).astype(np.int64)


def relevance_grades(panel: pd.DataFrame, n_grades: int = 5) -> pd.Series:
    """Per-date quantile bins of ``fwd_return`` as integer relevance grades for lambdarank.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel with ``timestamp`` and ``fwd_return``.
    n_grades : int, default 5
        Number of bins (>= 2); grade g holds ranks in ``((g/n) , (g+1)/n]`` of the date's
        percentile ranks, so the best returns get ``n_grades - 1``.

    Returns
    -------
    pandas.Series of shape (n_rows,)
        Nullable ``Int64`` grades 0..n_grades-1, index = ``panel.index``; ``<NA>`` where the
        target is missing (drop those rows, then call :func:`rank_groups`).

    Raises
    ------
    DataError
        If a column is missing.
    ValueError
        If ``n_grades < 2``.
    """
    if n_grades < 2:
        raise ValueError(f"n_grades must be at least 2, got {n_grades}")
    fwd, key, enough = _fwd(panel)
    pct = cs_rank(fwd, key).to_numpy()[:, 0] + 0.5  # in (0, 1]
    grade = np.clip(np.ceil(pct * n_grades - 1e-9) - 1.0, 0, n_grades - 1)
    grade = np.where(enough, grade, np.nan)
    return pd.Series(grade, index=panel.index, name="grade").astype("Int64")


def date_t1(panel: pd.DataFrame) -> pd.Series:
    """End time of a cross-sectional target: the latest ``t1`` among the rows of its date.

    A cs target at (symbol, t) depends on every symbol's ``fwd_return`` on date t, so it is
    known only after the LAST of them; purge with this instead of the row's own ``t1`` when
    training on :func:`cs_target` or :func:`relevance_grades`.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel with ``timestamp`` and ``t1`` (tz-aware; NaT where unknown).

    Returns
    -------
    pandas.Series of shape (n_rows,)
        datetime64 with the panel's tz, index = ``panel.index``, named ``t1``; NaT-skipping
        maximum (rows whose own ``t1`` is NaT have a NaN target anyway).

    Raises
    ------
    DataError
        If ``timestamp`` or ``t1`` is missing.
    """
    missing = [c for c in ("timestamp", "t1") if c not in panel.columns]
    if missing:
        raise DataError(
            f"panel lacks column(s) {missing} needed for target end times",
            hint="build it with sensequant.dataset.panel_frame",
        )
    key = pd.DatetimeIndex(panel["timestamp"]).asi8
    out = panel["t1"].groupby(key).transform("max")
    out.index = panel.index
    return out.rename("t1")
