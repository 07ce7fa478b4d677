"""The metals universe (GOLDBEES, SILVERBEES) end to end, and the tiny-universe rules.

The end-to-end test reads the real ETF files in ``../shared/data/etf_daily`` (no volume,
DD-MM-YYYY dates, bad opening prints); the rule tests use small synthetic frames.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.dataset import VOLUME_FEATURES, build_frames, volume_absent
from sensequant.pipeline import run_pipeline
from sensequant.pipeline.rundir import SNAPSHOT_DIR
from sensequant.pipeline.snapshot import BarSnapshot
from sensequant.pipeline.stress_phase import run_stress
from sensequant.pipeline.universe_rules import (
    EQUAL_WEIGHT_BENCHMARK,
    BasketBenchmarkStore,
    basket_bars,
    fit_portfolio,
    universe_benchmark,
)
from sensequant.progress import NullReporter
from sensequant.settings import RunConfig, Settings
from tests.conftest import make_daily_bars


def test_metals_universe_names_its_own_benchmark() -> None:
    cfg, note = universe_benchmark(RunConfig().with_overrides(universe="metals"))
    assert cfg.data.benchmark == EQUAL_WEIGHT_BENCHMARK
    assert note is not None and "equal-weight" in note
    # an explicit benchmark is kept, and other universes keep NIFTY 50
    kept = RunConfig().with_overrides(universe="metals", benchmark="MY INDEX")
    assert universe_benchmark(kept)[0].data.benchmark == "MY INDEX"
    assert universe_benchmark(RunConfig())[0].data.benchmark == "NIFTY 50"


def test_fit_portfolio_caps_top_k_and_switches_target_for_two_symbols() -> None:
    cfg, notes = fit_portfolio(RunConfig(), 2)
    assert cfg.portfolio.top_k == 1 and cfg.portfolio.hold_buffer == 0  # can switch ETF
    assert {t.top_k for t in cfg.backtest.trials} == {1}
    assert len(cfg.backtest.trials) == 2  # top5/10/20 every 5d collapse into one trial
    assert cfg.labels.target == "ts_volscaled"
    assert cfg.features.cs_normalize == "none"
    assert any("capped at 1" in n for n in notes) and any("ts_volscaled" in n for n in notes)


def test_fit_portfolio_leaves_a_large_universe_alone() -> None:
    cfg = RunConfig()
    assert fit_portfolio(cfg, 50) == (cfg, [])
    capped, notes = fit_portfolio(cfg, 16)  # 16 stocks: top20 capped, buffers trimmed
    assert capped.labels.target == "cs_rank" and any("top_k 20" in n for n in notes)
    assert sorted(t.top_k for t in capped.backtest.trials) == [5, 10, 10, 15]
    rules = [capped.portfolio, *capped.backtest.trials]
    assert all(r.top_k + r.hold_buffer <= 15 for r in rules)


def test_volume_features_dropped_not_zero_filled() -> None:
    with_vol = make_daily_bars(400, seed=1)
    without = make_daily_bars(400, seed=2).assign(volume=np.nan)
    base = RunConfig()
    feats = base.features.model_copy(update={"sets": ["technical", "levels"]})
    cfg = base.model_copy(update={"features": feats})
    frames = build_frames({"A": with_vol, "B": without}, cfg)
    assert volume_absent({"A": with_vol, "B": without}) == ["B"]
    for fr in frames.values():
        assert not set(VOLUME_FEATURES) & set(fr.features.columns)
        assert fr.features.notna().any().all()  # no column left all-NaN
    only_vol = build_frames({"A": with_vol}, cfg)
    daily_volume = {"volume_z_20", "dist_avwap_pivot_low"}
    assert daily_volume <= set(VOLUME_FEATURES)
    assert daily_volume <= set(only_vol["A"].features.columns)


def test_basket_bars_are_the_mean_return_index(tmp_path: Path) -> None:
    store = BarStore(tmp_path / "store")
    a, b = make_daily_bars(30, seed=3), make_daily_bars(30, seed=4)
    store.write("AAA", "1day", a)
    store.write("BBB", "1day", b)
    basket = basket_bars(store, ["AAA", "BBB"], "1day")
    r = (a["close"].pct_change() + b["close"].pct_change()).to_numpy() / 2
    got = basket["close"].pct_change().to_numpy()
    np.testing.assert_allclose(got[1:], r[1:], rtol=1e-12)
    view = BasketBenchmarkStore(store, EQUAL_WEIGHT_BENCHMARK, ["AAA", "BBB"])
    assert view.exists(EQUAL_WEIGHT_BENCHMARK, "1day") and view.exists("AAA", "1day")
    cut = view.read(EQUAL_WEIGHT_BENCHMARK, "1day", end=a["timestamp"].iloc[9].date())
    assert len(cut) == 10 and list(cut.columns)[:1] == ["timestamp"]
    assert view.fingerprint(EQUAL_WEIGHT_BENCHMARK, "1day").bars == 30


@pytest.mark.slow
def test_metals_run_completes_on_the_real_etf_files(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "etf_daily"
    if not folder.is_dir():
        pytest.skip(f"{folder} absent")
    settings = Settings(home=tmp_path / "home")
    store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
    assert import_paths([folder], store, catalog, repair_ohlc=True).n_failed == 0
    cfg = RunConfig().with_overrides(universe="metals").model_copy(update={"n_jobs": 2})
    result = run_pipeline(cfg, settings, NullReporter())
    assert result.decision in {"ready-for-review", "gates-failed"}
    saved = (result.run_dir / "config.yaml").read_text(encoding="utf-8")
    assert "benchmark: equal-weight" in saved and "top_k: 1" in saved
    pf = json.loads((result.run_dir / "preflight.json").read_text(encoding="utf-8"))
    assert [s["symbol"] for s in pf["symbols"]] == ["GOLDBEES", "SILVERBEES"]
    assert any("ts_volscaled" in n for n in pf["notes"])
    briefing = (result.run_dir / "promotion_briefing.md").read_text(encoding="utf-8")
    assert "GOLDBEES bought and held" in briefing and "SILVERBEES bought and held" in briefing
    assert "names 'equal-weight'" in briefing
    tel = [json.loads(x) for x in (result.run_dir / "telemetry.jsonl").read_text().splitlines()]
    feats = next(e for e in tel if e.get("phase") == "features" and "volume_absent" in e)
    assert feats["volume_absent"] == ["GOLDBEES", "SILVERBEES"]
    returns = pd.read_parquet(result.run_dir / "returns" / "daily.parquet")
    assert len(returns) > 250
    _check_labels_and_stress_replay(result.run_dir, store, settings.catalog_path, tmp_path)


def _check_labels_and_stress_replay(
    run_dir: Path, store: BarStore, catalog_path: Path, tmp_path: Path
) -> None:
    """Every benchmark row is the ETF basket, never "NIFTY 50"; `sensequant stress` replays
    the run from its snapshot and from the live store (no basket stored) alike."""
    doc = json.loads((run_dir / "promotion_briefing.json").read_text(encoding="utf-8"))
    labels = doc["series_labels"]
    assert labels["benchmark"] == (
        "equal-weight basket of the run's symbols (rebalanced daily, no costs)"
    )
    assert labels["equal_weight"] == "equal-weight universe, rebalanced monthly, NSE costs"
    names = [r["name"] for r in doc["performance"]]
    assert names[2:] == [labels["benchmark"], labels["equal_weight"]]
    assert f"student - {labels['benchmark']}" in [c["name"] for c in doc["comparisons"]]
    rows = {r["name"]: r["label"] for r in doc["comparison"]}
    assert (
        "no costs" in rows[labels["benchmark"]] and "PRICE index" not in rows[labels["benchmark"]]
    )
    gate = next(g for g in doc["gates"] if g["name"] == "sharpe_excess_vs_benchmark")
    assert "equal-weight basket (daily, no costs) Sharpe" in gate["explanation"]
    for name in ("promotion_briefing.md", "report.html"):
        text = (run_dir / name).read_text(encoding="utf-8")
        assert "NIFTY 50 (price index)" not in text and "vs NIFTY 50" not in text, name
    assert doc["stress"]["benchmark"] == labels["benchmark"]
    snap = BarSnapshot.load(run_dir / SNAPSHOT_DIR)
    from_snapshot = run_stress(run_dir, snap, out_dir=tmp_path / "snap")
    live = AdjustedBarStore(store.root, Catalog(catalog_path))  # as `sensequant stress`
    from_store = run_stress(run_dir, live, out_dir=tmp_path / "store")  # the basket computed
    assert from_snapshot.benchmark == from_store.benchmark == labels["benchmark"]
    a, b = from_snapshot.to_dict(), from_store.to_dict()
    assert a["periods"] == doc["stress"]["periods"]  # the snapshot reproduces the run
    assert [p["name"] for p in b["periods"]] == [p["name"] for p in a["periods"]]
    assert a["periods"], "the ETF history covers a crisis period or the synthetic gap"
    for p in a["periods"] + b["periods"]:
        assert {r["name"] for r in p["rows"]} >= {"student", labels["benchmark"]}
        assert "NIFTY" not in json.dumps(p)
