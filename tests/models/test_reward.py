"""Tests for reward weights (teacher direction x realised forward return)."""

from __future__ import annotations

import numpy as np
import pytest

from sensequant.errors import ModelError
from sensequant.models.reward import reward_weights

UP = [0.1, 0.2, 0.7]
DOWN = [0.7, 0.2, 0.1]


def test_formula_on_a_hand_example() -> None:
    proba = np.array([UP, UP, DOWN, DOWN])
    r = np.array([0.02, -0.01, -0.03, 0.02])  # right, wrong, right, wrong; mean |r| = 0.02
    raw = np.array([1 + 1.0, 1.0, 1 + 1.5, 1.0])
    np.testing.assert_allclose(reward_weights(proba, r), raw / raw.mean())


def test_mean_one_positive_and_rewarded_calls_weigh_more() -> None:
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1, 1, 1], 500)
    r = rng.normal(0, 0.02, 500)
    w = reward_weights(proba, r)
    assert w.shape == (500,)
    assert w.mean() == pytest.approx(1.0)
    assert (w > 0).all()
    earned = np.sign(proba[:, 2] - proba[:, 0]) * r > 0
    assert w[earned].min() > w[~earned].max()
    # larger realised move on a right call -> larger weight (until the clip)
    order = np.argsort(np.abs(r[earned]))
    assert np.all(np.diff(w[earned][order]) >= -1e-12)


def test_clip_bounds_the_weight_ratio() -> None:
    proba = np.array([UP] * 10)
    r = np.array([1.0] + [0.001] * 9)  # one huge move
    w = reward_weights(proba, r, clip=2.0)
    assert w.max() / w.min() == pytest.approx((1 + 2.0) / (1 + 0.001 / r.mean()))


def test_nan_returns_get_base_weight_and_all_zero_returns_give_ones() -> None:
    proba = np.array([UP, UP, DOWN])
    w = reward_weights(proba, np.array([np.nan, 0.01, 0.01]))
    assert w[0] == pytest.approx(w[2]) and w[1] > w[0]
    np.testing.assert_array_equal(reward_weights(proba, np.zeros(3)), np.ones(3))


def test_bad_inputs_raise() -> None:
    with pytest.raises(ModelError, match=r"must be \(n, 3\)"):
        reward_weights(np.ones((3, 2)) / 2, np.zeros(3))
    with pytest.raises(ModelError, match="clip"):
        reward_weights(np.array([UP]), np.array([0.01]), clip=0.0)
