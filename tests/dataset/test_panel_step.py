"""The panel step in chunks of whole timestamps gives the one-pass result, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset import SymbolFrame, panel_frame, symbol_frame, with_panel_columns
from sensequant.dataset.features import panel_features, wide_closes
from sensequant.dataset.targets import cs_target, date_t1
from sensequant.run_config import FeatureConfig
from sensequant.settings import RunConfig
from tests.conftest import make_daily_bars

SETS = ["technical", "returns", "cross_sectional", "sector", "market"]


def _inputs() -> tuple[dict[str, pd.DataFrame], pd.Series, dict[str, str | None]]:
    bars = {}
    for i, sym in enumerate(["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]):
        b = make_daily_bars(n=420 - 30 * i, seed=i, start=f"2019-0{1 + i}-01")
        if i == 2:  # a symbol with holes: its own sessions differ from the others'
            b = b.drop(index=b.index[100:115]).reset_index(drop=True)
        bars[sym] = b
    bench = make_daily_bars(n=700, seed=99, start="2018-10-01")
    bench_close = pd.Series(bench["close"].to_numpy(), index=pd.DatetimeIndex(bench["timestamp"]))
    sectors = {"AAA": "Banks", "BBB": "Banks", "CCC": "IT", "DDD": "IT", "EEE": None}
    return bars, bench_close, sectors


def _run(cfg: RunConfig, chunk_rows: int, overwrite: bool = False) -> dict[str, SymbolFrame]:
    bars, bench_close, sectors = _inputs()
    frames = {s: symbol_frame(s, b, cfg) for s, b in bars.items()}
    return with_panel_columns(
        frames,
        cfg,
        closes=wide_closes(bars),
        benchmark_close=bench_close,
        sectors=sectors,
        chunk_rows=chunk_rows,
        overwrite=overwrite,
    )


@pytest.mark.parametrize(("norm", "target"), [("rank", "cs_rank"), ("zscore", "cs_zscore")])
def test_chunked_panel_step_equals_one_pass(norm: str, target: str) -> None:
    cfg = RunConfig.model_validate(
        {"features": {"sets": SETS, "cs_normalize": norm}, "labels": {"target": target}}
    )
    whole = _run(cfg, chunk_rows=10**9)
    for rows, overwrite in [(47, False), (600, False), (47, True), (600, True)]:
        # uneven chunks of 7 timestamps, a few chunks of 100; writing into the inputs' arrays
        chunked = _run(cfg, chunk_rows=rows, overwrite=overwrite)
        assert list(chunked) == list(whole)
        for sym in whole:
            pd.testing.assert_frame_equal(chunked[sym].features, whole[sym].features)
            pd.testing.assert_frame_equal(chunked[sym].labels, whole[sym].labels)


def test_one_pass_is_panel_features_on_the_whole_panel() -> None:
    """The chunk machinery scatters exactly what panel_features / cs_target / date_t1 give."""
    cfg = RunConfig.model_validate(
        {"features": {"sets": SETS, "cs_normalize": "rank"}, "labels": {"target": "cs_rank"}}
    )
    bars, bench_close, sectors = _inputs()
    frames = {s: symbol_frame(s, b, cfg) for s, b in bars.items()}
    first = min(fr.features.index[0] for fr in frames.values())
    last = max(fr.features.index[-1] for fr in frames.values())
    full = panel_features(
        panel_frame(frames, first, last),
        config=FeatureConfig.model_validate({"sets": SETS, "cs_normalize": "rank"}),
        closes=wide_closes(bars),
        benchmark_close=bench_close,
        sectors=sectors,
    )
    full["target"] = cs_target(full, "cs_rank").to_numpy()
    full["t1_date"] = date_t1(full).array
    out = _run(cfg, chunk_rows=50)
    for sym, fr in out.items():
        mine = full[full["symbol"] == sym].set_index("timestamp")
        assert len(mine) == len(fr.features)
        np.testing.assert_array_equal(
            fr.features.to_numpy(), mine[list(fr.features.columns)].to_numpy()
        )
        np.testing.assert_array_equal(fr.labels["target"].to_numpy(), mine["target"].to_numpy())
        assert (fr.labels["t1"].array == mine["t1_date"].array).sum() == mine[
            "t1_date"
        ].notna().sum()
        assert fr.labels["t1"].dt.tz == frames[sym].labels["t1"].dt.tz


def _reference_panel(
    frames: dict[str, SymbolFrame], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """The plain definition: join, concat, filter, sort by (timestamp, symbol)."""
    parts = []
    for sym, fr in frames.items():
        cols = ["label", "fwd_return", "t1", *(["target"] if "target" in fr.labels else [])]
        joined = fr.features.join(fr.labels[cols])
        joined = joined[(joined.index >= start) & (joined.index <= end)]
        joined = joined.reset_index().rename(columns={joined.index.name or "index": "timestamp"})
        joined.insert(0, "symbol", sym)
        parts.append(joined)
    panel = pd.concat(parts, ignore_index=True)
    return panel.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("target", ["cs_rank", "class3"])
def test_panel_frame_equals_concat_and_sort(target: str) -> None:
    score = "score" if target == "cs_rank" else "p_up"
    cfg = RunConfig.model_validate(
        {
            "features": {"sets": SETS, "cs_normalize": "rank"},
            "labels": {"target": target},
            "portfolio": {"score": score},
            "backtest": {"trials": []},
        }
    )
    frames = _run(cfg, chunk_rows=10**9)
    # symbols out of name order in the mapping: the sort is by name, not by insertion
    frames = {s: frames[s] for s in ["DDD", "AAA", "FFF", "CCC", "BBB", "EEE"]}
    stamps = frames["AAA"].features.index
    for start, end in [
        (stamps[0], stamps[-1]),
        (stamps[40], stamps[41]),
        (stamps[90], stamps[300]),
    ]:
        got = panel_frame(frames, start, end)
        want = _reference_panel(frames, start, end)
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_overwrite_reuses_the_input_arrays_and_leaves_them_consistent() -> None:
    cfg = RunConfig.model_validate(
        {"features": {"sets": SETS, "cs_normalize": "rank"}, "labels": {"target": "cs_rank"}}
    )
    bars, bench_close, sectors = _inputs()
    frames = {s: symbol_frame(s, b, cfg) for s, b in bars.items()}
    before = frames["AAA"].features.to_numpy().copy()
    kept = dict(closes=wide_closes(bars), benchmark_close=bench_close, sectors=sectors)
    out = with_panel_columns(frames, cfg, chunk_rows=100, overwrite=True, **kept)
    width = before.shape[1]
    # the input's own array now holds the normalised values: no second copy was made
    normalised = out["AAA"].features.iloc[:, :width].to_numpy()
    np.testing.assert_array_equal(frames["AAA"].features.to_numpy(), normalised)
    assert not np.array_equal(before, normalised, equal_nan=True)
    fresh = {s: symbol_frame(s, b, cfg) for s, b in bars.items()}
    want = with_panel_columns(fresh, cfg, chunk_rows=10**9, **kept)
    pd.testing.assert_frame_equal(out["AAA"].features, want["AAA"].features)
