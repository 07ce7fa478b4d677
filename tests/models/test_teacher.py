"""Tests for the per-window LightGBM teacher (metrics, soft labels, leakage of its fits).

The purged split and folds themselves are tested in ``tests/dataset/test_splits.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

from sensequant.dataset import purged_split_indices
from sensequant.errors import InsufficientSamplesError, ModelError
from sensequant.models import teacher
from sensequant.models.teacher import load_booster, predict_proba, train_teacher
from sensequant.settings import TeacherConfig
from sensequant.types import IST, PROBA_COLUMNS

H = 5


def make_window(
    n: int = 160, f: int = 6, seed: int = 3, noise: float = 0.5
) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Business-day window whose label is a noisy tercile of feature f0; t1 = t + H sessions."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2021-01-01", periods=n + H, tz=IST)
    X = pd.DataFrame(rng.normal(size=(n, f)), index=days[:n], columns=[f"f{i}" for i in range(f)])
    X = X.mask(rng.random((n, f)) < 0.03)
    score = X["f0"].fillna(0.0).to_numpy() + rng.normal(0.0, noise, n)
    lo, hi = np.quantile(score, [1 / 3, 2 / 3])
    y = np.where(score > hi, 2, np.where(score < lo, 0, 1)).astype(np.int64)
    t1 = pd.Series(days[H : H + n], index=X.index)
    return X, y, t1


@pytest.fixture(scope="module")
def window() -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    return make_window()


@pytest.fixture(scope="module")
def result(window: tuple[pd.DataFrame, np.ndarray, pd.Series]) -> teacher.TeacherResult:
    X, y, t1 = window
    return train_teacher(X, y, t1, cfg=TeacherConfig(), horizon=H, seed=11)


def test_validation_accuracy_clearly_above_chance(result: teacher.TeacherResult) -> None:
    m = result.val_metrics
    assert set(m) == {"accuracy", "precision", "recall", "f1", "log_loss"}
    assert m["accuracy"] > 0.6  # balanced terciles: chance is ~1/3
    assert m["log_loss"] < np.log(3)
    assert result.best_iteration == TeacherConfig().num_boost_round
    assert sum(result.class_counts) == 160


def test_accuracy_is_real_accuracy_of_returned_model(
    window: tuple[pd.DataFrame, np.ndarray, pd.Series], result: teacher.TeacherResult
) -> None:
    X, y, t1 = window
    train, val = purged_split_indices(X.index, t1, validation_fraction=0.25, embargo=H)
    assert (result.n_train, result.n_val) == (train.size, val.size)
    proba = predict_proba(load_booster(result.model_text), X.iloc[val])
    assert result.val_metrics["accuracy"] == pytest.approx(
        accuracy_score(y[val], proba.argmax(axis=1))
    )


def test_oof_probabilities_cover_every_row(
    window: tuple[pd.DataFrame, np.ndarray, pd.Series], result: teacher.TeacherResult
) -> None:
    oof = result.oof_proba
    assert list(oof.columns) == list(PROBA_COLUMNS)
    assert oof.index.equals(window[0].index)
    assert not oof.isna().any().any()
    np.testing.assert_allclose(oof.sum(axis=1), 1.0, atol=1e-9)


def _overlaps(t: np.ndarray, e: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise overlap of intervals [t[a], e[a]] and [t[b], e[b]] -> bool (len(a), len(b))."""
    return (t[a][:, None] <= e[b][None, :]) & (e[a][:, None] >= t[b][None, :])


def test_oof_prediction_never_from_model_trained_on_overlapping_row(
    window: tuple[pd.DataFrame, np.ndarray, pd.Series], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instrument the fits: recover each fit's training rows and check them independently."""
    X, y, t1 = window
    seen: list[np.ndarray] = []
    real_fit = teacher._fit
    first = {tuple(np.nan_to_num(row, nan=-99.0)): i for i, row in enumerate(X.to_numpy())}

    def spy(Xtr: np.ndarray, *args: object, **kwargs: object) -> object:
        seen.append(np.array([first[tuple(np.nan_to_num(r, nan=-99.0))] for r in Xtr]))
        return real_fit(Xtr, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(teacher, "_fit", spy)
    cfg = TeacherConfig(oof_folds=3)
    train_teacher(X, y, t1, cfg=cfg, horizon=H, seed=1)
    assert len(seen) == 1 + cfg.oof_folds
    tn, en = pd.DatetimeIndex(X.index).asi8, pd.DatetimeIndex(t1).asi8
    val_start = int(np.floor(len(X) * 0.75)) + H
    assert (en[seen[0]] < tn[val_start]).all()  # main model never sees validation labels
    for rows, block in zip(seen[1:], np.array_split(np.arange(len(X)), 3), strict=True):
        assert not _overlaps(tn, en, rows, block).any()


def test_deterministic_for_fixed_seed(window: tuple[pd.DataFrame, np.ndarray, pd.Series]) -> None:
    X, y, t1 = window
    a = train_teacher(X, y, t1, cfg=TeacherConfig(), horizon=H, seed=7)
    b = train_teacher(X, y, t1, cfg=TeacherConfig(), horizon=H, seed=7)
    assert a.model_text == b.model_text
    pd.testing.assert_frame_equal(a.oof_proba, b.oof_proba)
    assert a.val_metrics == b.val_metrics


def test_too_few_rows_is_insufficient_samples() -> None:
    X, y, t1 = make_window(n=30)
    with pytest.raises(InsufficientSamplesError, match="too few samples"):
        train_teacher(X, y, t1, cfg=TeacherConfig(), horizon=H, seed=1)


def test_single_class_training_labels_is_insufficient_samples() -> None:
    X, y, t1 = make_window(n=120)
    y = np.ones_like(y)
    y[-3:] = 2  # a second class only in the validation tail
    with pytest.raises(InsufficientSamplesError, match="single class"):
        train_teacher(X, y, t1, cfg=TeacherConfig(), horizon=H, seed=1)


def test_predict_proba_checks_columns(result: teacher.TeacherResult) -> None:
    X, _, _ = make_window()
    model = load_booster(result.model_text)
    assert list(model.feature_name()) == list(result.feature_names)
    out = predict_proba(model, X)
    assert out.shape == (len(X), 3)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    with pytest.raises(ModelError, match="different order"):
        predict_proba(model, X[X.columns[::-1]])
    with pytest.raises(ModelError, match="f0"):
        predict_proba(model, X.drop(columns="f0"))


def test_rejects_names_lightgbm_would_rewrite() -> None:
    X, y, t1 = make_window()
    with pytest.raises(ModelError, match="whitespace"):
        train_teacher(
            X.rename(columns={"f1": "f 1"}), y, t1, cfg=TeacherConfig(), horizon=H, seed=1
        )
