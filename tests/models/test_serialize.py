"""Tests for LightGBM-text + JSON model files (no pickle)."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from sensequant.errors import InputFileError, ModelError
from sensequant.models.serialize import load_model, save_model
from sensequant.types import IST

NAMES = ["ret_5", "vol_20", "rsi_14"]


@pytest.fixture(scope="module")
def model() -> lgb.Booster:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.digitize(X[:, 0], [-0.4, 0.4])
    params = {"objective": "multiclass", "num_class": 3, "verbose": -1, "num_threads": 1}
    return lgb.train(params, lgb.Dataset(X, label=y, feature_name=NAMES), num_boost_round=10)


def _meta() -> dict[str, object]:
    return {
        "feature_set_hash": "abc123",
        "params": {"num_leaves": 7},
        "train_start": pd.Timestamp("2020-01-01", tz=IST),
        "train_end": pd.Timestamp("2020-06-30", tz=IST),
        "metrics": {"accuracy": np.float64(0.5)},
        "seed": np.int64(7),
    }


def test_round_trip_gives_identical_predictions(model: lgb.Booster, tmp_path: Path) -> None:
    txt, meta_path = save_model(
        tmp_path / "models", "teacher_RELIANCE_3", model.model_to_string(), _meta()
    )
    assert txt.name == "teacher_RELIANCE_3.txt" and meta_path.name == "teacher_RELIANCE_3.json"
    assert sorted(p.name for p in txt.parent.iterdir()) == [meta_path.name, txt.name]  # no temps
    loaded, meta = load_model(tmp_path / "models", "teacher_RELIANCE_3")
    X = np.random.default_rng(1).normal(size=(50, 3))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert meta["feature_names"] == NAMES
    assert meta["lightgbm_version"] == lgb.__version__
    assert meta["seed"] == 7 and meta["train_end"] == "2020-06-30T00:00:00+05:30"
    assert meta["feature_set_hash"] == "abc123"


def test_tampered_feature_names_raise(model: lgb.Booster, tmp_path: Path) -> None:
    _, meta_path = save_model(tmp_path, "m", model.model_to_string(), _meta())
    meta = json.loads(meta_path.read_text())
    meta["feature_names"] = ["ret_5", "rsi_14", "vol_20"]
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(InputFileError, match="feature_names"):
        load_model(tmp_path, "m")


def test_tampered_model_text_raises(model: lgb.Booster, tmp_path: Path) -> None:
    txt, _ = save_model(tmp_path, "m", model.model_to_string(), _meta())
    txt.write_text(txt.read_text().replace("learning_rate", "learning_rate "), encoding="utf-8")
    with pytest.raises(InputFileError, match="model_sha256"):
        load_model(tmp_path, "m")


def test_save_rejects_mismatched_names_and_unsafe_file_names(
    model: lgb.Booster, tmp_path: Path
) -> None:
    with pytest.raises(ModelError, match="feature_names"):
        save_model(tmp_path, "m", model.model_to_string(), {"feature_names": ["a", "b", "c"]})
    with pytest.raises(ModelError, match="path separators"):
        save_model(tmp_path, "../evil", model.model_to_string(), {})
    with pytest.raises(ModelError, match="not a LightGBM model"):
        save_model(tmp_path, "m", "not a model", {})
    assert list(tmp_path.iterdir()) == []


def test_missing_files_raise(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        load_model(tmp_path, "nothing")
