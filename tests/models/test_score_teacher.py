"""Tests for the score teacher: purged OOF scores of a per-window regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from sensequant.errors import InsufficientSamplesError, ModelError
from sensequant.models.score_teacher import ScoreTeacherResult, train_score_teacher
from sensequant.settings import TeacherConfig
from sensequant.types import IST

H = 5


def make_window(
    n: int = 150, f: int = 5, seed: int = 4
) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Business-day window; target = noisy function of f0; t1 = t + H sessions."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2021-01-01", periods=n + H, tz=IST)
    X = pd.DataFrame(rng.normal(size=(n, f)), index=days[:n], columns=[f"f{i}" for i in range(f)])
    y = np.tanh(X["f0"].to_numpy()) + rng.normal(0.0, 0.3, n)
    t1 = pd.Series(days[H : H + n], index=X.index)
    return X, y, t1


@pytest.fixture(scope="module")
def window() -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    return make_window()


@pytest.fixture(scope="module")
def result(window: tuple[pd.DataFrame, np.ndarray, pd.Series]) -> ScoreTeacherResult:
    X, y, t1 = window
    return train_score_teacher(X, y, t1, cfg=TeacherConfig(), horizon=H, seed=11)


def test_oof_scores_are_finite_and_track_the_target(
    window: tuple[pd.DataFrame, np.ndarray, pd.Series], result: ScoreTeacherResult
) -> None:
    X, y, _ = window
    oof = result.oof_score
    assert oof.index.equals(X.index)
    assert np.isfinite(oof.to_numpy()).all()
    assert spearmanr(oof.to_numpy(), y).statistic > 0.3
    assert result.feature_names == tuple(X.columns)
    assert result.n_train > 0 and result.n_val > 0
    assert result.n_train + result.n_val <= len(X)


def test_validation_metrics(result: ScoreTeacherResult) -> None:
    m = result.val_metrics
    assert set(m) == {"rmse", "spearman"}
    assert np.isfinite(m["rmse"]) and m["rmse"] > 0
    assert m["spearman"] > 0


def test_deterministic_for_a_fixed_seed(
    window: tuple[pd.DataFrame, np.ndarray, pd.Series], result: ScoreTeacherResult
) -> None:
    X, y, t1 = window
    again = train_score_teacher(X, y, t1, cfg=TeacherConfig(), horizon=H, seed=11)
    assert again.model_text == result.model_text
    pd.testing.assert_series_equal(again.oof_score, result.oof_score)
    assert again.val_metrics == result.val_metrics


def test_non_finite_target_is_a_model_error(
    window: tuple[pd.DataFrame, np.ndarray, pd.Series],
) -> None:
    X, y, t1 = window
    bad = y.copy()
    bad[10] = np.nan
    with pytest.raises(ModelError, match="finite"):
        train_score_teacher(X, bad, t1, cfg=TeacherConfig(), horizon=H, seed=1)


def test_shape_mismatch_is_a_model_error(
    window: tuple[pd.DataFrame, np.ndarray, pd.Series],
) -> None:
    X, y, t1 = window
    with pytest.raises(ModelError):
        train_score_teacher(X, y[:-1], t1, cfg=TeacherConfig(), horizon=H, seed=1)


def test_too_few_rows_is_insufficient_samples() -> None:
    X, y, t1 = make_window(n=20)
    with pytest.raises(InsufficientSamplesError):
        train_score_teacher(X, y, t1, cfg=TeacherConfig(), horizon=H, seed=1)
