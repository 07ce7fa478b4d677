"""Keeping structural breaks out of the pipeline: :func:`apply_breaks` and their recording.

While a break is ``pending`` (not yet reviewed) or ``confirmed`` (a real break), the bars it
affects are kept out of everything downstream -- features, labels, training windows and
backtest returns -- by changing the bars the pipeline reads (one hook: the adjusted store view
:class:`sensequant.data.AdjustedBarStore` applies :func:`apply_breaks` on every read). A
``rejected`` break ("reviewed: the data is right") is used normally.

==============  ==========================================================================
kind            what the pipeline sees
==============  ==========================================================================
level_shift     the symbol's bars BEFORE the break session are dropped: that history
                belongs to another company (a demerger's listing day); the break session
                is the first bar, so no label, feature window or return spans the break
spike           the spike's sessions are dropped, as if the symbol had not traded: no
                feature/label row on them, labels around them use the real prices on
                either side, and the backtest carries a held position at its last price
                (return 0 on those sessions, the position still counted; no trade there)
bad_print       that session's open is replaced by its close (a price that traded that
                day), so it is never a fill price; a high or low equal to the bad open
                becomes ``max``/``min`` of the new open and the close
==============  ==========================================================================
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.quality.breaks import StructuralBreak, detect_breaks
from sensequant.data.quality.checks import day_numbers
from sensequant.data.quality.corporate_actions import ACTIVE_STATUSES
from sensequant.data.reference import is_index_symbol
from sensequant.types import INTERVALS, IST

__all__ = [
    "ACTIVE_BREAK_STATUSES",
    "BREAK_INTERVAL",
    "apply_breaks",
    "break_columns",
    "record_detected_breaks",
    "session_bars",
]

ACTIVE_BREAK_STATUSES: Final = ("pending", "confirmed")
"""Statuses whose bars are kept out (``rejected`` breaks are used normally)."""
BREAK_INTERVAL: Final = "1day"
"""The interval breaks are detected on: intraday series are checked on their sessions."""

_EPOCH = dt.date(1970, 1, 1)


def _day(text: object) -> int:
    return (dt.date.fromisoformat(str(text)[:10]) - _EPOCH).days


def session_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """Daily bars of intraday bars: per session the first open, highest high, lowest low, last
    close and summed volume (NaN where no bar has a volume), stamped 00:00 IST of the session.

    Pure: no I/O.

    Parameters
    ----------
    bars : pandas.DataFrame, shape (n_bars, >= 5)
        One symbol's intraday bars: ``timestamp`` (tz-aware IST, sorted), ``open``, ``high``,
        ``low``, ``close`` (rupees), optional ``volume``.

    Returns
    -------
    pandas.DataFrame, shape (n_sessions, same price columns)
        One row per session date, ascending.

    Examples
    --------
    >>> ts = pd.to_datetime(["2024-01-02 09:15", "2024-01-02 15:25", "2024-01-03 09:15"])
    >>> bars = pd.DataFrame({"timestamp": ts.tz_localize("Asia/Kolkata"),
    ...     "open": [10.0, 11, 12], "high": [11.0, 13, 12], "low": [9.0, 10, 11],
    ...     "close": [10.5, 12, 11.5], "volume": [100.0, 50, 70]})
    >>> session_bars(bars)[["open", "high", "low", "close", "volume"]].to_numpy().tolist()
    [[10.0, 13.0, 9.0, 12.0, 150.0], [12.0, 12.0, 11.0, 11.5, 70.0]]
    """
    day = day_numbers(bars["timestamp"])[0]
    rules = {"open": "first", "high": "max", "low": "min", "close": "last"}
    frame = bars.loc[:, [c for c in rules if c in bars.columns]].groupby(day, sort=True)
    out = frame.agg({c: rules[c] for c in rules if c in bars.columns})
    if "volume" in bars.columns:
        out["volume"] = bars["volume"].groupby(day, sort=True).sum(min_count=1).to_numpy()
    stamps = pd.to_datetime(out.index.to_numpy(dtype=np.int64), unit="D")
    out.insert(0, "timestamp", stamps.tz_localize(IST))
    return out.reset_index(drop=True)


def break_columns(breaks: pd.DataFrame) -> tuple[str, ...]:
    """Bar columns :func:`apply_breaks` needs besides ``timestamp`` (a bad print needs prices)."""
    if len(breaks) and (breaks["kind"] == "bad_print").any():
        return ("open", "high", "low", "close")
    return ()


def apply_breaks(bars: pd.DataFrame, breaks: pd.DataFrame) -> pd.DataFrame:
    """Bars with the given breaks kept out (see the module table).

    Pure: no I/O; ``bars`` is not modified.

    Parameters
    ----------
    bars : pandas.DataFrame, shape (n_bars, n_columns)
        One symbol's bars (``timestamp`` tz-aware IST, sorted); any subset of columns.
        A bad print changes ``open`` (and ``high``/``low``) only when ``close`` is present.
    breaks : pandas.DataFrame
        The symbol's breaks to apply (catalog rows: ``session_date``, ``last_date`` as ISO
        dates, ``kind``); the caller chooses them (pending and confirmed ones).

    Returns
    -------
    pandas.DataFrame
        Same columns; rows dropped for level shifts and spikes; fresh index 0..n-1.
    """
    if len(breaks) == 0 or len(bars) == 0:
        return bars
    day = day_numbers(bars["timestamp"])[0]
    keep = np.ones(len(bars), dtype=bool)
    bad_days: list[int] = []
    for kind, first, last in zip(
        breaks["kind"], breaks["session_date"], breaks["last_date"], strict=True
    ):
        if kind == "level_shift":
            keep &= day >= _day(first)
        elif kind == "spike":
            keep &= (day < _day(first)) | (day > _day(last))
        elif kind == "bad_print":
            bad_days.append(_day(first))
    out = bars.loc[keep].reset_index(drop=True)
    if bad_days and {"open", "close"} <= set(out.columns):
        rows = np.isin(day[keep], bad_days)
        if rows.any():
            out = _fix_opens(out, rows)
    return out


def _fix_opens(bars: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """Open := close on ``rows``; a high/low equal to the old open is re-bounded."""
    out = bars.copy()
    old = out["open"].to_numpy(dtype=np.float64)
    close = out["close"].to_numpy(dtype=np.float64)
    new = np.where(rows, close, old)
    for col, pick in (("high", np.maximum), ("low", np.minimum)):
        if col in out.columns:
            cur = out[col].to_numpy(dtype=np.float64)
            was_open = rows & (cur == old)
            cur = np.where(was_open, pick(new, close), cur)
            out[col] = np.where(rows, pick(cur, pick(new, close)), cur)
    out["open"] = new
    return out


def record_detected_breaks(
    catalog: Catalog, symbol: str, interval: str, bars: pd.DataFrame
) -> list[StructuralBreak]:
    """Detect breaks in ``bars`` and record them ``pending``; reviewed ones keep their status.

    Pending breaks of the series that are no longer detected are removed (e.g. once a
    corporate action explains the move).

    Parameters
    ----------
    catalog : Catalog
    symbol, interval : str
        Series of non-index symbols are checked: daily bars as they are, intraday bars on
        their sessions (:func:`session_bars`), for level shifts and spikes only (a bad opening
        print is a daily-bar finding: replacing every bar's open would be wrong). The breaks
        are recorded under ``interval`` and keep whole sessions of it out.
    bars : pandas.DataFrame
        The ADJUSTED series (corporate actions applied), without any break applied.

    Returns
    -------
    list of StructuralBreak
        The breaks detected now.
    """
    if interval not in INTERVALS or is_index_symbol(symbol):
        return []
    actions = catalog.corporate_actions(symbol, statuses=ACTIVE_STATUSES)
    exclude = [dt.date.fromisoformat(str(d)) for d in actions["ex_date"]] if len(actions) else []
    if interval == BREAK_INTERVAL:
        found = detect_breaks(bars, symbol, exclude=exclude)
    else:  # the sessions of the intraday bars; a bad opening print is a daily-bar finding
        found = detect_breaks(session_bars(bars), symbol, exclude=exclude)
        found = [b for b in found if b.kind != "bad_print"]
    catalog.record_breaks(symbol, interval, (b.to_row() for b in found))
    return found
