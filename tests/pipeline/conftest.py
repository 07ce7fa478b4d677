"""Shared pipeline test inputs: a small real-data run (end-to-end and stress tests) and a
synthetic two-stock home (snapshot, sweep cache and checkpoint tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sensequant.data.catalog import Catalog, SymbolInfo
from sensequant.data.imports import import_paths
from sensequant.data.market import is_session
from sensequant.data.store import BarStore
from sensequant.pipeline import RunResult, run_pipeline
from sensequant.progress import NullReporter
from sensequant.settings import RunConfig, Settings
from tests.conftest import make_daily_bars

SUBSET = ["HDFCBANK", "INFY", "ITC", "RELIANCE", "SBIN", "TCS"]
"""Six liquid NIFTY 50 stocks listed before 2002."""


def run_real_subset(
    shared_data: Path,
    home: Path,
    *,
    start: dt.date,
    end: dt.date,
    **sections: dict[str, Any],
) -> tuple[Settings, RunConfig, RunResult, NullReporter]:
    """Import :data:`SUBSET` and the NIFTY 50 index from ``shared_data`` and run the pipeline.

    ``sections`` override keys of config sections, e.g. ``student={"min_train_days": 540}``.
    """
    settings = Settings(home=home)
    store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
    files = [shared_data / "nse_daily_yf" / f"{s}.csv" for s in SUBSET]
    sources = [*files, shared_data / "nifty50_index"]  # 1996 rows with inconsistent OHLC:
    assert import_paths(sources, store, catalog, repair_ohlc=True).n_failed == 0
    base = RunConfig().with_overrides(universe=",".join(SUBSET), start=start, end=end)
    dumped = base.model_dump()
    cfg = RunConfig.model_validate(
        dumped | {"n_jobs": 2} | {k: {**dumped[k], **v} for k, v in sections.items()}
    )
    reporter = NullReporter()
    return settings, cfg, run_pipeline(cfg, settings, reporter), reporter


def synthetic_sessions(n: int, seed: int) -> pd.DataFrame:
    """``n`` synthetic daily bars from 2015-01-01, NSE sessions only."""
    bars = make_daily_bars(n=n, seed=seed, start="2015-01-01")
    return bars[is_session(bars["timestamp"])].reset_index(drop=True)


@pytest.fixture()
def synthetic_home(tmp_path: Path) -> Settings:
    """A home whose store holds AAA, BBB and the NIFTY 50 (1,500 synthetic sessions each)."""
    settings = Settings(home=tmp_path)
    store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
    for i, sym in enumerate(["AAA", "BBB", "NIFTY 50"]):
        store.write(sym, "1day", synthetic_sessions(1500, i + 1))
    catalog.upsert_symbols([SymbolInfo("AAA"), SymbolInfo("BBB")])
    return settings
