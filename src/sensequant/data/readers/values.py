"""Value checks of one parsed bar file, run by :func:`~.layouts.read_bar_file` after sorting.

Every check names the file and the source lines (header = line 1) and says how to fix them:

* :func:`check_spikes`: a price more than :data:`SPIKE_FACTOR` times above (or below) the
  closes of BOTH its neighbours (a typo such as a missing decimal point) is a hard error. A
  genuine level change (an unadjusted split) moves to a new level and stays there, so one
  neighbour agrees with it; the first and last rows have one neighbour and are not judged.
* :func:`check_ohlc`: high < low, or open/close outside [low, high] (relative tolerance
  :data:`OHLC_TOLERANCE`) is refused; with ``repair=True`` the rows are kept and a note says
  they will be repaired (``quality.clean_bars(repair_ohlc=True)`` widens high/low and records
  an ``ohlc_repaired`` finding). Never stored silently.
* :func:`resolve_conflicts`: two rows of one timestamp with different values inside one file
  are a hard error naming both lines (``on_conflict="fail"``, the default); ``"keep"`` keeps
  the earlier line and ``"replace"`` the later one, each with a note naming the lines dropped.
  Exact repeats are left to ``quality.clean_bars`` (``exact_duplicate_removed``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd

from sensequant.data.readers.parsing import PRICE_COLUMNS, fail_rows, lines_text
from sensequant.errors import InputFileError, UsageError

__all__ = [
    "CONFLICT_POLICIES",
    "OHLC_TOLERANCE",
    "SPIKE_FACTOR",
    "ConflictPolicy",
    "check_ohlc",
    "check_spikes",
    "resolve_conflicts",
]

SPIKE_FACTOR: Final = 20.0
"""A price this many times above (or below) both neighbouring closes is a typo, not a move."""
OHLC_TOLERANCE: Final = 1e-9
"""Relative tolerance of the OHLC consistency check (float noise)."""
ConflictPolicy = Literal["fail", "keep", "replace"]
CONFLICT_POLICIES: Final[tuple[str, ...]] = ("fail", "keep", "replace")
_MAX_PAIRS: Final = 3


def check_spikes(path: Path, bars: pd.DataFrame) -> None:
    """Refuse prices more than :data:`SPIKE_FACTOR` x away from both neighbouring closes.

    Parameters
    ----------
    path : pathlib.Path
        The file (for the message).
    bars : pandas.DataFrame
        One series sorted by timestamp: float ``open, high, low, close`` and ``_line``.

    Raises
    ------
    InputFileError
        ``prices more than 20x away from both neighbouring rows' closes at line(s) ...``
        with the first value and its neighbours.
    """
    if len(bars) < 3:
        return
    prices = bars[list(PRICE_COLUMNS)].to_numpy(dtype=np.float64)
    close = prices[:, 3]
    prev, nxt = np.r_[np.nan, close[:-1]], np.r_[close[1:], np.nan]
    with np.errstate(divide="ignore", invalid="ignore"):
        up = (prices > SPIKE_FACTOR * prev[:, None]) & (prices > SPIKE_FACTOR * nxt[:, None])
        down = (prices * SPIKE_FACTOR < prev[:, None]) & (prices * SPIKE_FACTOR < nxt[:, None])
    rows = (up | down).any(axis=1)
    if rows.any():
        i = int(np.flatnonzero(rows)[0])
        col = int(np.flatnonzero((up | down)[i])[0])
        raise fail_rows(
            path,
            f"prices more than {SPIKE_FACTOR:g}x away from both neighbouring rows' closes",
            bars,
            rows,
            "a misplaced decimal point or a stray digit? fix or remove these rows",
            detail=f" (first: {PRICE_COLUMNS[col]} {prices[i, col]:g} between closes "
            f"{prev[i]:g} and {nxt[i]:g})",
        )


def check_ohlc(path: Path, bars: pd.DataFrame, *, repair: bool, notes: list[str]) -> None:
    """Refuse rows whose high/low do not bound open and close (or repair them on request).

    Parameters
    ----------
    path : pathlib.Path
        The file (for the message).
    bars : pandas.DataFrame
        Float ``open, high, low, close`` and ``_line``.
    repair : bool
        Keep the rows and append a note (``quality.clean_bars(repair_ohlc=True)`` repairs
        them) instead of refusing the file.
    notes : list of str
        Receives the note when ``repair`` is True.

    Raises
    ------
    InputFileError
        ``inconsistent OHLC (high < low, or open/close outside [low, high]) at line(s) ...``
        with the first row's values, when ``repair`` is False.
    """
    o, h, lo, c = (bars[k].to_numpy(dtype=np.float64) for k in PRICE_COLUMNS)
    tol = 1 + OHLC_TOLERANCE
    bad = (h * tol < np.maximum(o, c)) | (lo > np.minimum(o, c) * tol) | (h * tol < lo)
    if not bad.any():
        return
    if repair:
        notes.append(
            f"{int(bad.sum())} rows with inconsistent OHLC ({lines_text(_lines(bars, bad))}): "
            "high/low widened to cover open and close (--repair-ohlc)"
        )
        return
    i = int(np.flatnonzero(bad)[0])
    raise fail_rows(
        path,
        "inconsistent OHLC (high < low, or open/close outside [low, high])",
        bars,
        bad,
        "fix these rows, or import with --repair-ohlc to widen high/low to cover open and "
        "close (each repair is recorded as an ohlc_repaired finding)",
        detail=f" (first: open {o[i]:g}, high {h[i]:g}, low {lo[i]:g}, close {c[i]:g})",
    )


def _lines(bars: pd.DataFrame, mask: np.ndarray) -> np.ndarray:
    return np.sort(bars.loc[np.asarray(mask, dtype=bool), "_line"].to_numpy())


def resolve_conflicts(
    path: Path, bars: pd.DataFrame, on_conflict: str, notes: list[str]
) -> pd.DataFrame:
    """Rows of one timestamp with different values inside one file: fail, keep or replace.

    Parameters
    ----------
    path : pathlib.Path
        The file (for messages).
    bars : pandas.DataFrame
        One series sorted by timestamp (stable, so file order within a timestamp), with
        ``_line``.
    on_conflict : {'fail', 'keep', 'replace'}
        ``fail``: error naming both lines of the first conflicts; ``keep``: the earliest line
        of each conflicting timestamp wins; ``replace``: the latest line wins.
    notes : list of str
        Receives a note naming the dropped lines (``keep`` / ``replace``).

    Returns
    -------
    pandas.DataFrame
        ``bars`` without the losing rows (exact repeats are left in for ``clean_bars``).

    Raises
    ------
    InputFileError
        ``conflicting rows for one timestamp: 2024-01-03 at lines 3 and 4 (close 2 vs 3)``.
    UsageError
        For an unknown ``on_conflict``.
    """
    if on_conflict not in CONFLICT_POLICIES:
        raise UsageError(
            f"unknown on_conflict {on_conflict!r}", hint=f"use one of {CONFLICT_POLICIES}"
        )
    values = [c for c in bars.columns if c != "_line"]
    ts = bars["timestamp"]
    if not ts.duplicated().any():
        return bars
    unique = bars.drop_duplicates(subset=values)  # exact repeats: clean_bars' business
    clash = unique["timestamp"].duplicated(keep=False)
    if not clash.any():
        return bars
    groups = unique.loc[clash.to_numpy()].groupby("timestamp", sort=True)
    if on_conflict == "fail":
        pairs = []
        for stamp, grp in list(groups)[:_MAX_PAIRS]:
            a, b = grp.iloc[0], grp.iloc[1]
            diff = [c for c in values if c != "timestamp" and not _same(a[c], b[c])][:2]
            shown = ", ".join(f"{c} {_fmt(a[c])} vs {_fmt(b[c])}" for c in diff)
            when = _stamp(pd.Timestamp(str(stamp)))
            pairs.append(f"{when} at lines {int(a['_line'])} and {int(b['_line'])} ({shown})")
        more = groups.ngroups - len(pairs)
        raise InputFileError(
            path,
            "conflicting rows for one timestamp (same time, different values): "
            + "; ".join(pairs)
            + (f"; and {more} more timestamps" if more > 0 else ""),
            hint="keep one row per timestamp in the file (check which is right), or import "
            "with --on-conflict keep (earlier line wins) / replace (later line wins)",
        )
    keep: Literal["first", "last"] = "first" if on_conflict == "keep" else "last"
    loser = unique["timestamp"].duplicated(keep=keep) & clash
    dropped = unique.loc[loser.to_numpy(), "_line"].to_numpy()
    drop_lines = {int(x) for x in dropped}
    # drop the losers and every exact copy of them
    losers = unique.loc[loser.to_numpy(), values]
    copies = bars.merge(losers, on=values, how="left", indicator=True)["_merge"] == "both"
    out = bars.loc[~copies.to_numpy(dtype=bool)]
    which = "earlier" if keep == "first" else "later"
    notes.append(
        f"{groups.ngroups} timestamps had conflicting rows: kept the {which} line "
        f"(--on-conflict {on_conflict}), dropped {lines_text(sorted(drop_lines))}"
    )
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (np.isnan(a) and np.isnan(b))
    return a == b


def _fmt(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _stamp(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")
