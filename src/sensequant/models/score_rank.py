"""Ranking inputs of the score student: per-date relevance grades and one query group per date.

LightGBM's ``lambdarank`` and ``rank_xendcg`` objectives learn the order of rows within a
query group. For the score student a group is one decision date (day number), so the rows of
a date must be contiguous, and the label is an integer relevance grade: the date's quantile
bin of the (blended) target, as :func:`sensequant.dataset.relevance_grades` grades
``fwd_return``. Dates with fewer than :data:`MIN_GROUP_ROWS` training rows are dropped (too
few names to rank).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from sensequant.errors import ModelError
from sensequant.types import FloatArray, IntArray

__all__ = [
    "MIN_GROUP_ROWS",
    "N_GRADES",
    "RANK_OBJECTIVES",
    "grades_by_day",
    "rank_label",
    "rank_training",
]

RANK_OBJECTIVES: Final = ("lambdarank", "rank_xendcg")
"""LightGBM objectives that train on query groups (one per date) and relevance grades."""
MIN_GROUP_ROWS: Final = 5
"""Dates with fewer training rows are left out of ranking training."""
N_GRADES: Final = 5
"""Relevance grades 0..N_GRADES-1 (within LightGBM's default ``label_gain``)."""


def grades_by_day(values: FloatArray, day: IntArray, n_grades: int = N_GRADES) -> FloatArray:
    """Per-day quantile bins of ``values`` as integer relevance grades.

    Parameters
    ----------
    values : ndarray of float, shape (n_rows,)
        Any score to grade (e.g. the blended soft/hard target); must be finite.
    day : ndarray of int, shape (n_rows,)
        Day number (query group key) of each row; need not be sorted.
    n_grades : int, default 5
        Number of bins (>= 2). A row's grade is ``ceil(pct * n_grades) - 1`` where ``pct`` in
        ``(0, 1]`` is its average-rank percentile within its day, so each day's highest values
        get ``n_grades - 1``.

    Returns
    -------
    ndarray of float64, shape (n_rows,)
        Whole numbers 0..n_grades-1 (float, as LightGBM stores labels).

    Raises
    ------
    ModelError
        If ``n_grades < 2``, the shapes differ or a value is not finite.
    """
    values = np.asarray(values, dtype=np.float64)
    day = np.asarray(day)
    if n_grades < 2:
        raise ModelError(f"n_grades must be at least 2, got {n_grades}")
    if values.shape != day.shape or values.ndim != 1:
        raise ModelError(f"values {values.shape} and day {day.shape} must be equal 1-d shapes")
    if not np.isfinite(values).all():
        raise ModelError("relevance grades need finite values; drop NaN targets first")
    if values.size == 0:
        return np.empty(0, dtype=np.float64)
    pct = pd.Series(values).groupby(day).rank(method="average", pct=True).to_numpy()
    return np.clip(np.ceil(pct * n_grades - 1e-9) - 1.0, 0, n_grades - 1).astype(np.float64)


def rank_training(
    rows: IntArray, soft: FloatArray, day: IntArray, objective: str
) -> tuple[IntArray, FloatArray, IntArray | None]:
    """Order training rows for a ranking objective: by day, small days dropped.

    Parameters
    ----------
    rows : ndarray of int, shape (n,)
        Panel row numbers of the training samples.
    soft : ndarray of float, shape (n,)
        Their soft scores (reordered with them).
    day : ndarray of int, shape (n_panel_rows,)
        Day number of every panel row.
    objective : str
        ``StudentConfig.objective``. Not a ranking objective: the inputs come back unchanged
        with no groups.

    Returns
    -------
    rows, soft : ndarray
        Sorted by day (stable), days with fewer than :data:`MIN_GROUP_ROWS` rows removed.
    groups : ndarray of int64 or None
        Group sizes (one per kept day, in order, summing to ``len(rows)``); None for a
        non-ranking objective.
    """
    if objective not in RANK_OBJECTIVES:
        return rows, soft, None
    order = np.argsort(day[rows], kind="stable")
    rows, soft = rows[order], soft[order]
    days, counts = np.unique(day[rows], return_counts=True)
    keep = np.isin(day[rows], days[counts >= MIN_GROUP_ROWS])
    return rows[keep], soft[keep], counts[counts >= MIN_GROUP_ROWS].astype(np.int64)


def rank_label(y: FloatArray, day: IntArray, groups: IntArray | None) -> FloatArray:
    """The training label: ``y`` itself (regression, ``groups`` None) or its per-day grades.

    Parameters
    ----------
    y : ndarray of float, shape (n,)
        Blended target of the training rows.
    day : ndarray of int, shape (n,)
        Their day numbers.
    groups : ndarray of int or None
        Group sizes from :func:`rank_training`; None means no ranking objective.

    Returns
    -------
    ndarray of float64, shape (n,)
        ``y`` unchanged, or :func:`grades_by_day` of it.
    """
    return y if groups is None else grades_by_day(y, day)
