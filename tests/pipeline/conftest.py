"""A small real-data pipeline run shared by the end-to-end and stress tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.pipeline import RunResult, run_pipeline
from sensequant.progress import NullReporter
from sensequant.settings import RunConfig, Settings

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
