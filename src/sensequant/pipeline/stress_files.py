"""The files of a stress replay: ``stress.json``, ``stress_table.parquet``,
``stress_daily.parquet`` (see :mod:`sensequant.pipeline.stress_phase`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sensequant.evaluation.stress_report import StressReport
from sensequant.fsutil import write_json_atomic
from sensequant.pipeline.rundir import RunPaths, write_parquet

__all__ = ["write_stress"]


def write_stress(run_dir: Path, report: StressReport, *, dest: Path | None = None) -> Path:
    """Write ``stress.json``, ``stress_table.parquet`` and ``stress_daily.parquet`` atomically
    into ``<run_dir>/stress`` or ``dest`` (created); returns the folder written."""
    paths = RunPaths(run_dir)
    folder = paths.stress_dir if dest is None else dest
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / paths.stress_json.name, report.to_dict())
    write_parquet(report.table(), folder / paths.stress_table.name)
    daily = [
        p.daily.rename_axis("timestamp").reset_index().assign(period=p.period.name)
        for p in report.periods
    ]
    cols = ["period", "timestamp"]
    frame = pd.concat(daily, ignore_index=True) if daily else pd.DataFrame(columns=cols)
    write_parquet(
        frame[cols + [c for c in frame.columns if c not in cols]], folder / paths.stress_daily.name
    )
    return folder
