"""Teacher phase wall time: joblib (loky) vs Dask (a LocalCluster of worker processes).

Usage (from the repository root, real data in ../shared/data)::

    PYTHONPATH=src python benchmarks/bench_executor.py --jobs 2 --years 8

Imports 6 NIFTY 50 stocks and the index into a temporary home, builds the features once, then
trains every teacher window with each executor and checks the models are identical.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.dataset import build_frames, plan_windows
from sensequant.pipeline.teachers import TeacherTask, train_teachers
from sensequant.settings import RunConfig
from sensequant.types import BENCHMARK_SYMBOL, IST

SUBSET = ["HDFCBANK", "INFY", "ITC", "RELIANCE", "SBIN", "TCS"]
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--years", type=int, default=8)
    ap.add_argument("--end", default="2019-12-31")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        store, catalog = BarStore(home / "store"), Catalog(home / "catalog.sqlite")
        files = [DATA / "nse_daily_yf" / f"{s}.csv" for s in SUBSET]
        import_paths([*files, DATA / "nifty50_index"], store, catalog, repair_ohlc=True)
        cfg = RunConfig().model_copy(update={"n_jobs": args.jobs})
        end = pd.Timestamp(args.end, tz=IST) + pd.Timedelta(hours=23)
        bars = {s: store.read(s, "1day", end=end) for s in SUBSET}
        bench = store.read(BENCHMARK_SYMBOL, "1day", end=end)
        close = pd.Series(bench["close"].to_numpy(), index=pd.DatetimeIndex(bench["timestamp"]))
        frames = build_frames(bars, cfg, benchmark_close=close, sectors=catalog.industries(SUBSET))
        start = end.normalize() - pd.DateOffset(years=args.years)
        tasks = [
            TeacherTask(fr, plan_windows(s, start, fr.last_bar, cfg.windows), {})
            for s, fr in frames.items()
        ]
        n = sum(len(t.windows) for t in tasks)
        results = {}
        for spec in ("joblib", "dask"):
            t0 = time.perf_counter()
            out = train_teachers(tasks, cfg.with_executor(spec))
            results[spec] = [o.model_text for o in out]
            print(f"{spec:6s} {n} windows, {args.jobs} workers: {time.perf_counter() - t0:6.1f} s")
        print("identical models:", results["joblib"] == results["dask"])


if __name__ == "__main__":
    main()
