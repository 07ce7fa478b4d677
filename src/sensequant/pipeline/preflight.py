"""Pre-flight: check every symbol's coverage of the run range BEFORE any training.

The earlier system found missing data after hours of training. Here the first phase resolves
the universe, reads only timestamps from the store, and lists up front every symbol and every
window that cannot be served, with the reason. Through the adjusted store view it also detects
the universe's structural breaks (:meth:`AdjustedBarStore.refresh_breaks`) and lists those kept
out of the run, pending review (:attr:`PreflightReport.breaks`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.market import missing_sessions, to_ist
from sensequant.data.reference import effective_first_bar, packaged_universes, resolve_universe
from sensequant.data.store import BarStore
from sensequant.dataset import SKIP_BEFORE_LISTING, Window, coverage_skip, plan_windows
from sensequant.errors import NoDataError, UnknownUniverseError, UsageError
from sensequant.settings import RunConfig


@dataclass(frozen=True)
class SymbolCoverage:
    """Coverage of one symbol within the run range.

    Attributes
    ----------
    symbol : str
    first, last : pandas.Timestamp or None
        First and last stored bar (whole history, IST).
    sessions_in_range : int
        Bars inside ``[range_start, range_end]``.
    missing_sessions : int
        NSE sessions in ``[max(first, range_start), min(last, range_end)]`` with no bar.
    excluded : str or None
        Why the symbol is left out of the run (None = usable).
    missing_dates : tuple of pandas.Timestamp
        The missing sessions themselves.
    listing_date : datetime.date or None
        Listing date from the catalog's symbol master (None = unknown).
    industry : str or None
        Industry from the catalog's symbol master (the NIFTY 100 list's ``Industry``; None =
        unknown).
    """

    symbol: str
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    sessions_in_range: int
    missing_sessions: int
    excluded: str | None = None
    missing_dates: tuple[pd.Timestamp, ...] = ()
    listing_date: dt.date | None = None
    industry: str | None = None

    @property
    def first_usable(self) -> pd.Timestamp | None:
        """First bar the window planner relies on: ``max(first stored bar, listing date)``."""
        return None if self.first is None else effective_first_bar(self.first, self.listing_date)


@dataclass
class PreflightReport:
    """Result of :func:`preflight`: usable symbols, exclusions, and the window plan."""

    universe: str
    range_start: pd.Timestamp
    range_end: pd.Timestamp
    coverage: list[SymbolCoverage]
    windows: dict[str, list[Window]]
    unservable: dict[str, str] = field(default_factory=dict)
    """window_id -> reason, for windows known up front to be unservable."""
    benchmark_first: pd.Timestamp | None = None
    benchmark_last: pd.Timestamp | None = None
    breaks: list[dict[str, Any]] = field(default_factory=list)
    """Structural breaks kept out of the run (pending or confirmed; up to the range end) of
    the stored symbols, as :meth:`AdjustedBarStore.applied_breaks` lists them."""
    warnings: list[str] = field(default_factory=list)
    """Configuration problems pre-flight found (e.g. ``top_k`` >= the usable universe)."""
    notes: list[str] = field(default_factory=list)
    """How the run was fitted to its universe (benchmark, target, top_k), for the briefing."""

    def break_notes(self, *, group_bad_prints: bool = False) -> list[str]:
        """One line per break kept out of the run, pending ones first (pre-flight, briefing).

        With ``group_bad_prints`` the bad opening prints (often hundreds in early Yahoo
        history) are summed up in one line per status, with counts per symbol.
        """
        rows = sorted(self.breaks, key=lambda b: (b["status"] != "pending", b["symbol"]))
        prints = [b for b in rows if group_bad_prints and b["kind"] == "bad_print"]
        lines = [
            f"{b['symbol']} {b['session_date']} {b['kind']} ({b['status']}"
            + (
                f" by {b['reviewer']}"
                if b.get("reviewer")
                else ", review with `sensequant data breaks`"
            )
            + f"): {b['detail']}"
            for b in rows
            if not (group_bad_prints and b["kind"] == "bad_print")
        ]
        for status in sorted({b["status"] for b in prints}, key=lambda s: s != "pending"):
            per = Counter(b["symbol"] for b in prints if b["status"] == status)
            review = ", review with `sensequant data breaks`" if status == "pending" else ""
            lines.append(
                f"{sum(per.values())} bad opening prints ({status}{review}): the open is "
                "replaced by the close, never a fill price; "
                + ", ".join(f"{sym} {n}" for sym, n in per.most_common())
            )
        return lines

    @property
    def symbols(self) -> list[str]:
        """Symbols that pass pre-flight, sorted."""
        return sorted(c.symbol for c in self.coverage if c.excluded is None)

    @property
    def excluded(self) -> dict[str, str]:
        """symbol -> reason for symbols left out."""
        return {c.symbol: c.excluded for c in self.coverage if c.excluded is not None}

    def common_gaps(self, share: float = 0.5) -> list[pd.Timestamp]:
        """Sessions missing for at least ``share`` of the usable symbols (sorted).

        Such dates are usually special sessions (Muhurat trading, special Saturdays) that the
        data source does not carry, not gaps of one symbol.
        """
        usable = [c for c in self.coverage if c.excluded is None]
        counts = Counter(d for c in usable for d in c.missing_dates)
        need = max(2, int(share * len(usable) + 0.5))
        return sorted(d for d, n in counts.items() if n >= need)

    @property
    def industries(self) -> dict[str, str | None]:
        """symbol -> catalog industry (None = unknown), for the usable symbols."""
        return {c.symbol: c.industry for c in self.coverage if c.excluded is None}

    @property
    def listing_dates(self) -> dict[str, dt.date]:
        """symbol -> catalog listing date, for symbols whose listing date is known."""
        return {c.symbol: c.listing_date for c in self.coverage if c.listing_date is not None}

    def unservable_counts(self) -> dict[str, int]:
        """Reason -> number of windows known unservable before training."""
        return dict(Counter(r.split(":")[0] for r in self.unservable.values()))

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly summary (``preflight.json`` in the run directory)."""
        return {
            "universe": self.universe,
            "range_start": self.range_start.isoformat(),
            "range_end": self.range_end.isoformat(),
            "benchmark": {
                "first": self.benchmark_first.isoformat() if self.benchmark_first else None,
                "last": self.benchmark_last.isoformat() if self.benchmark_last else None,
            },
            "symbols": [
                {
                    "symbol": c.symbol,
                    "first": c.first.isoformat() if c.first is not None else None,
                    "last": c.last.isoformat() if c.last is not None else None,
                    "sessions_in_range": c.sessions_in_range,
                    "missing_sessions": c.missing_sessions,
                    "missing_dates": [d.date().isoformat() for d in c.missing_dates],
                    "excluded": c.excluded,
                    "listing_date": c.listing_date.isoformat() if c.listing_date else None,
                    "industry": c.industry,
                }
                for c in self.coverage
            ],
            "common_gaps": [d.date().isoformat() for d in self.common_gaps()],
            "windows_planned": sum(len(w) for w in self.windows.values()),
            "windows_unservable": self.unservable_counts(),
            "structural_breaks": self.breaks,
            "warnings": self.warnings,
            "notes": self.notes,
        }


def _check_known(symbols: list[str], stored: list[str], catalog: Catalog) -> None:
    """Raise for symbols known nowhere: not stored, not in the symbol master or a universe."""
    known = set(stored)
    for entry in packaged_universes().values():
        known.update(str(s) for s in entry.get("symbols", []))
    unknown = [s for s in symbols if s not in known and catalog.get_symbol(s) is None]
    if unknown:
        raise UnknownUniverseError(
            f"unknown symbol(s) {', '.join(unknown)}: no bars stored and not in the symbol master",
            hint="check the spelling (NSE symbols, e.g. M&M, BAJAJ-AUTO), see "
            "`sensequant data list`, or import the symbol's bars first",
        )


def preflight(config: RunConfig, store: BarStore, catalog: Catalog) -> PreflightReport:
    """Resolve the universe and check coverage of every symbol and window before training.

    Parameters
    ----------
    config : RunConfig
        Uses ``data`` (universe, interval, start, end, benchmark, min_history_sessions),
        ``windows`` and ``labels.horizon``.
    store : BarStore
        Bar store (only the timestamp column is read). An :class:`AdjustedBarStore` first
        detects and records the structural breaks of the stored symbols and keeps them out of
        every later read (a side effect on ``store``, on purpose: the whole run then sees the
        same bars).
    catalog : Catalog
        Symbol master and universes.

    Returns
    -------
    PreflightReport

    Raises
    ------
    UnknownUniverseError
        Unknown universe name or malformed symbol.
    NoDataError
        The store holds none of the universe, or the benchmark is missing / does not overlap.
    UsageError
        The requested range contains no stored bars.
    """
    dc = config.data
    symbols = resolve_universe(dc.universe, catalog, store, dc.interval)
    stored = [s for s in symbols if store.exists(s, dc.interval)]
    _check_known(symbols, stored, catalog)
    if not stored:
        raise NoDataError(
            f"none of the {len(symbols)} symbols of universe '{dc.universe}' has "
            f"{dc.interval} bars in the store",
            hint="bring data first: `make run DATA=FOLDER` or "
            "`sensequant data import PATH` (CSV/Parquet files or folders)",
        )
    if isinstance(store, AdjustedBarStore):
        store.refresh_breaks(stored, dc.interval)
    stamps: dict[str, pd.DatetimeIndex] = {}
    for s in stored:
        ts = store.read(s, dc.interval, columns=["timestamp"])["timestamp"]
        stamps[s] = pd.DatetimeIndex(ts)
    data_first = min(ix[0] for ix in stamps.values())
    data_last = max(ix[-1] for ix in stamps.values())
    range_start = to_ist(dc.start) if dc.start else data_first
    range_end = to_ist(dc.end) if dc.end else data_last
    if dc.end and dc.interval != "1day" and range_end == range_end.normalize():
        range_end += pd.Timedelta(days=1) - pd.Timedelta(minutes=1)  # a date: its whole session
    if range_start > data_last or range_end < data_first:
        raise UsageError(
            f"the range {range_start.date()}..{range_end.date()} holds no stored bars "
            f"(store covers {data_first.date()}..{data_last.date()})",
            hint="choose --start/--end inside the stored range (see `sensequant data list`)",
        )
    if dc.benchmark == "equal-weight":  # the run's own basket (pipeline.universe_rules)
        every = np.unique(np.concatenate([ix.asi8 for ix in stamps.values()]))  # vectorised
        tz = next(iter(stamps.values())).tz
        bench = pd.DatetimeIndex(every.view("M8[ns]")).tz_localize("UTC").tz_convert(tz)
    elif not store.exists(dc.benchmark, dc.interval):
        raise NoDataError(
            f"benchmark '{dc.benchmark}' has no {dc.interval} bars in the store",
            hint="import the NIFTY 50 index files, e.g. "
            "`sensequant data import FOLDER/nifty50_index`, or set data.benchmark: "
            "equal-weight (the equal-weight basket of the run's own symbols)",
        )
    else:
        bench = pd.DatetimeIndex(
            store.read(dc.benchmark, dc.interval, columns=["timestamp"])["timestamp"]
        )
    if bench[-1] < range_start or bench[0] > range_end:
        raise NoDataError(
            f"benchmark '{dc.benchmark}' ({bench[0].date()}..{bench[-1].date()}) does not "
            f"overlap the run range {range_start.date()}..{range_end.date()}",
            hint="import benchmark bars covering the range",
        )

    coverage: list[SymbolCoverage] = []
    windows: dict[str, list[Window]] = {}
    unservable: dict[str, str] = {}
    for s in symbols:
        info = catalog.get_symbol(s)
        listing = info.listing_date if info is not None else None
        industry = info.industry if info is not None else None
        if s not in stamps:
            coverage.append(
                SymbolCoverage(
                    s, None, None, 0, 0, "no bars stored", listing_date=listing, industry=industry
                )
            )
            continue
        ix = stamps[s]
        in_range = ix[(ix >= range_start) & (ix <= range_end)]
        missing: tuple[pd.Timestamp, ...] = ()
        if len(in_range):
            missing = tuple(missing_sessions(in_range, in_range[0], in_range[-1]))
        reason = None
        n_sessions = len(in_range) if dc.interval == "1day" else in_range.normalize().nunique()
        if n_sessions < dc.min_history_sessions:
            reason = (
                f"only {n_sessions} sessions in {range_start.date()}..{range_end.date()} "
                f"(need {dc.min_history_sessions})"
            )
        cov = SymbolCoverage(
            s, ix[0], ix[-1], len(in_range), len(missing), reason, missing, listing, industry
        )
        coverage.append(cov)
        if reason is not None:
            continue
        planned = plan_windows(s, range_start.normalize(), range_end.normalize(), config.windows)
        windows[s] = planned
        first = effective_first_bar(ix[0], listing)
        for w in planned:
            skip = coverage_skip(w, first, ix[-1])
            if skip is None:
                continue
            detail = skip[1]
            if skip[0] == SKIP_BEFORE_LISTING and first > ix[0]:
                detail = f"listed {listing} (catalog); first stored bar {ix[0].date()}"
            unservable[w.window_id] = f"{skip[0]}: {detail}"
    n_usable = sum(c.excluded is None for c in coverage)
    return PreflightReport(
        warnings=top_k_warnings(config, n_usable),
        universe=dc.universe,
        range_start=range_start,
        range_end=range_end,
        coverage=coverage,
        windows=windows,
        unservable=unservable,
        benchmark_first=bench[0],
        benchmark_last=bench[-1],
        breaks=_kept_out(store, stored, dc.interval, range_end),
        notes=[]
        if dc.interval == "1day" or not isinstance(store, AdjustedBarStore)
        else [
            f"structural breaks: checked on the sessions of the {dc.interval} bars (first "
            "open, highest high, lowest low, last close); level shifts and spikes keep whole "
            "sessions out; bad opening prints are checked on daily bars only"
        ],
    )


def _kept_out(
    store: BarStore, symbols: list[str], interval: str, end: pd.Timestamp
) -> list[dict[str, Any]]:
    """Breaks the store view keeps out of these series, up to ``end`` (none for a raw store)."""
    if not isinstance(store, AdjustedBarStore):
        return []
    last = end.date().isoformat()
    return [b for b in store.applied_breaks(symbols, interval) if b["session_date"] <= last]


def top_k_warnings(config: RunConfig, n_symbols: int) -> list[str]:
    """Warnings for top-k rules that cannot fill their book from ``n_symbols`` symbols.

    A ``top_k`` rule holds at most ``k`` names at ``1/k`` each, so with ``k >= n`` usable
    symbols it is at most ``n/k`` invested (the rest is cash earning nothing) while the
    benchmarks are fully invested.

    Parameters
    ----------
    config : RunConfig
        ``portfolio`` and ``backtest.trials``.
    n_symbols : int
        Usable symbols after pre-flight.

    Returns
    -------
    list of str
        One line for the primary rule, one for the trials; empty when every rule fits.
    """
    out: list[str] = []
    pc = config.portfolio
    if pc.sizing == "top_k" and n_symbols and pc.top_k >= n_symbols:
        out.append(
            f"portfolio.top_k {pc.top_k} >= {n_symbols} usable symbols: the top-k rule holds "
            f"each name at 1/{pc.top_k}, so the strategy is at most "
            f"{min(1.0, n_symbols / pc.top_k):.0%} invested (the rest is cash) while NIFTY 50 "
            "is fully invested; lower portfolio.top_k or widen the universe"
        )
    small = [
        t.top_k for t in config.backtest.trials if t.sizing == "top_k" and t.top_k >= n_symbols
    ]
    if n_symbols and small:
        out.append(
            f"{len(small)} portfolio trial(s) with top_k >= {n_symbols} usable symbols (top_k "
            f"{', '.join(str(k) for k in sorted(set(small)))}): they are partly in cash by "
            "construction"
        )
    return out
