"""Triple-barrier labels: hand-made paths, tie convention, gaps, t1, and no look-ahead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset import make_labels
from sensequant.errors import DataError
from sensequant.settings import LabelConfig
from sensequant.types import IST
from tests.conftest import make_daily_bars

TB = LabelConfig(method="triple_barrier", horizon=3, vol_lookback=5, threshold_k=1.0)


def _frame(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    ts = pd.bdate_range("2024-01-01", periods=len(rows), tz=IST)
    o, h, lo, c = (np.array(x, dtype=float) for x in zip(*rows, strict=True))
    return pd.DataFrame(
        {"timestamp": ts, "open": o, "high": h, "low": lo, "close": c, "volume": 1.0}
    )


def _labels_at(rows: list[tuple[float, float, float, float]], thr: float) -> pd.Series:
    """Label of row 0 with a forced threshold: patch sigma via a flat warm-up is awkward, so
    compute with the private helper directly."""
    from sensequant.dataset.labels import _triple_barrier

    b = _frame(rows)
    n = len(b)
    f, lab, end = _triple_barrier(
        b["open"].to_numpy(),
        b["high"].to_numpy(),
        b["low"].to_numpy(),
        b["close"].to_numpy(),
        np.full(n, thr),
        3,
    )
    return pd.Series({"fwd": f[0], "label": lab[0], "end": end[0]})


BASE = (100.0, 100.5, 99.5, 100.0)


def test_upper_touch_first() -> None:
    r = _labels_at(
        [BASE, (100, 101, 99.5, 100.5), (100.5, 103, 100, 102), (102, 102, 90, 91)], 0.02
    )
    assert (r["label"], r["end"]) == (2.0, 2) and r["fwd"] == pytest.approx(0.02)


def test_lower_touch_and_gap_fill_at_open() -> None:
    r = _labels_at([BASE, (100, 101, 99.5, 100.5), (95, 96, 94, 95.5), BASE], 0.02)
    assert (r["label"], r["end"]) == (0.0, 2) and r["fwd"] == pytest.approx(-0.05)


def test_both_in_one_session_nearer_to_open_wins() -> None:
    r = _labels_at([BASE, (100, 100.5, 99.5, 100), (101.5, 103, 97, 100), BASE], 0.02)
    assert (r["label"], r["end"]) == (2.0, 2)  # open 101.5 is nearer to 102 than to 98
    r = _labels_at([BASE, (100, 100.5, 99.5, 100), (98.5, 103, 97, 100), BASE], 0.02)
    assert r["label"] == 0.0


def test_vertical_barrier_is_flat() -> None:
    r = _labels_at(
        [BASE, (100, 101, 99, 100.5), (100.5, 101, 99, 100), (100, 101.5, 99, 101)], 0.02
    )
    assert (r["label"], r["end"]) == (1.0, 3) and r["fwd"] == pytest.approx(0.01)


def test_make_labels_triple_barrier_columns_and_requirements() -> None:
    bars = make_daily_bars(n=200, seed=4)
    lab = make_labels(bars, TB)
    fh = make_labels(bars, TB.model_copy(update={"method": "fixed_horizon"}))
    np.testing.assert_array_equal(lab["threshold"], fh["threshold"])
    known = lab["label"].notna()
    assert set(lab.loc[known, "label"].unique()) <= {0.0, 1.0, 2.0}
    # t1 never later than the fixed-horizon t1; earlier exactly where a barrier was touched
    both = lab["t1"].notna() & fh["t1"].notna()
    assert (lab.loc[both, "t1"] <= fh.loc[both, "t1"]).all()
    assert ((lab["t1"] < fh["t1"]) == lab["label"].isin([0.0, 2.0]) & (lab["t1"] < fh["t1"])).all()
    assert lab["label"].isin([0.0, 2.0]).mean() > 0.3
    with pytest.raises(DataError, match="high"):
        make_labels(bars.drop(columns=["high"]), TB)


@pytest.mark.parametrize("horizon", [1, 5, 10])
def test_triple_barrier_uses_only_bars_up_to_t1(horizon: int) -> None:
    bars = make_daily_bars(n=400, seed=11)
    cfg = LabelConfig(method="triple_barrier", horizon=horizon)
    full = make_labels(bars, cfg)
    for t in (0, 5, 30, 200, 398):
        part = make_labels(bars.iloc[: t + 1], cfg)
        cut_ts = bars["timestamp"].iloc[t]
        known = (full["t1"].iloc[: t + 1] <= cut_ts).fillna(False).to_numpy(dtype=bool)
        pd.testing.assert_frame_equal(part[known], full.iloc[: t + 1][known])
        assert part.loc[~known, "t1"].isna().all() and part.loc[~known, "fwd_return"].isna().all()


def test_spike_after_touch_changes_nothing() -> None:
    bars = make_daily_bars(n=300, seed=12)
    cfg = LabelConfig(method="triple_barrier", horizon=10)
    full = make_labels(bars, cfg)
    t = 150
    spiked = bars.copy()
    spiked.loc[t + 1 :, ["open", "high", "low", "close"]] *= 3.0
    after = make_labels(spiked, cfg)
    ok = (full["t1"] <= bars["timestamp"].iloc[t]).to_numpy()
    pd.testing.assert_frame_equal(after[ok], full[ok])


def test_barrier_k_widens_barriers() -> None:
    bars = make_daily_bars(n=400, seed=13)
    base = LabelConfig(method="triple_barrier")
    narrow = make_labels(bars, base)
    wide = make_labels(bars, base.model_copy(update={"barrier_k": 1.5}))
    np.testing.assert_allclose(wide["threshold"], narrow["threshold"] * 3.0, equal_nan=True)
    assert (wide["label"] == 1.0).mean() > (narrow["label"] == 1.0).mean()
    # barrier_k is ignored by the fixed-horizon method
    fixed = LabelConfig()
    pd.testing.assert_frame_equal(
        make_labels(bars, fixed), make_labels(bars, fixed.model_copy(update={"barrier_k": 1.5}))
    )


@pytest.mark.realdata
def test_triple_barrier_no_look_ahead_real(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "nse_daily_yf" / "RELIANCE.csv", parse_dates=["Date"])
    bars = pd.DataFrame(
        {
            "timestamp": raw["Date"].dt.tz_localize(IST),
            "open": raw["Open"],
            "high": raw["High"],
            "low": raw["Low"],
            "close": raw["Close"],
            "volume": raw["Volume"].astype(float),
        }
    )
    cfg = LabelConfig(method="triple_barrier", barrier_k=1.0)
    full = make_labels(bars, cfg)
    covid = int(bars["timestamp"].searchsorted(pd.Timestamp("2020-03-23", tz=IST)))
    for t in (300, 3200, covid, len(bars) - 2):
        part = make_labels(bars.iloc[: t + 1], cfg)
        known = (full["t1"].iloc[: t + 1] <= bars["timestamp"].iloc[t]).to_numpy(dtype=bool)
        pd.testing.assert_frame_equal(part[known], full.iloc[: t + 1][known])
    assert full["label"].value_counts(normalize=True).min() > 0.1
