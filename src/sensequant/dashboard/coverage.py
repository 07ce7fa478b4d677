"""Data coverage: the store audit, its gaps and the corporate actions, for the dashboard.

The audit is :func:`sensequant.data.quality.audit_store` (what ``sensequant data audit`` runs),
computed without writing files; the corporate actions are the catalog's rows (what
``sensequant data actions`` lists).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sensequant.data import BarStore, Catalog
from sensequant.data.quality import audit_store
from sensequant.settings import Settings

__all__ = ["Coverage", "load_coverage"]

_AUDIT_COLUMNS = [
    "symbol",
    "status",
    "first",
    "last",
    "bars",
    "sessions_expected",
    "sessions_present",
    "missing_sessions",
    "incomplete_sessions",
    "findings",
    "corporate_actions",
    "problems",
]
_GAP_COLUMNS = ["symbol", "missing_sessions", "longest_gap", "gap_first", "gap_last", "examples"]
_ACTION_COLUMNS = ["symbol", "ex_date", "kind", "price_factor", "source", "status", "detail"]


@dataclass(frozen=True)
class Coverage:
    """What the data-coverage page shows.

    Attributes
    ----------
    interval : str
    summary : dict
        :meth:`AuditReport.summary` (totals, status counts, calendar); empty with no data.
    audit : pandas.DataFrame
        One row per stored symbol: status, first/last bar (ISO, IST), bars, sessions expected
        and present, missing and incomplete sessions, findings and corporate actions (text).
    gaps : pandas.DataFrame
        Symbols with missing regular sessions: count, longest gap (sessions, first, last) and
        up to 10 example dates.
    actions : pandas.DataFrame
        Corporate actions: symbol, ex-date, kind, price factor, source, status, detail.
    """

    interval: str
    summary: dict[str, Any] = field(default_factory=dict)
    audit: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_AUDIT_COLUMNS))
    gaps: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_GAP_COLUMNS))
    actions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_ACTION_COLUMNS))


def _counts(values: dict[str, int]) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(values.items())) or "-"


def load_coverage(settings: Settings, interval: str = "1day") -> Coverage:
    """Audit the store at ``interval`` and read the corporate actions (nothing is written).

    Parameters
    ----------
    settings : Settings
        Where the store and the catalog live.
    interval : str, default "1day"

    Returns
    -------
    Coverage
        Empty tables when the store holds nothing at ``interval`` (or no catalog exists).

    Raises
    ------
    StoreError
        A catalog or bar file that cannot be read.
    """
    if not settings.catalog_path.is_file():
        return Coverage(interval=interval)
    store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
    actions = catalog.corporate_actions()
    actions = actions.reindex(columns=_ACTION_COLUMNS)
    if not store.symbols(interval):
        return Coverage(interval=interval, actions=actions)
    report = audit_store(store, catalog, None, interval, write=False)
    rows = [s.to_dict() for s in report.symbols]
    if interval == "1day":  # daily bars: the date says it all
        for r in rows:
            r["first"], r["last"] = (r[k] and r[k][:10] for k in ("first", "last"))
    audit = pd.DataFrame(
        [
            {
                **{k: r[k] for k in _AUDIT_COLUMNS},
                "missing_sessions": r["missing_sessions"] - r["missing_special_sessions"],
                "findings": _counts(r["findings"]),
                "corporate_actions": _counts(r["corporate_actions"]),
                "problems": "; ".join(r["problems"]),
            }
            for r in rows
        ],
        columns=_AUDIT_COLUMNS,
    )
    gaps = pd.DataFrame(
        [
            {
                "symbol": r["symbol"],
                "missing_sessions": r["missing_sessions"] - r["missing_special_sessions"],
                "longest_gap": (r["longest_gap"] or {}).get("sessions"),
                "gap_first": (r["longest_gap"] or {}).get("first"),
                "gap_last": (r["longest_gap"] or {}).get("last"),
                "examples": ", ".join(r["missing_examples"]),
            }
            for r in rows
            if r["missing_sessions"] > r["missing_special_sessions"]
        ],
        columns=_GAP_COLUMNS,
    )
    return Coverage(
        interval=interval,
        summary=report.summary(),
        audit=audit,
        gaps=gaps.sort_values("missing_sessions", ascending=False, ignore_index=True),
        actions=actions,
    )
