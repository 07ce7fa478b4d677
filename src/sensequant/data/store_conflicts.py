"""What to do when new bars disagree with stored ones: :class:`OnConflict` and the bar diff.

A *conflict* is a stored bar given again with a value that differs beyond float noise
(relative :data:`NOISE_RTOL`, both values present). Filling a value the store lacks (NaN) is
not a conflict, and neither is a difference within the noise. :meth:`BarStore.merge` applies
the policy:

* ``fail`` (the default of ``sensequant data import`` and ``data fetch``): nothing is written;
  :class:`~sensequant.errors.BarConflictError` lists every changed bar and the size of each
  change (:func:`conflict_message`);
* ``keep``: stored bars win; only new timestamps are added;
* ``replace``: new bars win (the behaviour before the policy existed).

The same enum says which row of a file wins when one file holds two different rows for one
timestamp (``keep`` = the first, ``replace`` = the last, ``fail`` = refuse the file).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
import pandas as pd

from sensequant.errors import UsageError

__all__ = [
    "MAX_LISTED",
    "NOISE_RTOL",
    "BarChange",
    "OnConflict",
    "bar_changes",
    "conflict_message",
]

NOISE_RTOL: Final = 1e-6
"""Relative difference below which two values are the same number (float32 round trips of
vendor files differ in the 8th digit)."""

MAX_LISTED: Final = 20
"""Changed bars listed in a refusal message (the rest are counted)."""


class OnConflict(StrEnum):
    """Policy for stored bars that new bars would change (see the module notes)."""

    FAIL = "fail"
    KEEP = "keep"
    REPLACE = "replace"

    @classmethod
    def parse(cls, value: OnConflict | str) -> OnConflict:
        """The policy named by ``value`` (``fail``, ``keep``, ``replace``; case-insensitive).

        Raises
        ------
        UsageError
            If ``value`` names no policy.
        """
        if isinstance(value, OnConflict):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise UsageError(
                f"unknown --on-conflict policy {value!r}",
                hint="use fail (refuse), keep (stored bars win) or replace (new bars win)",
            ) from None


@dataclass(frozen=True)
class BarChange:
    """One stored bar that new data would change.

    Attributes
    ----------
    timestamp : pandas.Timestamp
        The bar (IST).
    values : tuple of (str, float, float)
        ``(column, stored value, new value)`` for every column that differs beyond noise.
    """

    timestamp: pd.Timestamp
    values: tuple[tuple[str, float, float], ...]

    def text(self, intraday: bool) -> str:
        """``2024-01-02: open 2585 -> 10 (-99.61 %), close ...`` (time shown when intraday)."""
        when = f"{self.timestamp:%Y-%m-%d %H:%M}" if intraday else f"{self.timestamp:%Y-%m-%d}"
        parts = []
        for col, old, new in self.values:
            size = f"{new / old - 1:+.2%}" if old != 0 else "was 0"
            parts.append(f"{col} {old:.6g} -> {new:.6g} ({size})")
        return f"{when}: " + ", ".join(parts)


def bar_changes(old: pd.DataFrame, new: pd.DataFrame) -> list[BarChange]:
    """Bars of ``old`` that ``new`` changes beyond noise (both indexed by the same timestamps).

    Parameters
    ----------
    old, new : pandas.DataFrame, shape (n, n_columns)
        Stored and new values of the common timestamps, same index and columns (float).

    Returns
    -------
    list of BarChange
        In time order; a NaN on either side never counts.
    """
    if len(old) == 0:
        return []
    a = old.to_numpy(dtype=np.float64)
    b = new.to_numpy(dtype=np.float64)
    both = ~(np.isnan(a) | np.isnan(b))
    with np.errstate(invalid="ignore"):
        differ = both & ~np.isclose(a, b, rtol=NOISE_RTOL, atol=0.0)
    rows = np.flatnonzero(differ.any(axis=1))
    cols = list(old.columns)
    out = []
    for i in rows:
        values = tuple(
            (str(cols[j]), float(a[i, j]), float(b[i, j])) for j in np.flatnonzero(differ[i])
        )
        out.append(BarChange(pd.Timestamp(old.index[int(i)]), values))
    return out


def conflict_message(symbol: str, interval: str, changes: list[BarChange]) -> str:
    """The refusal text: how many bars, then one line per bar (at most :data:`MAX_LISTED`)."""
    intraday = interval != "1day"
    lines = [c.text(intraday) for c in changes[:MAX_LISTED]]
    more = len(changes) - len(lines)
    if more:
        lines.append(f"... and {more} more, the last on {changes[-1].text(intraday)}")
    return (
        f"{symbol} {interval}: {len(changes)} stored bar(s) would change beyond float noise "
        f"(relative {NOISE_RTOL:g}); refused, nothing written for this series:\n  "
        + "\n  ".join(lines)
    )
