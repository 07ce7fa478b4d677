"""``sensequant`` command line: thin wrappers over the pipeline, data and registry layers.

Exit codes: 0 ok, 1 failed, 2 bad usage. Progress and logs go to stderr, results to files
(and ``--json`` to stdout for scripting). SenseQuant is read-only towards brokers: no command
places orders.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from sensequant.cli.actions import actions
from sensequant.cli.audit import audit
from sensequant.cli.common import err, parse_date
from sensequant.cli.common import guard as _guard
from sensequant.cli.fetch import fetch
from sensequant.errors import UsageError

app = typer.Typer(
    help="SenseQuant: NSE bars -> leakage-free models -> reviewed release candidates.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(
    help="Bring bars into the local store and inspect coverage.", no_args_is_help=True
)
app.add_typer(data_app, name="data")
data_app.command("fetch")(fetch)
data_app.command("audit")(audit)
data_app.command("actions")(actions)

out = Console()


def _print_table(table: Table) -> None:
    """Print a table; off a terminal (pipes, CI logs) use 120 columns rather than rich's 80."""
    console = out if out.is_terminal else Console(width=max(out.width, 120))
    console.print(table)


def _settings() -> Any:
    from sensequant.settings import load_settings

    return load_settings()


# --------------------------------------------------------------------------- data
@data_app.command("import")
def data_import(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="CSV/Parquet files, NSE bhavcopies (.csv/.zip) or folders (recursive)."
        ),
    ],
    symbol: Annotated[
        str | None, typer.Option(help="Symbol for every file (default: file name).")
    ] = None,
    interval: Annotated[
        str | None, typer.Option(help="1day, 5minute, 1minute, 30minute (default: detected).")
    ] = None,
    symbols: Annotated[
        str | None,
        typer.Option(
            "--symbols",
            help="Only these symbols, comma-separated (old names follow the alias table).",
        ),
    ] = None,
    series: Annotated[
        str, typer.Option(help="NSE series kept from bhavcopies/Kaggle files, comma-separated.")
    ] = "EQ",
    force: Annotated[
        bool, typer.Option("--force", help="Read files even when unchanged since last import.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the import report as JSON.")
    ] = False,
) -> None:
    """Import bar files into the store; every correction is recorded in the catalog."""

    def body() -> None:
        from sensequant.data.catalog import Catalog
        from sensequant.data.imports import import_paths
        from sensequant.data.market import validate_symbol
        from sensequant.data.store import BarStore

        for p in paths:
            if not p.exists():
                raise UsageError(f"{p} does not exist", hint="pass existing files or folders")
        st = _settings()
        sym = validate_symbol(symbol) if symbol else None
        store, catalog = BarStore(st.store_dir), Catalog(st.catalog_path)

        def on_file(fo: Any) -> None:
            if fo.status == "failed":
                err.print(f"[red]✗[/] {fo.error}", highlight=False)
            for note in fo.notes:
                if "stored as" in note:
                    err.print(f"[cyan]note:[/] {fo.path.name}: {note}", highlight=False)

        wanted = [s for s in (symbols or "").split(",") if s.strip()] or None
        report = import_paths(
            paths,
            store,
            catalog,
            symbol=sym,
            interval=interval,
            symbols=wanted,
            series=[s for s in series.split(",") if s.strip()],
            force=force,
            on_file=on_file,
        )
        for w in report.warnings:
            err.print(f"[yellow]warning:[/] {w}", highlight=False)
        if as_json:
            print(json.dumps(report.to_dict(), default=str, indent=2))
        else:
            err.print(
                f"imported {report.n_ok} files ({report.rows_written:,} new or changed bars), "
                f"{report.n_skipped} unchanged (skipped), {report.n_failed} failed; "
                f"store {st.store_dir}"
            )
        if report.n_failed:
            raise typer.Exit(1)

    _guard(body)


@data_app.command("list")
def data_list(
    interval: Annotated[str | None, typer.Option(help="Only this interval.")] = None,
    universe: Annotated[
        str | None,
        typer.Option(
            help="Only these symbols (nifty50, a file, SYM1,SYM2); members "
            "without bars are listed too."
        ),
    ] = None,
    gaps: Annotated[
        bool,
        typer.Option(
            "--gaps",
            help="Also count missing NSE sessions (reads every timestamp; builds the calendar).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the symbol master: per symbol and interval the first and last bar, bars, and the
    ISEC code, ISIN, industry, listing date and data-unavailable reason (Parquet footers only;
    `--gaps` adds missing NSE sessions, `sensequant data audit` has the full picture)."""

    def body() -> None:
        import pandas as pd

        from sensequant.data.catalog import Catalog
        from sensequant.data.imports import coverage
        from sensequant.data.reference import resolve, symbol_master
        from sensequant.data.store import BarStore
        from sensequant.types import INTERVALS

        st = _settings()
        store = BarStore(st.store_dir)
        intervals = [interval] if interval else list(INTERVALS)
        stored = any(store.symbols(iv) for iv in intervals)
        if not universe and not stored:
            if as_json:
                print("[]")
                return
            err.print("the store is empty", highlight=False)
            err.print("  hint: `sensequant data import ../shared/data` or `make run DATA=...`")
            return
        catalog = Catalog(st.catalog_path)
        symbols = None
        if universe:
            resolution = resolve(universe, catalog, store, interval)
            for note in resolution.notes:
                err.print(f"note: {note}", highlight=False)
            symbols = resolution.symbols
        master = symbol_master(catalog, store, symbols, intervals)
        missing_by: dict[tuple[str, str], Any] = {}
        for iv in intervals if gaps else ():
            names = master.loc[master["interval"] == iv, "symbol"].tolist()
            if names:
                cov = coverage(store, iv, names)
                pairs = zip(cov["symbol"], cov["missing_sessions"], strict=True)
                missing_by.update(((sym, iv), n) for sym, n in pairs)
        rows = []
        for rec in master.to_dict("records"):
            missing = missing_by.get((rec["symbol"], rec["interval"]))
            if gaps:
                rec["missing_sessions"] = (
                    None if missing is None or pd.isna(missing) else int(missing)
                )
            for key in ("first", "last"):
                rec[key] = None if pd.isna(rec[key]) else rec[key]
            rows.append(rec)
        if as_json:
            print(json.dumps(rows, default=str, indent=2))
            return
        fixed = ["symbol", "interval", "first", "last", "bars"]
        fixed += ["missing sessions"] if gaps else []
        master_cols = {
            "isec_code": "ISEC",
            "isin": "ISIN",
            "industry": "industry",
            "listing_date": "listed",
            "data_unavailable_reason": "data unavailable",
        }
        shown = [k for k in master_cols if any(r[k] is not None for r in rows)]
        table = Table(*fixed, *(master_cols[k] for k in shown))
        for r in rows:
            cells = [r["symbol"], r["interval"] or "-"]
            cells += ["-" if r[k] is None else f"{r[k]:%Y-%m-%d}" for k in ("first", "last")]
            cells.append(f"{r['bars']:,}")
            if gaps:
                cells.append("-" if r["missing_sessions"] is None else str(r["missing_sessions"]))
            cells += ["" if r[k] is None else str(r[k]) for k in shown]
            table.add_row(*cells)
        _print_table(table)

    _guard(body)


# --------------------------------------------------------------------------- run
@app.command()
def run(
    config: Annotated[Path | None, typer.Option(help="Run configuration YAML.")] = None,
    universe: Annotated[
        str | None, typer.Option(help="nifty50, nifty100, all, or SYM1,SYM2.")
    ] = None,
    start: Annotated[str | None, typer.Option(help="First session, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last session, YYYY-MM-DD.")] = None,
) -> None:
    """Run the whole pipeline and leave a release candidate for review."""

    def body() -> None:
        from sensequant.pipeline import run_pipeline
        from sensequant.progress import RichReporter
        from sensequant.settings import load_run_config

        cfg = load_run_config(config).with_overrides(
            universe=universe, start=parse_date(start, "--start"), end=parse_date(end, "--end")
        )
        result = run_pipeline(cfg, _settings(), RichReporter(err))
        err.print(f"\nrun [bold]{result.run_id}[/]: [bold]{result.decision}[/]")
        err.print(f"  briefing: {result.run_dir / 'promotion_briefing.md'}")
        err.print(f"  review:   sensequant show {result.run_id}")

    _guard(body)


@app.command()
def stress(
    run_id: str,
    periods: Annotated[
        Path | None, typer.Option(help="Stress periods YAML (default: the packaged list).")
    ] = None,
) -> None:
    """Replay a finished run's models over named crisis periods and a synthetic shock."""

    def body() -> None:
        from sensequant.data.adjusted import AdjustedBarStore
        from sensequant.data.catalog import Catalog
        from sensequant.pipeline import run_stress

        st = _settings()
        run_dir = st.runs_dir / run_id
        if not (run_dir / "config.yaml").is_file():
            raise UsageError(
                f"no run directory {run_dir}", hint="see `sensequant candidates --all`"
            )
        store = AdjustedBarStore(st.store_dir, Catalog(st.catalog_path))
        report = run_stress(run_dir, store, periods_path=periods)
        table = Table("period", "start", "end", "student", "NIFTY 50", "failure mode")
        for p in report.to_dict()["periods"]:
            rows = {r["name"]: r for r in p["rows"]}
            table.add_row(
                p["name"],
                str(p["start"]),
                str(p["end"]),
                _fmt_key("total_return", rows.get("student", {}).get("total_return")),
                _fmt_key(
                    "total_return", rows.get("NIFTY 50 (price index)", {}).get("total_return")
                ),
                str(p.get("failure_mode")),
            )
        _print_table(table)
        err.print(f"written: {run_dir / 'stress' / 'stress.json'}")

    _guard(body)


# --------------------------------------------------------------------------- registry
def _registry() -> Any:
    from sensequant.release.registry import Registry

    return Registry(_settings().registry_path)


@app.command()
def candidates(
    all_runs: Annotated[
        bool, typer.Option("--all", help="Every run, not only candidates.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List runs awaiting review (or every run with --all)."""

    def body() -> None:
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
        _print_table(table)

    _guard(body)


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


@app.command()
def show(run_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show a run: state, gates, headline numbers and its review history."""

    def body() -> None:
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
        _print_table(table)

    _guard(body)


@app.command()
def approve(
    run_id: str,
    by: Annotated[str, typer.Option("--by", help="Who approves (recorded).")],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
    override: Annotated[
        bool, typer.Option(help="Approve although gates failed (needs --note).")
    ] = False,
) -> None:
    """Approve a candidate (a run whose gates failed needs --override and --note)."""

    def body() -> None:
        rec = _registry().transition(run_id, "approved", actor=by, note=note, override=override)
        err.print(f"{rec.run_id}: approved by {by}")

    _guard(body)


@app.command()
def reject(
    run_id: str,
    by: Annotated[str, typer.Option("--by", help="Who rejects (recorded).")],
    note: Annotated[str, typer.Option(help="Why (required).")],
) -> None:
    """Reject a candidate, with a reason."""

    def body() -> None:
        rec = _registry().transition(run_id, "rejected", actor=by, note=note)
        err.print(f"{rec.run_id}: rejected by {by}")

    _guard(body)


def main() -> None:  # pragma: no cover - console entry point helper
    """Entry point for ``python -m sensequant``."""
    sys.exit(app())
