"""``sensequant data fetch``: incremental, resumable download of bars from a provider.

Registered by :mod:`sensequant.cli.main` as ``data_app.command("fetch")(fetch)``. Progress and
warnings go to stderr; ``--json`` prints the report (or the plan) to stdout. Exit codes: 0
everything fetched, 1 a chunk failed or the fetch stopped early (daily limit, expired
session, provider down), 2 bad usage, 130 interrupted (complete chunks are saved first).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
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

from sensequant.cli.common import guard, parse_date
from sensequant.errors import ProviderUnavailableError, UsageError

if TYPE_CHECKING:  # pandas-heavy modules load only when a command runs (fast --help)
    from sensequant.data.fetch import Chunk, FetchPlan, FetchReport, SymbolOutcome
    from sensequant.data.providers.base import BarProvider

__all__ = ["PROVIDERS", "fetch", "make_provider"]

PROVIDERS = ("breeze", "yahoo", "files")
"""Provider names ``--provider`` accepts."""

_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)
_MAX_WARNINGS = 20


def make_provider(name: str, settings: Any, source: list[Path] | None = None) -> BarProvider:
    """Build a provider by name; its module is imported only now (lazy SDK imports).

    Parameters
    ----------
    name : str
        ``breeze``, ``yahoo`` or ``files``.
    settings : sensequant.settings.Settings
        Credentials, URLs and budgets.
    source : list of pathlib.Path, optional
        Files or folders (the ``files`` provider only).

    Returns
    -------
    BarProvider

    Raises
    ------
    UsageError
        For an unknown name.
    ProviderUnavailableError
        If the provider's module or its SDK cannot be imported.
    """
    key = name.strip().lower()
    try:
        if key == "breeze":
            from sensequant.data.providers.breeze import BreezeProvider

            return BreezeProvider(settings)
        if key == "yahoo":
            from sensequant.data.providers.yahoo import YahooProvider

            return YahooProvider(settings)
        if key == "files":
            from sensequant.data.providers.files import FilesProvider

            if not source:
                raise UsageError("the files provider needs --source", hint="e.g. --source FOLDER")
            return FilesProvider(source)
    except ImportError as exc:
        raise ProviderUnavailableError(
            f"the {key} provider cannot be loaded ({exc})",
            hint="install SenseQuant with its extras: pip install 'sensequant[breeze]'",
            provider=key,
        ) from None
    raise UsageError(f"unknown provider {name!r}", hint=f"use one of {', '.join(PROVIDERS)}")


def _redactor(settings: Any) -> Callable[[str], str]:
    """Replace every configured secret in a text with ``***``."""
    secrets: list[str] = []
    for attr in ("breeze_api_key", "breeze_api_secret", "breeze_session_token"):
        value = getattr(settings, attr, None)
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


def _table(console: Console, table: Table) -> None:
    if not console.is_terminal:  # pipes, CI logs: 120 columns rather than rich's 80
        console = Console(width=max(console.width, 120), stderr=console.stderr)
    console.print(table)


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
    _table(_out, table)
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
    _table(_err, table)
    for w in report.warnings[:_MAX_WARNINGS]:
        _err.print(f"[yellow]warning:[/] {redact(w)}", highlight=False)
    if len(report.warnings) > _MAX_WARNINGS:
        _err.print(f"... {len(report.warnings) - _MAX_WARNINGS} more warnings (see --json)")
    _err.print(
        f"{report.provider} {report.interval}: {report.requests} requests "
        f"({report.retries} retries); chunks {report.chunks_cached} cached, "
        f"{report.chunks_fetched} fetched, {report.chunks_empty} empty, "
        f"{report.chunks_failed} failed; {report.rows_written:,} bars written; "
        f"{len(report.warnings)} warnings; {len(report.unavailable)} symbols unavailable",
        highlight=False,
    )


def _symbols(
    items: Iterable[str], universe: str | None, interval: str, catalog: Any, store: Any
) -> list[str]:
    """``--universe`` and ``--symbols`` resolved together (aliases applied; need not be stored)."""
    from sensequant.data.market import validate_symbol
    from sensequant.data.reference import resolve_universe

    names = [validate_symbol(x) for item in items for x in item.split(",") if x.strip()]
    parts = ([universe] if universe else []) + names
    if not parts:
        raise UsageError(
            "nothing to fetch", hint="pass --universe nifty50 or --symbols RELIANCE,TCS"
        )
    return resolve_universe(",".join(parts), catalog, store, interval)


def _yahoo_online(names: list[str], store: Any, interval: str, offline_ok: bool) -> bool:
    """Fail fast, and clearly, when Yahoo Finance cannot be reached.

    Returns True when online. Offline with ``offline_ok`` and every symbol already stored:
    warns and returns False (nothing to do). Otherwise raises.

    Raises
    ------
    ProviderUnavailableError
        Offline, naming the host and pointing to ``DATA=`` / ``data import``.
    """
    from sensequant.data.providers.yahoo import OFFLINE_HINT, OFFLINE_MESSAGE, yahoo_reachable

    if yahoo_reachable():
        return True
    missing = [s for s in names if not store.exists(s, interval)]
    if offline_ok and not missing:
        _err.print(
            f"[yellow]warning:[/] {OFFLINE_MESSAGE}; using the {len(names)} symbols already "
            "in the store (no new bars)",
            highlight=False,
        )
        return False
    raise ProviderUnavailableError(
        OFFLINE_MESSAGE + (f"; {len(missing)} symbol(s) have no stored bars" if missing else ""),
        hint=OFFLINE_HINT,
        provider="yahoo",
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
    interval: Annotated[str, typer.Option(help="1day, 30minute, 5minute or 1minute.")] = "1day",
    start: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD (default: oldest served).")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day (default: last closed NSE session).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Fetch again what the ingest log has.")] = False,
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
    from sensequant.settings import load_settings

    settings = guard(load_settings)
    redact = _redactor(settings)
    options = (universe, symbols or [], interval, start, end, force, dry_run, as_json)
    guard(
        lambda: _run(settings, redact, provider, *options, offline_ok=offline_ok, source=source),
        redact=redact,
        interrupted="interrupted; re-run the same command to resume",
        catch_all=True,
    )


def _run(
    settings: Any,
    redact: Callable[[str], str],
    provider_name: str,
    universe: str | None,
    items: list[str],
    interval: str,
    start: str | None,
    end: str | None,
    force: bool,
    dry_run: bool,
    as_json: bool,
    *,
    offline_ok: bool = False,
    source: list[Path] | None = None,
) -> None:
    from sensequant.data.catalog import Catalog
    from sensequant.data.fetch import FetchPolicy, fetch_bars_to_store, plan_fetch
    from sensequant.data.store import BarStore

    start_day, end_day = parse_date(start, "--start"), parse_date(end, "--end")
    store = BarStore(settings.store_dir, lock_timeout=60.0)
    catalog = Catalog(settings.catalog_path)
    names = _symbols(items, universe, interval, catalog, store)
    if (
        provider_name == "yahoo"
        and not dry_run
        and not _yahoo_online(names, store, interval, offline_ok)
    ):
        return
    prov = make_provider(provider_name, settings, source)
    try:
        infos = getattr(prov, "symbol_infos", None)
        if callable(infos) and not dry_run:
            # ISEC code, ISIN, name and listing date into the symbol master first: the plan
            # starts each symbol at its listing date
            catalog.upsert_symbols(infos(names))
        plan = plan_fetch(catalog, prov.info, names, interval, start_day, end_day, force=force)
        for w in plan.warnings:
            _err.print(f"[yellow]warning:[/] {w}", highlight=False)
        if dry_run:
            if as_json:
                print(json.dumps(plan.to_dict(), indent=2))
            else:
                _print_plan(plan)
            return
        with _RichProgress(_err, plan.n_chunks) as progress:
            report = fetch_bars_to_store(
                prov,
                store,
                catalog,
                names,
                interval,
                start_day,
                end_day,
                force=force,
                policy=FetchPolicy.from_settings(settings),
                progress=progress,
                plan=plan,
                redact=redact,
            )
    finally:
        prov.close()
    if as_json:
        print(redact(json.dumps(report.to_dict(), default=str, indent=2)))
    _print_report(report, redact)
    if report.stopped_reason:
        _err.print(f"[red]stopped:[/] {redact(report.stopped_reason)}", highlight=False)
        if report.stop_hint:
            _err.print(f"  [cyan]hint:[/] {redact(report.stop_hint)}", highlight=False)
    if report.n_failed:
        raise typer.Exit(1)
