"""``sensequant data audit``: per-symbol coverage, gaps and quality of the bar store.

Registered by :mod:`sensequant.cli.main` as ``data_app.command("audit")(audit)``.

Exit codes: 0 when the audit ran, whatever it found (it is a report: gaps and findings are
shown and written, not failures); 1 when there is nothing to audit (the store holds no
symbol at the interval); 2 for bad usage (unknown universe or interval, malformed symbol).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from sensequant.cli.common import err, guard, print_table, read_settings
from sensequant.errors import NoDataError

__all__ = ["audit"]

_STATUS_STYLE = {"ok": "green", "warn": "yellow", "error": "red"}
_SHORT = {
    "conflicting_duplicate": "conflict",
    "off_calendar_row_kept": "off-calendar",
    "off_session_bar": "off-grid",
    "zero_volume_session": "zero-volume",
    "missing_volume": "no-volume",
    "ohlc_inconsistent": "ohlc",
    "bad_print": "open?",
    "suspect_open": "open?",  # older catalogs
    "outlier_jump": "jump",
    "suspected_corporate_action": "split?",
}
"""Table labels of the finding kinds that warn (the JSON files keep the full names)."""


def _when(iso: str | None, intraday: bool) -> str:
    if not iso:
        return "-"
    return iso[:16].replace("T", "\n") if intraday else iso[:10]


def _table(rows: list[dict[str, Any]], interval: str) -> Table:
    from sensequant.data.quality import WARN_KINDS

    intraday = interval != "1day"
    table = Table(
        Column("symbol", no_wrap=True),
        Column("first", no_wrap=True),
        Column("last", no_wrap=True),
        Column("bars", justify="right", no_wrap=True),
        Column("missing\nsessions", justify="right"),
        Column("incomplete\nsessions", justify="right", no_wrap=True),
        Column("findings", min_width=14),
        Column("corporate\nactions"),
        Column("status", no_wrap=True),
        title=f"audit of {interval} bars",
        caption="missing sessions: regular sessions without bars (max = longest run); special "
        "sessions (Muhurat, special Saturdays) are counted apart in the JSON files",
    )
    for r in rows:
        doubt = {k: n for k, n in r["findings"].items() if k in WARN_KINDS}
        corrected = sum(n for k, n in r["findings"].items() if k not in WARN_KINDS)
        parts = [f"{_SHORT.get(k, k)} {n}" for k, n in sorted(doubt.items())]
        if corrected:
            parts.append(f"+{corrected} corrected")
        actions = ", ".join(f"{n} {k}" for k, n in sorted(r["corporate_actions"].items()))
        missing = str(r["missing_sessions"] - r["missing_special_sessions"]) if r["first"] else "-"
        gap = r["longest_gap"]
        if gap and gap["sessions"] > 1:
            missing += f"\n(max {gap['sessions']})"
        style = _STATUS_STYLE.get(r["status"], "")
        table.add_row(
            r["symbol"],
            _when(r["first"], intraday),
            _when(r["last"], intraday),
            f"{r['bars']:,}",
            missing,
            str(r["incomplete_sessions"]) if intraday else "-",
            ", ".join(parts) or "-",
            actions or "-",
            f"[{style}]{r['status']}[/]" if style else r["status"],
        )
    return table


@guard
def audit(
    universe: Annotated[
        str | None,
        typer.Option(help="nifty50, nifty100, metals, all, or SYM1,SYM2 (default: all stored)."),
    ] = None,
    interval: Annotated[
        str, typer.Option(help="1day, 30minute, 5minute, 1minute (or 1d, 30m, 5min ...).")
    ] = "1day",
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: <SENSEQUANT_HOME>/reports/audit)."),
    ] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print the summary and every symbol as JSON.")
    ] = False,
) -> None:
    """Audit coverage, gaps and quality findings; write coverage_report.jsonl and summary."""
    from sensequant.data.market import parse_interval

    interval = parse_interval(interval)
    report = _audit(universe, interval, out)
    rows = [s.to_dict() for s in report.symbols]
    summary = report.summary()
    if json_:
        print(json.dumps({"summary": summary, "symbols": rows}, indent=2))
    else:
        print_table(_table(rows, interval))
        status = summary["status"]
        err.print(
            f"{summary['symbols']} symbols: {status['ok']} ok, {status['warn']} warn, "
            f"{status['error']} error; {summary['total_bars']:,} bars; "
            f"{summary['symbols_with_gaps']} with missing sessions; calendar "
            f"{summary['calendar']['first']}..{summary['calendar']['last']}; "
            f"{report.seconds:.2f} s",
            highlight=False,
        )
    mismatched = summary["catalog_mismatches"]
    if mismatched and not json_:
        shown = ", ".join(mismatched[:10]) + (" ..." if len(mismatched) > 10 else "")
        err.print(
            f"{len(mismatched)} series whose corporate actions in the catalog were not derived "
            f"from the bars now stored ({shown}): run `sensequant data repair`",
            highlight=False,
            markup=False,
        )
    err.print(f"written: {report.report_path}\n         {report.summary_path}", highlight=False)


def _audit(universe: str | None, interval: str, out: Path | None) -> Any:
    from sensequant.cli.repair import open_home_catalog
    from sensequant.data.quality import audit_store
    from sensequant.data.reference import resolve_universe
    from sensequant.data.store import BarStore

    st = read_settings()
    store, catalog = BarStore(st.store_dir), open_home_catalog(st)
    if not store.symbols(interval):
        raise NoDataError(
            f"the store {st.store_dir} holds no {interval} bars",
            hint="import or fetch data first: `sensequant data import PATH`",
        )
    symbols = None if universe is None else resolve_universe(universe, catalog, store, interval)
    return audit_store(store, catalog, symbols, interval, out_dir=out or st.reports_dir / "audit")
