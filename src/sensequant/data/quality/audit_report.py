"""Audit result types: per-symbol :class:`SymbolAudit`, the :class:`AuditReport` and its files.

Computed by :func:`sensequant.data.quality.audit.audit_store`; :meth:`AuditReport.write` writes
``coverage_report.jsonl`` (one JSON object per symbol) and ``coverage_summary.json``
atomically (temporary file in the same folder, fsync, rename).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd

from sensequant.data.market import CALENDAR_NAME
from sensequant.fsutil import write_bytes_atomic

__all__ = ["REPORT_FILE", "SUMMARY_FILE", "AuditReport", "Gap", "SymbolAudit"]

REPORT_FILE: Final = "coverage_report.jsonl"
SUMMARY_FILE: Final = "coverage_summary.json"


@dataclass(frozen=True)
class Gap:
    """A run of consecutive missing sessions.

    Attributes
    ----------
    first, last : datetime.date
        First and last missing session.
    sessions : int
        Sessions missing in the run.
    """

    first: dt.date
    last: dt.date
    sessions: int


@dataclass(frozen=True)
class SymbolAudit:
    """Audit of one stored series (see the module notes for every field's meaning).

    Dates are IST session dates; ``first``/``last`` are bar timestamps (IST). Examples hold at
    most 10 entries; ``incomplete_examples`` are ``(date, bars on the grid, expected)``.
    """

    symbol: str
    interval: str
    status: str
    problems: tuple[str, ...]
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    bars: int = 0
    sessions_expected: int = 0
    sessions_present: int = 0
    missing_sessions: int = 0
    missing_examples: tuple[dt.date, ...] = ()
    missing_special_sessions: int = 0
    longest_gap: Gap | None = None
    off_calendar_days: int = 0
    incomplete_sessions: int = 0
    incomplete_examples: tuple[tuple[dt.date, int, int], ...] = ()
    unknown_hours_sessions: int = 0
    unknown_hours_examples: tuple[dt.date, ...] = ()
    off_grid_bars: int = 0
    duplicated_days: tuple[dt.date, ...] = ()
    findings: dict[str, int] = field(default_factory=dict)
    corporate_actions: dict[str, int] = field(default_factory=dict)
    data_unavailable_reason: str | None = None
    catalog_state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates and timestamps as ISO strings)."""
        gap = self.longest_gap
        return {
            "symbol": self.symbol,
            "interval": self.interval,
            "status": self.status,
            "problems": list(self.problems),
            "first": None if self.first is None else self.first.isoformat(),
            "last": None if self.last is None else self.last.isoformat(),
            "bars": self.bars,
            "sessions_expected": self.sessions_expected,
            "sessions_present": self.sessions_present,
            "missing_sessions": self.missing_sessions,
            "missing_examples": [d.isoformat() for d in self.missing_examples],
            "missing_special_sessions": self.missing_special_sessions,
            "longest_gap": None
            if gap is None
            else {
                "first": gap.first.isoformat(),
                "last": gap.last.isoformat(),
                "sessions": gap.sessions,
            },
            "off_calendar_days": self.off_calendar_days,
            "incomplete_sessions": self.incomplete_sessions,
            "incomplete_examples": [
                {"date": d.isoformat(), "bars": n, "expected": e}
                for d, n, e in self.incomplete_examples
            ],
            "unknown_hours_sessions": self.unknown_hours_sessions,
            "unknown_hours_examples": [d.isoformat() for d in self.unknown_hours_examples],
            "off_grid_bars": self.off_grid_bars,
            "duplicated_days": [d.isoformat() for d in self.duplicated_days],
            "findings": dict(self.findings),
            "corporate_actions": dict(self.corporate_actions),
            "data_unavailable_reason": self.data_unavailable_reason,
            "catalog_state": self.catalog_state,
        }


@dataclass
class AuditReport:
    """Result of :func:`audit_store`.

    Attributes
    ----------
    interval : str
    symbols : list of SymbolAudit
        In the order asked for (sorted when every stored symbol was audited).
    calendar_first, calendar_last : datetime.date
        Coverage of the trading calendar; sessions outside it are not checked.
    generated_at : pandas.Timestamp
        IST.
    seconds : float
        Time the audit took (excluding writing).
    report_path, summary_path : pathlib.Path or None
        Files written by :meth:`write`.
    """

    interval: str
    symbols: list[SymbolAudit]
    calendar_first: dt.date
    calendar_last: dt.date
    generated_at: pd.Timestamp
    seconds: float = 0.0
    report_path: Path | None = None
    summary_path: Path | None = None

    def summary(self) -> dict[str, Any]:
        """Totals over the symbols (JSON-ready)."""
        findings: dict[str, int] = {}
        actions: dict[str, int] = {}
        for s in self.symbols:
            for k, n in s.findings.items():
                findings[k] = findings.get(k, 0) + n
            for k, n in s.corporate_actions.items():
                actions[k] = actions.get(k, 0) + n
        status = {k: sum(s.status == k for s in self.symbols) for k in ("ok", "warn", "error")}
        return {
            "interval": self.interval,
            "generated_at": self.generated_at.isoformat(),
            "seconds": round(self.seconds, 4),
            "calendar": {
                "name": f"{CALENDAR_NAME} + SenseQuant overrides",
                "first": self.calendar_first.isoformat(),
                "last": self.calendar_last.isoformat(),
            },
            "symbols": len(self.symbols),
            "status": status,
            "total_bars": sum(s.bars for s in self.symbols),
            "symbols_with_gaps": sum(
                s.missing_sessions > s.missing_special_sessions for s in self.symbols
            ),
            "missing_sessions": sum(s.missing_sessions for s in self.symbols),
            "missing_special_sessions": sum(s.missing_special_sessions for s in self.symbols),
            "incomplete_sessions": sum(s.incomplete_sessions for s in self.symbols),
            "symbols_with_incomplete_sessions": sum(
                s.incomplete_sessions > 0 for s in self.symbols
            ),
            "findings_by_kind": dict(sorted(findings.items())),
            "corporate_actions": dict(sorted(actions.items())),
            "symbols_in_error": [s.symbol for s in self.symbols if s.status == "error"],
            "catalog_mismatches": [
                s.symbol for s in self.symbols if s.catalog_state in ("stale", "missing")
            ],
        }

    def write(self, out_dir: Path) -> tuple[Path, Path]:
        """Write ``coverage_report.jsonl`` and ``coverage_summary.json`` atomically.

        Parameters
        ----------
        out_dir : pathlib.Path
            Folder (created if needed).

        Returns
        -------
        tuple of pathlib.Path
            The report and summary paths (also set on the report).

        Raises
        ------
        StoreError
            If a file cannot be written (nothing half-written is left).
        """
        out_dir = Path(out_dir)
        lines = "".join(json.dumps(s.to_dict(), sort_keys=False) + "\n" for s in self.symbols)
        self.report_path = _write_atomic(out_dir / REPORT_FILE, lines)
        text = json.dumps(self.summary(), indent=2) + "\n"
        self.summary_path = _write_atomic(out_dir / SUMMARY_FILE, text)
        return self.report_path, self.summary_path


def _write_atomic(path: Path, text: str) -> Path:
    write_bytes_atomic(path, text.encode("utf-8"), hint="check the --out folder and free space")
    return path
