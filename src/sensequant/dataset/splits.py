"""Purged and embargoed train/test indices: every purge/embargo rule of the project in one place.

Source of the scheme: M. Lopez de Prado, *Advances in Financial Machine Learning* (AFML, 2018),
ch. 7 (purged k-fold CV; purge = drop training samples whose label interval ``[t, t1]``
overlaps the test span; embargo = also drop samples just after the test span) and ch. 12
(combinatorial purged CV); ``docs/methodology.md``.

Every sample (row) has a decision time ``t`` and a label end ``t1`` (when its label is known,
e.g. ``t`` + h sessions); its label interval is the CLOSED interval ``[t, t1]``.

One symbol, one window (the teachers, by ROW):

* :func:`purged_split_indices`: time-ordered train/validation split with a row embargo and a
  purge by label end;
* :func:`purged_fold_indices`: contiguous purged k-fold splits with an embargo (OOF folds).

A multi-symbol panel, split by DATE (:mod:`sensequant.evaluation.cv` builds its splitters on
:class:`SessionPanel`):

* Sessions: the sorted unique calendar dates of the timestamps (in their own time zone, IST).
  Groups and test blocks are made of whole sessions, so all symbols of one date land in the
  same group; a date never straddles train and test.
* Test block: a run of consecutive test sessions. Its interval is ``[first t, max t1]`` over
  its rows.
* Purge (AFML 7.4.1): a training row is dropped when ``[t, t1]`` intersects a test block's
  interval, i.e. ``t <= max t1`` and ``t1 >= first t`` (closed intervals: a training label
  ending on the session a test block starts is purged -- the conservative choice).
* Embargo (AFML 7.4.2, snippet 7.2 extends the test interval's END by the embargo): training
  rows whose session is one of the ``embargo_sessions`` sessions right AFTER the session of
  the block's last label end ``max t1`` are dropped as well (rows up to ``max t1`` are purged
  already).

All indices are int64 ROW POSITIONS into the arrays given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.errors import SplitError
from sensequant.types import IntArray

TimesLike = pd.Index | pd.Series | np.ndarray | list[pd.Timestamp]
"""Tz-aware timestamps, one per row."""

_NS_MAX: Final = np.iinfo(np.int64).max


def _as_ns(values: Any, what: str) -> IntArray:
    """Tz-aware timestamps -> int64 nanoseconds since the epoch (UTC); NaT is an error."""
    idx = pd.DatetimeIndex(values)
    if idx.tz is None:
        raise SplitError(f"{what} must be tz-aware (Asia/Kolkata), got naive timestamps")
    if idx.hasnans:
        raise SplitError(f"{what} contains NaT at positions {np.flatnonzero(idx.isna())[:5]}")
    return np.asarray(idx.asi8, dtype=np.int64)


def _check_times(times: IntArray, t1: IntArray) -> None:
    if times.shape != t1.shape:
        raise SplitError(f"times has {times.shape[0]} rows but t1 has {t1.shape[0]}")
    if times.size and np.any(np.diff(times) < 0):
        raise SplitError("sample timestamps must be sorted ascending (one symbol, one window)")
    if np.any(t1 < times):
        bad = int(np.flatnonzero(t1 < times)[0])
        raise SplitError(f"t1 before its sample timestamp at row {bad}")


def purged_split_indices(
    times: pd.Index | Sequence[pd.Timestamp],
    t1: pd.Series | Sequence[pd.Timestamp],
    *,
    validation_fraction: float,
    embargo: int,
) -> tuple[IntArray, IntArray]:
    """Time-ordered train/validation split with embargo and purge.

    Train block = the first ``floor(n * (1 - validation_fraction))`` rows; the next
    ``embargo`` rows are dropped; validation = the rest. Train rows whose label end
    ``t1 >= `` the first validation timestamp are purged (their label would overlap it).

    Parameters
    ----------
    times : DatetimeIndex, shape (n,)
        Sorted tz-aware sample timestamps t (IST).
    t1 : Series or sequence, shape (n,)
        Tz-aware label end times, aligned by position.
    validation_fraction : float
        Tail share in (0, 1).
    embargo : int
        Rows (sessions) dropped after the train block, normally the label horizon h.

    Returns
    -------
    train_pos, val_pos : ndarray of int64
        Positional indices; empty arrays when the validation part is empty.

    Raises
    ------
    SplitError
        If timestamps are naive, NaT, unsorted, of different lengths, or ``t1 < t``.
    """
    t = _as_ns(times, "X.index")
    e = _as_ns(t1, "t1")
    _check_times(t, e)
    n = t.size
    n_block = int(np.floor(n * (1.0 - validation_fraction)))
    val_start = n_block + max(int(embargo), 0)
    if val_start >= n:
        return np.arange(0, dtype=np.int64), np.arange(0, dtype=np.int64)
    train = np.arange(n_block, dtype=np.int64)
    train = train[e[train] < t[val_start]]
    return train, np.arange(val_start, n, dtype=np.int64)


def purged_fold_indices(
    times: pd.Index | Sequence[pd.Timestamp],
    t1: pd.Series | Sequence[pd.Timestamp],
    *,
    n_folds: int,
    embargo: int,
) -> list[tuple[IntArray, IntArray]]:
    """Contiguous purged k-fold splits with an embargo (AFML ch. 7), by timestamp.

    Rows are cut into ``n_folds`` contiguous blocks (``numpy.array_split``). For test block k
    with first timestamp ``lo`` and latest label end ``hi = max(t1[block])``, the protected span
    is ``[lo, hi_e]`` where ``hi_e`` is the timestamp of the ``embargo``-th row starting after
    ``hi`` (AFML's embargo: the test span extended by ``embargo`` bars; +inf if the data ends
    first). A row is used for training only if its label interval ``[t, t1]`` does not overlap
    ``[lo, hi_e]``, i.e. ``t1 < lo or t > hi_e``. This also removes every row within
    ``embargo`` rows after the block, so it is at least as strict as a row-count embargo.

    Parameters
    ----------
    times : DatetimeIndex, shape (n,)
        Sorted tz-aware sample timestamps t (IST).
    t1 : Series or sequence, shape (n,)
        Tz-aware label end times, aligned by position.
    n_folds : int
        Number of contiguous test blocks, >= 2 and <= n.
    embargo : int
        Rows after the test span's label end that are also withheld (normally h).

    Returns
    -------
    list of (train_pos, test_pos)
        Positional int64 indices per fold; the test blocks partition ``range(n)``.

    Raises
    ------
    SplitError
        If timestamps are naive, NaT, unsorted, ``t1 < t``, or ``n_folds`` is out of range.
    """
    t = _as_ns(times, "X.index")
    e = _as_ns(t1, "t1")
    _check_times(t, e)
    n = t.size
    if not 2 <= n_folds <= n:
        raise SplitError(f"n_folds={n_folds} must be between 2 and the number of rows {n}")
    splits: list[tuple[IntArray, IntArray]] = []
    for test in np.array_split(np.arange(n, dtype=np.int64), n_folds):
        lo = t[test[0]]
        hi = int(e[test].max())
        after = np.flatnonzero(t > hi)
        hi_e = hi
        if embargo > 0:
            hi_e = int(t[after[embargo - 1]]) if after.size >= embargo else _NS_MAX
        keep = (e < lo) | (t > hi_e)
        splits.append((np.flatnonzero(keep).astype(np.int64), test))
    return splits


class SessionPanel:
    """Validated row times of a multi-symbol panel and their session positions.

    Parameters
    ----------
    timestamps : array-like of tz-aware datetimes, shape (n_rows,)
        Decision time ``t`` of each row (repeated across symbols), any row order.
    t1 : array-like of tz-aware datetimes, shape (n_rows,)
        Label end of each row (>= its timestamp).

    Attributes
    ----------
    t, t1 : numpy.ndarray of int64, shape (n_rows,)
        Nanoseconds since the epoch (UTC).
    sessions : pandas.DatetimeIndex
        Sorted unique calendar dates (midnight, in the timestamps' time zone).
    session_of_row : numpy.ndarray of int64, shape (n_rows,)
        Position of each row's session in ``sessions``.

    Raises
    ------
    SplitError
        If the lengths differ, the panel is empty, times are naive or missing, or ``t1 < t``.
    """

    def __init__(self, timestamps: TimesLike, t1: TimesLike) -> None:
        t = pd.DatetimeIndex(timestamps)
        end = pd.DatetimeIndex(t1)
        if len(t) != len(end):
            raise SplitError(
                f"timestamps has {len(t)} rows but t1 has {len(end)}",
                hint="pass one label end t1 per sample row",
            )
        if len(t) == 0:
            raise SplitError("no samples to split", hint="pass a non-empty panel")
        if t.tz is None or end.tz is None:
            raise SplitError(
                "timestamps and t1 must be tz-aware (Asia/Kolkata)",
                hint="localize with .tz_localize('Asia/Kolkata')",
            )
        for name, idx in (("timestamps", t), ("t1", end)):
            if idx.hasnans:
                pos = int(np.argmax(np.asarray(idx.isna())))
                raise SplitError(
                    f"{name} has a missing value at row {pos}",
                    hint="drop samples without a label end (not enough future data)",
                )
        self.t = t.asi8
        self.t1 = end.tz_convert(t.tz).asi8
        bad = np.flatnonzero(self.t1 < self.t)
        if bad.size:
            raise SplitError(
                f"t1 precedes t at row {int(bad[0])} ({end[bad[0]]} < {t[bad[0]]})",
                hint="t1 is the END of each label, at or after its decision time",
            )
        day = t.normalize()
        self.sessions = pd.DatetimeIndex(day.unique()).sort_values()
        self.tz = t.tz
        self.session_of_row: IntArray = self.sessions.get_indexer(day).astype(np.int64)
        self.session_ns = self.sessions.asi8

    @property
    def n_sessions(self) -> int:
        """Number of distinct sessions."""
        return len(self.sessions)

    def train_mask(
        self, candidate: np.ndarray, test_sessions: np.ndarray, embargo_sessions: int
    ) -> np.ndarray:
        """Purge and embargo ``candidate`` against the test sessions.

        Parameters
        ----------
        candidate : numpy.ndarray of bool, shape (n_rows,)
            Rows that may train before purging.
        test_sessions : numpy.ndarray of bool, shape (n_sessions,)
            Test sessions; at least one must be set. Each run of consecutive test sessions is
            one test block.
        embargo_sessions : int
            Sessions embargoed after each block's last label end (>= 0).

        Returns
        -------
        numpy.ndarray of bool, shape (n_rows,)
            ``candidate`` minus purged and embargoed rows.
        """
        keep = candidate.copy()
        is_test_row = test_sessions[self.session_of_row]
        pos = np.flatnonzero(test_sessions)
        breaks = np.flatnonzero(np.diff(pos) > 1)
        starts = np.r_[pos[0], pos[breaks + 1]]
        ends = np.r_[pos[breaks], pos[-1]]
        for lo, hi in zip(starts, ends, strict=True):
            rows = is_test_row & (self.session_of_row >= lo) & (self.session_of_row <= hi)
            first_t = self.t[rows].min()
            last_t1 = int(self.t1[rows].max())
            keep &= ~((self.t <= last_t1) & (self.t1 >= first_t))
            if embargo_sessions > 0:
                end_day = pd.Timestamp(last_t1, tz="UTC").tz_convert(self.tz).normalize()
                after = int(np.searchsorted(self.session_ns, end_day.value, side="right"))
                emb = (self.session_of_row >= after) & (
                    self.session_of_row < after + embargo_sessions
                )
                keep &= ~emb
        return keep

    def positions(self, train: np.ndarray, test_sessions: np.ndarray) -> tuple[IntArray, IntArray]:
        """Row positions of a train mask (rows) and of the rows of the test sessions.

        Returns
        -------
        train_idx, test_idx : numpy.ndarray of int64
            Sorted row positions; ``train_idx`` may be empty.
        """
        train_idx = np.flatnonzero(train).astype(np.int64)
        test_idx = np.flatnonzero(test_sessions[self.session_of_row]).astype(np.int64)
        return train_idx, test_idx


def session_groups(n_sessions: int, n_groups: int) -> IntArray:
    """Group (0..n_groups-1) of each session: contiguous, sizes differ by at most one.

    Earlier groups are larger, as ``numpy.array_split``.

    Returns
    -------
    numpy.ndarray of int64, shape (n_sessions,)

    Raises
    ------
    SplitError
        If there are fewer sessions than groups.
    """
    if n_sessions < n_groups:
        raise SplitError(
            f"{n_sessions} sessions cannot form {n_groups} groups",
            hint="lower n_groups or pass a longer panel",
        )
    out = np.empty(n_sessions, dtype=np.int64)
    for g, block in enumerate(np.array_split(np.arange(n_sessions), n_groups)):
        out[block] = g
    return out
