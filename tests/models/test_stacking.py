"""Teacher scores as a stacked feature: the latest teacher that ended before each row."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from sensequant.errors import ModelError
from sensequant.models.stacking import latest_teacher_scores
from sensequant.types import IST


def _model(slope: float) -> str:
    """A one-feature regression booster whose prediction grows with ``slope * f``."""
    x = np.linspace(-1, 1, 200)[:, None]
    ds = lgb.Dataset(x, label=slope * x[:, 0], feature_name=["f"], params={"verbose": -1})
    params = {"objective": "regression", "verbose": -1, "min_data_in_leaf": 5, "seed": 1}
    return lgb.train(params, ds, num_boost_round=20).model_to_string()


def test_each_row_uses_the_latest_teacher_that_ended_strictly_before_it() -> None:
    days = pd.date_range("2024-01-01", periods=6, freq="D", tz=IST)
    panel = pd.DataFrame(
        {"symbol": ["A"] * 6 + ["B"] * 6, "timestamp": list(days) * 2, "f": [0.5] * 12}
    )
    up, down = _model(1.0), _model(-1.0)
    teachers = pd.DataFrame(
        {
            "symbol": ["A", "A", "B"],
            "window_end": [days[3], days[1], days[0]],  # any order
            "model_text": [down, up, up],
        }
    )
    got = latest_teacher_scores(panel, teachers)
    a, b = got[:6], got[6:]
    # A: no teacher ended before day 0 or 1 (day 1 is its first end: strictly before only)
    assert np.isnan(a[:2]).all()
    assert (a[2:4] > 0).all()  # teacher ended day 1 -> "up"
    assert (a[4:] < 0).all()  # teacher ended day 3 -> "down" (the later one wins)
    assert np.isnan(b[0]) and (b[1:] > 0).all()
    np.testing.assert_allclose(a[2], lgb.Booster(model_str=up).predict(np.array([[0.5]]))[0])


def test_refuses_missing_features_and_class_teachers() -> None:
    days = pd.date_range("2024-01-01", periods=3, freq="D", tz=IST)
    panel = pd.DataFrame({"symbol": "A", "timestamp": days, "g": 0.0})
    teachers = pd.DataFrame({"symbol": ["A"], "window_end": [days[0]], "model_text": [_model(1)]})
    with pytest.raises(ModelError, match="lacks teacher feature"):
        latest_teacher_scores(panel, teachers)
    x = np.random.default_rng(0).normal(size=(90, 1))
    ds = lgb.Dataset(x, label=np.arange(90) % 3, feature_name=["g"], params={"verbose": -1})
    clf = lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1}, ds, 5)
    with pytest.raises(ModelError, match="score teachers"):
        latest_teacher_scores(panel, teachers.assign(model_text=[clf.model_to_string()]))
    assert np.isnan(latest_teacher_scores(panel, teachers.iloc[:0])).all()


def test_an_intraday_row_never_uses_a_teacher_whose_window_ends_that_day() -> None:
    day = pd.Timestamp("2024-01-02", tz=IST)  # window_end: the window's last date, midnight
    bars = [day + pd.Timedelta(hours=10), day + pd.Timedelta(days=1, hours=10)]
    panel = pd.DataFrame({"symbol": "A", "timestamp": bars, "f": 0.5})
    teachers = pd.DataFrame({"symbol": ["A"], "window_end": [day], "model_text": [_model(1.0)]})
    got = latest_teacher_scores(panel, teachers)
    assert np.isnan(got[0]) and np.isfinite(got[1])  # same day: its samples run to the close
