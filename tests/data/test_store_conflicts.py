"""Tests of the conflict policy of BarStore.merge (sensequant.data.store_conflicts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.data.store import BarStore, OnConflict
from sensequant.data.store_conflicts import NOISE_RTOL, bar_changes, conflict_message
from sensequant.errors import BarConflictError, UsageError


def _changed(bars: pd.DataFrame, rows: list[int], factor: float) -> pd.DataFrame:
    out = bars.copy()
    for col in ("open", "high", "low", "close"):
        out.loc[rows, col] = out.loc[rows, col] * factor
    return out


def test_fail_lists_every_changed_bar_and_writes_nothing(
    store: BarStore, daily_bars: pd.DataFrame
) -> None:
    store.write("ITC", "1day", daily_bars.iloc[:100])
    before = store.path("ITC", "1day").read_bytes()
    new = _changed(daily_bars.iloc[90:110].reset_index(drop=True), [0, 3], 0.5)
    with pytest.raises(BarConflictError) as info:
        store.merge("ITC", "1day", new, on_conflict="fail")
    text = str(info.value)
    assert "ITC 1day: 2 stored bar(s) would change beyond float noise" in text
    day0, day3 = (f"{new['timestamp'].iloc[i]:%Y-%m-%d}" for i in (0, 3))
    assert f"{day0}: open " in text and f"{day3}: open " in text
    assert "(-50.00%)" in text and "--on-conflict replace" in text
    assert store.path("ITC", "1day").read_bytes() == before


def test_keep_and_replace(store: BarStore, daily_bars: pd.DataFrame) -> None:
    store.write("ITC", "1day", daily_bars.iloc[:100])
    new = _changed(daily_bars.iloc[90:110].reset_index(drop=True), [0], 2.0)
    kept = store.merge("ITC", "1day", new, on_conflict=OnConflict.KEEP)
    assert (kept.added, kept.replaced, kept.kept, kept.total) == (10, 0, 1, 110)
    stored = store.read("ITC", "1day")
    assert stored["close"].iloc[90] == daily_bars["close"].iloc[90]
    assert kept.first_changed == daily_bars["timestamp"].iloc[100]
    replaced = store.merge("ITC", "1day", new, on_conflict="replace")
    assert (replaced.added, replaced.replaced, replaced.kept) == (0, 1, 0)
    assert store.read("ITC", "1day")["close"].iloc[90] == pytest.approx(
        2 * daily_bars["close"].iloc[90]
    )
    assert replaced.first_changed == replaced.last_changed == daily_bars["timestamp"].iloc[90]


def test_float_noise_and_filled_gaps_are_not_conflicts(
    store: BarStore, daily_bars: pd.DataFrame
) -> None:
    old = daily_bars.iloc[:50].copy()
    old.loc[5, "volume"] = np.nan
    store.write("ITC", "1day", old)
    new = daily_bars.iloc[:50].copy()
    new["close"] = new["close"] * (1 + NOISE_RTOL / 10)
    stats = store.merge("ITC", "1day", new, on_conflict="fail")  # no error
    assert stats.replaced == 50 and stats.kept == 0
    assert store.read("ITC", "1day")["volume"].iloc[5] == daily_bars["volume"].iloc[5]


def test_bar_changes_ignores_nan_and_message_is_capped() -> None:
    idx = pd.date_range("2024-01-01", periods=30, freq="D", tz="Asia/Kolkata")
    old = pd.DataFrame({"close": np.arange(1.0, 31.0), "oi": np.nan}, index=idx)
    new = old.assign(close=old["close"] * 3, oi=5.0)
    changes = bar_changes(old, new)
    assert len(changes) == 30 and all(c.values[0][0] == "close" for c in changes)
    text = conflict_message("X", "1day", changes)
    assert text.count("\n  ") == 21 and "... and 10 more, the last on 2024-01-30" in text


def test_unknown_policy_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--on-conflict"):
        OnConflict.parse("overwrite")
    assert OnConflict.parse("KEEP") is OnConflict.KEEP
