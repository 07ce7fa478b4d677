"""Reward weighting: up-weight training samples where the teacher's call would have paid.

The student may weight each training sample by the reward that acting on the teacher's
expected direction would have realised. The weights use forward returns, so they are only
ever computed from samples whose label end ``t1`` lies before the test period
(:func:`sensequant.models.student_data.training_set` checks ``t1 < test_start`` before
calling :func:`reward_weights` and raises :class:`~sensequant.errors.LeakageError`
otherwise): the loop rewards what was already realised in the training period, never what
happens out of sample.
"""

from __future__ import annotations

import numpy as np

from sensequant.errors import ModelError
from sensequant.types import FloatArray


def reward_weights(proba: FloatArray, fwd_return: FloatArray, *, clip: float = 3.0) -> FloatArray:
    """Sample weights from the realised reward of the teacher's expected direction.

    With ``d_i = p_up_i - p_down_i`` (the teacher's expected direction), realised forward
    return ``r_i`` and scale ``m = mean_j |r_j|`` over the finite returns::

        b_i = min(|r_i| / m, clip)   if sign(d_i) * r_i > 0   (the call would have earned)
        b_i = 0                      otherwise (wrong call, d_i == 0, or r_i not finite)
        w_i = (1 + b_i) / mean_j (1 + b_j)

    so every sample keeps a base weight, a rewarded sample gets up to ``1 + clip`` times it
    (in proportion to the size of the move it caught), and the weights average 1 (the
    effective sample size of the weighted fit stays comparable with the unweighted one).
    A reward-weighted form of distillation in the spirit of reward-weighted regression
    (Peters & Schaal, 2007), with a bounded, mean-normalised weight.

    Parameters
    ----------
    proba : ndarray, shape (n, 3)
        Teacher soft labels (p_down, p_flat, p_up); rows sum to 1.
    fwd_return : ndarray, shape (n,)
        Realised forward returns (fractions) of the same samples, all realised inside the
        training period (caller's guarantee); NaN allowed (no bonus).
    clip : float, default 3.0
        Largest bonus, in units of the mean absolute forward return; must be > 0.

    Returns
    -------
    ndarray, shape (n,)
        Positive weights with mean 1 (all ones when no finite non-zero return exists).

    Raises
    ------
    ModelError
        If shapes disagree, ``proba`` is not finite or ``clip <= 0``.
    """
    p = np.asarray(proba, dtype=np.float64)
    r = np.asarray(fwd_return, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3 or r.shape != (p.shape[0],):
        raise ModelError(f"proba must be (n, 3) and fwd_return (n,), got {p.shape} and {r.shape}")
    if not np.isfinite(p).all():
        raise ModelError("proba contains NaN or infinite values")
    if not clip > 0:
        raise ModelError(f"clip must be > 0, got {clip}")
    n = p.shape[0]
    if n == 0:
        return np.ones(0)
    finite = np.isfinite(r)
    scale = float(np.abs(r[finite]).mean()) if finite.any() else 0.0
    if scale == 0.0:
        return np.ones(n)
    r0 = np.where(finite, r, 0.0)
    earned = np.sign(p[:, 2] - p[:, 0]) * r0 > 0
    bonus = np.where(earned, np.minimum(np.abs(r0) / scale, clip), 0.0)
    w = 1.0 + bonus
    return np.asarray(w / w.mean(), dtype=np.float64)
