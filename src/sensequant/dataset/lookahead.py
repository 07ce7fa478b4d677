"""Look-ahead (truncation) check: do features, labels and targets change when the future goes?

:func:`lookahead_check` computes every symbol's frame (features, labels, cross-sectional
columns: exactly what ``sensequant run`` computes, via :func:`build_frames`) on the FULL
history, then again on bars truncated at N cut dates (every symbol and the benchmark cut), and
compares rows with timestamp <= cut:

* features (and the label ``threshold``, a past-only quantity) must be exactly equal, NaN
  equal to NaN;
* ``fwd_return``, ``label``, ``target`` and ``t1`` must be equal on rows whose full-history
  ``t1`` is <= cut (a label is only knowable after ``t1``); on the other rows the truncated
  run must leave them unknown (NaN / NaT), never a finite value.

Any other outcome means a value at time t used bars after t: a leak. The cuts are
deterministic: sessions evenly spaced between the 20% and 95% points of the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.dataset.frame import SymbolFrame, needs_panel_step
from sensequant.dataset.panel_step import build_frames
from sensequant.errors import DataError, UsageError
from sensequant.settings import RunConfig

__all__ = ["ColumnChange", "CutResult", "LookaheadReport", "cut_dates", "lookahead_check"]

KNOWN_AFTER_T1: Final = ("fwd_return", "label", "target", "t1")
"""Label columns only knowable once ``t1`` has passed."""

PREDICTION_NOT_RUN: Final = "not run"


@dataclass(frozen=True)
class ColumnChange:
    """One column whose values at timestamps <= cut differ between full and truncated runs.

    Attributes
    ----------
    column : str
        Feature or label column name.
    kind : str
        ``feature`` or ``label``.
    symbol : str
        Symbol of the first difference (earliest timestamp, then symbol name).
    timestamp : pandas.Timestamp
        Timestamp (IST) of the first difference.
    full, truncated : object
        The two values there (NaN / NaT for unknown).
    n_rows : int
        How many (symbol, timestamp) rows differ in this column at this cut.
    """

    column: str
    kind: str
    symbol: str
    timestamp: pd.Timestamp
    full: Any
    truncated: Any
    n_rows: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (timestamps ISO, NaN / NaT as None)."""
        return {
            "column": self.column,
            "kind": self.kind,
            "symbol": self.symbol,
            "timestamp": self.timestamp.isoformat(),
            "full": _jsonable(self.full),
            "truncated": _jsonable(self.truncated),
            "n_rows": self.n_rows,
        }


@dataclass(frozen=True)
class CutResult:
    """Comparison at one cut date.

    Attributes
    ----------
    cut : pandas.Timestamp
        Last bar kept in the truncated run (IST).
    symbols : int
        Symbols with bars at or before the cut (compared).
    rows : int
        (symbol, timestamp) rows compared.
    changes : tuple of ColumnChange
        Columns that changed, sorted by column name; empty when nothing leaked.
    """

    cut: pd.Timestamp
    symbols: int
    rows: int
    changes: tuple[ColumnChange, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "cut": self.cut.isoformat(),
            "symbols": self.symbols,
            "rows": self.rows,
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass(frozen=True)
class LookaheadReport:
    """Result of :func:`lookahead_check`.

    Attributes
    ----------
    feature_sets : tuple of str
        ``config.features.sets``.
    target : str
        ``config.labels.target``.
    symbols : tuple of str
        Symbols checked.
    columns : tuple of str
        Feature and label columns compared.
    cuts : tuple of CutResult
        One per cut date, in date order.
    prediction_check : str
        ``not run`` (the walk-forward prediction check is not part of this report).
    """

    feature_sets: tuple[str, ...]
    target: str
    symbols: tuple[str, ...]
    columns: tuple[str, ...]
    cuts: tuple[CutResult, ...]
    prediction_check: str = PREDICTION_NOT_RUN
    leaked_columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = sorted({c.column for cut in self.cuts for c in cut.changes})
        object.__setattr__(self, "leaked_columns", tuple(names))

    @property
    def ok(self) -> bool:
        """True when no column changed at any cut."""
        return not self.leaked_columns

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``--json`` output)."""
        return {
            "ok": self.ok,
            "feature_sets": list(self.feature_sets),
            "target": self.target,
            "symbols": list(self.symbols),
            "columns": list(self.columns),
            "leaked_columns": list(self.leaked_columns),
            "cuts": [c.to_dict() for c in self.cuts],
            "prediction_check": self.prediction_check,
        }


def _jsonable(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def cut_dates(sessions: pd.DatetimeIndex, cuts: int) -> list[pd.Timestamp]:
    """Deterministic cut dates: sessions evenly spaced between the 20% and 95% points.

    Parameters
    ----------
    sessions : pandas.DatetimeIndex
        Sorted, unique sessions of the history.
    cuts : int
        How many cuts (>= 1); fewer come back when the history is too short for distinct ones.

    Returns
    -------
    list of pandas.Timestamp
        Sorted, unique.

    Raises
    ------
    UsageError
        If ``cuts`` < 1 or there are fewer than 2 sessions.
    """
    if cuts < 1:
        raise UsageError(f"--cuts {cuts} must be at least 1")
    n = len(sessions)
    if n < 2:
        raise UsageError(f"{n} session(s) of history: too few to truncate")
    pos = np.linspace(0.20 * (n - 1), 0.95 * (n - 1), cuts) if cuts > 1 else [0.20 * (n - 1)]
    picks = sorted({int(i) for i in np.rint(pos)})
    return [sessions[i] for i in picks]


def _frames(
    bars: Mapping[str, pd.DataFrame],
    benchmark: pd.DataFrame | None,
    sectors: Mapping[str, str | None],
    config: RunConfig,
) -> dict[str, SymbolFrame]:
    """Per-symbol frames plus the panel step, as the features phase computes them."""
    bench = None
    if benchmark is not None and needs_panel_step(config):
        bench = pd.Series(
            benchmark["close"].to_numpy(), index=pd.DatetimeIndex(benchmark["timestamp"])
        )
    return build_frames(bars, config, benchmark_close=bench, sectors=sectors)


def _truncate(bars: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    return bars.loc[pd.DatetimeIndex(bars["timestamp"]) <= cut].reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Elementwise equality with NaN == NaN (and NaT == NaT)."""
    return a.eq(b) | (a.isna() & b.isna())


@dataclass
class _Diffs:
    """First difference and count per column across symbols."""

    first: dict[str, tuple[pd.Timestamp, str, Any, Any, str]] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)

    def add(self, sym: str, kind: str, ok: pd.DataFrame, a: pd.DataFrame, b: pd.DataFrame) -> None:
        bad = ~ok.to_numpy(dtype=bool)
        for j in (int(k) for k in np.flatnonzero(bad.any(axis=0))):
            col = str(ok.columns[j])
            i = int(np.flatnonzero(bad[:, j])[0])
            ts = pd.Timestamp(ok.index[i])
            self.count[col] = self.count.get(col, 0) + int(bad[:, j].sum())
            prev = self.first.get(col)
            if prev is None or (ts, sym) < (prev[0], prev[1]):
                self.first[col] = (ts, sym, a.iat[i, j], b.iat[i, j], kind)

    def changes(self) -> tuple[ColumnChange, ...]:
        return tuple(
            ColumnChange(col, kind, sym, ts, full, trunc, self.count[col])
            for col, (ts, sym, full, trunc, kind) in sorted(self.first.items())
        )


def _compare(full: SymbolFrame, trunc: SymbolFrame, cut: pd.Timestamp, diffs: _Diffs) -> int:
    """Record one symbol's differences at timestamps <= cut; return the rows compared."""
    sym = full.symbol
    f_feat = full.features.loc[full.features.index <= cut]
    t_feat = trunc.features.reindex(index=f_feat.index, columns=f_feat.columns)
    diffs.add(sym, "feature", _same(f_feat, t_feat), f_feat, t_feat)
    f_lab = full.labels.loc[full.labels.index <= cut]
    t_lab = trunc.labels.reindex(index=f_lab.index, columns=f_lab.columns)
    past = [c for c in f_lab.columns if c not in KNOWN_AFTER_T1]
    diffs.add(sym, "label", _same(f_lab[past], t_lab[past]), f_lab[past], t_lab[past])
    later = [c for c in f_lab.columns if c in KNOWN_AFTER_T1]
    t1 = pd.DatetimeIndex(f_lab["t1"])
    known = np.asarray(t1.notna() & (t1 <= cut))
    expected = f_lab[later].copy()
    for c in later:
        expected[c] = expected[c].where(known)
    diffs.add(sym, "label", _same(expected, t_lab[later]), expected, t_lab[later])
    return len(f_feat)


def lookahead_check(
    bars: Mapping[str, pd.DataFrame],
    benchmark: pd.DataFrame | None,
    sectors: Mapping[str, str | None],
    config: RunConfig,
    cuts: int,
) -> LookaheadReport:
    """Compare features, labels and targets on the full history and on truncated bars.

    Parameters
    ----------
    bars : mapping of str to pandas.DataFrame
        Symbol -> bars (``timestamp`` tz IST, sorted, unique; OHLCV), the whole history.
    benchmark : pandas.DataFrame or None
        Benchmark bars (``timestamp``, ``close``) for the ``market`` set; None without one.
    sectors : mapping of str to str or None
        Symbol -> industry (for the ``sector`` set).
    config : RunConfig
        ``features`` and ``labels`` sections are used.
    cuts : int
        Number of cut dates (see :func:`cut_dates`); each costs one full recomputation.

    Returns
    -------
    LookaheadReport

    Raises
    ------
    UsageError
        If ``bars`` is empty or ``cuts`` < 1.
    DataError
        If the bars cannot be labelled (see :func:`sensequant.dataset.make_labels`).
    """
    if not bars:
        raise UsageError("no symbols to check", hint="pass --symbols or a universe with bars")
    full = _frames(bars, benchmark, sectors, config)
    sessions = pd.DatetimeIndex(
        sorted(set().union(*(pd.DatetimeIndex(b["timestamp"]) for b in bars.values())))
    )
    results = []
    for cut in cut_dates(sessions, cuts):
        cut_bars = {s: _truncate(b, cut) for s, b in bars.items()}
        cut_bars = {s: b for s, b in cut_bars.items() if len(b)}
        if not cut_bars:
            raise DataError(f"no bars at or before the cut {cut}")
        bench = None if benchmark is None else _truncate(benchmark, cut)
        trunc = _frames(cut_bars, bench, sectors, config)
        diffs = _Diffs()
        rows = sum(_compare(full[s], trunc[s], cut, diffs) for s in trunc)
        results.append(CutResult(cut, len(trunc), rows, diffs.changes()))
    first = next(iter(full.values()))
    return LookaheadReport(
        feature_sets=tuple(config.features.sets),
        target=config.labels.target,
        symbols=tuple(bars),
        columns=(*first.features.columns, *first.labels.columns),
        cuts=tuple(results),
    )
