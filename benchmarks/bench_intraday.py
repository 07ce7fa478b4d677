"""Benchmark: the intraday run (5- or 1-minute bars) end to end, with throughput and peak memory.

Three scales::

    # the 16 real 5-minute stocks (../shared/data/nse_5min, one year)
    .venv/bin/python benchmarks/bench_intraday.py real --data ../shared/data
    # the 5 real 1-minute stocks (../shared/data/nse_1min, 24 sessions), run with the shipped
    # configs/intraday_1min.yaml (far too short for evidence: a pipeline check)
    .venv/bin/python benchmarks/bench_intraday.py real1m --data ../shared/data
    # synthetic 5-minute bars (sensequant.testing.synthetic): N symbols x Y years
    .venv/bin/python benchmarks/bench_intraday.py synthetic --symbols 95 --years 3.6

Each runs ``sensequant run --interval 5minute`` (``1minute`` for ``real1m``) in-process on a
fresh temporary SENSEQUANT_HOME (or ``--home``) and prints: feature bars/s (bars through the
features phase per second), teacher windows/s (trained windows per second of the teacher
phase), the student time, every phase's time, the peak RSS of the process tree, and the
headline numbers against the intraday baselines. ``--phases features`` stops after the
features phase (the memory of the bar and feature frames alone, for scales where the whole
run would take hours).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_run import PeakMemory

from sensequant.data import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.progress import RichReporter
from sensequant.settings import RunConfig, Settings, load_run_config
from sensequant.testing.synthetic import synthetic_bars

ROOT = Path(__file__).resolve().parents[1]


def _load(args: argparse.Namespace, settings: Settings) -> list[str]:
    store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
    if args.scale in ("real", "real1m"):
        interval = "5minute" if args.scale == "real" else "1minute"
        folder = args.data / ("nse_5min" if args.scale == "real" else "nse_1min")
        if not folder.is_dir():
            raise SystemExit(f"no real {interval} data at {folder}")
        files = sorted(folder.glob("*.csv"))
        if not all(store.exists(f.stem, interval) for f in files):
            import_paths(files, store, catalog, repair_ohlc=True)
        return [f.stem for f in files]
    end = pd.Timestamp("2024-06-28")
    start = end - pd.Timedelta(days=round(365.25 * args.years))
    names = [f"SYN{i:03d}" for i in range(args.symbols)]
    for name in names:  # one symbol at a time: no whole-panel frame while writing
        if not store.exists(name, "5minute"):
            store.write(name, "5minute", synthetic_bars(name, "5minute", start, end))
    return names


def main() -> None:
    """Parse arguments, load the bars, run, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scale", choices=["real", "real1m", "synthetic"])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--symbols", type=int, default=95)
    ap.add_argument("--years", type=float, default=3.6)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--n-jobs", type=int, default=-1)
    ap.add_argument("--phases", choices=["all", "features"], default="all")
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="sensequant-bench-intraday-"))
    settings = Settings(home=home)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        symbols = _load(args, settings)
        t_load = time.perf_counter() - t0
        base, interval = RunConfig(), "5minute"
        if args.scale == "real1m":
            base, interval = load_run_config(ROOT / "configs" / "intraday_1min.yaml"), "1minute"
        cfg = base.with_overrides(universe=",".join(symbols), interval=interval)
        cfg = cfg.model_copy(update={"n_jobs": args.n_jobs})
        t1 = time.perf_counter()
        if args.phases == "features":
            bars, rows, seconds = _features_only(cfg, settings)
            print(f"\nfeatures     {seconds:8.1f} s  {rows:,} bars: {rows / seconds:,.0f} bars/s")
            print(f"peak memory  {mem.peak / 2**30:.2f} GiB (process tree RSS)")
            print(f"symbols      {len(symbols)}; bars {bars:,}; load {t_load:.1f} s")
            return
        from sensequant.pipeline import run_pipeline

        result = run_pipeline(cfg, settings, RichReporter())
        t_run = time.perf_counter() - t1
    _report(result, t_run, t_load, len(symbols), mem.peak, home)
    if args.scale == "synthetic":
        print("(synthetic bars are random walks: no signal by construction, so the headline")
        print(" numbers above measure nothing; only the throughput and memory figures count)")


def _features_only(cfg: RunConfig, settings: Settings) -> tuple[int, int, float]:
    """Pre-flight and the features phase only; (bars read, feature rows, seconds)."""
    from sensequant.data.adjusted import AdjustedBarStore
    from sensequant.dataset import build_frames
    from sensequant.pipeline.universe_rules import preflight_for_universe

    catalog = Catalog(settings.catalog_path)
    store = AdjustedBarStore(settings.store_dir, catalog)
    config, store, pf = preflight_for_universe(cfg, store, catalog, lambda _: None)
    t = time.perf_counter()
    bars = {s: store.read(s, config.data.interval, end=pf.range_end) for s in pf.symbols}
    frames = build_frames(bars, config, listing_dates=pf.listing_dates)
    seconds = time.perf_counter() - t
    rows = sum(len(f.features) for f in frames.values())
    return sum(len(b) for b in bars.values()), rows, seconds


def _report(result: object, t_run: float, t_load: float, n_sym: int, peak: int, home: Path) -> None:
    phase = result.phase_seconds  # type: ignore[attr-defined]
    run_dir = result.run_dir  # type: ignore[attr-defined]
    print(f"\nhome: {home}  run: {run_dir}")
    print(f"load         {t_load:8.1f} s  ({n_sym} symbols)")
    for name, sec in phase.items():
        print(f"{name:<12} {sec:8.1f} s  ({sec / t_run:5.1%} of the run)")
    print(f"run total    {t_run:8.1f} s")
    import json

    events = [json.loads(x) for x in (run_dir / "telemetry.jsonl").read_text().splitlines()]
    feats = next(e for e in events if e.get("event") == "phase_end" and e["phase"] == "features")
    windows = pd.read_parquet(run_dir / "windows.parquet")
    trained = int((windows["status"] == "trained").sum())
    print(f"feature bars/s   {feats['rows'] / phase['features']:,.0f} ({feats['rows']:,} bars)")
    print(f"teacher windows/s {trained / phase['teachers']:.2f} ({trained} trained)")
    print(f"student time     {phase.get('student', float('nan')):.1f} s")
    print(f"peak memory      {peak / 2**30:.2f} GiB (process tree RSS)")
    comp = pd.read_parquet(run_dir / "returns" / "daily.parquet")
    print(f"OOS sessions     {len(comp)}")
    print(f"decision         {result.decision}; headline {result.headline}")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
