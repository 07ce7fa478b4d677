"""Store audit: per-symbol coverage against the NSE calendar, completeness, quality, actions.

:func:`audit_store` is what ``sensequant data audit`` runs. Per symbol it reports the first and
last bar, bars, sessions expected (NSE calendar between the first and last bar, clamped to the
calendar's coverage) and present, missing sessions (count, up to 10 examples, the longest run),
rows on non-session days; for intraday intervals also incomplete sessions (fewer on-grid bars
than :func:`sensequant.data.market.sessions.expected_bars`), sessions whose hours are unknown
(not judged), bars off the session grid, and the days the import found duplicated in full; the
quality findings recorded in the catalog (counts by kind), corporate actions by status, the
symbol master's data-unavailable reason, whether the catalog's corporate actions were derived
from the bars now stored (``catalog_state``: ``current``, ``stale`` or ``missing``, by series
fingerprint; see :func:`sensequant.data.quality.derived.catalog_state`), and a status:

* ``error``: nothing usable (not stored, unreadable, empty);
* ``warn``: missing regular sessions (special sessions such as Muhurat trading and special
  Saturdays, which many vendors lack, are counted apart and do not warn), incomplete
  sessions, off-grid bars, findings of a kind that leaves doubt in the stored bars
  (:data:`WARN_KINDS`), suspected corporate actions awaiting review, a data-unavailable
  reason, or a catalog that does not match the store (``stale``; ``missing`` too once the
  catalog holds any detection: fixed by ``sensequant data repair``);
* ``ok``: otherwise (corrections already made at import, e.g. dropped holiday rows, are
  listed but do not warn).

Findings come from every import of the series; identical findings (a file imported twice)
are counted once. It is fast by design (100 daily symbols well under a second once the
calendar is loaded): only the ``timestamp`` column is read (pyarrow), the session set is
built once per call, and the catalog is queried once per table.

Outputs (:meth:`AuditReport.write`, atomic): ``coverage_report.jsonl`` (one JSON object per
symbol) and ``coverage_summary.json``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sensequant.data.catalog import Catalog
from sensequant.data.market import (
    SESSION_HOURS,
    SESSION_OVERRIDES,
    calendar_bounds,
    nse_sessions,
    session_hours,
)
from sensequant.data.quality.audit_report import (
    REPORT_FILE,
    SUMMARY_FILE,
    AuditReport,
    Gap,
    SymbolAudit,
)
from sensequant.data.quality.checks import grid_bar_count, session_grid
from sensequant.data.quality.derived import catalog_state
from sensequant.data.store import BarStore
from sensequant.errors import StoreError
from sensequant.types import IST

__all__ = [
    "REPORT_FILE",
    "SUMMARY_FILE",
    "WARN_KINDS",
    "AuditReport",
    "Gap",
    "SymbolAudit",
    "audit_store",
]

MAX_EXAMPLES: Final = 10
WARN_KINDS: Final = frozenset(
    {
        "conflicting_duplicate",
        "off_calendar_row_kept",  # older catalogs (such rows are dropped now)
        "off_session_bar",
        "zero_volume_session",
        "missing_volume",
        "ohlc_inconsistent",
        "bad_print",
        "suspect_open",  # older catalogs (now bad_print)
        "outlier_jump",
        "suspected_corporate_action",
    }
)
"""Finding kinds that leave doubt in the stored bars (others were corrected at import)."""

_DAY_NS: Final = 86_400 * 10**9
_IST_OFFSET_NS: Final = 19_800 * 10**9
_EPOCH: Final = dt.date(1970, 1, 1)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(day: int | np.integer[Any]) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(day))


def _day(d: dt.date | pd.Timestamp) -> int:
    return (pd.Timestamp(d).date() - _EPOCH).days


# ------------------------------------------------------------------ catalog inputs
def _catalog_findings(
    catalog: Catalog, interval: str
) -> tuple[dict[str, dict[str, int]], dict[str, tuple[dt.date, ...]]]:
    """Finding counts by symbol and kind, and duplicated days by symbol (one query).

    Identical findings (the same file imported twice) are counted once.
    """
    frame = catalog.findings(interval=interval)
    if frame.empty:
        return {}, {}
    frame = frame.drop_duplicates(["symbol", "kind", "count", "first_timestamp", "detail"])
    counts: dict[str, dict[str, int]] = {}
    totals = frame.groupby(["symbol", "kind"], sort=True)["count"].sum().reset_index()
    for sym, kind, n in zip(totals["symbol"], totals["kind"], totals["count"], strict=True):
        counts.setdefault(str(sym), {})[str(kind)] = int(n)
    dups: dict[str, set[dt.date]] = {}
    dup = frame["kind"] == "duplicated_day"
    for sym, text in zip(frame.loc[dup, "symbol"], frame.loc[dup, "detail"], strict=True):
        days = {dt.date.fromisoformat(m) for m in _ISO_DATE.findall(str(text))}
        dups.setdefault(str(sym), set()).update(days)
    return counts, {k: tuple(sorted(v)) for k, v in dups.items()}


def _catalog_actions(catalog: Catalog) -> dict[str, dict[str, int]]:
    frame = catalog.corporate_actions()
    out: dict[str, dict[str, int]] = {}
    for sym, status in zip(frame["symbol"], frame["status"], strict=True):
        per = out.setdefault(str(sym), {})
        per[str(status)] = per.get(str(status), 0) + 1
    return out


def _unavailable_reasons(catalog: Catalog, symbols: Sequence[str]) -> dict[str, str]:
    # one query for all symbols (get_symbol per symbol costs ~1.5 ms each)
    return {
        info.symbol: info.data_unavailable_reason
        for info in catalog.symbols(symbols)
        if info.data_unavailable_reason
    }


# --------------------------------------------------------------------- per symbol
def _read_ns(store: BarStore, symbol: str, interval: str) -> np.ndarray | None:
    """UTC nanoseconds of the stored timestamps, None when not stored."""
    path = store.path(symbol, interval)
    if not path.is_file():
        return None
    try:
        column = pq.read_table(path, columns=["timestamp"], use_threads=False).column(0)
    except (pa.ArrowInvalid, OSError, KeyError) as exc:
        raise StoreError(f"cannot read {path} ({symbol} {interval}): {exc}") from None
    return np.asarray(column.to_numpy()).view(np.int64)


def _gaps(expected: np.ndarray, found: np.ndarray) -> tuple[np.ndarray, Gap | None]:
    """Missing sessions and the longest run of them (``expected`` session days, sorted)."""
    positions = np.flatnonzero(~found)
    if positions.size == 0:
        return positions, None
    breaks = np.flatnonzero(np.diff(positions) != 1)
    starts = np.r_[0, breaks + 1]
    ends = np.r_[breaks, positions.size - 1]
    k = int(np.argmax(ends - starts))
    a, b = positions[starts[k]], positions[ends[k]]
    return expected[positions], Gap(_date(expected[a]), _date(expected[b]), int(b - a + 1))


def _intraday(
    ns: np.ndarray, days: np.ndarray, interval: str, sessions: np.ndarray
) -> dict[str, Any]:
    stamps = pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC")
    known, on_grid = session_grid(stamps, interval)
    udays, inverse = np.unique(days, return_inverse=True)
    counts = np.bincount(inverse, weights=on_grid, minlength=udays.size).astype(np.int64)
    is_session_day = np.isin(udays, sessions)
    incomplete: list[tuple[dt.date, int, int]] = []
    unknown: list[dt.date] = []
    for d, n, ok in zip(udays, counts, is_session_day, strict=True):
        if not ok:
            continue
        hours = session_hours(_date(d))
        if hours is None:
            unknown.append(_date(d))
            continue
        expected = grid_bar_count(hours, interval)
        if n < expected:
            incomplete.append((_date(d), int(n), expected))
    return {
        "incomplete_sessions": len(incomplete),
        "incomplete_examples": tuple(incomplete[:MAX_EXAMPLES]),
        "unknown_hours_sessions": len(unknown),
        "unknown_hours_examples": tuple(unknown[:MAX_EXAMPLES]),
        "off_grid_bars": int((known & ~on_grid).sum()),
    }


def _special_sessions(sessions: np.ndarray) -> np.ndarray:
    """Muhurat, special Saturday and other short or weekend sessions among ``sessions``.

    Vendors often lack them (Yahoo's daily files have none), so their absence is counted
    apart and does not by itself make a symbol ``warn``.
    """
    listed = {d for d, (is_open, _) in SESSION_OVERRIDES.items() if is_open} | set(SESSION_HOURS)
    days = np.array(sorted(_day(d) for d in listed), dtype=np.int64)
    weekend = ((sessions + 3) % 7) >= 5  # 1970-01-01 was a Thursday: (day + 3) % 7 == 0 Monday
    return np.union1d(days, sessions[weekend])


def _status(audit: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    problems: list[str] = []
    regular = audit["missing_sessions"] - audit["missing_special_sessions"]
    if regular:
        gap = audit["longest_gap"]
        problems.append(
            f"{regular} missing sessions (longest run {gap.sessions} from {gap.first}; "
            f"{audit['missing_special_sessions']} special sessions missing besides)"
        )
    for key, text in (
        ("incomplete_sessions", "incomplete sessions"),
        ("off_grid_bars", "bars off the session grid"),
    ):
        if audit.get(key):
            problems.append(f"{audit[key]} {text}")
    doubt = {k: n for k, n in audit["findings"].items() if k in WARN_KINDS}
    if doubt:
        problems.append("findings: " + ", ".join(f"{k} {n}" for k, n in sorted(doubt.items())))
    if audit["corporate_actions"].get("suspected"):
        problems.append(
            f"{audit['corporate_actions']['suspected']} suspected corporate actions to review"
        )
    if audit["data_unavailable_reason"]:
        problems.append(f"data unavailable: {audit['data_unavailable_reason']}")
    if audit.get("_mismatch"):
        problems.append(audit.pop("_mismatch"))
    audit.pop("_mismatch", None)
    return ("warn" if problems else "ok"), tuple(problems)


def _audit_one(
    symbol: str,
    interval: str,
    ns: np.ndarray,
    sessions: np.ndarray,
    special: np.ndarray,
    bounds: tuple[int, int],
    extra: dict[str, Any],
) -> SymbolAudit:
    days = np.floor_divide(ns + _IST_OFFSET_NS, _DAY_NS)
    first_day, last_day = int(days[0]), int(days[-1])
    lo = int(np.searchsorted(sessions, first_day, side="left"))
    hi = int(np.searchsorted(sessions, last_day, side="right"))
    expected = sessions[lo:hi]
    present = days[np.r_[True, days[1:] != days[:-1]]]  # stored timestamps are sorted
    idx = np.clip(np.searchsorted(present, expected), 0, present.size - 1)
    found = present[idx] == expected
    missing, gap = _gaps(expected, found)
    in_calendar = (present >= bounds[0]) & (present <= bounds[1])
    if sessions.size:
        sidx = np.clip(np.searchsorted(sessions, present), 0, sessions.size - 1)
        in_calendar &= sessions[sidx] != present
    off_calendar = int(in_calendar.sum())
    audit: dict[str, Any] = {
        "first": pd.Timestamp(int(ns[0]), tz="UTC").tz_convert(IST),
        "last": pd.Timestamp(int(ns[-1]), tz="UTC").tz_convert(IST),
        "bars": int(ns.size),
        "sessions_expected": int(expected.size),
        "sessions_present": int(found.sum()),
        "missing_sessions": int(missing.size),
        "missing_examples": tuple(_date(d) for d in missing[:MAX_EXAMPLES]),
        "missing_special_sessions": int(np.isin(missing, special).sum()),
        "longest_gap": gap,
        "off_calendar_days": off_calendar,
        **extra,
    }
    if interval != "1day":
        audit.update(_intraday(ns, days, interval, expected))
    status, problems = _status(audit)
    return SymbolAudit(symbol=symbol, interval=interval, status=status, problems=problems, **audit)


def audit_store(
    store: BarStore,
    catalog: Catalog,
    symbols: Sequence[str] | None,
    interval: str,
    *,
    out_dir: Path | None = None,
    write: bool = True,
) -> AuditReport:
    """Audit stored series against the NSE calendar and the catalog (see the module notes).

    Parameters
    ----------
    store : BarStore
    catalog : Catalog
    symbols : sequence of str or None
        Symbols to audit; None = every symbol stored at ``interval``. A symbol not stored is
        reported with status ``error``.
    interval : str
        ``1day``, ``30minute``, ``5minute`` or ``1minute``.
    out_dir : pathlib.Path, optional
        Where to write the two files; default ``Settings().reports_dir / 'audit'``.
    write : bool, default True
        False computes the report without writing anything.

    Returns
    -------
    AuditReport
        With ``report_path``/``summary_path`` set when written.

    Raises
    ------
    InvalidSymbolError, StoreError
        A malformed symbol or an unknown interval (before anything is read); a file that
        cannot be written.
    """
    started = time.perf_counter()
    names = store.symbols(interval) if symbols is None else list(dict.fromkeys(symbols))
    stamps: dict[str, np.ndarray | None] = {}
    errors: dict[str, str] = {}
    for sym in names:
        try:
            stamps[sym] = _read_ns(store, sym, interval)
        except StoreError as exc:
            stamps[sym], errors[sym] = None, exc.message
    cal_first, cal_last = calendar_bounds()
    bounds = (_day(cal_first.date()), _day(cal_last.date()))
    stored = [ns for ns in stamps.values() if ns is not None and ns.size]
    if stored:
        lo = pd.Timestamp(min(int(ns[0]) for ns in stored), tz="UTC")
        hi = pd.Timestamp(max(int(ns[-1]) for ns in stored), tz="UTC")
        days = nse_sessions(lo, hi).tz_localize(None).asi8 // _DAY_NS
    else:
        days = np.zeros(0, dtype=np.int64)
    sessions = np.asarray(days, dtype=np.int64)
    special = _special_sessions(sessions)
    findings, duplicated = _catalog_findings(catalog, interval)
    actions = _catalog_actions(catalog)
    reasons = _unavailable_reasons(catalog, names)
    detections = catalog.action_detections()
    known = dict(
        zip(
            zip(detections["symbol"], detections["interval"], strict=True),
            detections["fingerprint"],
            strict=True,
        )
    )
    audits: list[SymbolAudit] = []
    for sym in names:
        extra: dict[str, Any] = {
            "findings": findings.get(sym, {}),
            "corporate_actions": actions.get(sym, {}),
            "data_unavailable_reason": reasons.get(sym),
            "duplicated_days": duplicated.get(sym, ()),
        }
        ns = stamps[sym]
        if ns is None or ns.size == 0:
            why = errors.get(sym) or ("not stored" if ns is None else "stored file has no bars")
            if reasons.get(sym):
                why += f"; data unavailable: {reasons[sym]}"
            audits.append(SymbolAudit(sym, interval, "error", (why,), **extra))
            continue
        extra["catalog_state"], mismatch = catalog_state(store, known, sym, interval)
        if mismatch:
            extra["_mismatch"] = mismatch
        audits.append(_audit_one(sym, interval, ns, sessions, special, bounds, extra))
    report = AuditReport(
        interval=interval,
        symbols=audits,
        calendar_first=cal_first.date(),
        calendar_last=cal_last.date(),
        generated_at=pd.Timestamp.now(tz=IST),
        seconds=time.perf_counter() - started,
    )
    if write:
        if out_dir is None:
            from sensequant.settings import Settings

            out_dir = Settings().reports_dir / "audit"
        report.write(out_dir)
    return report
