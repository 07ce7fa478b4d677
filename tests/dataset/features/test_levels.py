"""Support/resistance features: 52-week range, confirmed pivots, anchored VWAP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset.features import build_features
from sensequant.dataset.features.levels import (
    PIVOT_K,
    RANGE_PERIOD,
    anchored_vwap,
    confirmed_pivots,
)
from tests.conftest import make_daily_bars


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return make_daily_bars(n=600, seed=5)


def test_52_week_range_by_hand(bars: pd.DataFrame) -> None:
    feats = build_features(bars)
    h, lo, c = (bars[x].to_numpy() for x in ("high", "low", "close"))
    t = 500
    win = slice(t - RANGE_PERIOD + 1, t + 1)
    assert feats["dist_high_252"].iloc[t] == pytest.approx(c[t] / h[win].max() - 1)
    assert feats["dist_low_252"].iloc[t] == pytest.approx(c[t] / lo[win].min() - 1)
    last_high_row = t - RANGE_PERIOD + 1 + int(np.flatnonzero(h[win] == h[win].max())[-1])
    assert feats["since_high_252"].iloc[t] == pytest.approx((t - last_high_row) / RANGE_PERIOD)
    assert (feats["dist_high_252"].dropna() <= 0).all()
    assert (feats["dist_low_252"].dropna() >= 0).all()
    assert np.isnan(feats["dist_high_252"].iloc[RANGE_PERIOD - 2])


def test_since_high_uses_most_recent_tie() -> None:
    high = np.full(300, 10.0)
    high[100] = high[280] = 20.0
    bars = make_daily_bars(n=300)
    bars["high"] = high
    bars["close"] = bars["open"] = bars["low"] = 5.0
    feats = build_features(bars)
    assert feats["since_high_252"].iloc[290] == pytest.approx(10 / RANGE_PERIOD)


def test_pivot_confirmed_only_k_bars_later() -> None:
    k = 2
    high = np.array([1, 2, 3, 9, 4, 3, 2, 1, 2, 1], dtype=float)
    low = np.array([5, 4, 3, 6, 2, 3, 4, 5, 4, 5], dtype=float)
    ph, pl, pl_bar = confirmed_pivots(high, low, k)
    # pivot high at s=3 (9.0): usable from s+k=5, not at 3 or 4
    assert np.isnan(ph[:5]).all()
    assert (ph[5:] == 9.0).all()
    # pivot low at s=4 (2.0): confirmed at 6; no earlier pivot low (row 2 fails the right side)
    assert np.isnan(pl[:6]).all() and (pl[6:] == 2.0).all()
    assert list(pl_bar) == [-1] * 6 + [4] * 4


def test_pivot_plateau_and_constant_series() -> None:
    high = np.array([1, 2, 5, 5, 5, 2, 1, 1], dtype=float)
    ph, _, _ = confirmed_pivots(high, high.copy(), 2)
    # plateau: one pivot at its first bar (s=2), confirmed at 4
    assert np.isnan(ph[:4]).all() and (ph[4:] == 5.0).all()
    flat = np.full(20, 3.0)
    ph, pl, bar = confirmed_pivots(flat, flat, 3)
    assert np.isnan(ph).all() and np.isnan(pl).all() and (bar == -1).all()


def test_pivot_features_against_brute_force(bars: pd.DataFrame) -> None:
    """Recompute the latest confirmed pivot at t from bars[:t+1] only, by brute force."""
    feats = build_features(bars)
    h, lo, c = (bars[x].to_numpy() for x in ("high", "low", "close"))
    k = PIVOT_K
    for t in (40, 123, 377, 599):
        highs = [
            s
            for s in range(k, t - k + 1)
            if h[s] > h[s - k : s].max() and h[s] >= h[s + 1 : s + k + 1].max()
        ]
        lows = [
            s
            for s in range(k, t - k + 1)
            if lo[s] < lo[s - k : s].min() and lo[s] <= lo[s + 1 : s + k + 1].min()
        ]
        s_hi, s_lo = highs[-1], lows[-1]
        assert feats["dist_pivot_high"].iloc[t] == pytest.approx(c[t] / h[s_hi] - 1)
        assert feats["dist_pivot_low"].iloc[t] == pytest.approx(c[t] / lo[s_lo] - 1)
        tp = (h + lo + c)[s_lo : t + 1] / 3
        v = bars["volume"].to_numpy()[s_lo : t + 1]
        avwap = (tp * v).sum() / v.sum()
        assert feats["dist_avwap_pivot_low"].iloc[t] == pytest.approx(c[t] / avwap - 1)


def test_anchored_vwap_zero_volume_and_no_anchor() -> None:
    p = np.array([10.0, 11.0, 12.0, 13.0])
    v = np.array([0.0, 0.0, 100.0, 300.0])
    out = anchored_vwap(p, p, p, v, np.array([-1, 0, 0, 2]))
    assert np.isnan(out[0])  # no anchor
    assert np.isnan(out[1])  # no volume since the anchor
    assert out[2] == pytest.approx(12.0)
    assert out[3] == pytest.approx((12 * 100 + 13 * 300) / 400)
