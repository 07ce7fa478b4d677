"""``sensequant run``, ``stress`` and the review commands: ``candidates``, ``show``,
``approve``, ``reject``.

Registered by :mod:`sensequant.cli.main` on the app. ``run`` and ``stress`` write into the
run directory; the review commands read and move runs in the release registry.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from sensequant.cli.common import err, guard, out, parse_date, print_table, settings
from sensequant.errors import UsageError

__all__ = ["approve", "candidates", "reject", "run", "show", "stress"]


@guard
def run(
    config: Annotated[Path | None, typer.Option(help="Run configuration YAML.")] = None,
    universe: Annotated[
        str | None, typer.Option(help="nifty50, nifty100, all, or SYM1,SYM2.")
    ] = None,
    start: Annotated[str | None, typer.Option(help="First session, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last session, YYYY-MM-DD.")] = None,
) -> None:
    """Run the whole pipeline and leave a release candidate for review."""
    from sensequant.pipeline import run_pipeline
    from sensequant.progress import RichReporter
    from sensequant.settings import load_run_config

    cfg = load_run_config(config).with_overrides(
        universe=universe, start=parse_date(start, "--start"), end=parse_date(end, "--end")
    )
    result = run_pipeline(cfg, settings(), RichReporter(err))
    err.print(f"\nrun [bold]{result.run_id}[/]: [bold]{result.decision}[/]")
    err.print(f"  briefing: {result.run_dir / 'promotion_briefing.md'}")
    err.print(f"  review:   sensequant show {result.run_id}")


@guard
def stress(
    run_id: str,
    periods: Annotated[
        Path | None, typer.Option(help="Stress periods YAML (default: the packaged list).")
    ] = None,
) -> None:
    """Replay a finished run's models over named crisis periods and a synthetic shock."""
    from sensequant.data.adjusted import AdjustedBarStore
    from sensequant.data.catalog import Catalog
    from sensequant.pipeline import run_stress

    st = settings()
    run_dir = st.runs_dir / run_id
    if not (run_dir / "config.yaml").is_file():
        raise UsageError(f"no run directory {run_dir}", hint="see `sensequant candidates --all`")
    catalog = Catalog(st.catalog_path)
    store = AdjustedBarStore(st.store_dir, catalog)
    report = run_stress(run_dir, store, catalog=catalog, periods_path=periods)
    table = Table("period", "start", "end", "student", "NIFTY 50", "failure mode")
    for p in report.to_dict()["periods"]:
        rows = {r["name"]: r for r in p["rows"]}
        table.add_row(
            p["name"],
            str(p["start"]),
            str(p["end"]),
            _fmt_key("total_return", rows.get("student", {}).get("total_return")),
            _fmt_key("total_return", rows.get("NIFTY 50 (price index)", {}).get("total_return")),
            str(p.get("failure_mode")),
        )
    print_table(table)
    err.print(f"written: {run_dir / 'stress' / 'stress.json'}")


def _registry() -> Any:
    from sensequant.release.registry import Registry

    return Registry(settings().registry_path)


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
            r.run_id,
            r.state,
            r.gate_decision or "",
            r.universe or "",
            _fmt_key("sharpe", h.get("sharpe")),
            _fmt_key("dsr", h.get("dsr")),
            str(r.created_at)[:16].replace("T", " "),
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
    """Show a run: state, gates, headline numbers and its review history."""
    reg = _registry()
    rec = reg.get(run_id)
    events = reg.events(run_id)
    if as_json:
        payload = {"run": asdict(rec), "events": [asdict(e) for e in events]}
        print(json.dumps(payload, default=str, indent=2))
        return
    out.print(f"[bold]{rec.run_id}[/]  state [bold]{rec.state}[/]  gates {rec.gate_decision}")
    out.print(f"run dir: {rec.run_dir}")
    for k, v in (rec.headline or {}).items():
        out.print(f"  {k}: {_fmt_key(k, v)}")
    briefing = Path(rec.run_dir) / "promotion_briefing.md"
    if briefing.exists():
        out.print(f"briefing: {briefing}")
    table = Table("at", "actor", "from", "to", "note")
    for e in events:
        table.add_row(str(e.at)[:19], e.actor, e.from_state or "", e.to_state, e.note or "")
    print_table(table)


@guard
def approve(
    run_id: str,
    by: Annotated[str, typer.Option("--by", help="Who approves (recorded).")],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
    override: Annotated[
        bool, typer.Option(help="Approve although gates failed (needs --note).")
    ] = False,
) -> None:
    """Approve a candidate (a run whose gates failed needs --override and --note)."""
    rec = _registry().transition(run_id, "approved", actor=by, note=note, override=override)
    err.print(f"{rec.run_id}: approved by {by}")


@guard
def reject(
    run_id: str,
    by: Annotated[str, typer.Option("--by", help="Who rejects (recorded).")],
    note: Annotated[str, typer.Option(help="Why (required).")],
) -> None:
    """Reject a candidate, with a reason."""
    rec = _registry().transition(run_id, "rejected", actor=by, note=note)
    err.print(f"{rec.run_id}: rejected by {by}")
