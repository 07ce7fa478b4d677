"""Score teachers: per-(symbol, window) LightGBM regression on a cross-sectional target.

The class teacher (:mod:`sensequant.models.teacher`) predicts down / flat / up classes; a
score teacher fits the same window's samples to a continuous, cross-sectional target (the
forward return's per-date rank, :func:`sensequant.dataset.cs_target`), so that what the
student distils is the ordering across stocks the portfolio trades on, not each stock's drift.

Splits are those of the class teacher (:mod:`sensequant.dataset.splits`): a time-ordered
train/validation split with an embargo of ``h`` sessions for the validation metrics, and
contiguous purged folds with the same embargo for the out-of-fold (OOF) scores the student
learns from. Every OOF score comes from a model that saw no sample whose label overlaps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from sensequant.dataset import purged_split_indices
from sensequant.errors import InsufficientSamplesError, ModelError
from sensequant.models.lgbm import fit_booster, purged_oof, tree_params
from sensequant.models.teacher import MIN_TRAIN_ROWS, MIN_VALIDATION_ROWS, check_feature_names
from sensequant.settings import TeacherConfig
from sensequant.types import FloatArray

__all__ = ["ScoreTeacherResult", "score_teacher_params", "train_score_teacher"]


@dataclass(frozen=True)
class ScoreTeacherResult:
    """What one score-teacher fit produces.

    Attributes
    ----------
    model_text : str
        Main model, LightGBM text format.
    feature_names : tuple of str
        Feature columns in model order.
    oof_score : pandas.Series
        Shape (n,), index = the window's sample timestamps (IST): out-of-fold predicted
        target (the soft target of the student), in target units.
    val_metrics : dict of str to float
        Main model on the validation rows: ``rmse`` (target units) and ``spearman`` (rank
        correlation of prediction and target over the validation rows; NaN if undefined).
    n_train, n_val : int
        Rows of the purged main fit and of the validation part.
    """

    model_text: str
    feature_names: tuple[str, ...]
    oof_score: pd.Series
    val_metrics: dict[str, float]
    n_train: int
    n_val: int


def score_teacher_params(cfg: TeacherConfig, *, seed: int) -> dict[str, Any]:
    """LightGBM parameters of a score-teacher fit (L2 regression; one thread, deterministic)."""
    return tree_params(cfg, objective="regression", seed=seed, threads=1)


def _fit(
    X: FloatArray, y: FloatArray, params: dict[str, Any], rounds: int, names: tuple[str, ...]
) -> lgb.Booster:
    ds = lgb.Dataset(X, label=y, params=params, feature_name=list(names), free_raw_data=True)
    return fit_booster(params, ds, rounds)


def train_score_teacher(
    X: pd.DataFrame, y: FloatArray, t1: pd.Series, *, cfg: TeacherConfig, horizon: int, seed: int
) -> ScoreTeacherResult:
    """Fit one score teacher on one (symbol, window).

    Parameters
    ----------
    X : pandas.DataFrame, shape (n, f)
        Features, index = sorted tz-aware IST sample timestamps.
    y : ndarray of float64, shape (n,)
        Cross-sectional target of each sample (finite).
    t1 : pandas.Series, shape (n,)
        Label end times (tz-aware), aligned to ``X`` by position.
    cfg : TeacherConfig
        Split fraction, OOF folds, rounds and tree parameters (shared with class teachers).
    horizon : int
        Label horizon h (sessions): the embargo of the split and of the folds.
    seed : int
        LightGBM seed (deterministic).

    Returns
    -------
    ScoreTeacherResult

    Raises
    ------
    InsufficientSamplesError
        Too few purged training or validation rows, or an OOF fold without training rows.
    ModelError
        Shapes disagree or the target is not finite.
    """
    n = len(X)
    yv = np.asarray(y, dtype=np.float64)
    if yv.shape != (n,) or len(t1) != n:
        raise ModelError(f"X has {n} rows but y has {yv.shape} and t1 {len(t1)} entries")
    if not np.isfinite(yv).all():
        raise ModelError("score-teacher targets must be finite (drop unlabelled samples first)")
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
    params = score_teacher_params(cfg, seed=seed)
    rounds = cfg.num_boost_round
    main = _fit(Xv[train], yv[train], params, rounds, features)
    pred = np.asarray(main.predict(Xv[val], num_threads=1), dtype=np.float64)
    rho = spearmanr(pred, yv[val]).statistic if np.ptp(pred) > 0 else np.nan
    metrics = {
        "rmse": float(np.sqrt(np.mean((pred - yv[val]) ** 2))),
        "spearman": float(rho),
    }
    oof = purged_oof(
        X.index,
        t1,
        n_folds=cfg.oof_folds,
        horizon=horizon,
        width=None,
        fit_predict=lambda tr, te: _fit(Xv[tr], yv[tr], params, rounds, features).predict(
            Xv[te], num_threads=1
        ),
    )
    return ScoreTeacherResult(
        model_text=main.model_to_string(),
        feature_names=features,
        oof_score=pd.Series(oof, index=X.index, name="score"),
        val_metrics=metrics,
        n_train=int(train.size),
        n_val=int(val.size),
    )
