"""Benchmark: the whole pipeline on the full 50-symbol daily set from ../shared/data.

Prints the import time, the time of each phase, teacher windows per second and the peak
memory (resident set of this process and all its workers, sampled every 0.2 s from /proc;
Linux only). Run with ``make bench`` or::

    .venv/bin/python benchmarks/bench_run.py --data ../shared/data [--home DIR] [--n-jobs N]

A fresh temporary SENSEQUANT_HOME is used unless ``--home`` is given.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.pipeline import run_pipeline
from sensequant.progress import RichReporter
from sensequant.settings import RunConfig, Settings


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of ``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            rss[int(proc.name)] = int((proc / "statm").read_text().split()[1]) * page
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(proc.name))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


class PeakMemory:
    """Samples the process-tree RSS in a background thread; ``peak`` in bytes."""

    def __init__(self, interval: float = 0.2) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        pid = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_bytes(pid))
            time.sleep(interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    """Parse arguments, import, run, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--n-jobs", type=int, default=-1)
    args = ap.parse_args()
    if not (args.data / "nse_daily_yf").is_dir():
        raise SystemExit(f"no real data at {args.data} (expected nse_daily_yf/ inside)")
    home = args.home or Path(tempfile.mkdtemp(prefix="sensequant-bench-"))
    settings = Settings(home=home)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        report = import_paths(  # the 1996 Yahoo rows need --repair-ohlc (see the README)
            [args.data],
            BarStore(settings.store_dir),
            Catalog(settings.catalog_path),
            repair_ohlc=True,
        )
        t_import = time.perf_counter() - t0
        cfg = RunConfig.model_validate(RunConfig().model_dump() | {"n_jobs": args.n_jobs})
        t1 = time.perf_counter()
        result = run_pipeline(cfg, settings, RichReporter())
        t_run = time.perf_counter() - t1
    print(f"\nhome: {home}")
    print(f"import       {t_import:8.1f} s  ({report.rows_written:,} bars, {report.n_ok} files)")
    for phase, sec in result.phase_seconds.items():
        print(f"{phase:<12} {sec:8.1f} s  ({sec / t_run:5.1%} of the run)")
    print(f"run total    {t_run:8.1f} s")
    import pandas as pd

    windows = pd.read_parquet(result.run_dir / "windows.parquet")
    trained = int((windows["status"] == "trained").sum())
    t_teach = result.phase_seconds.get("teachers", float("nan"))
    print(
        f"windows      {len(windows)} planned, {trained} trained: "
        f"{trained / t_teach:.1f} trained windows/s, {len(windows) / t_teach:.1f} planned/s"
    )
    print(f"peak memory  {mem.peak / 2**30:.2f} GiB (process tree RSS)")
    print(f"decision     {result.decision}; headline {result.headline}")


if __name__ == "__main__":
    main()
