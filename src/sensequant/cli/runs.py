"""``sensequant run``, ``stress``, ``candidates`` and ``show``.

Registered by :mod:`sensequant.cli.main` on the app. ``run`` writes a run directory; ``stress``
takes a registered run id (or unambiguous prefix) and writes a new analysis folder
``<run_dir>/analyses/<time>-stress/``, never over the run's own files; ``candidates`` and
``show`` read the release registry and print stored text literally. Approving and deploying
live in :mod:`sensequant.cli.review`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from sensequant.cli.common import (
    err,
    guard,
    literal,
    out,
    parse_date,
    parse_interval_option,
    print_table,
    settings,
)
from sensequant.errors import UsageError

__all__ = ["candidates", "run", "show", "stress"]


@guard
def run(
    config: Annotated[Path | None, typer.Option(help="Run configuration YAML.")] = None,
    universe: Annotated[
        str | None, typer.Option(help="nifty50, nifty100, all, or SYM1,SYM2.")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First session, YYYY-MM-DD (or 'YYYY-MM-DD HH:MM' IST).")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last session, YYYY-MM-DD (or 'YYYY-MM-DD HH:MM' IST).")
    ] = None,
    interval: Annotated[
        str | None,
        typer.Option(help="Bars: 1day (1d), 30minute (30m), 5minute (5m), 1minute (1m)."),
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(help="joblib, dask (a local cluster) or a Dask scheduler tcp://HOST:PORT."),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            help="Continue an interrupted run (id or prefix) in its directory, on its data "
            "snapshot and configuration, from its checkpoints."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run id and headline as JSON on stdout.")
    ] = False,
    fail_on_gates: Annotated[
        bool, typer.Option(help="Exit 1 when the release gates failed (for CI).")
    ] = False,
) -> None:
    """Run the whole pipeline and leave a release candidate for review.

    Progress goes to stderr: bars on a terminal, plain lines (phase, percent, ETA) otherwise.
    """
    from sensequant.pipeline import run_pipeline
    from sensequant.progress import console_reporter
    from sensequant.settings import load_run_config

    st = settings()
    if resume is not None:
        if any(v is not None for v in (config, universe, start, end, interval, executor)):
            raise UsageError(
                "--resume continues a run with its own configuration",
                hint="leave out --config, --universe, --start, --end, --interval and --executor",
            )
        run_id = _registry().resolve(resume)
        cfg = load_run_config(st.runs_dir / run_id / "config.yaml")
        result = run_pipeline(cfg, st, console_reporter(err), resume=run_id)
    else:
        cfg = load_run_config(  # durations (30min) converted at the final --interval
            config,
            universe=universe,
            start=_when(start, "--start"),
            end=_when(end, "--end"),
            interval=parse_interval_option(interval),
        )
        if executor is not None:
            cfg = cfg.with_executor(executor)
        from sensequant.cli.run_start import run_start_lines

        for line in run_start_lines(cfg, st):  # the home written to and the OOS period, first
            err.print(line, highlight=False, markup=False)
        result = run_pipeline(cfg, st, console_reporter(err))
    if as_json:
        payload = {
            "run_id": result.run_id,
            "run_dir": str(result.run_dir),
            "decision": result.decision,
            "headline": result.headline,
        }
        print(json.dumps(payload, default=str, indent=2))
    else:
        err.print()
        err.print(literal(f"run {result.run_id}: {result.decision}", "bold"))
        err.print(literal(f"  briefing: {result.run_dir / 'promotion_briefing.md'}"))
        err.print(literal(f"  review:   sensequant show {result.run_id}"))
    if fail_on_gates and result.decision != "ready-for-review":
        raise typer.Exit(1)


def _when(value: str | None, name: str) -> dt.date | dt.datetime | None:
    """A ``YYYY-MM-DD`` date, or a ``YYYY-MM-DD HH:MM`` IST timestamp (intraday runs)."""
    if value is None or len(value.strip()) <= 10:
        return parse_date(value, name)
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"{name} '{value}' is not a date or timestamp",
            hint="use YYYY-MM-DD or YYYY-MM-DD HH:MM",
        ) from None


@guard
def stress(
    run_id: Annotated[str, typer.Argument(help="Registered run id or unambiguous prefix.")],
    periods: Annotated[
        Path | None, typer.Option(help="Stress periods YAML (default: the packaged list).")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the run id, the analysis folder and the report."),
    ] = False,
) -> None:
    """Replay a finished run's models over named crisis periods and a synthetic shock.

    Writes a new folder <run_dir>/analyses/<time>-stress/; the run's files are never changed.
    """
    from sensequant.cli.common import read_settings
    from sensequant.data.adjusted import AdjustedBarStore
    from sensequant.data.catalog import Catalog
    from sensequant.pipeline import run_stress
    from sensequant.pipeline.rundir import SNAPSHOT_DIR
    from sensequant.pipeline.snapshot import BarSnapshot
    from sensequant.release import BENCHMARK
    from sensequant.release.manifest import ANALYSES_DIR
    from sensequant.telemetry import now_ist

    st = read_settings()
    reg = _registry()
    record = reg.get(reg.resolve(run_id))
    run_dir = Path(record.run_dir)
    stamp = now_ist().strftime("%Y%m%dT%H%M%S")
    out_dir = run_dir / ANALYSES_DIR / f"{stamp}-stress"
    for n in range(1, 100):
        if not out_dir.exists():
            break
        out_dir = run_dir / ANALYSES_DIR / f"{stamp}-{n}-stress"
    catalog = Catalog(st.catalog_path)
    snap = run_dir / SNAPSHOT_DIR
    store = (  # the bars the run read, when it kept a snapshot
        BarSnapshot.load(snap) if snap.is_dir() else AdjustedBarStore(st.store_dir, catalog)
    )
    report = run_stress(run_dir, store, catalog=catalog, periods_path=periods, out_dir=out_dir)
    if as_json:
        doc = {"run_id": record.run_id, "analysis_dir": str(out_dir), **report.to_dict()}
        print(json.dumps(doc, default=str, indent=2))
        return
    doc = report.to_dict()
    bench = "NIFTY 50" if report.benchmark == BENCHMARK else "benchmark"
    table = Table("period", "start", "end", "student", bench, "failure mode")
    for p in doc["periods"]:
        rows = {r["name"]: r for r in p["rows"]}
        table.add_row(
            literal(p["name"]),
            str(p["start"]),
            str(p["end"]),
            _fmt_key("total_return", rows.get("student", {}).get("total_return")),
            _fmt_key("total_return", rows.get(report.benchmark, {}).get("total_return")),
            literal(p.get("failure_mode")),
        )
    for x in doc["intraday_scenarios"]:  # an intraday run: one session per scenario
        table.add_row(
            literal(f"{x['name']} ({x['kind']})"),
            str(x["session"]),
            str(x["session"]),
            _fmt_key("total_return", x["student_return"]),
            literal("n/a (intraday)"),
            literal(f"intraday equal weight {_fmt_key('total_return', x['basket_return'])}"),
        )
    print_table(table)
    if bench != "NIFTY 50":
        err.print(literal(f"benchmark = {report.benchmark}"))
    err.print(literal(f"written: {out_dir / 'stress.json'}"))


def _registry() -> Any:
    """The registry, with runs whose process is gone marked ``interrupted`` first."""
    from sensequant.cli.common import read_settings
    from sensequant.release.registry import Registry
    from sensequant.release.registry_lifecycle import sweep_gone

    reg = Registry(read_settings().registry_path)
    sweep_gone(reg)
    return reg


@guard
def candidates(
    all_runs: Annotated[
        bool, typer.Option("--all", help="Every run, not only candidates.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List runs awaiting review (or every run with --all)."""
    runs = _registry().list_runs(None if all_runs else ["candidate"])
    if as_json:
        print(json.dumps([asdict(r) for r in runs], default=str, indent=2))
        return
    table = Table(
        Column("run", no_wrap=True),
        Column("state", no_wrap=True),
        Column("gates", no_wrap=True),
        "universe",
        Column("OOS Sharpe", justify="right", no_wrap=True),
        Column("DSR", justify="right", no_wrap=True),
        Column("created (IST)", no_wrap=True),
    )
    for r in runs:
        h = r.headline or {}
        table.add_row(
            *(literal(v) for v in (r.run_id, r.state, r.gate_decision, r.universe)),
            literal(_fmt_key("sharpe", h.get("sharpe"))),
            literal(_fmt_key("dsr", h.get("dsr"))),
            literal(str(r.created_at)[:16].replace("T", " ")),
        )
    print_table(table)


_PERCENT_KEYS = {"cagr", "max_drawdown", "total_return"}
_DIGITS = {"mean_ic": 4, "dsr": 3, "psr": 3}


def _fmt_key(key: str, v: Any) -> str:
    """Format a headline value by its meaning (fractions as percent, IC with 4 digits)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return "n/a" if v is None else str(v)
    if isinstance(v, int):
        return str(v)
    if key in _PERCENT_KEYS:
        return f"{v:.1%}"
    return f"{v:.{_DIGITS.get(key, 2)}f}"


@guard
def show(run_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show a run: state, headline, failed gates, exposure, override, report path and its
    review history (run id or prefix)."""
    reg = _registry()
    rec = reg.get(reg.resolve(run_id))
    events = reg.events(rec.run_id)
    if as_json:
        payload = {"run": asdict(rec), "events": [asdict(e) for e in events]}
        print(json.dumps(payload, default=str, indent=2))
        return
    out.print(
        literal(rec.run_id, "bold")
        + literal(f"  state {rec.state}  gates {rec.gate_decision}  producer {rec.producer}")
    )
    out.print(literal(f"run dir: {rec.run_dir}"), soft_wrap=True)  # a path: never wrapped
    for k, v in (rec.headline or {}).items():
        out.print(literal(f"  {k}: {_fmt_key(k, v)}"))
    briefing = Path(rec.run_dir) / "promotion_briefing.md"
    if briefing.exists():
        out.print(literal(f"briefing: {briefing}"))
    from sensequant.cli.run_details import print_details  # pulls in release: lazily

    print_details(Path(rec.run_dir), events)
    table = Table("at", "actor", "from", "to", "note")
    for e in events:
        actor = e.actor if not e.display_name else f"{e.actor} ({e.display_name})"
        cells = (str(e.at)[:19], actor, e.from_state, e.to_state, e.note)
        table.add_row(*(literal(c) for c in cells))
    print_table(table)
