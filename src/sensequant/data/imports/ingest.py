"""Import bar files, NSE bhavcopies and NSE constituent lists into the store and catalog.

:func:`import_paths` is what ``sensequant data import PATH...`` runs:

1. folders are expanded recursively to their ``*.csv``, ``*.parquet`` and ``*.zip`` files
   (sorted; hidden files and anything inside the store itself are skipped);
2. a file unchanged since its last successful import (same SHA-256 and options, its series
   still stored) is skipped without being parsed (:mod:`sensequant.data.imports.history`), so
   re-importing a folder writes nothing; ``force=True`` reads everything again;
3. NSE constituent lists (``Company Name,Industry,Symbol,Series,ISIN Code``) go to the symbol
   master and become a catalog universe (``nifty100`` when the file name contains it, else the
   lower-case file stem);
4. every other file is parsed (:func:`sensequant.data.readers.layouts.read_bar_file`) with the alias
   table (:func:`sensequant.data.reference.aliases.load_aliases`), so old symbols are stored
   under the current one (``UTIBANK`` -> ``AXISBANK``, noted in the outcome); a file that fails is
   reported and skipped, the others still import;
5. parsed files are grouped by (symbol, interval). NSE bhavcopies (one file per day, every
   symbol) are split per symbol ONCE for the whole call: their rows are concatenated and
   grouped, so a symbol's series is cleaned and merged once however many day files there are.
   Several files of one series (the two NIFTY 50 index files) are spliced: on a timestamp
   present in more than one file the **later-starting file wins** (it is the newer download,
   and for the index files the README's splice rule), and closes that disagree by more than
   0.5 % are reported as a warning naming the symbol, the number of dates and the first few;
6. each series is cleaned (:func:`sensequant.data.quality.clean.clean_bars`), merged into the store
   (:meth:`BarStore.merge`, atomic) under the ``on_conflict`` policy (default ``fail``: a
   file that would change stored bars beyond float noise, or that holds two different rows
   for one timestamp, is refused with the bars and the size of each change listed); the
   jump check runs again on the merged series around the changed span
   (:func:`sensequant.data.quality.derived.recheck_merged`), the corporate actions are
   brought up to date with the stored series (:func:`sensequant.data.quality.sync_actions`),
   and LAST the import is recorded in the catalog with its findings and the stored file's
   SHA-256: that row is what makes the file skippable, so a crash at any step leaves the
   file to be read again, and the next import heals the catalog.

Everything runs under the store's writer lock. A series is all-or-nothing: if any step before
the store write fails, nothing stored for it changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.imports.checks import known_symbols, require_rows
from sensequant.data.imports.collect import Collector, Piece, expand_paths
from sensequant.data.imports.history import ImportHistory, file_sha256
from sensequant.data.imports.report import FileOutcome, ImportReport
from sensequant.data.market import validate_symbol
from sensequant.data.quality import Finding, clean_bars, recheck_merged, sync_actions
from sensequant.data.readers import DEFAULT_SERIES, normalise_series
from sensequant.data.reference import canonical_symbol, is_index_symbol, load_aliases
from sensequant.data.store import BarStore, OnConflict
from sensequant.errors import InputFileError, UsageError
from sensequant.types import BAR_COLUMNS, INTERVALS, IST, OPTIONAL_BAR_COLUMNS

__all__ = ["CLOSE_TOLERANCE", "FileOutcome", "ImportReport", "import_paths"]

CLOSE_TOLERANCE = 0.005
"""Relative close difference (0.5 %) above which overlapping files are said to disagree."""

_STORE_COLUMNS = (*BAR_COLUMNS, *OPTIONAL_BAR_COLUMNS)
_ADJUSTED_LAYOUTS = frozenset({"yahoo_daily", "yfinance_v2"})
_WARN_FIXES = {
    "exact_duplicate_removed": "the repeats were dropped, nothing else to do",
    "conflicting_duplicate": "check which row is right, fix the file and import it again",
    "negative_volume_clipped": "volume cannot be negative; fix the file if 0 is wrong",
    "extended_hours_bar_dropped": "they are not regular-session bars, nothing else to do",
    "off_calendar_row_dropped": "a real NSE session? add it to market.calendar.SESSION_OVERRIDES",
    "ohlc_repaired": "repaired as asked (--repair-ohlc)",
}


def _splice(pieces: list[Piece], report: ImportReport) -> pd.DataFrame:
    """Concatenate a series' files; on shared timestamps the later-starting file wins."""
    if len(pieces) == 1:
        return pieces[0].bars
    order = sorted(range(len(pieces)), key=lambda i: pieces[i].bars["timestamp"].min())
    frames = [pieces[i].bars.assign(_piece=rank) for rank, i in enumerate(order)]
    allbars = pd.concat(frames, ignore_index=True)
    winner = allbars.groupby("timestamp")["_piece"].transform("max")
    keep = allbars["_piece"] == winner
    losers = allbars.loc[~keep, ["timestamp", "close", "_piece"]]
    if len(losers):
        won = allbars.loc[keep].drop_duplicates("timestamp").set_index("timestamp")
        ref = won["close"].reindex(losers["timestamp"]).to_numpy(dtype=np.float64)
        won_piece = won["_piece"].reindex(losers["timestamp"]).to_numpy()
        rel = np.abs(losers["close"].to_numpy(dtype=np.float64) / ref - 1.0)
        first = pieces[order[0]]
        for key, grp in losers.assign(_win=won_piece, _rel=rel).groupby(["_piece", "_win"]):
            lose, win = cast(tuple[int, int], key)
            bad = grp.loc[grp["_rel"] > CLOSE_TOLERANCE, "timestamp"].drop_duplicates()
            if bad.empty:
                continue
            a, b = pieces[order[int(lose)]].name, pieces[order[int(win)]].name
            shown = ", ".join(str(t.date()) for t in bad.iloc[:5])
            report.warnings.append(
                f"{first.symbol} {first.interval}: closes in {a} and {b} differ by more than "
                f"{CLOSE_TOLERANCE:.1%} on {len(bad)} of {grp['timestamp'].nunique()} "
                f"overlapping dates (first: {shown}); kept {b}, the later-starting file"
            )
    spliced = allbars.loc[keep].drop(columns="_piece")
    return spliced.sort_values("timestamp", kind="stable").reset_index(drop=True)


def _source_text(files: list[Path]) -> str:
    if len(files) <= 3:
        return "; ".join(str(p.resolve()) for p in files)
    return f"{files[0].resolve()}; ...; {files[-1].resolve()} ({len(files)} files)"


def _store_all(run: Collector) -> None:
    """Clean, merge and record every series; then settle the bhavcopy files' outcomes."""
    bhav = run.bhavcopy_pieces()
    keys = list(run.groups) + [(s, "1day") for s in sorted(bhav) if (s, "1day") not in run.groups]
    for sym, ivl in keys:
        pieces = list(run.groups.get((sym, ivl), []))
        if ivl == "1day" and sym in bhav:
            pieces.append(bhav.pop(sym))
        try:
            outcomes = _store_group(run, pieces)
        except Exception as exc:
            for piece in pieces:
                if piece.sources:
                    for i in piece.sources:
                        run.bhav_failed.setdefault(i, []).append(f"{sym} ({exc})")
                else:
                    run.fail(piece.path, exc, symbol=sym, interval=ivl)
            continue
        for outcome in outcomes:
            run.done(outcome)
    _finish_bhavcopies(run)


def _store_group(run: Collector, pieces: list[Piece]) -> list[FileOutcome]:
    symbol, interval = pieces[0].symbol, pieces[0].interval
    started = pd.Timestamp.now(tz=IST)
    raw = _splice(pieces, run.report).drop(columns=["symbol"], errors="ignore")
    options = {"is_index": is_index_symbol(symbol), "repair_ohlc": run.read_options["repair_ohlc"]}
    result = clean_bars(raw, symbol=symbol, interval=interval, **options)
    require_rows(pieces[0].path if len(pieces) == 1 else Path(pieces[0].name), result)
    bars = result.bars
    extra = [c for c in bars.columns if c not in _STORE_COLUMNS and not c.startswith("_")]
    if extra:
        run.report.warnings.append(f"{symbol} {interval}: columns {extra} are not stored")
    bars = bars[[c for c in _STORE_COLUMNS if c in bars.columns]]
    stats = run.store.merge(symbol, interval, bars, on_conflict=run.on_conflict)
    findings = [*result.findings, *recheck_merged(run.store, symbol, interval, stats)]
    # suspected unadjusted bonuses/splits of the whole raw stored series, recomputed when the
    # catalog's result is missing or stale (the bars stay raw; the pipeline reads the
    # adjusted view)
    sync_actions(run.store, run.catalog, symbol, interval)
    stored_sha = file_sha256(run.store.path(symbol, interval))
    layouts = sorted({p.layout for p in pieces})
    files = [run.bhav_files[i].path for p in pieces for i in p.sources] + [
        p.path for p in pieces if not p.sources
    ]
    keys = [run.bhav_files[i].key for p in pieces for i in p.sources]
    keys += [p.key for p in pieces if not p.sources]
    bhavcopy = any(p.sources for p in pieces)
    if len(files) == 1 and not bhavcopy:
        sha = keys[0]
    else:  # never equal to one file's key: a series row must not make a file skippable
        sha = hashlib.sha256(("series:" + "".join(keys)).encode()).hexdigest()
    run.catalog.record_import(
        source=_source_text(files),
        status="ok",
        symbol=symbol,
        interval=interval,
        layout="+".join(layouts),
        rows_in=result.rows_in,
        rows_out=result.rows_out,
        added=stats.added,
        replaced=stats.replaced,
        content_sha256=sha,
        store_sha256=stored_sha,
        started_at=started,
        findings=findings,
    )
    if len(pieces) > 1:  # per-file rows: what makes each file skippable next time
        for p in pieces:
            if not p.sources:
                run.catalog.record_import(
                    source=str(p.path.resolve()),
                    status="ok",
                    symbol=symbol,
                    interval=interval,
                    layout=p.layout,
                    rows_in=len(p.bars),
                    content_sha256=p.key,
                    store_sha256=stored_sha,
                )
    run.report.series.append((symbol, interval, stats.total))
    run.report.changes[(symbol, interval)] = (stats.added, stats.replaced)
    if not bhavcopy:
        _warn_findings(run, pieces, findings)
    if bhavcopy and _ADJUSTED_LAYOUTS & set(layouts):
        run.report.warnings.append(
            f"{symbol} {interval}: raw (unadjusted) bhavcopy prices were spliced with "
            "Yahoo's split/bonus-adjusted prices; corporate actions will show as jumps. "
            "Import one kind of source per symbol"
        )
    return [
        FileOutcome(
            p.path,
            "ok",
            symbol=symbol,
            interval=interval,
            layout=p.layout,
            rows_in=len(p.bars),
            rows_out=result.rows_out,
            added=stats.added,
            replaced=stats.replaced,
            findings=tuple(findings),
            notes=p.notes,
        )
        for p in pieces
        if not p.sources
    ]


def _warn_findings(run: Collector, pieces: list[Piece], findings: Sequence[Finding]) -> None:
    names = ", ".join(str(p.path) for p in pieces)
    for f in findings:
        if f.kind in _WARN_FIXES:
            lines = f" (source lines {', '.join(str(x) for x in f.lines[:5])})" if f.lines else ""
            run.report.warnings.append(
                f"{names}: {pieces[0].symbol} {pieces[0].interval} {f.kind}: {f.detail}"
                f"{lines}; {_WARN_FIXES[f.kind]}"
            )


def _finish_bhavcopies(run: Collector) -> None:
    """One outcome and one catalog row per bhavcopy file, once its series are stored."""
    for index, info in enumerate(run.bhav_files):
        failed = run.bhav_failed.get(index)
        if failed:
            run.fail(
                info.path,
                InputFileError(
                    info.path,
                    f"{len(failed)} of its symbols could not be stored: {'; '.join(failed[:3])}",
                    hint="fix the cause named and import the folder again",
                ),
            )
            continue
        run.catalog.record_import(
            source=str(info.path.resolve()),
            status="ok",
            interval="1day",
            layout=info.layout,
            rows_in=info.rows,
            rows_out=info.rows,
            content_sha256=info.key,
        )
        run.done(
            FileOutcome(
                info.path,
                "ok",
                interval="1day",
                layout=info.layout,
                rows_in=info.rows,
                notes=info.notes,
            )
        )


def import_paths(
    paths: Sequence[Path],
    store: BarStore,
    catalog: Catalog,
    *,
    symbol: str | None = None,
    interval: str | None = None,
    symbols: Sequence[str] | None = None,
    series: Sequence[str] = DEFAULT_SERIES,
    force: bool = False,
    on_conflict: OnConflict | str = OnConflict.FAIL,
    on_file: Callable[[FileOutcome], None] | None = None,
    repair_ohlc: bool = False,
    strict: bool = False,
) -> ImportReport:
    """Import files and folders of bars, NSE bhavcopies and constituent lists (module notes).

    Parameters
    ----------
    paths : sequence of pathlib.Path
        Files and/or folders (searched recursively for ``*.csv`` / ``*.parquet`` / ``*.zip``).
    store : BarStore
    catalog : Catalog
    symbol : str, optional
        Force the symbol of every bar file (default: from the file name or content; refused
        for bhavcopies).
    interval : str, optional
        Force the interval (default: detected from the timestamps).
    symbols : sequence of str, optional
        Import only these symbols (old names are mapped through the alias table); files and
        bhavcopy rows of other symbols are skipped. Default: all.
    series : sequence of str, default ("EQ",)
        NSE series kept from bhavcopies and Kaggle files (add ``BE``, ``BZ`` to keep the
        trade-to-trade segments).
    force : bool, default False
        Read every file even when it is unchanged since its last import.
    on_conflict : OnConflict or str, default "fail"
        Stored bars a file would change beyond float noise, and rows of ONE file that
        disagree on a timestamp: ``fail`` (refuse the series listing the bars, or the file
        naming both lines), ``keep`` (stored bars / the earlier line win) or ``replace`` (new
        bars / the later line win; noted).
    on_file : callable, optional
        Called with each :class:`FileOutcome` once it is final (for progress display).
    repair_ohlc : bool, default False
        Widen high/low not bounding open/close (``ohlc_repaired``) instead of failing the file.
    strict : bool, default False
        Fail files of symbols unknown to the symbol master (default: a warning names them).

    Returns
    -------
    ImportReport

    Raises
    ------
    StoreError
        If another import holds the store lock.
    InvalidSymbolError, UsageError
        If ``symbol``, ``symbols``, ``series`` or ``interval`` is malformed (before anything is
        read).
    DataError
        If the alias table has a cycle.
    """
    forced = validate_symbol(symbol) if symbol is not None else None
    if interval is not None and interval not in INTERVALS:
        raise UsageError(f"unknown interval {interval!r}", hint=f"use one of {INTERVALS}")
    series = normalise_series(series)
    policy = OnConflict.parse(on_conflict)
    asked = None if symbols is None else [validate_symbol(s) for s in symbols]
    if asked is not None and not asked:
        raise UsageError("no symbols given to import", hint="leave --symbols out to import all")
    with store.lock():
        aliases = load_aliases(catalog)
        wanted = None if asked is None else {canonical_symbol(s, aliases) for s in asked}
        key_options: dict[str, Any] = {
            "series": series,
            "symbols": None if wanted is None else sorted(wanted),
            "symbol": forced,
            "interval": interval,
            "repair_ohlc": repair_ohlc,
            "on_conflict": policy.value,
        }
        history = ImportHistory.empty(store) if force else ImportHistory.load(catalog, store)
        read_options = {
            "symbol": forced,
            "interval": interval,
            "series": series,
            "aliases": aliases,
            "repair_ohlc": repair_ohlc,
            "on_conflict": policy.value,
        }
        known = known_symbols(catalog, store, aliases)
        run = Collector(store, catalog, on_file, read_options, wanted, key_options, history)
        run.on_conflict = policy
        run.known, run.strict = known, strict
        for path in expand_paths(paths, store, run.report):
            try:
                run.read(path)
            except Exception as exc:
                run.fail(path, exc)
        run.unskip()
        _store_all(run)
    return run.report
