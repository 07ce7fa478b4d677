"""build_features: assembly, validation, fingerprint, real data sanity."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sensequant.dataset.features.build as build_mod
from sensequant.dataset.features import (
    FEATURE_NAMES,
    FEATURE_SET_VERSION,
    build_features,
    feature_set_hash,
)
from sensequant.errors import DataError
from tests.conftest import make_daily_bars


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


def test_names_unique_and_hash_stable() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES) == 29
    assert re.fullmatch(r"\d+\.\d+\.\d+", FEATURE_SET_VERSION)
    h = feature_set_hash()
    assert re.fullmatch(r"[0-9a-f]{16}", h)
    assert feature_set_hash() == h


def test_hash_changes_with_version(monkeypatch: pytest.MonkeyPatch) -> None:
    before = feature_set_hash()
    monkeypatch.setattr(build_mod, "FEATURE_SET_VERSION", "999.0.0")
    assert build_mod.feature_set_hash() != before


def test_deterministic_and_extra_columns_ignored() -> None:
    bars = make_daily_bars(n=300)
    a = build_features(bars)
    b = build_features(bars.assign(oi=1.0, vwap=bars["close"]))
    pd.testing.assert_frame_equal(a, b)


def test_missing_column_is_a_data_error() -> None:
    with pytest.raises(DataError, match="volume"):
        build_features(make_daily_bars(n=50).drop(columns="volume"))


def test_unsorted_timestamps_rejected() -> None:
    bars = make_daily_bars(n=50)
    with pytest.raises(DataError, match="sorted and unique") as exc:
        build_features(bars.iloc[::-1])
    assert exc.value.hint
    with pytest.raises(DataError, match="1 duplicate"):
        build_features(pd.concat([bars.iloc[:10], bars.iloc[9:]]))


@pytest.mark.parametrize(
    ("col", "value", "match"),
    [("close", 0.0, "positive finite price"), ("high", np.nan, "high"), ("volume", -1.0, "vol")],
)
def test_bad_values_rejected_with_the_row(col: str, value: float, match: str) -> None:
    bars = make_daily_bars(n=50)
    bars.loc[17, col] = value
    with pytest.raises(DataError, match=match) as exc:
        build_features(bars)
    assert str(bars["timestamp"].iloc[17]) in str(exc.value)


@pytest.mark.realdata
def test_real_symbols_no_inf_and_sane_ranges(shared_data: Path) -> None:
    for sym in ("RELIANCE", "COALINDIA", "SBILIFE"):
        bars = _read_yahoo(shared_data / "nse_daily_yf" / f"{sym}.csv")
        assert not np.isinf(build_features(bars).to_numpy()).any(), sym
        # as the quality step would: drop stale zero-volume holiday rows (RELIANCE 2005-07-28
        # is one with an unadjusted price, a +80 % log return in the raw file)
        feats = build_features(bars[bars["volume"] > 0].reset_index(drop=True))
        tail = feats.iloc[300:]
        # RELIANCE 1997-11-05 is an unadjusted 1:1 bonus (-66 % log return): bound from 2003 on
        tail = tail[tail.index >= pd.Timestamp("2003-01-01", tz="Asia/Kolkata")]
        assert tail.notna().all().all(), sym  # everything available after warm-up
        assert len(tail) > 1000, sym
        assert tail["logret_1"].abs().max() < 0.5, sym
        assert tail["rsi_14"].between(0, 1).all(), sym
