"""Benchmark: the data layer on ../shared/data (import, no-op re-import, audit).

Prints a table of figures:

* import: rows parsed per second importing every file of ``--data`` (daily, 5-minute, index,
  the NIFTY 100 list) into a fresh store;
* no-op re-import: seconds to import the same files again (nothing changes);
* calendar: seconds a fresh process needs to build the NSE calendar (paid once per process by
  the first calendar call; the in-process audits below run with it loaded);
* audit: seconds of ``audit_store`` for all stored daily symbols, for the 5-minute symbols,
  and for 100 daily symbols (the 50 stored series copied under 50 more names), with the ratio
  to the issue's 1-second target (median of 5 runs, files written each time);
* audit in a fresh process: the same 100-symbol audit, timed from interpreter start (imports
  and calendar included), i.e. what ``sensequant data audit`` costs end to end.

Run with::

    .venv/bin/python benchmarks/bench_data.py [--data ../shared/data] [--home DIR]

A fresh temporary SENSEQUANT_HOME is used unless ``--home`` is given.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.quality import audit_store
from sensequant.data.reference import is_index_symbol
from sensequant.data.store import BarStore
from sensequant.settings import Settings

TARGET_S = 1.0
"""The issue's bound for auditing 100 symbols of daily data."""

_COLD_CALENDAR = (
    "import time; t = time.perf_counter(); "
    "from sensequant.data.market.calendar import nse_sessions; "
    "nse_sessions('2000-01-03', '2000-01-04'); "
    "print(time.perf_counter() - t)"
)
_COLD_AUDIT = (
    "import time, sys; t = time.perf_counter(); from pathlib import Path; "
    "from sensequant.data.quality.audit import audit_store; "
    "from sensequant.data.catalog.catalog import Catalog; "
    "from sensequant.data.store import BarStore; home = Path(sys.argv[1]); "
    "audit_store(BarStore(home / 'store'), Catalog(home / 'catalog.sqlite'), None, '1day', "
    "out_dir=home / 'reports' / 'audit-cold'); print(time.perf_counter() - t)"
)


def _timed_audit(
    store: BarStore, catalog: Catalog, interval: str, out: Path, runs: int = 5
) -> tuple[float, int]:
    seconds = []
    n = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        report = audit_store(store, catalog, None, interval, out_dir=out)
        seconds.append(time.perf_counter() - t0)
        n = len(report.symbols)
    return statistics.median(seconds), n


def _fresh_python(code: str, *args: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Parse arguments, run every step, print the figures."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--home", type=Path, default=None)
    args = ap.parse_args()
    if not (args.data / "nse_daily_yf").is_dir():
        raise SystemExit(f"no real data at {args.data} (expected nse_daily_yf/ inside)")
    home = args.home or Path(tempfile.mkdtemp(prefix="sensequant-bench-data-"))
    os.environ["SENSEQUANT_HOME"] = str(home)
    settings = Settings(home=home)
    store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
    out = settings.reports_dir / "audit"
    rows: list[tuple[str, str, str]] = []

    t0 = time.perf_counter()
    first = import_paths([args.data], store, catalog, repair_ohlc=True)  # 1996 Yahoo rows
    t_import = time.perf_counter() - t0
    parsed = sum(o.rows_in for o in first.files if o.status == "ok")
    rows.append(
        (
            "import all of --data",
            f"{parsed / t_import:,.0f} rows/s",
            f"{parsed:,} rows, {first.n_ok} files ok, {first.n_failed} failed, {t_import:.1f} s",
        )
    )
    t0 = time.perf_counter()
    again = import_paths([args.data], store, catalog, repair_ohlc=True)
    t_noop = time.perf_counter() - t0
    rows.append(
        ("no-op re-import", f"{t_noop:.2f} s", f"{again.rows_written} bars written (expect 0)")
    )
    rows.append(("calendar build, fresh process", f"{_fresh_python(_COLD_CALENDAR):.2f} s", ""))

    t_daily, n_daily = _timed_audit(store, catalog, "1day", out)
    rows.append(("audit all stored 1day symbols", f"{t_daily:.3f} s", f"{n_daily} symbols"))
    t_5m, n_5m = _timed_audit(store, catalog, "5minute", out / "5minute")
    rows.append(("audit all stored 5minute symbols", f"{t_5m:.3f} s", f"{n_5m} symbols"))

    stocks = [s for s in store.symbols("1day") if not is_index_symbol(s)]
    copies = 0
    for i, sym in enumerate(stocks):
        if len(store.symbols("1day")) >= 100:
            break
        shutil.copyfile(store.path(sym, "1day"), store.path(f"COPY{i:02d}", "1day"))
        copies += 1
    t_100, n_100 = _timed_audit(store, catalog, "1day", out)
    rows.append(
        (
            f"audit {n_100} 1day symbols",
            f"{t_100:.3f} s",
            f"{t_100 / TARGET_S:.0%} of the {TARGET_S:g} s target ({copies} copies added)",
        )
    )
    t_cold = _fresh_python(_COLD_AUDIT, str(home))
    rows.append(
        (
            f"audit {n_100} 1day symbols, fresh process",
            f"{t_cold:.2f} s",
            "interpreter imports + calendar build + audit",
        )
    )

    width = max(len(r[0]) for r in rows)
    print(f"\nhome: {home}")
    print(f"{'step':<{width}}  {'figure':>16}  notes")
    print("-" * (width + 60))
    for step, figure, note in rows:
        print(f"{step:<{width}}  {figure:>16}  {note}")


if __name__ == "__main__":
    main()
