"""Import bar files and NSE constituent lists into the store and catalog; report coverage.

:func:`import_paths` is what ``sensequant data import PATH...`` runs:

1. folders are expanded recursively to their ``*.csv`` and ``*.parquet`` files (sorted; hidden
   files and anything inside the store itself are skipped);
2. NSE constituent lists (``Company Name,Industry,Symbol,Series,ISIN Code``) go to the symbol
   master and become a catalog universe (``nifty100`` when the file name contains it, else the
   lower-case file stem);
3. every other file is parsed (:func:`sensequant.data.layouts.read_bar_file`); a file that
   fails is reported and skipped, the others still import;
4. parsed files are grouped by (symbol, interval). Several files of one series (the two
   NIFTY 50 index files) are spliced: on a timestamp present in more than one file the
   **later-starting file wins** (it is the newer download, and for the index files the
   README's splice rule), and closes that disagree by more than 0.5 % are reported as a
   warning naming the symbol, the number of dates and the first few;
5. each series is cleaned (:func:`sensequant.data.quality.clean_bars`), merged into the store
   (:meth:`BarStore.merge`, atomic) and recorded in the catalog with its quality findings.

Everything runs under the store's writer lock. A series is all-or-nothing: if any step before
the store write fails, nothing stored for it changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from sensequant.data.calendar import calendar_bounds, missing_sessions
from sensequant.data.catalog import Catalog
from sensequant.data.layouts import read_bar_file
from sensequant.data.quality import Finding, clean_bars
from sensequant.data.store import BarStore
from sensequant.data.symbols import validate_symbol
from sensequant.data.universe import is_index_list_file, is_index_symbol, load_nse_index_list
from sensequant.errors import InputFileError, SenseQuantError, UsageError
from sensequant.types import BAR_COLUMNS, INTERVALS, IST, OPTIONAL_BAR_COLUMNS

__all__ = ["CLOSE_TOLERANCE", "FileOutcome", "ImportReport", "coverage", "import_paths"]

CLOSE_TOLERANCE = 0.005
"""Relative close difference (0.5 %) above which overlapping files are said to disagree."""

_SUFFIXES = (".csv", ".parquet")
_STORE_COLUMNS = (*BAR_COLUMNS, *OPTIONAL_BAR_COLUMNS)


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one imported file (one per file and symbol for multi-symbol files).

    Attributes
    ----------
    path : pathlib.Path
    status : {'ok', 'failed'}
    symbol, interval, layout : str, optional
        The series and the detected layout (``nse_index_list`` for constituent lists).
    rows_in : int
        Rows parsed from this file.
    rows_out : int
        Rows of the cleaned series this file belongs to.
    added, replaced : int
        Bars added to / replaced in the store for that series. Files spliced into one series
        share these numbers (see :attr:`ImportReport.rows_written`).
    findings : tuple of Finding
        Quality findings of the series.
    error : str, optional
        Why it failed; names the file.
    """

    path: Path
    status: Literal["ok", "failed"]
    symbol: str | None = None
    interval: str | None = None
    layout: str | None = None
    rows_in: int = 0
    rows_out: int = 0
    added: int = 0
    replaced: int = 0
    findings: tuple[Finding, ...] = ()
    error: str | None = None


@dataclass
class ImportReport:
    """Result of :func:`import_paths`.

    Attributes
    ----------
    files : list of FileOutcome
        In processing order.
    warnings : list of str
        Disagreeing overlaps, skipped paths, dropped columns.
    series : list of tuple (symbol, interval, bars)
        Every series written or confirmed, with its total bars in the store afterwards.
    """

    files: list[FileOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    series: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def n_failed(self) -> int:
        """Files (file outcomes) that failed."""
        return sum(o.status == "failed" for o in self.files)

    @property
    def n_ok(self) -> int:
        """Files (file outcomes) that imported."""
        return sum(o.status == "ok" for o in self.files)

    @property
    def rows_written(self) -> int:
        """Bars added or replaced in the store, counted once per series."""
        per_series = {
            (o.symbol, o.interval): o.added + o.replaced
            for o in self.files
            if o.status == "ok" and o.interval is not None
        }
        return sum(per_series.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (paths and timestamps as strings) for ``--json`` output."""

        def finding(f: Finding) -> dict[str, Any]:
            first = None if f.first_timestamp is None else f.first_timestamp.isoformat()
            return {
                "kind": f.kind,
                "count": f.count,
                "detail": f.detail,
                "first_timestamp": first,
                "lines": list(f.lines),
            }

        files = [
            {
                **{k: getattr(o, k) for k in ("status", "symbol", "interval", "layout")},
                "path": str(o.path),
                **{k: getattr(o, k) for k in ("rows_in", "rows_out", "added", "replaced")},
                "findings": [finding(f) for f in o.findings],
                "error": o.error,
            }
            for o in self.files
        ]
        return {
            "n_ok": self.n_ok,
            "n_failed": self.n_failed,
            "rows_written": self.rows_written,
            "warnings": list(self.warnings),
            "series": [{"symbol": s, "interval": i, "bars": n} for s, i, n in self.series],
            "files": files,
        }


@dataclass
class _Piece:
    path: Path
    symbol: str
    interval: str
    layout: str
    bars: pd.DataFrame
    sha256: str


def _expand(paths: Sequence[Path], store: BarStore, report: ImportReport) -> list[Path]:
    store_root = store.root.resolve()
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in _SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                report.warnings.append(f"{path}: no .csv or .parquet files in this folder")
            out.extend(found)
        else:
            out.append(path)
    unique: list[Path] = []
    seen: set[Path] = set()
    for p in out:
        resolved = p.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        if resolved.is_relative_to(store_root):
            report.warnings.append(f"{p}: skipped, it is inside the bar store {store.root}")
            continue
        unique.append(p)
    return unique


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _error_text(path: Path, exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, SenseQuantError) else f"{type(exc).__name__}: {exc}"
    return text if str(path) in text else f"{path}: {text}"


def _universe_name(path: Path) -> str:
    stem = path.stem.lower()
    if "nifty100" in stem:
        return "nifty100"
    return "".join(ch if ch.isalnum() else "_" for ch in stem).strip("_") or "imported"


def _import_list(path: Path, catalog: Catalog) -> FileOutcome:
    rows = load_nse_index_list(path)
    name = _universe_name(path)
    as_of = pd.Timestamp(path.stat().st_mtime, unit="s", tz="UTC").tz_convert(IST).date()
    catalog.upsert_symbols(rows)
    catalog.set_universe(name, [r.symbol for r in rows], source=str(path), as_of=as_of)
    catalog.record_import(
        source=str(path),
        status="ok",
        layout="nse_index_list",
        rows_in=len(rows),
        rows_out=len(rows),
        content_sha256=_sha256(path),
    )
    return FileOutcome(path, "ok", layout="nse_index_list", rows_in=len(rows), rows_out=len(rows))


def _parse(path: Path, symbol: str | None, interval: str | None) -> list[_Piece]:
    parsed = read_bar_file(path, symbol=symbol, interval=interval)
    sha = _sha256(path)
    bars = parsed.bars
    if parsed.symbol is not None:
        return [_Piece(path, parsed.symbol, parsed.interval, parsed.layout, bars, sha)]
    if "symbol" not in bars.columns:
        raise InputFileError(
            path,
            "cannot tell which symbol the bars belong to",
            hint="name the file after the symbol (RELIANCE.csv) or pass --symbol",
        )
    return [
        _Piece(path, validate_symbol(str(sym)), parsed.interval, parsed.layout, part, sha)
        for sym, part in bars.groupby("symbol", sort=True)
    ]


def _splice(pieces: list[_Piece], report: ImportReport) -> pd.DataFrame:
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
            a, b = pieces[order[int(lose)]].path.name, pieces[order[int(win)]].path.name
            shown = ", ".join(str(t.date()) for t in bad.iloc[:5])
            report.warnings.append(
                f"{first.symbol} {first.interval}: closes in {a} and {b} differ by more than "
                f"{CLOSE_TOLERANCE:.1%} on {len(bad)} of {grp['timestamp'].nunique()} "
                f"overlapping dates (first: {shown}); kept {b}, the later-starting file"
            )
    spliced = allbars.loc[keep].drop(columns="_piece")
    return spliced.sort_values("timestamp", kind="stable").reset_index(drop=True)


def _store_group(
    pieces: list[_Piece], store: BarStore, catalog: Catalog, report: ImportReport
) -> list[FileOutcome]:
    symbol, interval = pieces[0].symbol, pieces[0].interval
    started = pd.Timestamp.now(tz=IST)
    raw = _splice(pieces, report).drop(columns=["symbol"], errors="ignore")
    result = clean_bars(raw, symbol=symbol, interval=interval, is_index=is_index_symbol(symbol))
    bars = result.bars
    extra = [c for c in bars.columns if c not in _STORE_COLUMNS and not c.startswith("_")]
    if extra:
        report.warnings.append(f"{symbol} {interval}: columns {extra} are not stored")
    bars = bars[[c for c in _STORE_COLUMNS if c in bars.columns]]
    stats = store.merge(symbol, interval, bars)
    layouts = sorted({p.layout for p in pieces})
    sha = (
        pieces[0].sha256
        if len(pieces) == 1
        else hashlib.sha256("".join(p.sha256 for p in pieces).encode()).hexdigest()
    )
    catalog.record_import(
        source="; ".join(str(p.path) for p in pieces),
        status="ok",
        symbol=symbol,
        interval=interval,
        layout="+".join(layouts),
        rows_in=result.rows_in,
        rows_out=result.rows_out,
        added=stats.added,
        replaced=stats.replaced,
        content_sha256=sha,
        started_at=started,
        findings=result.findings,
    )
    report.series.append((symbol, interval, stats.total))
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
            findings=tuple(result.findings),
        )
        for p in pieces
    ]


def import_paths(
    paths: Sequence[Path],
    store: BarStore,
    catalog: Catalog,
    *,
    symbol: str | None = None,
    interval: str | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> ImportReport:
    """Import files and folders of bars and NSE constituent lists (see the module docstring).

    Parameters
    ----------
    paths : sequence of pathlib.Path
        Files and/or folders (searched recursively for ``*.csv`` / ``*.parquet``).
    store : BarStore
    catalog : Catalog
    symbol : str, optional
        Force the symbol of every bar file (default: from the file name or content).
    interval : str, optional
        Force the interval (default: detected from the timestamps).
    on_file : callable, optional
        Called with each :class:`FileOutcome` once it is final (for progress display).

    Returns
    -------
    ImportReport

    Raises
    ------
    StoreError
        If another import holds the store lock.
    InvalidSymbolError, UsageError
        If ``symbol`` or ``interval`` is malformed (before anything is read).
    """
    forced_symbol = validate_symbol(symbol) if symbol is not None else None
    if interval is not None and interval not in INTERVALS:
        raise UsageError(f"unknown interval {interval!r}", hint=f"use one of {INTERVALS}")
    report = ImportReport()

    def done(outcome: FileOutcome) -> None:
        report.files.append(outcome)
        if on_file is not None:
            on_file(outcome)

    def fail(
        path: Path, exc: BaseException, symbol: str | None = None, interval: str | None = None
    ) -> None:
        error = _error_text(path, exc)
        try:
            catalog.record_import(
                source=str(path), status="failed", error=error, symbol=symbol, interval=interval
            )
        except SenseQuantError as log_exc:
            report.warnings.append(f"{path}: failure not recorded in the catalog ({log_exc})")
        done(FileOutcome(path, "failed", symbol=symbol, interval=interval, error=error))

    with store.lock():
        groups: dict[tuple[str, str], list[_Piece]] = {}
        for path in _expand(paths, store, report):
            try:
                if is_index_list_file(path):
                    done(_import_list(path, catalog))
                    continue
                for piece in _parse(path, forced_symbol, interval):
                    groups.setdefault((piece.symbol, piece.interval), []).append(piece)
            except Exception as exc:
                fail(path, exc)
        for (sym, ivl), pieces in groups.items():
            try:
                outcomes = _store_group(pieces, store, catalog, report)
            except Exception as exc:
                for piece in pieces:
                    fail(piece.path, exc, symbol=sym, interval=ivl)
                continue
            for outcome in outcomes:
                done(outcome)
    return report


def coverage(store: BarStore, interval: str, symbols: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-symbol coverage of the store against the NSE calendar.

    Parameters
    ----------
    store : BarStore
    interval : str
    symbols : sequence of str, optional
        Default: every symbol stored at ``interval``.

    Returns
    -------
    pandas.DataFrame
        One row per symbol: ``symbol, interval, first, last`` (IST timestamps, NaT when not
        stored), ``bars`` (0 when not stored), ``missing_sessions`` (NSE sessions within
        ``[first, last]`` with no bar, counted as session dates for intraday intervals;
        clamped to the calendar's coverage; NA when not stored) and ``calendar_end`` (last
        date the calendar knows; sessions after it are not checked). Only the timestamp
        column is read.
    """
    cal_end = calendar_bounds()[1]
    rows: list[tuple[Any, ...]] = []
    for sym in store.symbols(interval) if symbols is None else symbols:
        if not store.exists(sym, interval):
            rows.append((sym, interval, pd.NaT, pd.NaT, 0, pd.NA, cal_end))
            continue
        ts = store.read(sym, interval, columns=[])["timestamp"]
        first, last = ts.iloc[0], ts.iloc[-1]
        gaps = len(missing_sessions(ts, first, last))
        rows.append((sym, interval, first, last, len(ts), gaps, cal_end))
    frame = pd.DataFrame(
        rows,
        columns=["symbol", "interval", "first", "last", "bars", "missing_sessions", "calendar_end"],
    )
    frame["missing_sessions"] = frame["missing_sessions"].astype("Int64")
    return frame
