"""A quality finding (:class:`Finding`) and the helpers that build one from flagged rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

__all__ = ["MAX_EXAMPLES", "Finding", "examples", "make_finding"]

MAX_EXAMPLES: Final = 10
"""Source lines (and listed days) kept per finding."""


@dataclass(frozen=True)
class Finding:
    """One kind of quality issue found in a series.

    Attributes
    ----------
    kind : str
        One of :data:`sensequant.data.quality.clean.FINDING_KINDS`.
    count : int
        Rows concerned.
    detail : str
        What was found and done, with example dates.
    first_timestamp : pandas.Timestamp or None
        Earliest timestamp concerned (IST).
    lines : tuple of int
        Up to 10 source-file line numbers concerned (empty when the bars had no ``_line``).
    """

    kind: str
    count: int
    detail: str
    first_timestamp: pd.Timestamp | None
    lines: tuple[int, ...]


def examples(ts: pd.Series, limit: int = 5) -> str:
    """The first ``limit`` timestamps as text (dates alone for midnight stamps), ``and N more``."""
    shown = [t.strftime("%Y-%m-%d") if t == t.normalize() else str(t) for t in ts.iloc[:limit]]
    more = len(ts) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def make_finding(kind: str, frame: pd.DataFrame, mask: np.ndarray, detail: str) -> Finding:
    """A :class:`Finding` on the rows of ``frame`` (``timestamp``, optional ``_line``) in
    ``mask`` (bool, shape (len(frame),))."""
    rows = frame.loc[mask]
    lines: tuple[int, ...] = ()
    if "_line" in rows.columns:
        lines = tuple(int(x) for x in np.sort(rows["_line"].to_numpy())[:MAX_EXAMPLES])
    first = rows["timestamp"].min() if len(rows) else None
    return Finding(kind, int(mask.sum()), detail, first, lines)
