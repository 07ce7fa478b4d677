"""Tests of the Parquet bar store (sensequant.data.store)."""

from __future__ import annotations

import multiprocessing as mp
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sensequant.data.market import to_ist
from sensequant.data.store import BarStore, MergeStats
from sensequant.errors import InvalidSymbolError, NoDataError, StoreError
from sensequant.types import BAR_COLUMNS, IST
from tests.conftest import make_daily_bars


@pytest.fixture()
def store(tmp_path: Path) -> BarStore:
    return BarStore(tmp_path / "store", lock_timeout=0.5)


def test_path_layout_encodes_symbol(store: BarStore) -> None:
    assert store.path("M&M", "1day") == store.root / "bars" / "1day" / "M%26M.parquet"
    assert store.path("NIFTY 50", "5minute").name == "NIFTY%2050.parquet"


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".hidden"])
def test_path_rejects_malformed_symbols(store: BarStore, bad: str) -> None:
    with pytest.raises(InvalidSymbolError):
        store.path(bad, "1day")


def test_unknown_interval_rejected(store: BarStore) -> None:
    with pytest.raises(StoreError, match="unknown interval"):
        store.path("TCS", "1week")


def test_write_read_round_trip(store: BarStore, daily_bars: pd.DataFrame) -> None:
    store.write("M&M", "1day", daily_bars)
    back = store.read("M&M", "1day")
    assert list(back.columns) == list(BAR_COLUMNS)
    assert str(back["timestamp"].dt.tz) == IST
    pd.testing.assert_frame_equal(back, daily_bars, check_dtype=False)
    assert store.exists("M&M", "1day")
    assert store.symbols("1day") == ["M&M"]
    assert store.symbols("5minute") == []


def test_read_range_and_columns(store: BarStore, daily_bars: pd.DataFrame) -> None:
    store.write("TCS", "1day", daily_bars)
    part = store.read("TCS", "1day", start="2018-03-01", end="2018-03-09", columns=["close"])
    assert list(part.columns) == ["timestamp", "close"]
    assert part["timestamp"].iloc[0] == pd.Timestamp("2018-03-01", tz=IST)
    assert part["timestamp"].iloc[-1] == pd.Timestamp("2018-03-09", tz=IST)
    assert len(part) == 7


def test_read_end_date_keeps_whole_intraday_day(store: BarStore) -> None:
    ts = pd.date_range("2024-01-02 09:15", periods=150, freq="5min", tz=IST)
    bars = pd.DataFrame(
        {"timestamp": ts, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0}
    )
    store.write("TCS", "5minute", bars)
    part = store.read("TCS", "5minute", end="2024-01-02")
    assert len(part) == len(ts[ts.normalize() == pd.Timestamp("2024-01-02", tz=IST)])
    assert len(store.read("TCS", "5minute", end="2024-01-02 09:20")) == 2


def test_missing_series_raises_no_data_with_hint(store: BarStore) -> None:
    with pytest.raises(NoDataError, match="RELIANCE") as info:
        store.read("RELIANCE", "1day")
    assert "sensequant data import" in (info.value.hint or "")


def _bad_frames(good: pd.DataFrame) -> dict[str, pd.DataFrame]:
    unsorted = good.iloc[::-1].reset_index(drop=True)
    dup = pd.concat([good.iloc[:3], good.iloc[2:5]], ignore_index=True)
    naive = good.assign(timestamp=good["timestamp"].dt.tz_localize(None))
    utc = good.assign(timestamp=good["timestamp"].dt.tz_convert("UTC"))
    neg = good.copy()
    neg.loc[3, "low"] = -1.0
    nan_close = good.copy()
    nan_close.loc[4, "close"] = np.nan
    neg_volume = good.copy()
    neg_volume.loc[2, "volume"] = -1.0
    return {
        "unsorted": unsorted,
        "duplicate": dup,
        "naive": naive,
        "utc": utc,
        "missing column": good.drop(columns="volume"),
        "unknown column": good.assign(adj_close=1.0),
        "negative price": neg,
        "nan close": nan_close,
        "negative volume": neg_volume,
        "infinite volume": good.assign(volume=np.inf),
        "empty": good.iloc[:0],
    }


@pytest.mark.parametrize("case", list(_bad_frames(make_daily_bars(10))))
def test_invalid_frame_leaves_old_file_byte_identical(store: BarStore, case: str) -> None:
    good = make_daily_bars(10)
    store.write("INFY", "1day", good)
    path = store.path("INFY", "1day")
    before = path.read_bytes()
    with pytest.raises(StoreError):
        store.write("INFY", "1day", _bad_frames(good)[case])
    with pytest.raises(StoreError):
        store.merge("INFY", "1day", _bad_frames(good)[case])
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["INFY.parquet"]


def test_atomic_write_leaves_no_temp_files(store: BarStore, daily_bars: pd.DataFrame) -> None:
    for _ in range(3):
        store.write("SBIN", "1day", daily_bars)
    folder = store.path("SBIN", "1day").parent
    assert [p.name for p in folder.iterdir()] == ["SBIN.parquet"]


def test_write_failure_midway_removes_temp_and_keeps_old(
    store: BarStore, daily_bars: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("SBIN", "1day", daily_bars)
    path = store.path("SBIN", "1day")
    before = path.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StoreError, match="disk full"):
        store.write("SBIN", "1day", daily_bars.iloc[:10])
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["SBIN.parquet"]


def test_merge_stats(store: BarStore, daily_bars: pd.DataFrame) -> None:
    first = store.merge("ITC", "1day", daily_bars.iloc[:100])
    assert first == MergeStats(added=100, replaced=0, unchanged=0, total=100)
    update = daily_bars.iloc[90:150].copy()
    update.loc[update.index[:3], "close"] *= 1.01  # 3 changed overlapping rows
    stats = store.merge("ITC", "1day", update)
    assert stats == MergeStats(added=50, replaced=3, unchanged=7, total=150)
    back = store.read("ITC", "1day")
    assert back["close"].iloc[90] == pytest.approx(update["close"].iloc[0])  # new row wins
    assert back["timestamp"].is_monotonic_increasing
    assert back["timestamp"].is_unique


def test_merge_without_change_does_not_rewrite(store: BarStore, daily_bars: pd.DataFrame) -> None:
    store.merge("ITC", "1day", daily_bars)
    path = store.path("ITC", "1day")
    mtime = path.stat().st_mtime_ns
    stats = store.merge("ITC", "1day", daily_bars.iloc[10:20])
    assert stats == MergeStats(added=0, replaced=0, unchanged=10, total=len(daily_bars))
    assert not stats.changed
    assert path.stat().st_mtime_ns == mtime


def test_merge_keeps_optional_values_missing_in_new_rows(
    store: BarStore, daily_bars: pd.DataFrame
) -> None:
    with_oi = daily_bars.iloc[:20].assign(oi=np.arange(20, dtype=float))
    store.write("LT", "1day", with_oi)
    stats = store.merge("LT", "1day", daily_bars.iloc[10:30])
    assert (stats.added, stats.replaced, stats.unchanged) == (10, 0, 10)
    back = store.read("LT", "1day")
    assert back["oi"].iloc[15] == 15.0
    assert back["oi"].iloc[25:].isna().all()


def test_fingerprint_stable_across_rewrite(store: BarStore, daily_bars: pd.DataFrame) -> None:
    store.write("TCS", "1day", daily_bars)
    fp1 = store.fingerprint("TCS", "1day")
    store.path("TCS", "1day").unlink()
    store.merge("TCS", "1day", daily_bars.iloc[:300])
    store.merge("TCS", "1day", daily_bars.iloc[300:])
    fp2 = store.fingerprint("TCS", "1day")
    assert fp1 == fp2
    assert fp1.bars == len(daily_bars)
    assert fp1.first == daily_bars["timestamp"].iloc[0]
    changed = daily_bars.copy()
    changed["volume"] = changed["volume"] + (changed.index == 5)
    store.write("TCS", "1day", changed)
    assert store.fingerprint("TCS", "1day").sha256 != fp1.sha256


def test_to_ist_naive_and_aware() -> None:
    assert to_ist("2024-01-02") == pd.Timestamp("2024-01-02", tz=IST)
    assert to_ist(pd.Timestamp("2024-01-01 18:30", tz="UTC")) == pd.Timestamp("2024-01-02", tz=IST)
    with pytest.raises(StoreError):
        to_ist("not a date")


def _hold_lock(root: str, ready: Any, release: Any) -> None:
    with BarStore(Path(root)).lock():
        ready.set()
        release.wait(20)


def test_lock_contention_from_second_process(store: BarStore) -> None:
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(store.root), ready, release))
    proc.start()
    try:
        assert ready.wait(30), "child process did not take the lock"
        expected = rf"another import is running \(pid {proc.pid}\)"
        with pytest.raises(StoreError, match=expected), store.lock():
            pass
    finally:
        release.set()
        proc.join(30)
    with store.lock():  # free again once the holder exits
        pass


def test_lock_is_reentrant_for_same_store(store: BarStore) -> None:
    with store.lock(), store.lock():
        assert (store.root / ".lock").read_text().strip() == str(os.getpid())
    with store.lock():
        pass


def test_read_all_daily_fast_path_only_timestamp(store: BarStore, daily_bars: pd.DataFrame) -> None:
    store.write("A", "1day", daily_bars)
    only_ts = store.read("A", "1day", columns=[])
    assert list(only_ts.columns) == ["timestamp"]
    with pytest.raises(StoreError, match="cannot read"):
        store.read("A", "1day", columns=["oi"])


def test_corrupt_file_gives_store_error(store: BarStore, daily_bars: pd.DataFrame) -> None:
    store.write("A", "1day", daily_bars)
    store.path("A", "1day").write_bytes(b"not parquet")
    with pytest.raises(StoreError, match="A 1day"):
        store.read("A", "1day")


def test_absent_volume_stored_as_nan_not_zero(store: BarStore) -> None:
    """A source without volume (ETF end-of-day export) stores NaN; a NaN never overwrites."""
    bars = make_daily_bars(10)
    store.write("GOLDBEES", "1day", bars.assign(volume=np.nan))
    assert store.read("GOLDBEES", "1day")["volume"].isna().all()
    store.write("INFY", "1day", bars)
    stats = store.merge("INFY", "1day", bars.assign(volume=np.nan))
    assert (stats.added, stats.replaced) == (0, 0)
    assert store.read("INFY", "1day")["volume"].tolist() == bars["volume"].tolist()
