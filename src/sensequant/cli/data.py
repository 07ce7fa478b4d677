"""``sensequant data import`` and ``sensequant data list``: bring bar files in, show coverage.

Registered by :mod:`sensequant.cli.main` on the ``data`` group.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from sensequant.cli.common import (
    err,
    guard,
    parse_interval_option,
    print_table,
    read_settings,
    settings,
)
from sensequant.cli.import_summary import subject_of
from sensequant.errors import UsageError

__all__ = ["data_import", "data_list"]


@guard
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
        str | None,
        typer.Option(
            help="1day, 30minute, 5minute, 1minute; 1d, 5min, 5m ... (default: detected)."
        ),
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
    on_conflict: Annotated[
        str,
        typer.Option(
            "--on-conflict",
            help="Stored bars a file changes beyond float noise, or two different rows for "
            "one timestamp in a file: fail (refuse, list them), keep (stored / first row "
            "wins) or replace (new / last row wins).",
        ),
    ] = "fail",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the import report as JSON.")
    ] = False,
    repair_ohlc: Annotated[
        bool,
        typer.Option(
            "--repair-ohlc",
            help="Widen high/low that do not bound open/close (recorded) instead of failing.",
        ),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail files of symbols unknown to the symbol master.")
    ] = False,
) -> None:
    """Import bar files into the store; every correction is recorded in the catalog."""
    from sensequant.cli.repair import open_home_catalog
    from sensequant.data.imports import import_paths
    from sensequant.data.market import validate_symbol
    from sensequant.data.store import BarStore, OnConflict

    interval = parse_interval_option(interval)

    for p in paths:
        if not p.exists():
            raise UsageError(f"{p} does not exist", hint="pass existing files or folders")
    st = settings()
    sym = validate_symbol(symbol) if symbol else None
    policy = OnConflict.parse(on_conflict)
    store, catalog = BarStore(st.store_dir), open_home_catalog(st)

    notes: list[tuple[str, str]] = []

    def on_file(fo: Any) -> None:
        if fo.status == "failed":
            err.print("✗ ", style="red", end="", highlight=False)
            err.print(str(fo.error), highlight=False, markup=False)
        for note in fo.notes:
            if any(k in note for k in ("stored as", "ignored", "conflicting", "OHLC")):
                notes.append((fo.path.name, f"{fo.path.name}: {note}"))

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
        on_conflict=policy,
        on_file=on_file,
        repair_ohlc=repair_ohlc,
        strict=strict,
    )
    _print_grouped("note", "cyan", notes)
    _print_grouped("warning", "yellow", [(subject_of(w), w) for w in report.warnings])
    if as_json:
        print(json.dumps(report.to_dict(), default=str, indent=2))
    else:  # the result, on stdout (plain print: never wrapped or read as markup)
        print(
            f"imported {report.n_ok} files ({report.rows_written:,} new or changed bars), "
            f"{report.n_skipped} unchanged (skipped), {report.n_failed} failed; "
            f"store {st.store_dir}"
        )
    if report.n_failed:
        raise typer.Exit(1)


def _print_grouped(label: str, style: str, items: list[tuple[str, str]]) -> None:
    """Notes or warnings on stderr, grouped by kind when one kind is frequent."""
    from sensequant.cli.import_summary import group_messages

    for group in group_messages(items):
        for line in group.lines():
            err.print(f"[{style}]{label}:[/] {escape(line)}", highlight=False)


@guard
def data_list(
    interval: Annotated[
        str | None, typer.Option(help="Only this interval (1day, 5minute, 5min, 1d ...).")
    ] = None,
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
    import pandas as pd

    from sensequant.cli.repair import open_home_catalog
    from sensequant.data.imports import coverage
    from sensequant.data.reference import resolve, symbol_master
    from sensequant.data.store import BarStore
    from sensequant.types import INTERVALS

    interval = parse_interval_option(interval)
    st = read_settings()
    store = BarStore(st.store_dir)
    intervals = [interval] if interval else list(INTERVALS)
    stored = any(store.symbols(iv) for iv in intervals)
    if not universe and not stored:
        if as_json:
            print("[]")
            return
        err.print(
            f"the store is empty: no bars under {st.store_dir}", highlight=False, markup=False
        )
        err.print("  hint: `sensequant data import PATH` or `make run DATA=...`")
        return
    catalog = open_home_catalog(st)
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
            rec["missing_sessions"] = None if missing is None or pd.isna(missing) else int(missing)
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
    print_table(table)
