"""``sensequant data fetch``: incremental, resumable download of bars from a provider.

Registered by :mod:`sensequant.cli.main` as ``data_app.command("fetch")(fetch)``. Progress and
warnings go to stderr; ``--json`` prints the report (or the plan) to stdout. The work is
:func:`sensequant.data.fetch.run_fetch`; this module parses options and prints. Exit codes: 0
everything fetched, 1 a chunk failed or the fetch stopped early (daily limit, expired
session, provider down), 2 bad usage, 130 interrupted (complete chunks are saved first).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from sensequant.cli.common import err, guard, parse_date, print_table, settings

if TYPE_CHECKING:  # pandas-heavy modules load only when a command runs (fast --help)
    from sensequant.data.fetch import Chunk, FetchPlan, FetchReport, SymbolOutcome

__all__ = ["fetch"]

_out = Console(soft_wrap=True)
_MAX_WARNINGS = 20


def _redactor(config: Any) -> Callable[[str], str]:
    """Replace every configured secret in a text with ``***``."""
    secrets: list[str] = []
    for attr in ("breeze_api_key", "breeze_api_secret", "breeze_session_token"):
        value = getattr(config, attr, None)
        text = value.get_secret_value() if value is not None else ""
        if len(text) >= 4:
            secrets.append(text)

    def redact(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    return redact


class _RichProgress:
    """A bar for all chunks (with ETA) and one for the symbol being fetched, on stderr."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.overall = self.progress.add_task("all symbols", total=total)
        self.task: TaskID | None = None
        self.done_in_symbol = 0

    def __enter__(self) -> _RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def symbol_started(self, symbol: str, chunks: int) -> None:
        self.task = self.progress.add_task(symbol, total=chunks)
        self.done_in_symbol = 0

    def chunk_done(self, symbol: str, chunk: Chunk, status: str) -> None:
        self.done_in_symbol += 1
        if self.task is not None:
            self.progress.advance(self.task)
        self.progress.advance(self.overall)

    def symbol_done(self, outcome: SymbolOutcome) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None
        rest = outcome.chunks_planned - self.done_in_symbol
        if outcome.chunks_planned and rest > 0:
            self.progress.advance(self.overall, rest)
        self.done_in_symbol = 0
        if outcome.status != "cached":
            mark = "[green]✓[/]" if outcome.status in ("ok", "empty") else "[yellow]![/]"
            self.progress.console.print(
                f"{mark} {outcome.symbol:<14} {outcome.status:<11} "
                f"{outcome.chunks_fetched} chunks, {outcome.rows_written:,} bars",
                highlight=False,
            )

    def warn(self, message: str) -> None:
        self.progress.console.print(f"  [yellow]warning:[/] {message}", highlight=False)


def _print_plan(plan: FetchPlan) -> None:
    table = Table("symbol", "chunks", "cached", "sessions", "expected bars", "first", "last")
    for s in plan.symbols:
        table.add_row(
            s.symbol,
            str(len(s.chunks)),
            str(s.chunks_cached),
            f"{s.sessions_wanted - s.sessions_cached}/{s.sessions_wanted}",
            f"{s.expected_bars:,}",
            f"{s.chunks[0].start:%Y-%m-%d}" if s.chunks else "",
            f"{s.chunks[-1].end:%Y-%m-%d}" if s.chunks else "",
        )
    print_table(table, _out)
    rate = (
        f"{plan.seconds_at_rate_limit / 60:.1f} min at {plan.calls_per_minute} calls/min"
        if plan.calls_per_minute
        else "no rate limit"
    )
    budget = (
        f"; daily budget {plan.calls_per_day} ({plan.calls_used_today} used today): "
        f"{plan.days_at_daily_limit} day(s)"
        if plan.calls_per_day
        else ""
    )
    _out.print(
        f"plan: {plan.provider} {plan.interval} {plan.start}..{plan.end}: "
        f"{plan.n_chunks} chunks to fetch, {plan.n_cached} cached; "
        f"{plan.expected_calls} calls, {plan.expected_bars:,} bars at most; {rate}{budget}",
        highlight=False,
    )


def _print_report(report: FetchReport, redact: Callable[[str], str]) -> None:
    table = Table("symbol", "status", "cached", "fetched", "empty", "failed", "bars written")
    for s in report.symbols:
        table.add_row(
            s.symbol,
            s.status,
            str(s.chunks_cached),
            str(s.chunks_fetched),
            str(s.chunks_empty),
            str(s.chunks_failed),
            f"{s.rows_written:,}",
        )
    print_table(table, err)
    for w in report.warnings[:_MAX_WARNINGS]:
        err.print(f"[yellow]warning:[/] {redact(w)}", highlight=False)
    if len(report.warnings) > _MAX_WARNINGS:
        err.print(f"... {len(report.warnings) - _MAX_WARNINGS} more warnings (see --json)")
    err.print(
        f"{report.provider} {report.interval}: {report.requests} requests "
        f"({report.retries} retries); chunks {report.chunks_cached} cached, "
        f"{report.chunks_fetched} fetched, {report.chunks_empty} empty, "
        f"{report.chunks_failed} failed; {report.rows_written:,} bars written; "
        f"{len(report.warnings)} warnings; {len(report.unavailable)} symbols unavailable",
        highlight=False,
    )


def _redact_configured_secrets(text: str) -> str:
    """``text`` with the configured secrets replaced (unchanged if settings cannot load)."""
    try:
        st = settings()
    except Exception:
        return text
    return _redactor(st)(text)


@guard(
    redact=_redact_configured_secrets,
    interrupted="interrupted; re-run the same command to resume",
    catch_all=True,
)
def fetch(
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            help="breeze (ICICI Breeze API), yahoo (Yahoo Finance) or files (--source).",
        ),
    ],
    source: Annotated[
        list[Path] | None,
        typer.Option("--source", help="Files or folders for --provider files (repeatable)."),
    ] = None,
    universe: Annotated[
        str | None, typer.Option(help="nifty50, nifty100, metals, all, a catalog universe.")
    ] = None,
    symbols: Annotated[
        list[str] | None, typer.Option("--symbols", help="Symbols, comma-separated or repeated.")
    ] = None,
    interval: Annotated[
        str, typer.Option(help="1day, 30minute, 5minute, 1minute (or 1d, 30m, 5min ...).")
    ] = "1day",
    start: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD (default: oldest served).")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day (default: last closed NSE session).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Fetch again what the ingest log has.")] = False,
    on_conflict: Annotated[
        str,
        typer.Option(
            "--on-conflict",
            help="Fetched bars that change stored ones beyond float noise: fail (refuse, "
            "list them), keep (stored win) or replace (fetched win).",
        ),
    ] = "fail",
    repair_ohlc: Annotated[
        bool,
        typer.Option(
            "--repair-ohlc",
            help="--provider files: widen high/low that do not bound open/close (recorded) "
            "instead of refusing the file, as `data import --repair-ohlc`.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; make no provider call.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    offline_ok: Annotated[
        bool,
        typer.Option(
            "--offline-ok",
            help="If the provider cannot be reached but the store already holds bars for "
            "every symbol, warn and exit 0 (what `make run` uses).",
        ),
    ] = False,
) -> None:
    """Fetch missing bars from a provider into the store (incremental and resumable)."""
    from sensequant.data.fetch import run_fetch
    from sensequant.data.market import parse_interval

    interval = parse_interval(interval)
    st = settings()
    redact = _redactor(st)
    start_day, end_day = parse_date(start, "--start"), parse_date(end, "--end")
    names = [x for item in symbols or [] for x in item.split(",") if x.strip()]

    def on_plan(plan: FetchPlan) -> None:
        for w in plan.warnings:
            err.print(f"[yellow]warning:[/] {w}", highlight=False)

    done = run_fetch(
        st,
        provider,
        names,
        universe,
        interval,
        start_day,
        end_day,
        force=force,
        dry_run=dry_run,
        offline_ok=offline_ok,
        on_conflict=on_conflict,
        source=source,
        repair_ohlc=repair_ohlc,
        redact=redact,
        on_plan=on_plan,
        progress=lambda plan: _RichProgress(err, plan.n_chunks),
        notify=lambda text: err.print(f"warning: {text}", highlight=False, markup=False),
    )
    if done.offline_warning is not None:
        err.print(f"[yellow]warning:[/] {done.offline_warning}", highlight=False)
        return
    report = done.report
    if report is None:  # a dry run: the plan only
        if done.plan is not None and as_json:
            print(json.dumps(done.plan.to_dict(), indent=2))
        elif done.plan is not None:
            _print_plan(done.plan)
        return
    if as_json:
        print(redact(json.dumps(report.to_dict(), default=str, indent=2)))
    _print_report(report, redact)
    if report.stopped_reason:
        err.print(f"[red]stopped:[/] {redact(report.stopped_reason)}", highlight=False)
        if report.stop_hint:
            err.print(f"  [cyan]hint:[/] {redact(report.stop_hint)}", highlight=False)
    if report.n_failed:
        raise typer.Exit(1)
