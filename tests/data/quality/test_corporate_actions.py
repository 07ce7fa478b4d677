"""Tests of sensequant.data.quality.corporate_actions: detection, adjustment, catalog round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.market import is_session
from sensequant.data.quality import (
    STANDARD_FACTORS,
    SuspectedAction,
    adjust_bars,
    clean_bars,
    detect_corporate_actions,
    read_bars,
    record_detected_actions,
)
from sensequant.data.readers import read_bar_file
from sensequant.data.store import BarStore
from sensequant.testing.synthetic import synthetic_bars
from tests.conftest import make_daily_bars

BONUS_AT, SPLIT_AT = 150, 300  # row positions of the ex-dates in the synthetic series


def _session_bars(n: int = 420, seed: int = 11) -> pd.DataFrame:
    bars = make_daily_bars(n=n + 40, seed=seed, start="2015-01-01")
    return bars[is_session(bars["timestamp"])].reset_index(drop=True).iloc[:n]


def _unadjust(adjusted: pd.DataFrame, at: dict[int, float]) -> pd.DataFrame:
    """Raw bars: before each ex-date row, prices divided by the factor, volume multiplied."""
    raw = adjusted.copy()
    for row, factor in at.items():
        before = np.arange(len(raw)) < row
        for col in ("open", "high", "low", "close"):
            raw.loc[before, col] = raw.loc[before, col] / factor
        raw.loc[before, "volume"] = raw.loc[before, "volume"] * factor
    return raw


def _ex_date(bars: pd.DataFrame, row: int) -> dt.date:
    return bars["timestamp"].iloc[row].date()


def test_standard_factors_follow_the_formula() -> None:
    table = {(kind, ratio): f for kind, ratio, f in STANDARD_FACTORS}
    assert table[("split", "1:2")] == 0.5
    assert table[("split", "1:5")] == pytest.approx(0.2)
    # bonus a:b (a new for b held): price factor b / (a + b)
    assert table[("bonus", "1:2")] == pytest.approx(2 / 3)
    assert table[("bonus", "3:2")] == pytest.approx(2 / 5)
    assert table[("bonus", "2:3")] == pytest.approx(3 / 5)
    assert max(table.values()) < 0.7  # small bonuses (1:4 = 0.8) are not detectable


def test_bonus_and_split_detected_and_adjusted_view_is_smooth() -> None:
    adjusted = _session_bars()
    raw = _unadjust(adjusted, {BONUS_AT: 0.5, SPLIT_AT: 0.2})
    before = raw.copy()
    found = detect_corporate_actions(raw, "TEST")
    assert [(a.ex_date, a.kind, a.ratio) for a in found] == [
        (_ex_date(raw, BONUS_AT), "split", "1:2"),  # a 1:1 bonus moves the price as a 1:2 split
        (_ex_date(raw, SPLIT_AT), "split", "1:5"),
    ]
    assert [a.price_factor for a in found] == pytest.approx([0.5, 0.2])
    assert all(0.5 < a.turnover_ratio < 2.0 for a in found)
    assert "1:1 bonus" in found[0].detail
    view = adjust_bars(raw, found)
    pd.testing.assert_frame_equal(raw, before)  # raw bars untouched
    np.testing.assert_allclose(
        view[["open", "high", "low", "close", "volume"]],
        adjusted[["open", "high", "low", "close", "volume"]],
        rtol=1e-12,
    )
    assert np.abs(np.diff(np.log(view["close"]))).max() < 0.1
    assert np.abs(np.diff(np.log(raw["close"]))).max() > 0.6


def test_adjustment_is_cumulative_and_keeps_turnover() -> None:
    adjusted = _session_bars(n=60)
    raw = _unadjust(adjusted, {20: 0.5, 40: 0.2})
    actions = [
        SuspectedAction("T", _ex_date(raw, 20), "split", "1:2", 0.5, 0.5, 0.5, 0.5, 1.0),
        SuspectedAction("T", _ex_date(raw, 40), "split", "1:5", 0.2, 0.2, 0.2, 0.2, 1.0),
    ]
    view = adjust_bars(raw.assign(vwap=raw["close"], trades=7.0), actions)
    assert view["close"].iloc[0] == pytest.approx(raw["close"].iloc[0] * 0.1)
    assert view["close"].iloc[30] == pytest.approx(raw["close"].iloc[30] * 0.2)
    assert view["close"].iloc[45] == raw["close"].iloc[45]
    assert view["vwap"].iloc[0] == pytest.approx(raw["close"].iloc[0] * 0.1)
    assert (view["trades"] == 7.0).all()
    np.testing.assert_allclose(view["close"] * view["volume"], raw["close"] * raw["volume"])
    with pytest.raises(ValueError, match="bad price factor"):
        adjust_bars(raw, [SuspectedAction("T", dt.date(2015, 3, 2), "x", "", 0.0, 1, 1, 1, 1)])


def test_crash_with_turnover_spike_is_not_an_action() -> None:
    bars = _session_bars()
    crash = np.arange(len(bars)) >= BONUS_AT
    for col in ("open", "high", "low", "close"):
        bars.loc[crash, col] = bars.loc[crash, col] * 0.5  # -50 %, and it stays down
    quiet = detect_corporate_actions(bars, "TEST")
    assert [a.ex_date for a in quiet] == [_ex_date(bars, BONUS_AT)]  # prices alone: split-like
    volume = bars["volume"].to_numpy(copy=True)
    volume[BONUS_AT] *= 8.0  # panic selling: turnover ~4x its median
    bars["volume"] = volume
    assert detect_corporate_actions(bars, "TEST") == []


def test_glitch_window_is_not_an_action() -> None:
    bars = _session_bars()
    stale = (np.arange(len(bars)) >= BONUS_AT - 3) & (np.arange(len(bars)) < BONUS_AT)
    for col in ("open", "high", "low", "close"):  # three unadjusted rows, as in Yahoo's DRREDDY
        bars.loc[stale, col] = bars.loc[stale, col] * 2.0
    assert detect_corporate_actions(bars, "TEST") == []


def test_small_factors_and_indices_are_never_suspected() -> None:
    bars = _session_bars()
    down = np.arange(len(bars)) >= BONUS_AT
    for col in ("open", "high", "low", "close"):  # -20 %: a 1:4 bonus or a circuit day
        bars.loc[down, col] = bars.loc[down, col] * 0.8
    assert detect_corporate_actions(bars, "TEST") == []
    raw = _unadjust(_session_bars(), {BONUS_AT: 0.5})
    assert detect_corporate_actions(raw, "NIFTY 50") == []
    assert len(detect_corporate_actions(raw, "TEST")) == 1


def test_no_turnover_no_suspicion() -> None:
    raw = _unadjust(_session_bars(), {BONUS_AT: 0.5}).assign(volume=np.nan)
    assert detect_corporate_actions(raw, "TEST") == []


def test_intraday_split_detected_on_its_day() -> None:
    bars = synthetic_bars("TEST", "5minute", "2024-01-01", "2024-03-31")
    day = bars["timestamp"].dt.date
    ex = sorted(set(day))[30]
    raw = bars.copy()
    before = (day < ex).to_numpy()
    for col in ("open", "high", "low", "close"):
        raw.loc[before, col] = raw.loc[before, col] * 2.0
    raw.loc[before, "volume"] = raw.loc[before, "volume"] / 2.0
    found = detect_corporate_actions(raw, "TEST")
    assert [(a.ex_date, a.price_factor) for a in found] == [(ex, 0.5)]
    np.testing.assert_allclose(adjust_bars(raw, found)["close"], bars["close"])


def test_catalog_round_trip_and_review(tmp_path: Path) -> None:
    store, catalog = BarStore(tmp_path / "store"), Catalog(tmp_path / "catalog.sqlite")
    adjusted = _session_bars()
    raw = _unadjust(adjusted, {BONUS_AT: 0.5, SPLIT_AT: 0.2})
    store.write("TEST", "1day", raw)
    assert record_detected_actions(catalog, "TEST", store.read("TEST", "1day")) == 2
    rows = catalog.corporate_actions("TEST")
    assert rows["status"].tolist() == ["suspected", "suspected"]
    assert rows["source"].tolist() == ["detected", "detected"]
    view = read_bars(store, catalog, "TEST", "1day")
    np.testing.assert_allclose(view["close"], adjusted["close"], rtol=1e-12)
    pd.testing.assert_frame_equal(read_bars(store, catalog, "TEST", "1day", adjusted=False), raw)
    # a range read still gets later actions' factors
    part = read_bars(store, catalog, "TEST", "1day", end=_ex_date(raw, 100))
    np.testing.assert_allclose(part["close"], adjusted["close"].iloc[:101], rtol=1e-12)
    # a rejected action is not applied, and re-detection keeps the review
    catalog.set_corporate_action_status("TEST", _ex_date(raw, SPLIT_AT), "rejected")
    assert record_detected_actions(catalog, "TEST", store.read("TEST", "1day")) == 2
    assert catalog.corporate_actions("TEST")["status"].tolist() == ["suspected", "rejected"]
    view = read_bars(store, catalog, "TEST", "1day")
    assert view["close"].iloc[0] == pytest.approx(raw["close"].iloc[0] * 0.5)


# ------------------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_yahoo_daily_files_hold_no_unadjusted_action_from_1997(shared_data: Path) -> None:
    found: list[SuspectedAction] = []
    for path in sorted((shared_data / "nse_daily_yf").glob("*.csv")):
        parsed = read_bar_file(path, repair_ohlc=True)
        bars = clean_bars(parsed.bars, symbol=str(parsed.symbol), interval="1day").bars
        found += detect_corporate_actions(bars, str(parsed.symbol))
    # Yahoo's Close is split/bonus adjusted. The one suspicion is HINDALCO 1996-09-04, before
    # the calendar's coverage: open/prev close 0.637, close 0.657, a level that stays at 0.675
    # and ordinary turnover (volume about 1.5x higher afterwards): the signature of an
    # unadjusted 1:2 bonus in Yahoo's earliest rows. Glitch windows (CIPLA 2004-05-11, DRREDDY
    # 2001-10-10, LT 2006-09-27, RELIANCE 1997-10-27) and crashes are not suspected.
    assert [(a.symbol, a.ex_date, a.ratio) for a in found] == [
        ("HINDALCO", dt.date(1996, 9, 4), "1:2")
    ]


@pytest.mark.realdata
def test_5minute_export_holds_no_action(shared_data: Path) -> None:
    parsed = read_bar_file(shared_data / "nse_5min" / "RELIANCE.csv")
    bars = clean_bars(parsed.bars, symbol="RELIANCE", interval="5minute").bars
    assert detect_corporate_actions(bars, "RELIANCE") == []
