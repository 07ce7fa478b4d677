"""LightGBM plumbing every SenseQuant tree model shares: parameters, purged OOF fits, kinds.

:func:`tree_params` builds the parameter set of teachers and students from their config
section; :func:`purged_oof` runs the out-of-fold fits over purged, embargoed folds for every
teacher kind; :func:`is_score_model` tells a score (one-output regression/ranking) booster
from a 3-class one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pandas as pd

from sensequant.dataset import purged_fold_indices
from sensequant.errors import InsufficientSamplesError, ModelError
from sensequant.settings import StudentConfig, TeacherConfig
from sensequant.types import FloatArray, IntArray

__all__ = ["N_CLASSES", "fit_booster", "is_score_model", "purged_oof", "tree_params"]

N_CLASSES: Final = 3
"""Classes of a class model: down, flat, up (:data:`sensequant.types.CLASSES`)."""
_PROBABILITY_OBJECTIVES: Final = ("binary", "cross_entropy", "xentropy", "xentlambda")
"""One-output objectives whose predictions are probabilities, not scores."""


def tree_params(
    cfg: TeacherConfig | StudentConfig,
    *,
    objective: str,
    seed: int,
    threads: int,
    num_class: int | None = None,
    min_data_in_bin: int | None = None,
    layout: str = "force_row_wise",
) -> dict[str, Any]:
    """The LightGBM parameters every SenseQuant tree model shares, from a config section.

    Tree shape and regularisation come from ``cfg`` (a student's ``bagging_fraction`` below 1
    adds LightGBM bagging every iteration); every fit is deterministic, silent and bins each
    feature into at most ``cfg.max_bin`` bins. ``layout`` is ``force_row_wise`` or
    ``force_col_wise`` (LightGBM's histogram layout). Keys keep one order, so the parameters
    saved in model metadata read the same for every model kind.
    """
    out: dict[str, Any] = {"objective": objective}
    if num_class is not None:
        out["num_class"] = num_class
    out |= {
        "learning_rate": cfg.learning_rate,
        "num_leaves": cfg.num_leaves,
        "min_data_in_leaf": cfg.min_data_in_leaf,
        "feature_fraction": cfg.feature_fraction,
        "lambda_l2": cfg.lambda_l2,
        "max_bin": cfg.max_bin,
    }
    bagging = float(getattr(cfg, "bagging_fraction", 1.0))
    if bagging < 1.0:  # row subsampling, re-drawn every iteration (seeded by ``seed``)
        out |= {"bagging_fraction": bagging, "bagging_freq": 1}
    if min_data_in_bin is not None:
        out["min_data_in_bin"] = min_data_in_bin
    return out | {
        "deterministic": True,
        "seed": seed,
        "num_threads": threads,
        "verbose": -1,
        layout: True,
    }


def fit_booster(params: dict[str, Any], train_set: lgb.Dataset, rounds: int) -> lgb.Booster:
    """Boost ``rounds`` iterations: ``lightgbm.train``'s model without its per-call overhead.

    The same booster as ``lightgbm.train(params, train_set, num_boost_round=rounds,
    keep_training_booster=True)`` without validation sets or callbacks (identical trees,
    predictions and model text; a test checks), minus its parameter deep copy and callback
    plumbing, which cost about as much as the boosting itself on a teacher's ~100 rows.
    Stops early only when LightGBM reports that no split is left (``lightgbm.train`` would
    add nothing more either).

    Parameters
    ----------
    params : dict
        LightGBM parameters (:func:`tree_params`); ``num_iterations`` is set to ``rounds``.
    train_set : lightgbm.Dataset
        Training data (constructed or not).
    rounds : int
        Boosting iterations, >= 1.

    Returns
    -------
    lightgbm.Booster

    Raises
    ------
    ModelError
        If ``rounds < 1``.
    """
    if rounds < 1:
        raise ModelError(f"boosting rounds must be >= 1, got {rounds}")
    booster = lgb.Booster(params={**params, "num_iterations": rounds}, train_set=train_set)
    for _ in range(rounds):
        if booster.update():  # finished: no split left, later iterations add no tree
            break
    return booster


def purged_oof(
    times: pd.Index,
    t1: pd.Series,
    *,
    n_folds: int,
    horizon: int,
    width: int | None,
    fit_predict: Callable[[IntArray, IntArray], Any],
) -> FloatArray:
    """Out-of-fold predictions over contiguous purged folds (every teacher kind uses this).

    For each fold of :func:`sensequant.dataset.purged_fold_indices` (embargo ``horizon``
    rows), ``fit_predict(train_rows, test_rows)`` fits on the purged training rows and
    returns predictions for the test rows.

    Returns
    -------
    ndarray of float64, shape (n,) or (n, width)
        NaN where no fold predicted (never, for a complete fold plan).

    Raises
    ------
    InsufficientSamplesError
        If a fold has no training row left after purging.
    """
    n = len(times)
    oof = np.full(n if width is None else (n, width), np.nan)
    for k, (tr, te) in enumerate(purged_fold_indices(times, t1, n_folds=n_folds, embargo=horizon)):
        if tr.size == 0:
            raise InsufficientSamplesError(
                f"OOF fold {k} of {n_folds} has no training row left after purging "
                f"({n} rows, horizon {horizon})",
                hint="use a longer window, a shorter horizon or a smaller validation_fraction",
            )
        oof[te] = fit_predict(tr, te)
    return oof


def is_score_model(booster: lgb.Booster) -> bool:
    """Whether ``booster`` is a score model (one output) rather than a 3-class model.

    Parameters
    ----------
    booster : lightgbm.Booster
        A teacher or student booster (e.g. loaded with :func:`load_booster`).

    Returns
    -------
    bool
        True for one model per iteration (a regression booster: its prediction is a score),
        False for ``N_CLASSES`` models per iteration (class probabilities).

    Raises
    ------
    ModelError
        Any other number of models per iteration, or a one-output booster whose objective
        gives probabilities (binary, cross-entropy) rather than a score.
    """
    n = int(booster.num_model_per_iteration())
    objective = str(booster.params.get("objective", "")).split(" ")[0]
    if n not in (1, N_CLASSES) or (n == 1 and objective.startswith(_PROBABILITY_OBJECTIVES)):
        raise ModelError(
            f"booster has {n} models per iteration (objective {objective!r}); expected "
            f"1 (score model, regression) or {N_CLASSES} (class model)"
        )
    return n == 1
