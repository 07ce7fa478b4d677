"""Reading side of :func:`sensequant.data.imports.ingest.import_paths` (internal).

:class:`Collector` expands the paths, skips unchanged files, imports constituent lists and
parses every other file into :class:`Piece` objects grouped by (symbol, interval); bhavcopy
rows of all day files wait in one list and are split per symbol once, by
:meth:`Collector.bhavcopy_pieces`. Storing lives in :mod:`sensequant.data.imports.ingest`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.imports.checks import check_known
from sensequant.data.imports.history import ImportHistory, PriorImport, file_sha256, import_key
from sensequant.data.imports.report import FileOutcome, ImportReport
from sensequant.data.market import symbol_from_filename
from sensequant.data.readers import ParsedFile, read_bar_file
from sensequant.data.reference import is_index_list_file, load_nse_index_list
from sensequant.data.store import BarStore, OnConflict
from sensequant.errors import InputFileError, InvalidSymbolError, SenseQuantError
from sensequant.types import IST

__all__ = ["BhavFile", "Collector", "Piece", "error_text", "expand_paths", "universe_name"]

SUFFIXES = (".csv", ".parquet", ".zip")
"""File types a folder is searched for."""
_MAX_DAY_WARNINGS = 10
_UNCHANGED = "unchanged since its last import (same SHA-256), skipped"


@dataclass
class Piece:
    """Bars of one series from one file (or, for bhavcopies, from several day files)."""

    path: Path
    symbol: str
    interval: str
    layout: str
    bars: pd.DataFrame
    key: str
    notes: tuple[str, ...] = ()
    sources: tuple[int, ...] = ()  # bhavcopy file indices; empty for ordinary files
    label: str = ""

    @property
    def name(self) -> str:
        """Short name for messages: the file name, or e.g. ``250 bhavcopy files``."""
        return self.label or self.path.name


@dataclass(frozen=True)
class BhavFile:
    """One parsed bhavcopy file (its rows wait in :attr:`Collector.bhav_frames`)."""

    path: Path
    layout: str
    key: str
    rows: int
    notes: tuple[str, ...]


def find_bar_files(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """Bar files under ``paths``: folders searched recursively for :data:`SUFFIXES` (sorted,
    hidden parts skipped), files kept as given, duplicates dropped.

    Returns
    -------
    files : list of pathlib.Path
    warnings : list of str
        One per folder holding no bar file.
    """
    out: list[Path] = []
    warnings: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                warnings.append(f"{path}: no .csv, .parquet or .zip files in this folder")
            out.extend(found)
        else:
            out.append(path)
    unique: list[Path] = []
    seen: set[Path] = set()
    for p in out:
        resolved = p.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(p)
    return unique, warnings


def expand_paths(paths: Sequence[Path], store: BarStore, report: ImportReport) -> list[Path]:
    """Files to import (:func:`find_bar_files`), anything inside the store dropped (with a
    warning)."""
    store_root = store.root.resolve()
    files, warnings = find_bar_files(paths)
    report.warnings.extend(warnings)
    kept: list[Path] = []
    for p in files:
        if p.resolve().is_relative_to(store_root):
            report.warnings.append(f"{p}: skipped, it is inside the bar store {store.root}")
        else:
            kept.append(p)
    return kept


def error_text(path: Path, exc: BaseException) -> str:
    """The message of a failure, always naming ``path`` (and the hint of our own errors)."""
    text = str(exc) if isinstance(exc, SenseQuantError) else f"{type(exc).__name__}: {exc}"
    return text if str(path) in text else f"{path}: {text}"


def universe_name(path: Path) -> str:
    """Catalog universe of a constituent list: ``nifty100`` or the cleaned file stem."""
    stem = path.stem.lower()
    if "nifty100" in stem:
        return "nifty100"
    return "".join(ch if ch.isalnum() else "_" for ch in stem).strip("_") or "imported"


def no_symbol_error(path: Path) -> InputFileError:
    """Error for a bar file whose symbol is unknown, saying why the file name is unusable."""
    try:
        symbol_from_filename(path.stem)
    except InvalidSymbolError as exc:
        why = f"the file name {path.stem!r} is not an NSE symbol ({exc.message})"
    else:  # pragma: no cover - a valid file name always gives a symbol
        why = "no symbol found"
    return InputFileError(
        path,
        f"cannot tell which symbol the bars belong to: {why}",
        hint="name the file after the symbol (RELIANCE.csv, MM.csv for M&M) or pass --symbol",
    )


class Collector:
    """State of one ``import_paths`` call (runs under the store lock): reads every file into
    pieces grouped by series, and reports outcomes."""

    def __init__(
        self,
        store: BarStore,
        catalog: Catalog,
        on_file: Callable[[FileOutcome], None] | None,
        read_options: dict[str, Any],
        wanted: set[str] | None,
        key_options: dict[str, Any],
        history: ImportHistory,
        known: frozenset[str] | None = None,
        strict: bool = False,
    ) -> None:
        self.store, self.catalog, self.on_file = store, catalog, on_file
        self.read_options, self.wanted, self.key_options = read_options, wanted, key_options
        self.history = history
        self.on_conflict = OnConflict.FAIL
        self.known, self.strict = known, strict  # symbol-master check (None: not checked)
        self.report = ImportReport()
        self.groups: dict[tuple[str, str], list[Piece]] = {}
        self.candidates: list[tuple[Path, str, PriorImport]] = []
        self.bhav_files: list[BhavFile] = []
        self.bhav_frames: list[pd.DataFrame] = []
        self.sym_ids: dict[str, int] = {}
        self.day_file: dict[pd.Timestamp, int] = {}
        self.bhav_failed: dict[int, list[str]] = {}
        self.shared_days = 0

    # ------------------------------------------------------------- outcomes
    def done(self, outcome: FileOutcome) -> None:
        """Record a final outcome and tell ``on_file``."""
        self.report.files.append(outcome)
        if self.known is not None and outcome.status == "ok" and outcome.symbol:
            warning = check_known(outcome.path, outcome.symbol, self.known, strict=False)
            self.report.warnings.extend([warning] if warning else [])
        if self.on_file is not None:
            self.on_file(outcome)

    def fail(
        self, path: Path, exc: BaseException, symbol: str | None = None, interval: str | None = None
    ) -> None:
        """Record a failed file (catalog row + outcome); a catalog failure becomes a warning."""
        error = error_text(path, exc)
        try:
            self.catalog.record_import(
                source=str(path.resolve()),
                status="failed",
                error=error,
                symbol=symbol,
                interval=interval,
            )
        except SenseQuantError as log_exc:
            self.report.warnings.append(f"{path}: failure not recorded in the catalog ({log_exc})")
        self.done(FileOutcome(path, "failed", symbol=symbol, interval=interval, error=error))

    # ---------------------------------------------------------------- reading
    def read(self, path: Path) -> None:
        """Phase 1 for one file: skip, import a constituent list, or parse into pieces."""
        if not path.is_file():
            raise InputFileError(path, "no such file", hint="check the path")
        key = import_key(file_sha256(path), **self.key_options)
        source = str(path.resolve())
        is_list = is_index_list_file(path)
        prior = self.history.unchanged(source, key, universe_name(path) if is_list else None)
        if prior is not None:
            self.candidates.append((path, key, prior))
        elif is_list:
            self.done(self.import_list(path, key))
        else:
            self.add(read_bar_file(path, **self.read_options), key)

    def import_list(self, path: Path, key: str) -> FileOutcome:
        """Constituent list -> symbol master and catalog universe."""
        rows = load_nse_index_list(path)
        name = universe_name(path)
        as_of = pd.Timestamp(path.stat().st_mtime, unit="s", tz="UTC").tz_convert(IST).date()
        self.catalog.upsert_symbols(rows)
        self.catalog.set_universe(name, [r.symbol for r in rows], source=str(path), as_of=as_of)
        self.catalog.record_import(
            source=str(path.resolve()),
            status="ok",
            layout="nse_index_list",
            rows_in=len(rows),
            rows_out=len(rows),
            content_sha256=key,
        )
        return FileOutcome(
            path, "ok", layout="nse_index_list", rows_in=len(rows), rows_out=len(rows)
        )

    def add(self, parsed: ParsedFile, key: str) -> None:
        """File the parsed bars under their series (or with the bhavcopy rows)."""
        path, bars = parsed.path, parsed.bars
        if parsed.symbol is None and "symbol" in bars.columns:
            self.add_bhavcopy(parsed, key)
            return
        if parsed.symbol is None:
            raise no_symbol_error(path)
        if self.wanted is not None and parsed.symbol not in self.wanted:
            note = f"{parsed.symbol} is not among the symbols asked for, skipped"
            self.done(
                FileOutcome(
                    path,
                    "skipped",
                    symbol=parsed.symbol,
                    interval=parsed.interval,
                    layout=parsed.layout,
                    rows_in=len(bars),
                    notes=(*parsed.notes, note),
                )
            )
            return
        if self.known is not None and self.strict:  # else warned once imported (done)
            check_known(path, parsed.symbol, self.known, strict=True)
        piece = Piece(path, parsed.symbol, parsed.interval, parsed.layout, bars, key, parsed.notes)
        self.groups.setdefault((piece.symbol, piece.interval), []).append(piece)

    def add_bhavcopy(self, parsed: ParsedFile, key: str) -> None:
        """Keep a bhavcopy's rows (symbols coded as int32) until :meth:`bhavcopy_pieces`."""
        bars = parsed.bars
        if self.wanted is not None:
            bars = bars.loc[bars["symbol"].isin(self.wanted).to_numpy()]
        index = len(self.bhav_files)
        self.bhav_files.append(BhavFile(parsed.path, parsed.layout, key, len(bars), parsed.notes))
        for day in parsed.bars["timestamp"].drop_duplicates():
            other = self.day_file.setdefault(day, index)
            if other != index:
                self.warn_day(other, index, day)
        for sym in bars["symbol"].unique():
            self.sym_ids.setdefault(str(sym), len(self.sym_ids))
        coded = bars.drop(columns="symbol").assign(
            _sym=bars["symbol"].map(self.sym_ids).to_numpy(dtype=np.int32),
            _src=np.int32(index),
        )
        self.bhav_frames.append(coded)

    def warn_day(self, first: int, second: int, day: pd.Timestamp) -> None:
        """Warn (at most :data:`_MAX_DAY_WARNINGS` times) that two files hold one day."""
        self.shared_days += 1
        if self.shared_days <= _MAX_DAY_WARNINGS:
            a, b = self.bhav_files[first].path, self.bhav_files[second].path
            self.report.warnings.append(
                f"{a} and {b} both hold the trading day {day:%Y-%m-%d}: identical rows are "
                "kept once, differing ones are flagged as conflicting_duplicate (the later "
                "file's row wins); import one copy of each day"
            )

    def unskip(self) -> None:
        """Re-read unchanged files whose series is being written from a changed file (so
        the splice rule sees every file of the series); report the others as skipped."""
        for path, key, prior in self.candidates:
            group = (prior.symbol or "", prior.interval or "")
            if group in self.groups:
                try:
                    self.add(read_bar_file(path, **self.read_options), key)
                except Exception as exc:
                    self.fail(path, exc)
                continue
            self.done(
                FileOutcome(
                    path,
                    "skipped",
                    symbol=prior.symbol,
                    interval=prior.interval,
                    layout=prior.layout,
                    notes=(_UNCHANGED,),
                )
            )

    def bhavcopy_pieces(self) -> dict[str, Piece]:
        """The bhavcopy rows of every file, split ONCE per symbol (one piece per symbol)."""
        bhav: dict[str, Piece] = {}
        if self.shared_days > _MAX_DAY_WARNINGS:
            self.report.warnings.append(
                f"... {self.shared_days - _MAX_DAY_WARNINGS} more trading days are held by "
                "two bhavcopy files"
            )
        if not self.bhav_frames:
            return bhav
        names = {i: s for s, i in self.sym_ids.items()}
        rows = pd.concat(self.bhav_frames, ignore_index=True)
        self.bhav_frames = []
        for code, part in rows.groupby("_sym", sort=False):
            sources = tuple(int(i) for i in np.unique(part["_src"].to_numpy()))
            symbol = names[int(cast(int, code))]
            bhav[symbol] = Piece(
                self.bhav_files[sources[0]].path,
                symbol,
                "1day",
                "+".join(sorted({self.bhav_files[i].layout for i in sources})),
                part.drop(columns=["_sym", "_src"]).reset_index(drop=True),
                "",
                sources=sources,
                label=f"{len(sources)} bhavcopy files",
            )
        return bhav
