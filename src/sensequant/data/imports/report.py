"""What :func:`sensequant.data.imports.ingest.import_paths` reports: one outcome per file,
per-series totals and warnings (JSON-ready through :meth:`ImportReport.to_dict`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sensequant.data.quality import Finding

__all__ = ["FileOutcome", "ImportReport"]


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one imported file.

    Attributes
    ----------
    path : pathlib.Path
        The file, as found (relative when a relative folder was given).
    status : {'ok', 'failed', 'skipped'}
        ``skipped``: unchanged since its last successful import (same SHA-256 and import
        options, its series still stored) or its symbol was not among those asked for; the
        notes say which. Nothing is read into the store for a skipped file.
    symbol, interval, layout : str, optional
        The series and the detected layout (``nse_index_list`` for constituent lists). A
        bhavcopy (every symbol of one day) has ``symbol`` None; its series are in
        :attr:`ImportReport.series`.
    rows_in : int
        Rows parsed from this file (bhavcopy: rows kept after the series and symbol filters).
    rows_out : int
        Rows of the cleaned series this file belongs to (0 for a bhavcopy).
    added, replaced : int
        Bars added to / replaced in the store for that series. Files spliced into one series
        share these numbers (see :attr:`ImportReport.rows_written`); 0 for a bhavcopy.
    findings : tuple of Finding
        Quality findings of the series.
    error : str, optional
        Why it failed; names the file, the lines when known, and a hint.
    notes : tuple of str
        Decisions worth knowing: renames (``UTIBANK stored as AXISBANK (alias table)``), raw
        bhavcopy prices, why a file was skipped.
    """

    path: Path
    status: Literal["ok", "failed", "skipped"]
    symbol: str | None = None
    interval: str | None = None
    layout: str | None = None
    rows_in: int = 0
    rows_out: int = 0
    added: int = 0
    replaced: int = 0
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """Result of :func:`sensequant.data.imports.ingest.import_paths`.

    Attributes
    ----------
    files : list of FileOutcome
        In processing order.
    warnings : list of str
        Disagreeing overlaps, duplicated or conflicting rows, days held by two bhavcopies,
        raw and adjusted prices mixed, skipped paths, dropped columns.
    series : list of tuple (symbol, interval, bars)
        Every series written or confirmed, with its total bars in the store afterwards.
    changes : dict of (symbol, interval) to (added, replaced)
        Bars added and replaced per series written.
    """

    files: list[FileOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    series: list[tuple[str, str, int]] = field(default_factory=list)
    changes: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

    @property
    def n_failed(self) -> int:
        """Files (file outcomes) that failed."""
        return sum(o.status == "failed" for o in self.files)

    @property
    def n_ok(self) -> int:
        """Files (file outcomes) that imported."""
        return sum(o.status == "ok" for o in self.files)

    @property
    def n_skipped(self) -> int:
        """Files skipped: unchanged since their last import, or not among the symbols asked."""
        return sum(o.status == "skipped" for o in self.files)

    @property
    def rows_written(self) -> int:
        """Bars added or replaced in the store, counted once per series."""
        return sum(added + replaced for added, replaced in self.changes.values())

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
                "notes": list(o.notes),
            }
            for o in self.files
        ]
        return {
            "n_ok": self.n_ok,
            "n_failed": self.n_failed,
            "n_skipped": self.n_skipped,
            "rows_written": self.rows_written,
            "warnings": list(self.warnings),
            "series": [{"symbol": s, "interval": i, "bars": n} for s, i, n in self.series],
            "files": files,
        }
