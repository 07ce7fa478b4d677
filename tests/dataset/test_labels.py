"""Forward-return labels: hand computation, t1, thresholds, real-data class balance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset import LABEL_COLUMNS, make_labels
from sensequant.errors import DataError
from sensequant.settings import LabelConfig
from sensequant.types import CLASSES, IST
from tests.conftest import make_daily_bars


def _read_yahoo(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, parse_dates=["Date"])
    return pd.DataFrame(
        {
            "timestamp": raw["Date"].dt.tz_localize(IST),
            "open": raw["Open"],
            "high": raw["High"],
            "low": raw["Low"],
            "close": raw["Close"],
            "volume": raw["Volume"].astype(float),
        }
    )


def _small_frame() -> pd.DataFrame:
    ts = pd.bdate_range("2024-01-01", periods=8, tz=IST)
    close = np.array([100, 101, 99, 102, 104, 103, 100, 98], dtype=float)
    open_ = np.array([100, 100.5, 100, 99.5, 102, 104, 103, 100], dtype=float)
    return pd.DataFrame(
        {
            "timestamp": ts,
            "open": open_,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "volume": 1e5,
        }
    )


def test_hand_computed_example() -> None:
    bars = _small_frame()
    cfg = LabelConfig(horizon=2, vol_lookback=5, threshold_k=0.5)
    lab = make_labels(bars, cfg)
    assert list(lab.columns) == list(LABEL_COLUMNS)
    c, o, ts = bars["close"].to_numpy(), bars["open"].to_numpy(), bars["timestamp"]
    # t = 0: filled at open_1 = 100.5, held to close_2 = 99
    assert lab["fwd_return"].iloc[0] == pytest.approx(99 / 100.5 - 1)
    assert lab["fwd_return"].iloc[5] == pytest.approx(c[7] / o[6] - 1)
    assert lab["fwd_return"].iloc[6:].isna().all()
    # threshold at t=5 uses the 5 close-to-close returns r_1..r_5
    r = c[1:6] / c[:5] - 1
    thr5 = 0.5 * np.std(r, ddof=1) * np.sqrt(2)
    assert lab["threshold"].iloc[5] == pytest.approx(thr5)
    assert lab["threshold"].iloc[:5].isna().all()  # 5 returns need 6 closes
    fwd5 = c[7] / o[6] - 1  # 98/103 - 1 = -4.9 %
    assert fwd5 < -thr5
    assert lab["label"].iloc[5] == 0.0 and CLASSES[0] == "down"
    assert lab["label"].iloc[:5].isna().all() and lab["label"].iloc[6:].isna().all()
    # t1 is the h-th next session
    assert lab["t1"].iloc[0] == ts.iloc[2]
    assert lab["t1"].iloc[5] == ts.iloc[7]
    assert lab["t1"].iloc[6:].isna().all()
    assert str(lab["t1"].dt.tz) == IST


def test_classes_follow_threshold() -> None:
    bars = make_daily_bars(n=500, seed=4)
    lab = make_labels(bars, LabelConfig()).dropna(subset=["label"])
    up = lab["fwd_return"] > lab["threshold"]
    down = lab["fwd_return"] < -lab["threshold"]
    assert (lab.loc[up, "label"] == 2.0).all()
    assert (lab.loc[down, "label"] == 0.0).all()
    assert (lab.loc[~up & ~down, "label"] == 1.0).all()
    assert set(lab["label"].unique()) == {0.0, 1.0, 2.0}


@pytest.mark.parametrize("h", [1, 5, 20])
def test_t1_is_hth_next_session(h: int) -> None:
    bars = make_daily_bars(n=100)
    lab = make_labels(bars, LabelConfig(horizon=h))
    ts = bars["timestamp"].to_numpy()
    np.testing.assert_array_equal(lab["t1"].iloc[: 100 - h].to_numpy(), ts[h:])
    assert lab["t1"].iloc[100 - h :].isna().all()
    assert lab["fwd_return"].notna().sum() == 100 - h


def test_larger_k_means_more_flat() -> None:
    bars = make_daily_bars(n=800, seed=8)
    flat = [
        (make_labels(bars, LabelConfig(threshold_k=k))["label"] == 1.0).mean()
        for k in (0.25, 0.5, 1.0)
    ]
    assert flat[0] < flat[1] < flat[2]


def test_degenerate_inputs() -> None:
    bars = make_daily_bars(n=4)
    lab = make_labels(bars, LabelConfig())
    assert len(lab) == 4 and lab["label"].isna().all() and lab["t1"].isna().all()
    empty = make_labels(bars.iloc[:0], LabelConfig())
    assert empty.empty and list(empty.columns) == list(LABEL_COLUMNS)
    const = make_daily_bars(n=60)
    const[["open", "high", "low", "close"]] = 10.0
    lab = make_labels(const, LabelConfig())
    assert (lab["label"].dropna() == 1.0).all()  # zero move, zero threshold: flat
    with pytest.raises(DataError, match="open"):
        make_labels(const.drop(columns="open"), LabelConfig())
    with pytest.raises(DataError, match="sorted"):
        make_labels(const.iloc[::-1], LabelConfig())


@pytest.mark.realdata
def test_reliance_class_balance_not_degenerate(shared_data: Path) -> None:
    """Measured (2024-09 data, default cfg): down 28.1 %, flat 40.2 %, up 31.7 % of 7,178."""
    bars = _read_yahoo(shared_data / "nse_daily_yf" / "RELIANCE.csv")
    lab = make_labels(bars, LabelConfig())
    shares = lab["label"].value_counts(normalize=True)
    assert lab["label"].notna().sum() > 7000
    for code in (0.0, 1.0, 2.0):
        assert 0.15 <= shares[code] <= 0.60, (CLASSES[int(code)], shares[code])
