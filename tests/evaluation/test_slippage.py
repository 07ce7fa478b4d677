"""Tests of the slippage models (fixed bps, per-symbol half spreads, Corwin-Schultz)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.errors import ConfigError, DataError
from sensequant.evaluation.slippage import (
    FixedBps,
    SlippageModel,
    SpreadSlippage,
    corwin_schultz_spread,
)
from sensequant.types import IST

DAYS = pd.bdate_range("2024-01-01", periods=6, tz=IST)


def test_fixed_bps_everywhere_and_checked() -> None:
    out = FixedBps(5.0).per_side_bps(DAYS[:3], ["A", "B"])
    assert out.shape == (3, 2) and (out == 5.0).all()
    assert isinstance(FixedBps(1.0), SlippageModel)
    with pytest.raises(ConfigError, match="bps"):
        FixedBps(-1.0)


def test_per_symbol_half_spreads_with_default_multiplier_and_floor() -> None:
    model = SpreadSlippage({"A": 4.0, "B": 12.0}, default_bps=20.0, multiplier=1.5, floor_bps=7.0)
    out = model.per_side_bps(DAYS[:2], ["A", "B", "C"])
    np.testing.assert_allclose(out, [[7.0, 18.0, 30.0]] * 2)  # A: 6 -> floor 7; C: default
    with pytest.raises(ConfigError, match="half_spread_bps"):
        SpreadSlippage({"A": float("nan")})


def test_table_is_carried_forward_and_defaults_before_its_start() -> None:
    table = pd.DataFrame({"A": [np.nan, 10.0, 20.0]}, index=DAYS[1:4])
    out = SpreadSlippage(table, default_bps=3.0).per_side_bps(DAYS, ["A", "B"])
    np.testing.assert_allclose(out[:, 0], [3.0, 3.0, 10.0, 20.0, 20.0, 20.0])
    np.testing.assert_allclose(out[:, 1], 3.0)
    with pytest.raises(ConfigError, match="negative half spread"):
        SpreadSlippage(pd.DataFrame({"A": [-1.0]}, index=DAYS[:1]))


def test_corwin_schultz_on_two_identical_bars_is_the_relative_range() -> None:
    # equal bars: beta = 2 x^2, gamma = x^2 with x = ln(H/L) -> alpha = x, S = 2(H-L)/(H+L)
    high = pd.DataFrame({"A": [101.0, 101.0], "B": [101.0, 111.0]}, index=DAYS[:2])
    low = pd.DataFrame({"A": [99.0, 99.0], "B": [100.0, 110.0]}, index=DAYS[:2])
    s = corwin_schultz_spread(high, low)
    assert np.isnan(s.iloc[0]).all()
    assert s.loc[DAYS[1], "A"] == pytest.approx(2 * 2 / 200, rel=1e-12)
    assert s.loc[DAYS[1], "B"] == 0.0  # a 10 % gap with 1 % ranges: negative estimate -> 0
    with pytest.raises(DataError, match="share index"):
        corwin_schultz_spread(high, low.iloc[:1])


def test_from_high_low_uses_only_bars_before_the_fill_session() -> None:
    high = pd.DataFrame({"A": [101.0] * 6}, index=DAYS)
    low = pd.DataFrame({"A": [99.0] * 6}, index=DAYS)
    model = SpreadSlippage.from_high_low(high, low, window=2, default_bps=1.0)
    out = model.per_side_bps(DAYS, ["A"])[:, 0]
    # estimates exist from day 1; a 2-estimate mean first at day 2, used from day 3
    np.testing.assert_allclose(out, [1.0, 1.0, 1.0, 100.0, 100.0, 100.0])
    wild = high.copy()
    wild.iloc[5, 0] = 150.0  # the fill day's own bar must not matter
    moved = SpreadSlippage.from_high_low(wild, low, window=2, default_bps=1.0)
    assert moved.per_side_bps(DAYS, ["A"])[5, 0] == out[5]
