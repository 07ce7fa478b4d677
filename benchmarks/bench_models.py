"""Benchmark: the model against its baselines on the 50-stock daily set, with phase times.

Runs ``sensequant run`` in-process (default config, or ``--config``) on the real daily data
(imported into a fresh temporary SENSEQUANT_HOME unless ``--home`` holds it already) and
prints, on identical OOS dates: mean IC, Rank IC, ICIR, net Sharpe with exposure for the
released model, teacher-direct, the direct model and the other blend variants (score models),
reversal, momentum, NIFTY 50 and both equal-weight series; then the phase times, teacher
windows per second and the peak memory (process tree RSS)::

    .venv/bin/python benchmarks/bench_models.py --data ../shared/data [--config FILE]

Every configuration run is a trial: the run appends its trials to the home's ledger.
"""

from __future__ import annotations

import argparse
import json
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
from sensequant.pipeline import run_pipeline
from sensequant.progress import RichReporter
from sensequant.settings import Settings, load_run_config


def main() -> None:
    """Parse arguments, run, print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--config", type=Path, default=None)
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="sensequant-models-"))
    settings = Settings(home=home)
    if not (home / "store").is_dir():
        if not (args.data / "nse_daily_yf").is_dir():
            raise SystemExit(f"no real data at {args.data} (expected nse_daily_yf/ inside)")
        sources = [args.data / s for s in ("nse_daily_yf", "nifty50_index", "universe")]
        into = BarStore(settings.store_dir), Catalog(settings.catalog_path)
        import_paths(sources, *into, repair_ohlc=True)  # 1996 Yahoo rows: OHLC errors
    cfg = load_run_config(args.config)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        result = run_pipeline(cfg, settings, RichReporter())
        total = time.perf_counter() - t0
    table = pd.read_parquet(result.run_dir / "returns" / "comparison.parquet")
    pd.set_option("display.width", 200)
    cols = ["series", "mean_ic", "rank_ic", "icir", "sharpe", "mean_exposure", "time_in_market"]
    print(f"\nconfig: {args.config or 'built-in defaults'}; home {home}; run {result.run_id}")
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    brief = json.loads((result.run_dir / "promotion_briefing.json").read_text())
    for c in brief.get("comparisons") or []:  # paired stationary-bootstrap CIs (net Sharpe)
        print(
            f"{c['name']}: Sharpe difference {c['estimate']:+.2f} "
            f"[{c['lower']:+.2f}, {c['upper']:+.2f}] ({c['confidence']:.0%}, {c['reps']} reps)"
        )
    print(f"verdict: {brief.get('comparison_verdict')}")
    for phase, sec in result.phase_seconds.items():
        print(f"{phase:<14} {sec:8.1f} s")
    windows = pd.read_parquet(result.run_dir / "windows.parquet")
    trained = int((windows["status"] == "trained").sum())
    t_teach = result.phase_seconds.get("teachers", float("nan"))
    print(f"run total      {total:8.1f} s; teachers {trained / t_teach:.1f} trained windows/s")
    print(f"peak memory    {mem.peak / 2**30:.2f} GiB (process tree RSS)")
    print(f"decision       {result.decision}")


if __name__ == "__main__":
    main()
