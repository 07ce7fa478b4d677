"""One fetch end to end, as ``sensequant data fetch`` runs it: :func:`run_fetch`.

Resolves the symbols, checks Yahoo Finance can be reached (fail fast), builds the provider,
upserts the Breeze symbol master (ISEC code, ISIN, name, listing date: each symbol's plan
starts at its listing date), plans and fetches into the store. The command line only parses
its options, calls :func:`run_fetch` and prints what it returns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sensequant.data.catalog import Catalog
from sensequant.data.fetch.plan import FetchPlan, plan_fetch
from sensequant.data.fetch.report import FetchPolicy, FetchProgress, FetchReport
from sensequant.data.fetch.runner import fetch_bars_to_store
from sensequant.data.providers import check_repair_ohlc, make_provider
from sensequant.data.repair import open_catalog
from sensequant.data.store import BarStore, OnConflict
from sensequant.errors import ProviderUnavailableError, UsageError

__all__ = ["FetchRun", "resolve_fetch_symbols", "run_fetch"]


@dataclass(frozen=True)
class FetchRun:
    """What :func:`run_fetch` did.

    Attributes
    ----------
    symbols : list of str
        The resolved symbols (aliases applied).
    plan : FetchPlan or None
        The plan; None when the provider could not be reached and nothing was planned.
    report : FetchReport or None
        The fetch report; None on a dry run or when nothing was fetched (offline).
    offline_warning : str or None
        Set when the provider was offline but every symbol is already stored (``offline_ok``):
        nothing was fetched and this says so.
    """

    symbols: list[str]
    plan: FetchPlan | None = None
    report: FetchReport | None = None
    offline_warning: str | None = None


def _same(text: str) -> str:
    return text


def resolve_fetch_symbols(
    symbols: Sequence[str], universe: str | None, interval: str, catalog: Catalog, store: BarStore
) -> list[str]:
    """``universe`` and ``symbols`` resolved together (aliases applied; need not be stored).

    Parameters
    ----------
    symbols : sequence of str
        Symbol names (validated here).
    universe : str or None
        ``nifty50``, ``metals``, ``all``, a catalog universe, ...
    interval : str
        Bar interval (``all`` resolves against what is stored at it).
    catalog, store
        Where aliases, universes and stored symbols are read.

    Returns
    -------
    list of str

    Raises
    ------
    UsageError
        For a malformed symbol, an unknown universe, or nothing to fetch.
    """
    from sensequant.data.market import validate_symbol
    from sensequant.data.reference import resolve_universe

    names = [validate_symbol(x) for x in symbols]
    parts = ([universe] if universe else []) + names
    if not parts:
        raise UsageError(
            "nothing to fetch", hint="pass --universe nifty50 or --symbols RELIANCE,TCS"
        )
    return resolve_universe(",".join(parts), catalog, store, interval)


def _yahoo_offline_warning(
    names: list[str], store: BarStore, interval: str, offline_ok: bool
) -> str | None:
    """None when Yahoo Finance can be reached; a warning when offline but nothing is missing.

    Raises
    ------
    ProviderUnavailableError
        Offline (and a symbol has no stored bars, or not ``offline_ok``), naming the host and
        pointing to ``DATA=`` / ``data import``.
    """
    from sensequant.data.providers.yahoo import OFFLINE_HINT, OFFLINE_MESSAGE, yahoo_reachable

    if yahoo_reachable():
        return None
    missing = [s for s in names if not store.exists(s, interval)]
    if offline_ok and not missing:
        return (
            f"{OFFLINE_MESSAGE}; using the {len(names)} symbols already in the store (no new bars)"
        )
    raise ProviderUnavailableError(
        OFFLINE_MESSAGE + (f"; {len(missing)} symbol(s) have no stored bars" if missing else ""),
        hint=OFFLINE_HINT,
        provider="yahoo",
    )


def run_fetch(
    settings: Any,
    provider_name: str,
    symbols: Sequence[str],
    universe: str | None,
    interval: str,
    start: dt.date | None,
    end: dt.date | None,
    *,
    force: bool = False,
    dry_run: bool = False,
    offline_ok: bool = False,
    on_conflict: str = "fail",
    source: list[Path] | None = None,
    repair_ohlc: bool = False,
    redact: Callable[[str], str] = _same,
    on_plan: Callable[[FetchPlan], None] | None = None,
    progress: Callable[[FetchPlan], AbstractContextManager[FetchProgress | None]] | None = None,
    notify: Callable[[str], None] | None = None,
) -> FetchRun:
    """Plan and (unless ``dry_run``) fetch missing bars from a provider into the store.

    Parameters
    ----------
    settings : sensequant.settings.Settings
        Store and catalog paths, credentials, fetch budgets.
    provider_name : str
        ``breeze``, ``yahoo`` or ``files`` (see :func:`sensequant.data.providers.make_provider`).
    symbols : sequence of str
        Symbol names; resolved together with ``universe``.
    universe : str or None
        A universe name (``nifty50``, ``metals``, ...).
    interval : str
        ``1day``, ``30minute``, ``5minute`` or ``1minute``.
    start, end : datetime.date or None
        First and last day (None: oldest served, last closed NSE session).
    force : bool, default False
        Fetch again what the ingest log has.
    dry_run : bool, default False
        Plan only: no provider call, no catalog write.
    offline_ok : bool, default False
        Yahoo offline but every symbol stored: return an ``offline_warning`` instead of raising.
    on_conflict : {'fail', 'keep', 'replace'}, default 'fail'
        Fetched bars that would change stored bars beyond float noise: refused (logged as
        failed chunks, with a warning listing the bars), the stored ones kept, or replaced.
    source : list of pathlib.Path, optional
        Files or folders for the ``files`` provider.
    repair_ohlc : bool, default False
        The ``files`` provider widens inconsistent high/low (recorded ``ohlc_repaired``)
        instead of refusing the file; with another provider a :class:`UsageError`.
    redact : callable, optional
        Applied to error texts the fetch records (replaces secrets).
    on_plan : callable, optional
        Called with the plan once it is made (before any fetch).
    progress : callable, optional
        Given the plan, returns a context manager yielding the :class:`FetchProgress` the
        fetch reports to while it runs.
    notify : callable, optional
        Told when a catalog missing beside a store with bars was rebuilt from the store
        (:func:`sensequant.data.repair.open_catalog`).

    Returns
    -------
    FetchRun

    Raises
    ------
    UsageError
        Bad symbols, universe, interval or provider name; ``repair_ohlc`` with a provider
        other than ``files``.
    ProviderUnavailableError
        The provider cannot be loaded or reached.
    SenseQuantError
        Whatever the provider raises that stops the whole fetch (expired session, ...).
    KeyboardInterrupt
        After complete chunks are saved.
    """
    check_repair_ohlc(provider_name, repair_ohlc)
    policy = dataclasses.replace(
        FetchPolicy.from_settings(settings), on_conflict=OnConflict.parse(on_conflict).value
    )
    store = BarStore(settings.store_dir, lock_timeout=60.0)
    catalog = open_catalog(settings.catalog_path, store, notify=notify)
    names = resolve_fetch_symbols(symbols, universe, interval, catalog, store)
    if provider_name == "yahoo" and not dry_run:
        warning = _yahoo_offline_warning(names, store, interval, offline_ok)
        if warning is not None:
            return FetchRun(names, offline_warning=warning)
    prov = make_provider(provider_name, settings, source, repair_ohlc=repair_ohlc)
    try:
        infos = getattr(prov, "symbol_infos", None)
        if callable(infos) and not dry_run:
            # ISEC code, ISIN, name and listing date into the symbol master first: the plan
            # starts each symbol at its listing date
            catalog.upsert_symbols(infos(names))
        plan = plan_fetch(catalog, prov.info, names, interval, start, end, force=force)
        if on_plan is not None:
            on_plan(plan)
        if dry_run:
            return FetchRun(names, plan)
        with progress(plan) if progress is not None else nullcontext() as bars:
            report = fetch_bars_to_store(
                prov,
                store,
                catalog,
                names,
                interval,
                start,
                end,
                force=force,
                policy=policy,
                progress=bars,
                plan=plan,
                redact=redact,
            )
    finally:
        prov.close()
    return FetchRun(names, plan, report)
