"""Walk-forward student: one LightGBM model across symbols, distilled from teacher soft labels.

For each test period ``[T, T + test_period_days)`` the student is fitted on teacher soft labels
that were fully known before ``T`` and predicts every panel row of the period out of sample.
Which soft labels are eligible (the purge), how overlapping windows are averaged and the
distillation target are in :mod:`sensequant.models.student_data`.

The distillation itself (soft targets by row replication) is :mod:`sensequant.models.distill`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.errors import InsufficientSamplesError
from sensequant.models.distill import fit_distilled
from sensequant.models.lgbm import tree_params
from sensequant.models.student_data import (
    DAY_NS,
    collect_predictions,
    ist_time,
    period_starts,
    prepare_arrays,
    training_set,
)
from sensequant.settings import StudentConfig
from sensequant.types import IST, PROBA_COLUMNS

MIN_STUDENT_TRAIN_ROWS: Final = 200
"""A period with fewer training samples (or fewer than 2 * min_data_in_leaf) is skipped."""


@dataclass(frozen=True)
class StudentPeriod:
    """One fitted walk-forward period.

    Attributes
    ----------
    period_id : int
        0-based position in the period plan (skipped periods keep their ids).
    test_start, test_end : pandas.Timestamp
        Test span ``[test_start, test_end)`` in IST; ``test_end`` is exclusive
        (``test_start + test_period_days``).
    train_start : pandas.Timestamp
        Earliest training sample timestamp.
    train_end : pandas.Timestamp
        Latest label end ``t1`` of any training sample; always ``< test_start``.
    max_window_end : pandas.Timestamp
        Latest ``window_end`` of any teacher window used; always ``< test_start``.
    n_train, n_test : int
        Training samples (before replication) and predicted rows.
    model_text : str
        The fitted student in LightGBM's text format.
    """

    period_id: int
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    max_window_end: pd.Timestamp
    n_train: int
    n_test: int
    model_text: str


@dataclass(frozen=True)
class SkippedPeriod:
    """A planned period that was not fitted (no predictions), with the reason."""

    period_id: int
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    n_train: int
    reason: str


@dataclass(frozen=True)
class WalkForwardResult:
    """Out-of-sample student predictions.

    Attributes
    ----------
    predictions : pandas.DataFrame
        Columns ``symbol, timestamp, p_down, p_flat, p_up, period_id``, sorted by
        (timestamp, symbol).
    periods : tuple of StudentPeriod
        Fitted periods, in time order.
    skipped : tuple of SkippedPeriod
        Planned periods without a fit (too few training rows, no test rows).
    """

    predictions: pd.DataFrame
    periods: tuple[StudentPeriod, ...]
    skipped: tuple[SkippedPeriod, ...] = ()


def student_params(cfg: StudentConfig, *, seed: int) -> dict[str, Any]:
    """LightGBM parameters of a student fit (2 threads, deterministic, silent).

    Parameters
    ----------
    cfg : StudentConfig
        Student section of the run configuration.
    seed : int
        LightGBM seed.

    Returns
    -------
    dict
    """
    return tree_params(cfg, objective="multiclass", seed=seed, threads=2, num_class=3)


def walk_forward_student(
    panel: pd.DataFrame,
    soft_labels: pd.DataFrame,
    *,
    cfg: StudentConfig,
    horizon: int,
    seed: int,
    feature_names: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> WalkForwardResult:
    """Fit the student walk-forward and predict each test period out of sample.

    Periods are consecutive blocks of ``cfg.test_period_days`` calendar days from
    ``cfg.first_test_start`` (or, if None, the earliest soft-label timestamp plus
    ``cfg.min_train_days``, rounded up to midnight IST) until the panel's last timestamp.
    A period is skipped (recorded in ``WalkForwardResult.skipped``) when it has fewer than
    ``max(MIN_STUDENT_TRAIN_ROWS, 2 * cfg.min_data_in_leaf)`` training samples or no panel
    row to predict. Purging is done on timestamps (see :mod:`sensequant.models.student_data`).

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per (symbol, timestamp): ``symbol``, ``timestamp`` (tz IST), the feature
        columns, ``label`` (float class, NaN allowed), ``fwd_return`` (fraction), ``t1``
        (label end, NaT allowed where the label is unknown).
    soft_labels : pandas.DataFrame
        Teacher OOF outputs, one row per (window, sample): ``symbol``, ``timestamp``,
        ``window_id``, ``window_end`` (tz IST), ``t1``, ``p_down``, ``p_flat``, ``p_up``.
        Rows without a matching panel row are ignored.
    cfg : StudentConfig
        Period plan, lookback, alpha, reward weighting and tree parameters.
    horizon : int
        Label horizon h (sessions). Informational: the purge uses the ``t1`` timestamps, which
        already end h sessions after each sample, so no extra row embargo is applied.
    seed : int
        LightGBM seed; deterministic for a fixed seed.
    feature_names : sequence of str
        Feature columns of ``panel`` the student uses, in order.
    progress : callable, optional
        ``progress(done, total)`` after each planned period.

    Returns
    -------
    WalkForwardResult

    Raises
    ------
    ModelError
        If columns are missing, timestamps are naive, (symbol, timestamp) repeats in the
        panel, or a panel label is not a class.
    LeakageError
        If a soft label's hard label in the panel ends at or after the test start.
    """
    del horizon  # purge is exact on t1 timestamps (documented above)
    a = prepare_arrays(panel, soft_labels, feature_names)
    starts = period_starts(
        cfg,
        int(a.p_ts[a.rid].min()) if a.rid.size else None,
        int(a.p_ts.max()) if a.p_ts.size else -1,
    )
    params = student_params(cfg, seed=seed)
    period_ns = cfg.test_period_days * DAY_NS
    min_rows = max(MIN_STUDENT_TRAIN_ROWS, 2 * cfg.min_data_in_leaf)
    fitted: list[StudentPeriod] = []
    skipped: list[SkippedPeriod] = []
    preds: list[pd.DataFrame] = []
    for k, T in enumerate(starts):
        T_end = T + period_ns
        ts = training_set(a, T, cfg)
        n_rows = 0 if ts is None else int(ts.rows.size)
        test = np.flatnonzero((a.p_ts >= T) & (a.p_ts < T_end))
        reason = None
        if ts is None or n_rows < min_rows:
            reason = f"{n_rows} training samples (need >= {min_rows})"
        elif test.size == 0:
            reason = "no panel rows in the test period"
        if reason is not None or ts is None:
            skipped.append(SkippedPeriod(k, ist_time(T), ist_time(T_end), n_rows, str(reason)))
        else:
            model = fit_distilled(
                a.p_x[ts.rows],
                ts.target,
                params=params,
                num_boost_round=cfg.num_boost_round,
                sample_weight=ts.weight,
                feature_names=a.features,
            )
            proba = model.predict(a.p_x[test])
            preds.append(
                pd.DataFrame(
                    {
                        "symbol": a.p_sym[test],
                        "timestamp": panel["timestamp"].array[test],
                        **{c: np.asarray(proba)[:, j] for j, c in enumerate(PROBA_COLUMNS)},
                        "period_id": k,
                    }
                )
            )
            fitted.append(
                StudentPeriod(
                    period_id=k,
                    test_start=ist_time(T),
                    test_end=ist_time(T_end),
                    train_start=ist_time(int(a.p_ts[ts.rows].min())),
                    train_end=ist_time(ts.train_end),
                    max_window_end=ist_time(ts.max_window_end),
                    n_train=n_rows,
                    n_test=int(test.size),
                    model_text=model.model_to_string(),
                )
            )
        if progress is not None:
            progress(k + 1, len(starts))
    return WalkForwardResult(collect_predictions(preds, panel), tuple(fitted), tuple(skipped))


def fit_release_student(
    panel: pd.DataFrame,
    soft_labels: pd.DataFrame,
    *,
    cfg: StudentConfig,
    horizon: int,
    seed: int,
    feature_names: Sequence[str],
    as_of: pd.Timestamp,
) -> tuple[str, dict[str, Any]]:
    """Fit the release student: the model a reviewer would deploy after ``as_of``.

    It is fitted exactly like a walk-forward period starting the day after ``as_of``
    (same purge, lookback, target and weights), so the walk-forward OOS record is the
    evidence for it. It predicts nothing in this run.

    Parameters
    ----------
    panel, soft_labels, cfg, horizon, seed, feature_names
        As for :func:`walk_forward_student`.
    as_of : pandas.Timestamp
        Last session of the run (tz IST).

    Returns
    -------
    model_text : str
        LightGBM text format.
    metadata : dict
        ``as_of, train_start, train_end, max_window_end, n_train, params, num_boost_round``.

    Raises
    ------
    InsufficientSamplesError
        If fewer than ``max(MIN_STUDENT_TRAIN_ROWS, 2 * min_data_in_leaf)`` samples qualify.
    ModelError, LeakageError
        As for :func:`walk_forward_student`.
    """
    del horizon
    a = prepare_arrays(panel, soft_labels, feature_names)
    T = int((pd.Timestamp(as_of).tz_convert(IST).normalize() + pd.Timedelta(days=1)).value)
    ts = training_set(a, T, cfg)
    min_rows = max(MIN_STUDENT_TRAIN_ROWS, 2 * cfg.min_data_in_leaf)
    if ts is None or ts.rows.size < min_rows:
        n = 0 if ts is None else int(ts.rows.size)
        raise InsufficientSamplesError(
            f"release student as of {pd.Timestamp(as_of).date()}: {n} training samples "
            f"(need >= {min_rows})",
            hint="use a longer range or lower student.min_data_in_leaf",
        )
    params = student_params(cfg, seed=seed)
    model = fit_distilled(
        a.p_x[ts.rows],
        ts.target,
        params=params,
        num_boost_round=cfg.num_boost_round,
        sample_weight=ts.weight,
        feature_names=a.features,
    )
    meta = {
        "role": "release student (distilled from teacher soft labels)",
        "as_of": pd.Timestamp(as_of).isoformat(),
        "train_start": ist_time(int(a.p_ts[ts.rows].min())).isoformat(),
        "train_end": ist_time(ts.train_end).isoformat(),
        "max_window_end": ist_time(ts.max_window_end).isoformat(),
        "n_train": int(ts.rows.size),
        "params": params,
        "num_boost_round": cfg.num_boost_round,
        "seed": seed,
        "classes": ["down", "flat", "up"],
    }
    return model.model_to_string(), meta
