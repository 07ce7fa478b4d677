"""Tests of the shared LightGBM plumbing: fit_booster is lightgbm.train without its overhead."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from sensequant.errors import ModelError
from sensequant.models.lgbm import fit_booster, tree_params
from sensequant.settings import StudentConfig, TeacherConfig


@pytest.mark.parametrize(
    ("objective", "num_class"), [("regression", None), ("multiclass", 3), ("lambdarank", None)]
)
def test_fit_booster_equals_lightgbm_train(objective: str, num_class: int | None) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 6))
    y = (
        rng.integers(0, 3, 240).astype(float)
        if num_class or objective == "lambdarank"
        else x[:, 0] + rng.normal(0, 0.5, 240)
    )
    cfg = TeacherConfig() if num_class else StudentConfig(min_data_in_leaf=5)
    params = tree_params(cfg, objective=objective, seed=7, threads=1, num_class=num_class)
    group = np.full(12, 20) if objective == "lambdarank" else None

    def data() -> lgb.Dataset:
        return lgb.Dataset(x, label=y, group=group, params=params, free_raw_data=False)

    ours = fit_booster(params, data(), 30)
    theirs = lgb.train(params, data(), num_boost_round=30, keep_training_booster=True)
    assert ours.model_to_string() == theirs.model_to_string()
    np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))


def test_fit_booster_stops_when_no_split_is_left() -> None:
    x = np.zeros((50, 2))  # constant features: nothing to split on
    params = tree_params(TeacherConfig(), objective="regression", seed=1, threads=1)
    booster = fit_booster(params, lgb.Dataset(x, label=np.arange(50.0), params=params), 40)
    assert booster.current_iteration() <= 1
    np.testing.assert_allclose(booster.predict(x), 24.5)


def test_fit_booster_refuses_zero_rounds() -> None:
    params = tree_params(TeacherConfig(), objective="regression", seed=1, threads=1)
    with pytest.raises(ModelError, match="rounds must be >= 1"):
        fit_booster(params, lgb.Dataset(np.ones((10, 1)), label=np.ones(10)), 0)
