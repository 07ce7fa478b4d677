"""The run directory: one folder per run holding every artifact of every phase.

Layout (relative to ``<home>/runs/<run_id>/``)::

    config.yaml                    effective run configuration
    telemetry.jsonl                events, flushed per line
    preflight.json                 coverage per symbol, exclusions, window plan
    windows.parquet                every (symbol, window): trained / skipped / failed + metrics
    soft_labels.parquet            teacher out-of-fold class probabilities
    models/teachers.parquet        every teacher: LightGBM text format per row + window
    models/teachers.json           teacher metadata (features, hash, params)
    models/student_walkforward.parquet  each walk-forward student: period, train span, model
    models/student.txt|json        release student (LightGBM text + JSON metadata)
    predictions/student_oos.parquet, predictions/teacher_direct_oos.parquet
    returns/daily.parquet          OOS daily returns: strategy, costs, benchmarks
    returns/trials.parquet         daily net returns of every configuration tried
    returns/ic_daily.parquet       daily IC / Rank IC
    returns/ledger.parquet         per-trade ledger of the student portfolio
    stress/stress.json             stress replay (periods, rows, scores, failure modes)
    stress/stress_table.parquet    one row per (period, strategy or baseline)
    stress/stress_daily.parquet    daily returns of every stress row
    report/equity_drawdown.png
    report.html                    self-contained HTML report
    promotion_briefing.md|json
    manifest.yaml                  data fingerprints, feature hash, versions, git, seeds, hashes
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from sensequant.errors import StoreError
from sensequant.fsutil import write_parquet_atomic


def new_run_id(now: dt.datetime, fingerprint: str) -> str:
    """Run id ``YYYYMMDD-HHMMSS-<config fingerprint[:6]>`` (IST wall clock)."""
    return f"{now:%Y%m%d-%H%M%S}-{fingerprint[:6]}"


def create_run_dir(runs_dir: Path, run_id: str) -> Path:
    """Create ``runs_dir/run_id`` (fails if it exists: a run id is never reused)."""
    path = runs_dir / run_id
    try:
        path.mkdir(parents=True, exist_ok=False)
    except FileExistsError:
        raise StoreError(f"run directory {path} already exists", hint="retry in a second") from None
    for sub in ("models", "predictions", "returns", "report"):
        (path / sub).mkdir()
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame atomically, zstd (see :func:`sensequant.fsutil.write_parquet_atomic`)."""
    write_parquet_atomic(frame, path)
