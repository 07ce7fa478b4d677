"""Intraday labels and features: inside the session, causal (truncation test on 5-minute bars)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.dataset import build_frames
from sensequant.dataset.features.intraday import (
    DAILY_FEATURE_NAMES,
    INTRADAY_FEATURE_NAMES,
    daily_context_features,
    intraday_features,
    session_bars,
)
from sensequant.dataset.intraday_labels import intraday_labels
from sensequant.dataset.lookahead import lookahead_check
from sensequant.pipeline.intraday import intraday_profile
from sensequant.settings import LabelConfig, RunConfig
from sensequant.types import IST


def five_minute_bars(days: int = 6, seed: int = 3) -> pd.DataFrame:
    """Seeded synthetic 5-minute bars: ``days`` regular sessions of 75 bars (09:15-15:25)."""
    rng = np.random.default_rng(seed)
    sessions = pd.bdate_range("2024-01-01", periods=days)
    stamps = [d + pd.Timedelta(minutes=555 + 5 * i) for d in sessions for i in range(75)]
    ts = pd.DatetimeIndex(stamps).tz_localize(IST)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, len(ts))))
    open_ = close * np.exp(rng.normal(0, 0.0005, len(ts)))
    high = np.maximum(open_, close) * 1.0005
    low = np.minimum(open_, close) * 0.9995
    vol = rng.integers(1_000, 5_000, len(ts)).astype(float)
    return pd.DataFrame(
        {"timestamp": ts, "open": open_, "high": high, "low": low, "close": close, "volume": vol}
    )


def test_labels_never_cross_the_session_end() -> None:
    bars = five_minute_bars()
    lab = intraday_labels(bars, LabelConfig(horizon=6, vol_lookback=20))
    known = lab["t1"].notna()
    t1 = pd.DatetimeIndex(lab.loc[known, "t1"])
    assert (t1.normalize() == lab.index[known].normalize()).all()
    assert known.sum() > 0
    # the last 6 bars of every session carry no label
    bars_since_open = lab.groupby(lab.index.normalize()).cumcount()
    assert lab.loc[bars_since_open.to_numpy() >= 69, "fwd_return"].isna().all()
    crossing = intraday_labels(bars, LabelConfig(horizon=6, vol_lookback=20, session_bound=False))
    t1_all = pd.DatetimeIndex(crossing["t1"].dropna())
    assert (t1_all.normalize() != crossing["t1"].dropna().index.normalize()).any()


def test_labels_to_the_close() -> None:
    bars = five_minute_bars(days=2)
    lab = intraday_labels(bars, LabelConfig(horizon=6, vol_lookback=20, to_close=True))
    day1 = lab.iloc[:75]
    assert (pd.DatetimeIndex(day1["t1"].dropna()) == day1.index[74]).all()
    expected = bars["close"].iloc[74] / bars["open"].iloc[11] - 1
    assert day1["fwd_return"].iloc[10] == pytest.approx(expected)
    assert np.isnan(day1["fwd_return"].iloc[74])  # the last bar has no next bar
    cut = intraday_labels(bars.iloc[:140], LabelConfig(horizon=6, to_close=True), "5minute")
    assert cut["fwd_return"].iloc[75:].isna().all()  # an unfinished session: no label


def test_intraday_features_are_causal_and_session_based() -> None:
    bars = five_minute_bars()
    full = intraday_features(bars)
    part = intraday_features(bars.iloc[:200])
    for name in INTRADAY_FEATURE_NAMES:
        np.testing.assert_array_equal(full[name][:200], part[name])
    assert full["bars_since_open"][75] == 0 and full["tod"][75] == 0
    gap = np.log(bars["open"].iloc[75] / bars["close"].iloc[74])
    assert full["overnight_gap"][80] == pytest.approx(gap)
    daily = daily_context_features(bars)
    sb = session_bars(bars)
    assert sb["close"].iloc[0] == bars["close"].iloc[74]
    assert np.isnan(daily["d_logret_1"][:75]).all()  # no completed session before day 1
    assert daily["d_logret_1"][150] == pytest.approx(
        np.log(sb["close"].iloc[1] / sb["close"].iloc[0])
    )
    assert set(DAILY_FEATURE_NAMES) == set(daily)


def test_volume_tod_compares_the_same_clock_time_and_skips_zero_volume() -> None:
    """A feed starting mid-session (the real 1-minute files start 13:24) and zero-volume
    filled bars (2021-07-23) must not shift or poison the time-of-day volume average."""
    bars = five_minute_bars(days=8)
    late = bars.index[(bars["timestamp"].dt.normalize() == bars["timestamp"].iloc[0].normalize())]
    bars = bars.drop(late[:40]).reset_index(drop=True)  # day 1 starts at 12:35, not 09:15
    day = bars["timestamp"].dt.normalize()
    last = day == day.iloc[-1]
    zero = bars.index[last][10]
    bars.loc[zero, "volume"] = 0.0
    out = intraday_features(bars)
    # day 6's 13:00 bar: mean volume of the 13:00 bars of days 1-5 (day 1 has one: late start)
    stamp = bars["timestamp"]
    six = day.unique()[5]
    at = bars.index[(day == six) & (stamp.dt.hour == 13) & (stamp.dt.minute == 0)][0]
    same = (day < six) & (stamp.dt.hour == 13) & (stamp.dt.minute == 0)
    want = np.log(bars.loc[at, "volume"] / bars.loc[same, "volume"].mean())
    assert out["volume_tod"][at] == pytest.approx(want)
    assert np.isnan(out["volume_tod"][zero])  # no trades: undefined, not log(0) or 0
    assert np.isfinite(out["dist_session_vwap"][zero + 1])


@pytest.mark.slow
def test_no_lookahead_on_real_five_minute_bars(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "nse_5min"
    if not folder.is_dir():
        pytest.skip(f"{folder} absent")
    store, catalog = BarStore(tmp_path / "store"), Catalog(tmp_path / "catalog.sqlite")
    files = [folder / f"{s}.csv" for s in ("RELIANCE", "TCS", "INFY", "SBIN", "ITC", "LT")]
    assert import_paths(files, store, catalog, repair_ohlc=True).n_failed == 0
    bars = {f.stem: store.read(f.stem, "5minute", end="2023-10-31") for f in files}
    config, _ = intraday_profile(RunConfig().with_overrides(interval="5minute"))
    report = lookahead_check(bars, None, {}, config, cuts=3)
    changes = [c for cut in report.cuts for c in cut.changes]
    assert not changes, changes[:3]
    assert all(cut.cut != cut.cut.normalize() for cut in report.cuts)  # cuts inside sessions
    frames = build_frames(bars, config)
    for fr in frames.values():
        t1 = pd.DatetimeIndex(fr.labels["t1"].dropna())
        assert (t1.normalize() == fr.labels["t1"].dropna().index.normalize()).all()
