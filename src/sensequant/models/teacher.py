"""Per-(symbol, window) LightGBM teacher: validation metrics and out-of-fold soft labels.

A teacher sees the labelled samples of one rolling window of one symbol (``X`` indexed by the
bar timestamp ``t``, class labels ``y`` and label end times ``t1``) and produces

* a **main model** fitted on the first ``1 - validation_fraction`` of the rows (purged and
  embargoed, see :func:`purged_split_indices`) and scored on the tail (validation metrics);
* **out-of-fold class probabilities** for every row (the soft labels the student distils),
  from ``oof_folds`` contiguous, purged and embargoed folds (:func:`purged_fold_indices`).

Every fit uses a fixed ``cfg.num_boost_round``: early stopping on the validation rows would
let the validation set choose the model and bias the reported metrics upwards, so
``best_iteration`` is simply the number of rounds trained.

The purge/embargo index code (and its source, AFML ch. 7) is :mod:`sensequant.dataset.splits`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, precision_recall_fscore_support

from sensequant.dataset import purged_split_indices
from sensequant.errors import InsufficientSamplesError, ModelError
from sensequant.models.lgbm import N_CLASSES, fit_booster, purged_oof, tree_params
from sensequant.settings import TeacherConfig
from sensequant.types import PROBA_COLUMNS, FloatArray, IntArray

MIN_TRAIN_ROWS: Final = 20
"""Fewer (purged) training rows in the main split -> :class:`InsufficientSamplesError`."""
MIN_VALIDATION_ROWS: Final = 5
"""Fewer validation rows (after the embargo) -> :class:`InsufficientSamplesError`."""
_BAD_NAME: Final = re.compile(r'[\s\[\]{}:,"]')


@dataclass(frozen=True)
class TeacherResult:
    """What one teacher fit produces.

    Attributes
    ----------
    model_text : str
        The main model in LightGBM's text format (``Booster.model_to_string()``).
    feature_names : tuple of str
        Feature columns, in the order the model expects them.
    oof_proba : pandas.DataFrame
        Shape (n, 3), index = ``X.index`` (IST timestamps), columns ``PROBA_COLUMNS``:
        out-of-fold class probabilities (soft labels); every row sums to 1.
    val_metrics : dict of str to float
        Main model on the validation rows: ``accuracy`` (sklearn ``accuracy_score``),
        macro-averaged ``precision``, ``recall``, ``f1`` (sklearn, over the classes present in
        truth or prediction, ``zero_division=0``) and ``log_loss`` (natural log, 3 classes).
    n_train, n_val : int
        Rows used to fit the main model (after purge) and to validate it.
    best_iteration : int
        Boosting rounds of the main model (= ``cfg.num_boost_round``; no early stopping).
    class_counts : tuple of int
        Counts of classes (down, flat, up) over all ``n`` labelled rows of the window.
    """

    model_text: str
    feature_names: tuple[str, ...]
    oof_proba: pd.DataFrame
    val_metrics: dict[str, float]
    n_train: int
    n_val: int
    best_iteration: int
    class_counts: tuple[int, int, int]


def teacher_params(cfg: TeacherConfig, *, seed: int) -> dict[str, Any]:
    """LightGBM parameters of a teacher fit (also worth saving in model metadata).

    Single-threaded (teachers run in parallel processes), deterministic, silent. ``max_bin`` /
    ``min_data_in_bin`` keep the per-feature histograms small: with ~90 training rows and
    ``min_data_in_leaf`` ~8, thresholds between fewer than 5 rows carry no information and
    coarser bins make each fit about a quarter faster.

    Parameters
    ----------
    cfg : TeacherConfig
        Teacher section of the run configuration.
    seed : int
        Seed of every random choice LightGBM makes (feature subsampling).

    Returns
    -------
    dict
        Parameters for ``lightgbm.train``.
    """
    return tree_params(
        cfg,
        objective="multiclass",
        seed=seed,
        threads=1,
        num_class=N_CLASSES,
        min_data_in_bin=5,
        layout="force_col_wise",
    )


def check_feature_names(names: Sequence[str]) -> tuple[str, ...]:
    """Check feature names survive LightGBM's text format unchanged.

    LightGBM silently rewrites whitespace to ``_`` and rejects JSON punctuation, which would
    make a saved model disagree with the frame it is applied to.

    Parameters
    ----------
    names : sequence of str
        Feature column names.

    Returns
    -------
    tuple of str

    Raises
    ------
    ModelError
        If a name is empty, duplicated, or contains whitespace or any of ``[]{}:,"``.
    """
    out = tuple(str(c) for c in names)
    bad = [c for c in out if not c or _BAD_NAME.search(c)]
    if bad:
        raise ModelError(
            f'feature names {bad[:5]} contain whitespace or JSON punctuation ([]{{}}:,"), '
            "which LightGBM rewrites or rejects; rename them (e.g. snake_case)"
        )
    if len(set(out)) != len(out):
        dup = sorted({c for c in out if out.count(c) > 1})
        raise ModelError(f"duplicate feature names {dup[:5]}")
    return out


def _fit(
    X: FloatArray, y: IntArray, params: dict[str, Any], rounds: int, names: Sequence[str]
) -> lgb.Booster:
    ds = lgb.Dataset(
        X,
        label=y,
        params=params,
        feature_name=list(names),
        categorical_feature=[],
        free_raw_data=True,
    )
    return fit_booster(params, ds, rounds)


def _class_counts(y: IntArray) -> tuple[int, int, int]:
    c = np.bincount(y, minlength=N_CLASSES)
    return int(c[0]), int(c[1]), int(c[2])


def train_teacher(
    X: pd.DataFrame, y: IntArray, t1: pd.Series, *, cfg: TeacherConfig, horizon: int, seed: int
) -> TeacherResult:
    """Fit one teacher on one (symbol, window): main model, validation metrics, OOF soft labels.

    Parameters
    ----------
    X : pandas.DataFrame, shape (n, f)
        Features (float, NaN allowed), index = sorted tz-aware IST bar timestamps t.
    y : ndarray of int64, shape (n,)
        Classes 0 = down, 1 = flat, 2 = up.
    t1 : pandas.Series, shape (n,)
        Tz-aware label end times (aligned to ``X`` by position).
    cfg : TeacherConfig
        ``validation_fraction``, ``oof_folds``, ``num_boost_round`` and tree parameters.
    horizon : int
        Label horizon h in sessions; the embargo (rows) of both the split and the folds.
    seed : int
        LightGBM seed; the result is deterministic for a fixed seed.

    Returns
    -------
    TeacherResult

    Raises
    ------
    InsufficientSamplesError
        If the purged train part has fewer than ``MIN_TRAIN_ROWS`` rows, the validation part
        fewer than ``MIN_VALIDATION_ROWS``, the training labels hold a single class, or an OOF
        fold has no training row left after purging.
    ModelError
        If shapes, label values or feature names are inconsistent.
    SplitError
        If timestamps are naive, missing or unsorted, or a label ends before its sample.
    """
    n = len(X)
    yv = np.asarray(y, dtype=np.int64)
    if yv.shape != (n,) or len(t1) != n:
        raise ModelError(f"X has {n} rows but y has {yv.shape} and t1 {len(t1)} entries")
    if n and (yv.min() < 0 or yv.max() >= N_CLASSES):
        raise ModelError(f"labels must be 0/1/2, got values {sorted(set(yv.tolist()))[:6]}")
    features = check_feature_names(list(X.columns))
    Xv = np.ascontiguousarray(X.to_numpy(dtype=np.float64))
    hint = "use a longer window, a shorter horizon or a smaller validation_fraction"
    train, val = purged_split_indices(
        X.index, t1, validation_fraction=cfg.validation_fraction, embargo=horizon
    )
    if train.size < MIN_TRAIN_ROWS or val.size < MIN_VALIDATION_ROWS:
        raise InsufficientSamplesError(
            f"too few samples: {n} rows give {train.size} purged train rows (need "
            f">= {MIN_TRAIN_ROWS}) and {val.size} validation rows (need >= "
            f"{MIN_VALIDATION_ROWS}) after an embargo of {horizon} sessions",
            hint=hint,
        )
    if np.unique(yv[train]).size < 2:
        raise InsufficientSamplesError(
            f"training labels hold a single class ({_class_counts(yv[train])} down/flat/up)",
            hint="the window is too quiet for the label threshold; lower threshold_k",
        )
    params = teacher_params(cfg, seed=seed)
    rounds = cfg.num_boost_round
    main = _fit(Xv[train], yv[train], params, rounds, features)
    p_val = np.asarray(main.predict(Xv[val], num_threads=1), dtype=np.float64)
    y_val = yv[val]
    y_hat = p_val.argmax(axis=1)
    prec, rec, f1, _ = precision_recall_fscore_support(
        y_val, y_hat, average="macro", zero_division=0
    )
    metrics = {
        "accuracy": float(accuracy_score(y_val, y_hat)),
        "precision": float(prec),
        "recall": float(rec),
        "f1": float(f1),
        "log_loss": float(log_loss(y_val, p_val, labels=list(range(N_CLASSES)))),
    }
    oof = purged_oof(
        X.index,
        t1,
        n_folds=cfg.oof_folds,
        horizon=horizon,
        width=N_CLASSES,
        fit_predict=lambda tr, te: _fit(Xv[tr], yv[tr], params, rounds, features).predict(
            Xv[te], num_threads=1
        ),
    )
    return TeacherResult(
        model_text=main.model_to_string(),
        feature_names=features,
        oof_proba=pd.DataFrame(oof, index=X.index, columns=list(PROBA_COLUMNS)),
        val_metrics=metrics,
        n_train=int(train.size),
        n_val=int(val.size),
        best_iteration=int(main.current_iteration()),
        class_counts=_class_counts(yv),
    )


def load_booster(model_text: str) -> lgb.Booster:
    """Rebuild a LightGBM booster from its text format.

    Parameters
    ----------
    model_text : str
        Output of ``Booster.model_to_string()`` (e.g. ``TeacherResult.model_text``).

    Returns
    -------
    lightgbm.Booster
    """
    return lgb.Booster(model_str=model_text)


def predict_proba(model: lgb.Booster, X: pd.DataFrame) -> FloatArray:
    """Class probabilities of a 3-class booster.

    Parameters
    ----------
    model : lightgbm.Booster
        Multiclass booster (teacher or student).
    X : pandas.DataFrame, shape (n, f)
        Features; the columns must equal the model's feature names, in the same order.

    Returns
    -------
    ndarray, shape (n, 3)
        Probabilities of (down, flat, up); rows sum to 1.

    Raises
    ------
    ModelError
        If the columns differ from the model's features (names missing, extra or reordered).
    """
    expected = list(model.feature_name())
    got = [str(c) for c in X.columns]
    if got != expected:
        missing = [c for c in expected if c not in got]
        extra = [c for c in got if c not in expected]
        detail = (
            f"missing {missing[:10]}, unexpected {extra[:10]}"
            if missing or extra
            else "same names in a different order"
        )
        raise ModelError(f"feature columns do not match the model's: {detail}")
    if len(X) == 0:
        return np.empty((0, N_CLASSES))
    out = model.predict(np.ascontiguousarray(X.to_numpy(dtype=np.float64)))
    return np.asarray(out, dtype=np.float64).reshape(len(X), N_CLASSES)
