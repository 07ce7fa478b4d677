"""Frame assembly: per-symbol features + labels and the long (symbol, timestamp) panel."""

from __future__ import annotations

import pandas as pd

from sensequant.dataset import (
    PANEL_LABEL_COLUMNS,
    SymbolFrame,
    feature_names,
    panel_frame,
    symbol_frame,
)
from sensequant.settings import RunConfig
from sensequant.types import IST
from tests.conftest import make_daily_bars

CFG = RunConfig()


def _frame(symbol: str = "AAA", seed: int = 11) -> SymbolFrame:
    return symbol_frame(symbol, make_daily_bars(n=900, seed=seed, start="2018-01-01"), CFG)


def test_symbol_frame_spans_the_bars() -> None:
    bars = make_daily_bars(n=300, seed=2, start="2019-01-01")
    fr = symbol_frame("AAA", bars, CFG)
    assert fr.features.index.equals(fr.labels.index)
    assert len(fr.features) == len(bars)
    assert fr.first_bar == bars["timestamp"].iloc[0] and fr.last_bar == bars["timestamp"].iloc[-1]
    later = bars["timestamp"].iloc[10].date()
    moved = symbol_frame("AAA", bars, CFG, listing_date=later)
    assert moved.first_bar > fr.first_bar


def test_panel_is_restricted_to_range_and_sorted() -> None:
    frames = {"AAA": _frame(), "BBB": _frame("BBB", seed=12)}
    start, end = pd.Timestamp("2019-01-01", tz=IST), pd.Timestamp("2019-12-31", tz=IST)
    panel = panel_frame(frames, start, end)
    assert panel["timestamp"].between(start, end).all()
    assert panel["timestamp"].is_monotonic_increasing
    assert set(PANEL_LABEL_COLUMNS) <= set(panel.columns)
    assert list(panel.columns) == [
        "symbol",
        "timestamp",
        *feature_names(frames),
        *PANEL_LABEL_COLUMNS,
    ]
    assert set(panel["symbol"]) == {"AAA", "BBB"}
