"""Panel feature sets (returns, cross_sectional, sector, market), cs normalisation, hash.

Look-ahead: cutting the bars (of every symbol, of other symbols only, or of the benchmark)
after a date never changes a panel feature on or before that date.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset.features import (
    FEATURE_NAMES,
    build_features,
    feature_set_hash,
    panel_features,
    selected_names,
    symbol_features,
    wide_closes,
)
from sensequant.errors import ConfigError, DataError
from sensequant.run_config import FeatureConfig
from sensequant.testing.synthetic import synthetic_bars
from sensequant.types import IST

ALL_SETS = ["technical", "levels", "returns", "cross_sectional", "sector", "market"]
SYMBOLS = [f"SYM{i}" for i in range(8)]
SECTORS: dict[str, str | None] = {
    s: ("BANK", "IT", "AUTO", None)[i % 4] for i, s in enumerate(SYMBOLS)
}


def _universe() -> tuple[dict[str, pd.DataFrame], pd.Series]:
    bars = {}
    for i, sym in enumerate(SYMBOLS):
        b = synthetic_bars(sym, "1day", f"{2019 + (i % 3)}-0{1 + i % 6}-01", "2023-06-30")
        if i == 5:  # a suspension: 15 missing sessions
            b = b.drop(b.index[300:315]).reset_index(drop=True)
        bars[sym] = b
    bm = synthetic_bars("NIFTY 50", "1day", "2018-06-01", "2023-06-30")
    return bars, bm.set_index("timestamp")["close"]


def _long(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    parts = []
    for sym, f in frames.items():
        g = f.reset_index()
        g.insert(0, "symbol", sym)
        parts.append(g)
    panel = pd.concat(parts, ignore_index=True)
    return panel.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)


def _compute(
    bars: Mapping[str, pd.DataFrame],
    bm: pd.Series,
    cfg: FeatureConfig,
    sectors: Mapping[str, str | None] = SECTORS,
) -> pd.DataFrame:
    panel = _long({s: symbol_features(b, cfg) for s, b in bars.items() if len(b)})
    return panel_features(
        panel, config=cfg, closes=wide_closes(bars), benchmark_close=bm, sectors=sectors
    )


def _cut(bars: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    return bars[bars["timestamp"] <= cut].reset_index(drop=True)


def _assert_prefix(
    part: pd.DataFrame, full: pd.DataFrame, cut: pd.Timestamp, cols: list[str]
) -> None:
    head = full[full["timestamp"] <= cut].reset_index(drop=True)
    part = part[part["timestamp"] <= cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(part[["symbol", "timestamp"]], head[["symbol", "timestamp"]])
    for col in cols:
        np.testing.assert_allclose(
            part[col].to_numpy(),
            head[col].to_numpy(),
            rtol=0,
            atol=1e-12,
            equal_nan=True,
            err_msg=f"{col} at cut {cut.date()} depends on later bars",
        )


CUTS = [pd.Timestamp(d, tz=IST) for d in ("2019-03-01", "2020-01-15", "2021-07-01", "2023-01-02")]


@pytest.mark.parametrize("norm", ["none", "rank", "zscore"])
def test_panel_features_do_not_look_ahead(norm: str) -> None:
    bars, bm = _universe()
    cfg = FeatureConfig(sets=ALL_SETS, cs_normalize=norm)  # type: ignore[arg-type]
    full = _compute(bars, bm, cfg)
    cols = selected_names(cfg)
    assert full[cols].iloc[-50:].notna().to_numpy().mean() > 0.8  # not vacuous
    for cut in CUTS:
        part = _compute({s: _cut(b, cut) for s, b in bars.items()}, bm[bm.index <= cut], cfg)
        _assert_prefix(part, full, cut, cols)


def test_other_symbols_future_and_benchmark_future_change_nothing() -> None:
    bars, bm = _universe()
    cfg = FeatureConfig(sets=ALL_SETS, cs_normalize="zscore")
    full = _compute(bars, bm, cfg)
    cut = CUTS[2]
    # only the OTHER symbols (and the benchmark) lose their future; SYM0 keeps all its bars
    cut_others = {s: (b if s == "SYM0" else _cut(b, cut)) for s, b in bars.items()}
    part = _compute(cut_others, bm[bm.index <= cut], cfg)
    _assert_prefix(part, full, cut, selected_names(cfg))
    # ... and the later rows DO change (the test can fail)
    later_full = full[(full["timestamp"] > cut) & (full["symbol"] == "SYM0")]
    later_part = part[(part["timestamp"] > cut) & (part["symbol"] == "SYM0")]
    assert not np.allclose(
        later_part["xs_ret_5"].to_numpy(), later_full["xs_ret_5"].to_numpy(), equal_nan=True
    )


def test_default_config_is_todays_features_and_hash() -> None:
    bars, _bm = _universe()
    b = bars["SYM0"]
    pd.testing.assert_frame_equal(symbol_features(b, FeatureConfig()), build_features(b))
    assert selected_names(FeatureConfig()) == list(FEATURE_NAMES)
    from sensequant.dataset.features.build import feature_set_hash as original

    assert feature_set_hash() == feature_set_hash(FeatureConfig()) == original()
    panel = _long({s: symbol_features(x, FeatureConfig()) for s, x in bars.items()})
    out = panel_features(panel, config=FeatureConfig())
    pd.testing.assert_frame_equal(out, panel)


def test_hash_depends_on_sets_and_normalisation() -> None:
    hashes = {
        feature_set_hash(FeatureConfig(sets=s, cs_normalize=n))  # type: ignore[arg-type]
        for s in (["technical", "levels"], ["technical", "levels", "returns"], ["returns"])
        for n in ("none", "rank", "zscore")
    }
    assert len(hashes) == 9


def test_cross_sectional_sector_and_market_values() -> None:
    bars, bm = _universe()
    cfg = FeatureConfig(sets=["returns", "cross_sectional", "sector", "market"])
    out = _compute(bars, bm, cfg)
    # xs_ret_n = ret_n minus the same-date mean over symbols with a return (closes' universe)
    mean = out.groupby("timestamp")["ret_5"].transform("mean")
    np.testing.assert_allclose(out["xs_ret_5"], out["ret_5"] - mean, atol=1e-12)
    # sector: relative to the mean of the same industry on the same date; unknown -> NaN
    sec = out["symbol"].map(SECTORS)
    known = sec.notna()
    smean = out[known].groupby([out["timestamp"][known], sec[known]])["ret_20"].transform("mean")
    np.testing.assert_allclose(
        out.loc[known, "sector_ret_20"], out.loc[known, "ret_20"] - smean, atol=1e-12
    )
    assert out.loc[~known, "sector_ret_20"].isna().all()
    # market: the benchmark's own series, as of the same date
    logb = np.log(bm)
    row = out.iloc[-1]
    t = row["timestamp"]
    assert row["mkt_ret_20"] == pytest.approx(logb[t] - logb.iloc[logb.index.get_loc(t) - 20])
    vol = logb.diff().rolling(60).std()
    assert row["mkt_vol_60"] == pytest.approx(vol[t])
    # returns set by hand
    c = np.log(bars["SYM0"]["close"].to_numpy())
    r = out[out["symbol"] == "SYM0"].iloc[-1]
    sig = np.std(np.diff(c)[-20:], ddof=1)
    assert r["ret_60"] == pytest.approx(c[-1] - c[-61])
    assert r["ret_60_volscaled"] == pytest.approx((c[-1] - c[-61]) / (sig * np.sqrt(60)))
    assert r["mom_12_1"] == pytest.approx(c[-22] - c[-253])


def test_suspended_symbol_returns_use_its_own_sessions() -> None:
    bars, bm = _universe()
    out = _compute(bars, bm, FeatureConfig(sets=["returns", "cross_sectional"]))
    s5 = out[out["symbol"] == "SYM5"].reset_index(drop=True)
    c = np.log(bars["SYM5"]["close"].to_numpy())
    np.testing.assert_allclose(s5["ret_1"].to_numpy()[1:], np.diff(c), atol=1e-12)


def test_normalisation_ranges() -> None:
    bars, bm = _universe()
    for norm, bound in (("rank", 0.5), ("zscore", 5.0)):
        cfg = FeatureConfig(sets=["technical", "returns", "market"], cs_normalize=norm)  # type: ignore[arg-type]
        out = _compute(bars, bm, cfg)
        x = out[selected_names(cfg, kinds=("technical", "returns"))].to_numpy()
        assert np.nanmax(np.abs(x)) <= bound
        # market columns are not normalised (they are equal across symbols on a date)
        assert out.groupby("timestamp")["mkt_ret_5"].nunique().max() == 1
        med = out.groupby("timestamp")["ret_5"].median()
        if norm == "zscore":
            assert np.nanmax(np.abs(med.to_numpy())) < 1e-12


def test_missing_inputs_raise() -> None:
    bars, _bm = _universe()
    panel = _long({s: symbol_features(b, FeatureConfig()) for s, b in bars.items()})
    with pytest.raises(ConfigError, match="closes"):
        panel_features(panel, config=FeatureConfig(sets=["technical", "levels", "cross_sectional"]))
    with pytest.raises(ConfigError, match="benchmark"):
        panel_features(panel, config=FeatureConfig(sets=["technical", "levels", "market"]))
    with pytest.raises(DataError, match="per-symbol"):
        panel_features(panel, config=FeatureConfig(sets=["returns"]))
    with pytest.raises(ValueError):
        FeatureConfig(sets=[])


def _read_yahoo(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, parse_dates=["Date"])
    return pd.DataFrame(
        {
            "timestamp": raw["Date"].dt.tz_localize(IST),
            "open": raw["Open"],
            "high": raw["High"],
            "low": raw["Low"],
            "close": raw["Close"],
            "volume": raw["Volume"].astype(float),
        }
    )


@pytest.mark.realdata
def test_panel_features_no_look_ahead_real(shared_data: Path) -> None:
    files = sorted((shared_data / "nse_daily_yf").glob("*.csv"))[:6]
    bars = {f.stem: _read_yahoo(f) for f in files}
    bars = {
        s: b[b["timestamp"] >= pd.Timestamp("2012-01-01", tz=IST)].reset_index(drop=True)
        for s, b in bars.items()
    }
    idx = pd.read_csv(
        shared_data / "nifty50_index" / "nifty50_2007_2024_yf.csv", parse_dates=["date"]
    )
    bm = pd.Series(idx["close"].to_numpy(), index=pd.DatetimeIndex(idx["date"]).tz_localize(IST))
    nifty100 = pd.read_csv(shared_data / "universe" / "ind_nifty100list.csv")
    sectors = dict(zip(nifty100["Symbol"], nifty100["Industry"], strict=True))
    assert len({sectors.get(s) for s in bars}) > 1
    cfg = FeatureConfig(sets=ALL_SETS, cs_normalize="rank")
    full = _compute(bars, bm, cfg, sectors)
    for cut in (pd.Timestamp("2016-11-08", tz=IST), pd.Timestamp("2020-03-23", tz=IST)):
        cut_bars = {s: _cut(b, cut) for s, b in bars.items()}
        part = _compute(cut_bars, bm[bm.index <= cut], cfg, sectors)
        _assert_prefix(part, full, cut, selected_names(cfg))
