"""No look-ahead: a feature at t never changes when bars after t are cut or altered.

Labels may use the future by definition, but only sessions t+1 .. t+h, and ``t1`` says when.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset import make_labels
from sensequant.dataset.features import FEATURE_NAMES, build_features
from sensequant.settings import LabelConfig
from tests.conftest import make_daily_bars

CUTS = (0, 3, 30, 199, 251, 252, 400, 598)
PRICE_COLS = ["open", "high", "low", "close"]


def _read_yahoo(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, parse_dates=["Date"])
    return pd.DataFrame(
        {
            "timestamp": raw["Date"].dt.tz_localize("Asia/Kolkata"),
            "open": raw["Open"],
            "high": raw["High"],
            "low": raw["Low"],
            "close": raw["Close"],
            "volume": raw["Volume"].astype(float),
        }
    )


def _assert_prefix_equal(part: pd.DataFrame, full: pd.DataFrame, t: int) -> None:
    head = full.iloc[: t + 1]
    assert part.index.equals(head.index)
    for col in FEATURE_NAMES:
        np.testing.assert_allclose(
            part[col].to_numpy(),
            head[col].to_numpy(),
            rtol=0,
            atol=1e-9,
            equal_nan=True,
            err_msg=f"feature {col} at cut {t} depends on later bars",
        )


def _assert_labels_truncate(bars: pd.DataFrame, cfg: LabelConfig, t: int) -> None:
    full = make_labels(bars, cfg)
    part = make_labels(bars.iloc[: t + 1], cfg)
    cut_ts = bars["timestamp"].iloc[t]
    known = (full["t1"] <= cut_ts).fillna(False).to_numpy(dtype=bool)[: t + 1]
    pd.testing.assert_frame_equal(part[known], full.iloc[: t + 1][known])
    # every label not yet known at the cut is NaN (fwd_return, label and t1 alike)
    assert part.loc[~known, "label"].isna().all()
    assert part.loc[~known, "fwd_return"].isna().all()
    assert part.loc[~known, "t1"].isna().all()
    # the threshold is known at t, so it never depends on the cut
    np.testing.assert_array_equal(part["threshold"], full["threshold"].iloc[: t + 1])
    # exactly the last h rows of the cut lack a label end
    assert int((~known).sum()) == min(cfg.horizon, t + 1)


@pytest.mark.parametrize("seed", [1, 2])
def test_features_do_not_look_ahead_synthetic(seed: int) -> None:
    bars = make_daily_bars(n=600, seed=seed)
    full = build_features(bars)
    for t in CUTS:
        _assert_prefix_equal(build_features(bars.iloc[: t + 1]), full, t)


@pytest.mark.parametrize("horizon", [1, 5, 10])
def test_labels_only_use_t1_window_synthetic(horizon: int) -> None:
    bars = make_daily_bars(n=600, seed=3)
    cfg = LabelConfig(horizon=horizon)
    for t in CUTS:
        _assert_labels_truncate(bars, cfg, t)


@pytest.mark.parametrize("t", [10, 260, 450])
def test_spike_after_t_changes_nothing_up_to_t(t: int) -> None:
    bars = make_daily_bars(n=600, seed=9)
    spiked = bars.copy()
    spiked.loc[t + 1, PRICE_COLS] *= 25.0
    spiked["volume"] = spiked["volume"].where(spiked.index != t + 1, spiked["volume"] * 1000.0)
    before, after = build_features(bars), build_features(spiked)
    _assert_prefix_equal(after.iloc[: t + 1], before, t)
    # ... and the spike is visible from t+1 on (the test can fail)
    assert not np.allclose(after.iloc[t + 1], before.iloc[t + 1], equal_nan=True)
    # labels: only rows whose window [t'+1, t'+h] covers t+1 may change
    cfg = LabelConfig()
    lb, la = make_labels(bars, cfg), make_labels(spiked, cfg)
    unaffected = slice(0, t + 1 - cfg.horizon)
    pd.testing.assert_frame_equal(la.iloc[unaffected], lb.iloc[unaffected])
    pd.testing.assert_series_equal(la["threshold"].iloc[: t + 1], lb["threshold"].iloc[: t + 1])


@pytest.mark.realdata
def test_no_look_ahead_on_reliance(shared_data: Path) -> None:
    bars = _read_yahoo(shared_data / "nse_daily_yf" / "RELIANCE.csv")
    n = len(bars)
    full = build_features(bars)
    cfg = LabelConfig()
    # 2008-06 (pre-crisis), the 2020-03-23 COVID low and the last full label
    cuts = [
        300,
        3200,
        int(bars["timestamp"].searchsorted(pd.Timestamp("2020-03-23", tz="Asia/Kolkata"))),
        n - 2,
    ]
    for t in cuts:
        _assert_prefix_equal(build_features(bars.iloc[: t + 1]), full, t)
        _assert_labels_truncate(bars, cfg, t)
