"""``sensequant sweep``: the whole pipeline once per point of a parameter grid, ranked.

A thin wrapper over :func:`sensequant.pipeline.sweep.run_sweep`; registered by
:mod:`sensequant.cli.main`. Exit codes: 0 every point ran, 1 a point failed, 2 bad usage
(a bad grid key or an invalid point, found before anything runs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from sensequant.cli.common import err, guard, print_table, settings

__all__ = ["sweep"]


@guard
def sweep(
    grid: Annotated[Path, typer.Option(help="Grid YAML: `grid:` then `section.field: [...]`.")],
    config: Annotated[Path | None, typer.Option(help="Base run configuration YAML.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the pipeline for every grid point and rank the points by net Sharpe."""
    from sensequant.pipeline.sweep import fmt_value, run_sweep
    from sensequant.pipeline.sweep_grid import expand_grid, format_overrides, load_grid
    from sensequant.progress import RichReporter
    from sensequant.settings import load_run_config

    cfg = load_run_config(config)
    points = load_grid(grid)
    n = len(expand_grid(cfg, points))  # every point validated before anything runs
    err.print(f"sweep: {n} points, each a full run counted in the trial ledger")
    report = run_sweep(cfg, points, settings(), RichReporter(err))
    if as_json:
        print(json.dumps(report.to_dict(), default=str, indent=2))
    else:
        table = Table(
            Column("rank", justify="right", no_wrap=True),
            Column("run", no_wrap=True),
            "overrides",
            Column("Sharpe", justify="right", no_wrap=True),
            Column("Rank IC", justify="right", no_wrap=True),
            Column("DSR", justify="right", no_wrap=True),
            Column("trials", justify="right", no_wrap=True),
            "decision",
        )
        for p in report.points:
            table.add_row(
                str(p.rank or "-"),
                p.run_id or "failed",
                format_overrides(p.overrides),
                fmt_value(p.sharpe, 2),
                fmt_value(p.rank_ic, 4),
                fmt_value(p.dsr, 3),
                "n/a" if p.ledger_trials is None else str(p.ledger_trials),
                p.decision or p.error or "",
            )
        print_table(table)
    err.print(f"[yellow]{report.warning}[/]", highlight=False)
    err.print(f"report: {report.sweep_dir / 'sweep.md'}")
    if report.n_failed:
        err.print(f"[red]error:[/] {report.n_failed} of {len(report.points)} points failed")
        raise typer.Exit(1)
