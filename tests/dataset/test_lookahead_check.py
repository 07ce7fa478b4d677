"""The truncation check: passes on the real feature/label code, names a deliberately leaky
feature."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset.features import sets as feature_sets
from sensequant.dataset.lookahead import cut_dates, lookahead_check
from sensequant.errors import UsageError
from sensequant.run_config import FeatureConfig, LabelConfig, RunConfig
from sensequant.testing.synthetic import synthetic_bars

SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
ALL_SETS = ["technical", "levels", "returns", "cross_sectional", "sector", "market"]
SECTORS = {"AAA": "IT", "BBB": "IT", "CCC": "Banks", "DDD": None}


@pytest.fixture(scope="module")
def bars() -> dict[str, pd.DataFrame]:
    out = {s: synthetic_bars(s, "1day", "2021-01-01", "2022-06-30") for s in SYMBOLS}
    # A late listing: DDD starts mid-history (absent at the first cut).
    out["DDD"] = out["DDD"].iloc[200:].reset_index(drop=True)
    return out


@pytest.fixture(scope="module")
def bench() -> pd.DataFrame:
    return synthetic_bars("NIFTY 50", "1day", "2021-01-01", "2022-06-30")


def _config(sets: list[str], target: str = "class3", **labels: Any) -> RunConfig:
    base = RunConfig()
    return base.model_copy(
        update={
            "features": FeatureConfig(sets=sets),  # type: ignore[arg-type]
            "labels": LabelConfig(target=target, **labels),  # type: ignore[arg-type]
        }
    )


@pytest.mark.parametrize("feature_set", ALL_SETS)
def test_every_feature_set_passes(
    feature_set: str, bars: dict[str, pd.DataFrame], bench: pd.DataFrame
) -> None:
    report = lookahead_check(bars, bench, SECTORS, _config([feature_set]), cuts=3)
    assert report.ok, report.to_dict()["cuts"]
    assert len(report.cuts) == 3
    assert all(c.rows > 0 for c in report.cuts)
    assert report.prediction_check == "not run"


@pytest.mark.parametrize("target", ["cs_rank", "cs_zscore"])
def test_cross_sectional_targets_pass(
    target: str, bars: dict[str, pd.DataFrame], bench: pd.DataFrame
) -> None:
    cfg = _config(ALL_SETS, target)
    report = lookahead_check(bars, bench, SECTORS, cfg, cuts=2)
    assert report.ok, report.to_dict()["cuts"]
    assert "target" in report.columns and "t1" in report.columns


def test_triple_barrier_and_rank_normalisation_pass(
    bars: dict[str, pd.DataFrame], bench: pd.DataFrame
) -> None:
    cfg = _config(["technical", "returns"], method="triple_barrier")
    cfg = cfg.model_copy(
        update={"features": FeatureConfig(sets=["technical", "returns"], cs_normalize="rank")}
    )
    assert lookahead_check(bars, bench, SECTORS, cfg, cuts=2).ok


def test_centred_rolling_mean_is_detected_and_named(
    monkeypatch: pytest.MonkeyPatch, bars: dict[str, pd.DataFrame], bench: pd.DataFrame
) -> None:
    real = feature_sets.return_features

    def leaky(close: np.ndarray) -> dict[str, np.ndarray]:
        out = real(close)
        centred = pd.Series(close).rolling(5, center=True).mean().to_numpy()
        out["ret_1"] = close / centred - 1.0
        return out

    monkeypatch.setattr(feature_sets, "return_features", leaky)
    report = lookahead_check(bars, bench, SECTORS, _config(["returns"]), cuts=2)
    assert not report.ok
    assert report.leaked_columns == ("ret_1",)
    for cut in report.cuts:
        (change,) = cut.changes
        assert change.column == "ret_1" and change.kind == "feature"
        assert change.timestamp <= cut.cut
        assert change.symbol in SYMBOLS
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["ok"] is False and payload["leaked_columns"] == ["ret_1"]


def test_shift_minus_one_is_detected_at_the_cut(
    monkeypatch: pytest.MonkeyPatch, bars: dict[str, pd.DataFrame], bench: pd.DataFrame
) -> None:
    """A next-bar return is named at the last session before the cut."""
    real = feature_sets.return_features

    def leaky(close: np.ndarray) -> dict[str, np.ndarray]:
        out = real(close)
        out["ret_5"] = pd.Series(close).pct_change().shift(-1).to_numpy()
        return out

    monkeypatch.setattr(feature_sets, "return_features", leaky)
    report = lookahead_check(bars, bench, SECTORS, _config(["returns"]), cuts=1)
    assert "ret_5" in report.leaked_columns
    (cut,) = report.cuts
    change = next(c for c in cut.changes if c.column == "ret_5")
    # The last row before the cut sees the bar after it in the full run only.
    assert change.timestamp == cut.cut
    assert np.isnan(change.truncated) and np.isfinite(change.full)


def test_label_known_before_t1_is_detected(
    monkeypatch: pytest.MonkeyPatch, bars: dict[str, pd.DataFrame], bench: pd.DataFrame
) -> None:
    """A truncated run that fills an unknowable label with a finite value is named."""
    import sensequant.dataset.frame as frame_mod

    real = frame_mod.make_labels

    def eager(b: pd.DataFrame, cfg: LabelConfig) -> pd.DataFrame:
        lab = real(b, cfg)
        lab["fwd_return"] = lab["fwd_return"].fillna(0.0)
        return lab

    monkeypatch.setattr(frame_mod, "make_labels", eager)
    report = lookahead_check(bars, bench, SECTORS, _config(["technical"]), cuts=1)
    assert report.leaked_columns == ("fwd_return",)
    assert report.cuts[0].changes[0].kind == "label"


def test_cut_dates_are_deterministic_and_inside_the_history() -> None:
    sessions = pd.DatetimeIndex(pd.date_range("2020-01-01", periods=101, tz="Asia/Kolkata"))
    cuts = cut_dates(sessions, 4)
    assert cuts == [sessions[20], sessions[45], sessions[70], sessions[95]]
    assert cut_dates(sessions, 1) == [sessions[20]]
    with pytest.raises(UsageError):
        cut_dates(sessions, 0)


def test_no_bars_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        lookahead_check({}, None, {}, RunConfig(), cuts=2)
