"""Window grid, skip reasons and the t1 <= window end rule."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset import (
    SKIP_BEFORE_LISTING,
    SKIP_NO_FUTURE,
    SKIP_REASONS,
    SKIP_TOO_FEW_SAMPLES,
    Window,
    WindowSkip,
    WindowSource,
    WindowStatus,
    make_labels,
    plan_windows,
    window_samples,
)
from sensequant.dataset.features import build_features
from sensequant.errors import InsufficientSamplesError, UsageError
from sensequant.settings import LabelConfig, WindowConfig
from sensequant.types import IST
from tests.conftest import make_daily_bars


def _ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz=IST)


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    bars = make_daily_bars(n=1000, seed=21, start="2016-01-01")
    return bars, build_features(bars), make_labels(bars, LabelConfig())


def test_grid_rule_and_ids() -> None:
    cfg = WindowConfig(length_days=180, step_days=90)
    wins = plan_windows("RELIANCE", _ts("2016-01-01"), _ts("2017-12-31"), cfg)
    assert wins[0] == Window(
        "RELIANCE", "RELIANCE@2016-01-01", _ts("2016-01-01"), _ts("2016-06-28")
    )
    starts = [w.start for w in wins]
    assert all(b - a == pd.Timedelta(days=90) for a, b in pairwise(starts))
    assert all(w.end - w.start == pd.Timedelta(days=179) for w in wins)
    # last window: the last FULL one (end <= range_end); the next would overrun
    assert wins[-1].end <= _ts("2017-12-31") < wins[-1].end + pd.Timedelta(days=90)
    assert len(wins) == 7
    assert all(w.start.tz is not None and w.start == w.start.normalize() for w in wins)


def test_grid_aligns_across_symbols_and_accepts_naive_dates() -> None:
    cfg = WindowConfig()
    a = plan_windows("INFY", _ts("2005-01-01"), _ts("2024-09-06"), cfg)
    b = plan_windows("TCS", pd.Timestamp("2005-01-01"), pd.Timestamp("2024-09-06"), cfg)
    assert [(w.start, w.end) for w in a] == [(w.start, w.end) for w in b]
    assert {w.symbol for w in b} == {"TCS"} and b[3].window_id.startswith("TCS@")


def test_grid_edge_cases() -> None:
    cfg = WindowConfig(length_days=30, step_days=30)
    assert plan_windows("X", _ts("2020-01-01"), _ts("2020-01-29"), cfg) == []
    one = plan_windows("X", _ts("2020-01-01"), _ts("2020-01-30"), cfg)
    assert len(one) == 1 and one[0].end == _ts("2020-01-30")
    with pytest.raises(UsageError, match="reversed"):
        plan_windows("X", _ts("2020-02-01"), _ts("2020-01-01"), cfg)
    with pytest.raises(UsageError, match="midnight"):
        plan_windows("X", _ts("2020-01-01 09:15"), _ts("2020-06-01"), cfg)


def test_samples_stay_inside_window(frames: tuple[pd.DataFrame, ...]) -> None:
    bars, feats, labels = frames
    cfg = WindowConfig()
    wins = plan_windows("SYN", _ts("2016-01-01"), bars["timestamp"].iloc[-1].normalize(), cfg)
    trained = 0
    for w in wins:
        try:
            s = window_samples(
                w,
                feats,
                labels,
                min_samples=cfg.min_samples,
                first_bar=bars["timestamp"].iloc[0],
                last_bar=bars["timestamp"].iloc[-1],
            )
        except WindowSkip as skip:
            assert skip.reason in SKIP_REASONS
            continue
        trained += 1
        assert (s.t1 <= w.end).all() and (s.X.index >= w.start).all()
        assert s.X.index.equals(s.t1.index)
        assert s.y.dtype == np.int64 and set(np.unique(s.y)) <= {0, 1, 2}
        assert len(s.y) == len(s.fwd_return) == len(s.X) >= cfg.min_samples
        assert list(s.X.columns) == list(feats.columns)
        # the last h sessions of the window have t1 beyond its end: excluded
        in_window = feats.index[(feats.index >= w.start) & (feats.index <= w.end)]
        assert s.X.index[-1] == in_window[-1 - LabelConfig().horizon]
        np.testing.assert_array_equal(s.fwd_return, labels.loc[s.X.index, "fwd_return"])
    assert trained >= 5


def test_skip_before_listing(frames: tuple[pd.DataFrame, ...]) -> None:
    bars, feats, labels = frames
    first, last = bars["timestamp"].iloc[0], bars["timestamp"].iloc[-1]
    for start in ("2015-03-01", "2015-12-01"):  # ends before listing / straddles it
        w = plan_windows("SYN", _ts(start), _ts("2017-01-01"), WindowConfig())[0]
        with pytest.raises(WindowSkip) as exc:
            window_samples(w, feats, labels, min_samples=60, first_bar=first, last_bar=last)
        assert exc.value.reason == SKIP_BEFORE_LISTING
        assert isinstance(exc.value, InsufficientSamplesError)
        assert w.window_id in str(exc.value)


def test_skip_no_future(frames: tuple[pd.DataFrame, ...]) -> None:
    bars, feats, labels = frames
    cut = 700
    b = bars.iloc[:cut]
    f, lab = build_features(b), make_labels(b, LabelConfig())
    last = b["timestamp"].iloc[-1]
    w = Window(
        "SYN",
        "SYN@x",
        (last - pd.Timedelta(days=100)).normalize(),
        (last + pd.Timedelta(days=79)).normalize(),
    )
    with pytest.raises(WindowSkip) as exc:
        window_samples(w, f, lab, min_samples=10, first_bar=b["timestamp"].iloc[0], last_bar=last)
    assert exc.value.reason == SKIP_NO_FUTURE
    # the same window on the full data is fine
    s = window_samples(
        w,
        feats,
        labels,
        min_samples=10,
        first_bar=bars["timestamp"].iloc[0],
        last_bar=bars["timestamp"].iloc[-1],
    )
    assert (s.t1 <= w.end).all()


def test_skip_too_few_samples(frames: tuple[pd.DataFrame, ...]) -> None:
    bars, feats, labels = frames
    w = plan_windows("SYN", _ts("2016-06-01"), _ts("2018-01-01"), WindowConfig())[0]
    kw = {"first_bar": bars["timestamp"].iloc[0], "last_bar": bars["timestamp"].iloc[-1]}
    n = len(window_samples(w, feats, labels, min_samples=10, **kw).y)
    assert window_samples(w, feats, labels, min_samples=n, **kw).y.shape == (n,)
    with pytest.raises(WindowSkip) as exc:
        window_samples(w, feats, labels, min_samples=n + 1, **kw)
    assert exc.value.reason == SKIP_TOO_FEW_SAMPLES and str(n) in str(exc.value)


def test_rows_without_any_feature_are_dropped(frames: tuple[pd.DataFrame, ...]) -> None:
    bars, feats, labels = frames
    w = plan_windows("SYN", _ts("2016-06-01"), _ts("2018-01-01"), WindowConfig())[0]
    kw = {"first_bar": bars["timestamp"].iloc[0], "last_bar": bars["timestamp"].iloc[-1]}
    blank = feats.copy()
    hole = blank.index[(blank.index >= w.start)][:7]
    blank.loc[hole] = np.nan
    partial = feats.copy()
    partial.loc[hole, "rsi_14"] = np.nan
    n = len(window_samples(w, feats, labels, min_samples=10, **kw).y)
    assert len(window_samples(w, blank, labels, min_samples=10, **kw).y) == n - 7
    assert len(window_samples(w, partial, labels, min_samples=10, **kw).y) == n


def test_status_enum_and_mismatched_frames(frames: tuple[pd.DataFrame, ...]) -> None:
    assert WindowStatus.TRAINED == "trained" and WindowStatus("skipped") is WindowStatus.SKIPPED
    assert WindowStatus.FAILED.value == "failed"
    bars, feats, labels = frames
    w = plan_windows("SYN", _ts("2016-06-01"), _ts("2018-01-01"), WindowConfig())[0]
    with pytest.raises(Exception, match="different timestamps"):
        window_samples(
            w,
            feats.iloc[1:],
            labels,
            min_samples=10,
            first_bar=bars["timestamp"].iloc[0],
            last_bar=bars["timestamp"].iloc[-1],
        )


@pytest.mark.parametrize("mixed", [False, True])
def test_window_source_matches_the_pandas_selection(
    frames: tuple[pd.DataFrame, ...], mixed: bool
) -> None:
    """One prepared source per symbol gives each window the rows of the pandas masks."""
    bars, feats, labels = frames
    if mixed:  # not one float64 block: rows are gathered by pandas
        feats = feats.astype({feats.columns[0]: np.float32})
    cfg = WindowConfig(length_days=180, step_days=60)
    first, last = bars["timestamp"].iloc[0], bars["timestamp"].iloc[-1]
    wins = plan_windows("SYN", _ts("2016-01-01"), last.normalize(), cfg)
    checked = 0
    for target in ("label", "fwd_return"):
        source = WindowSource(feats, labels, target)
        for w in wins:
            try:
                s = source.samples(w, min_samples=20, first_bar=first, last_bar=last)
            except WindowSkip:
                continue
            stop = w.end + pd.Timedelta(days=1)
            t1 = labels["t1"]
            mask = (
                np.asarray((feats.index >= w.start) & (feats.index < stop))
                & labels[target].notna().to_numpy()
                & t1.notna().to_numpy()
                & (t1 < stop).to_numpy(dtype=bool)
                & feats.notna().any(axis=1).to_numpy()
            )
            pd.testing.assert_frame_equal(s.X, feats.loc[mask])
            pd.testing.assert_series_equal(s.t1, t1.loc[mask])
            want = labels[target].to_numpy()[mask]
            np.testing.assert_array_equal(s.y, want.astype(np.int64) if target == "label" else want)
            np.testing.assert_array_equal(s.fwd_return, labels["fwd_return"].to_numpy()[mask])
            checked += 1
    assert checked >= 10
