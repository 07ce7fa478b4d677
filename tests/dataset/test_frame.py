"""Frame assembly: per-symbol features + labels and the long (symbol, timestamp) panel."""

from __future__ import annotations

import pandas as pd

from sensequant.dataset import (
    PANEL_LABEL_COLUMNS,
    SymbolFrame,
    build_frames,
    feature_names,
    needs_panel_step,
    panel_frame,
    symbol_frame,
    with_panel_columns,
)
from sensequant.dataset.features import wide_closes
from sensequant.run_config import FeatureConfig, LabelConfig
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


def _same_frames(a: dict[str, SymbolFrame], b: dict[str, SymbolFrame]) -> None:
    assert list(a) == list(b)
    for sym in a:
        pd.testing.assert_frame_equal(a[sym].features, b[sym].features)
        pd.testing.assert_frame_equal(a[sym].labels, b[sym].labels)
        assert (a[sym].first_bar, a[sym].last_bar) == (b[sym].first_bar, b[sym].last_bar)


def test_build_frames_is_symbol_frame_then_the_panel_step() -> None:
    bars = {s: make_daily_bars(n=400, seed=i, start="2019-01-01") for i, s in enumerate("AB")}
    bench = make_daily_bars(n=400, seed=9, start="2019-01-01")
    bench_close = pd.Series(bench["close"].to_numpy(), index=pd.DatetimeIndex(bench["timestamp"]))
    listed = {"B": bars["B"]["timestamp"].iloc[20].date()}
    plain_cfg = CFG.model_copy(
        update={
            "features": FeatureConfig(sets=["technical"], cs_normalize="none"),  # type: ignore[arg-type]
            "labels": LabelConfig(target="class3"),  # type: ignore[arg-type]
        }
    )
    assert not needs_panel_step(plain_cfg) and needs_panel_step(CFG)
    seen: list[str] = []
    plain = build_frames(bars, plain_cfg, listing_dates=listed, on_frame=seen.append)
    assert seen == ["A", "B"]
    by_hand = {
        s: symbol_frame(s, b, plain_cfg, listing_date=listed.get(s)) for s, b in bars.items()
    }
    _same_frames(plain, by_hand)
    sectors = {"A": "Banks", "B": None}
    panel = build_frames(
        bars, CFG, benchmark_close=bench_close, sectors=sectors, listing_dates=listed
    )
    by_hand = with_panel_columns(
        {s: symbol_frame(s, b, CFG, listing_date=listed.get(s)) for s, b in bars.items()},
        CFG,
        closes=wide_closes(bars),
        benchmark_close=bench_close,
        sectors=sectors,
    )
    _same_frames(panel, by_hand)
    assert "target" in panel["A"].labels.columns
