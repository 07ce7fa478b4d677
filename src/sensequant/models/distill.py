"""Knowledge distillation for LightGBM: fitting soft class targets exactly.

Soft cross-entropy with sample weights ``w_i`` is ``L = -sum_i w_i sum_c q_ic log p_c(x_i)``.
Replicating row i three times, as class c with weight ``w_i q_ic``, makes LightGBM's weighted
multiclass log loss ``-sum_i sum_c (w_i q_ic) log p_c(x_i)`` -- the same sum, term by term. The
gradients agree too: for raw score ``f_k`` the replicas contribute
``sum_c w_i q_ic (p_k - 1[c = k]) = w_i (p_k - q_ik)`` (as ``sum_c q_ic = 1``) and the Hessians
``sum_c w_i q_ic p_k (1 - p_k) = w_i p_k (1 - p_k)``: exactly the soft-label objective.
Zero-weight replicas are dropped, so with alpha = 0 the fit is the ordinary hard-label fit
(replicas kept in row order). Note ``min_data_in_leaf`` counts replicas, not samples.
(Knowledge distillation: Hinton, Vinyals & Dean, 2015.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightgbm as lgb
import numpy as np

from sensequant.types import FloatArray


def distillation_target(soft: FloatArray, label: FloatArray, *, alpha: float) -> FloatArray:
    """Mixed target ``q = alpha * soft + (1 - alpha) * one_hot(label)``.

    Parameters
    ----------
    soft : ndarray, shape (n, 3)
        Teacher soft labels, rows summing to 1.
    label : ndarray, shape (n,)
        Hard classes 0/1/2 as floats; NaN = unknown (that row uses ``q = soft``).
    alpha : float
        Weight of the soft labels in [0, 1].

    Returns
    -------
    ndarray, shape (n, 3)
        Rows sum to 1.
    """
    q = np.asarray(soft, dtype=np.float64).copy()
    lab = np.asarray(label, dtype=np.float64)
    known = np.isfinite(lab)
    onehot = np.zeros_like(q)
    onehot[np.flatnonzero(known), lab[known].astype(np.int64)] = 1.0
    q[known] = alpha * q[known] + (1.0 - alpha) * onehot[known]
    return q


def fit_distilled(
    X: FloatArray,
    target: FloatArray,
    *,
    params: dict[str, Any],
    num_boost_round: int,
    sample_weight: FloatArray | None = None,
    feature_names: Sequence[str] | None = None,
) -> lgb.Booster:
    """Fit a multiclass booster to soft targets by 3-fold row replication (see module doc).

    Parameters
    ----------
    X : ndarray, shape (n, f)
        Features (NaN allowed).
    target : ndarray, shape (n, 3)
        Soft target q, rows summing to 1.
    params : dict
        LightGBM parameters (multiclass, num_class=3).
    num_boost_round : int
        Fixed number of boosting rounds.
    sample_weight : ndarray, shape (n,), optional
        Per-sample weights (default 1).
    feature_names : sequence of str, optional
        Column names stored in the model.

    Returns
    -------
    lightgbm.Booster
    """
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    wr = (np.asarray(target, dtype=np.float64) * w[:, None]).ravel()
    keep = wr > 0
    Xr = np.repeat(np.asarray(X, dtype=np.float64), 3, axis=0)[keep]
    yr = np.tile(np.arange(3, dtype=np.int64), n)[keep]
    ds = lgb.Dataset(
        Xr,
        label=yr,
        weight=wr[keep],
        params=params,
        feature_name=list(feature_names) if feature_names is not None else "auto",
        categorical_feature=[],
        free_raw_data=True,
    )
    return lgb.train(params, ds, num_boost_round=num_boost_round, keep_training_booster=True)
