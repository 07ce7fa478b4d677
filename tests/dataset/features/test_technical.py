"""Technical features: hand computations, scale-freeness, degenerate input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset.features import FEATURE_NAMES, build_features
from sensequant.dataset.features.technical import TECHNICAL_FEATURE_NAMES, volume_zscore
from tests.conftest import make_daily_bars

PRICE_COLS = ["open", "high", "low", "close"]


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return make_daily_bars(n=700, seed=11)


@pytest.fixture(scope="module")
def feats(bars: pd.DataFrame) -> pd.DataFrame:
    return build_features(bars)


def test_frame_shape_index_and_dtype(bars: pd.DataFrame, feats: pd.DataFrame) -> None:
    assert list(feats.columns) == list(FEATURE_NAMES)
    assert set(TECHNICAL_FEATURE_NAMES) <= set(FEATURE_NAMES)
    assert feats.index.name == "timestamp"
    assert feats.index.equals(pd.DatetimeIndex(bars["timestamp"]))
    assert (feats.dtypes == np.float64).all()
    assert not np.isinf(feats.to_numpy()).any()
    # after the longest warm-up (252 sessions) every feature is available
    assert feats.iloc[260:].notna().all().all()


def test_hand_computed_values(bars: pd.DataFrame, feats: pd.DataFrame) -> None:
    c, o = bars["close"].to_numpy(), bars["open"].to_numpy()
    t = 400
    assert feats["logret_5"].iloc[t] == pytest.approx(np.log(c[t] / c[t - 5]), rel=1e-12)
    assert feats["logret_60"].iloc[t] == pytest.approx(np.log(c[t] / c[t - 60]), rel=1e-12)
    assert feats["close_sma_50"].iloc[t] == pytest.approx(c[t] / c[t - 49 : t + 1].mean() - 1)
    assert feats["close_sma_200"].iloc[t] == pytest.approx(c[t] / c[t - 199 : t + 1].mean() - 1)
    assert feats["gap"].iloc[t] == pytest.approx(o[t] / c[t - 1] - 1)
    assert feats["intraday_ret"].iloc[t] == pytest.approx(c[t] / o[t] - 1)
    lr = np.diff(np.log(c))
    assert feats["rvol_20"].iloc[t] == pytest.approx(np.std(lr[t - 20 : t], ddof=1))
    window = c[t - 19 : t + 1]
    mid, sd = window.mean(), window.std(ddof=0)
    assert feats["bb_width_20"].iloc[t] == pytest.approx(4 * sd / mid)
    assert feats["bb_pctb_20"].iloc[t] == pytest.approx((c[t] - (mid - 2 * sd)) / (4 * sd))
    assert np.isnan(feats["logret_5"].iloc[4]) and not np.isnan(feats["logret_5"].iloc[5])
    assert np.isnan(feats["close_sma_200"].iloc[198])
    assert not np.isnan(feats["close_sma_200"].iloc[199])


def test_bounded_oscillators(feats: pd.DataFrame) -> None:
    for col in ("rsi_14", "adx_14", "stoch_k_14"):
        vals = feats[col].dropna()
        assert len(vals) > 500
        assert vals.between(0.0, 1.0).all(), col


def test_volume_zscore_by_hand_and_zero_volume() -> None:
    rng = np.random.default_rng(3)
    v = rng.integers(1_000, 5_000, 60).astype(float)
    v[30] = 0.0
    z = volume_zscore(v, 20)
    win = v[21:41]
    lv = np.log(win[win > 0])  # row 30 (zero volume) is left out of the window
    assert z[40] == pytest.approx((np.log(v[40]) - lv.mean()) / lv.std(ddof=1))
    assert np.isnan(z[30])
    assert np.isnan(z[8]) and not np.isnan(z[9])  # at least 10 non-zero volumes


def test_scale_free(bars: pd.DataFrame, feats: pd.DataFrame) -> None:
    scaled = bars.copy()
    scaled[PRICE_COLS] *= 10.0
    scaled["volume"] *= 10.0
    other = build_features(scaled)
    pd.testing.assert_frame_equal(other, feats, rtol=1e-7, atol=1e-10)


def test_volume_does_not_leak_into_price_features(bars: pd.DataFrame, feats: pd.DataFrame) -> None:
    louder = bars.assign(volume=bars["volume"] * 7.0)
    other = build_features(louder)
    np.testing.assert_allclose(other["volume_z_20"], feats["volume_z_20"], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(other["rsi_14"], feats["rsi_14"])


def test_constant_prices_give_no_inf() -> None:
    bars = make_daily_bars(n=300)
    bars[PRICE_COLS] = 50.0
    bars["volume"] = 1000.0
    feats = build_features(bars)
    assert not np.isinf(feats.to_numpy()).any()
    assert np.isnan(feats["bb_pctb_20"]).all()  # collapsed bands
    assert np.isnan(feats["volume_z_20"]).all()  # constant volume has no z-score
    assert (feats["logret_1"].dropna() == 0.0).all()
    assert (feats["close_sma_50"].dropna() == 0.0).all()


@pytest.mark.parametrize("n", [0, 1, 5, 30, 251])
def test_short_history_is_nan_not_error(n: int) -> None:
    feats = build_features(make_daily_bars(n=max(n, 1)).iloc[:n])
    assert feats.shape == (n, len(FEATURE_NAMES))
    assert feats["dist_high_252"].isna().all()  # every n here is below the 252-session range
    assert feats["close_sma_200"].iloc[:199].isna().all()
