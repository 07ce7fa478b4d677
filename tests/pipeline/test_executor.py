"""Teachers on a Dask cluster give exactly the joblib results (6 real NIFTY 50 stocks)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.dataset import build_frames, plan_windows
from sensequant.pipeline.teachers import TeacherTask, WindowOutcome, train_teachers
from sensequant.settings import RunConfig
from sensequant.types import BENCHMARK_SYMBOL, IST
from tests.pipeline.conftest import SUBSET

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def teacher_tasks(
    shared_data: Path, home: Path, *, end: dt.date, rounds: int
) -> tuple[RunConfig, list[TeacherTask]]:
    """Import :data:`SUBSET` and the index into ``home``; every symbol's teacher task."""
    store, catalog = BarStore(home / "store"), Catalog(home / "catalog.sqlite")
    files = [shared_data / "nse_daily_yf" / f"{s}.csv" for s in SUBSET]
    import_paths([*files, shared_data / "nifty50_index"], store, catalog, repair_ohlc=True)
    base = RunConfig().model_dump()
    cfg = RunConfig.model_validate(
        base | {"n_jobs": 2, "teacher": {**base["teacher"], "num_boost_round": rounds}}
    )
    last = pd.Timestamp(end, tz=IST) + pd.Timedelta(hours=23)
    bars = {s: store.read(s, "1day", end=last) for s in SUBSET}
    bench = store.read(BENCHMARK_SYMBOL, "1day", end=last)
    close = pd.Series(bench["close"].to_numpy(), index=pd.DatetimeIndex(bench["timestamp"]))
    frames = build_frames(bars, cfg, benchmark_close=close, sectors=catalog.industries(SUBSET))
    start = pd.Timestamp(end, tz=IST) - pd.DateOffset(years=5)
    tasks = [
        TeacherTask(fr, plan_windows(s, start, fr.last_bar, cfg.windows), {})
        for s, fr in frames.items()
    ]
    return cfg, tasks


def _same(a: list[WindowOutcome], b: list[WindowOutcome]) -> None:
    assert [o.window for o in a] == [o.window for o in b]
    assert [o.status for o in a] == [o.status for o in b]
    assert [o.model_text for o in a] == [o.model_text for o in b]
    for x, y in zip(a, b, strict=True):
        assert (x.oof is None) == (y.oof is None)
        if x.oof is not None and y.oof is not None:
            assert x.oof.equals(y.oof)


def test_dask_cluster_matches_joblib(shared_data: Path, tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    cfg, tasks = teacher_tasks(shared_data, tmp_path, end=dt.date(2019, 12, 31), rounds=20)
    seen: list[int] = []
    joblib_out = train_teachers(tasks, cfg)
    with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
        dask_cfg = cfg.with_executor(cluster.scheduler_address)
        assert dask_cfg.fingerprint() == cfg.fingerprint()  # where it runs is not a result
        dask_out = train_teachers(tasks, dask_cfg, on_symbol=lambda o: seen.append(len(o)))
    assert sum(seen) == len(dask_out) > 0 and len(seen) == len(tasks)
    _same(joblib_out, dask_out)
    assert sum(o.status.value == "trained" for o in dask_out) >= len(tasks)
