"""Purged, embargoed cross-validation of a multi-symbol panel, split by DATE.

Lopez de Prado, *Advances in Financial Machine Learning* (AFML), ch. 7 (purging and
embargo) and ch. 12 (combinatorial purged CV); ``docs/methodology.md``.

Every sample (row) has a decision time ``t`` and a label end ``t1`` (when its label is known,
e.g. ``t`` + h sessions); its label interval is the CLOSED interval ``[t, t1]``.

* Sessions: the sorted unique calendar dates of ``timestamps`` (in their own time zone,
  IST). Groups and test blocks are made of whole sessions, so all symbols of one date land in
  the same group; a date never straddles train and test. (Splitting stacked rows instead --
  skfolio's ``purged_size``/``embargo_size`` or purgedcv's ``embargo_observations`` count
  ROWS -- cuts dates in two and under-purges a panel of n symbols by a factor of about n.)
* Test block: a run of consecutive test sessions. Its interval is ``[first t, max t1]`` over
  its rows.
* Purge (AFML 7.4.1): a training row is dropped when ``[t, t1]`` intersects a test block's
  interval, i.e. ``t <= max t1`` and ``t1 >= first t`` (closed intervals: a training label
  ending on the session a test block starts is purged -- the conservative choice).
* Embargo (AFML 7.4.2, snippet 7.2 extends the test interval's END by the embargo): training
  rows whose session is one of the ``embargo_sessions`` sessions right AFTER the session of
  the block's last label end ``max t1`` are dropped as well (rows up to ``max t1`` are purged
  already).

Both splitters yield ``(train_idx, test_idx)``: sorted int64 ROW POSITIONS into the arrays
given to ``split`` (which need not be sorted).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import combinations

import numpy as np
import pandas as pd

from sensequant.evaluation.metrics import EvaluationInputError
from sensequant.types import IntArray

TimesLike = pd.Index | pd.Series | np.ndarray | list[pd.Timestamp]
"""Tz-aware timestamps, one per row."""


class _Panel:
    """Validated row times of a panel and their session positions."""

    def __init__(self, timestamps: TimesLike, t1: TimesLike) -> None:
        t = pd.DatetimeIndex(timestamps)
        end = pd.DatetimeIndex(t1)
        if len(t) != len(end):
            raise EvaluationInputError(
                f"timestamps has {len(t)} rows but t1 has {len(end)}",
                hint="pass one label end t1 per sample row",
            )
        if len(t) == 0:
            raise EvaluationInputError("no samples to split", hint="pass a non-empty panel")
        if t.tz is None or end.tz is None:
            raise EvaluationInputError(
                "timestamps and t1 must be tz-aware (Asia/Kolkata)",
                hint="localize with .tz_localize('Asia/Kolkata')",
            )
        for name, idx in (("timestamps", t), ("t1", end)):
            if idx.hasnans:
                pos = int(np.argmax(np.asarray(idx.isna())))
                raise EvaluationInputError(
                    f"{name} has a missing value at row {pos}",
                    hint="drop samples without a label end (not enough future data)",
                )
        self.t = t.asi8
        self.t1 = end.tz_convert(t.tz).asi8
        bad = np.flatnonzero(self.t1 < self.t)
        if bad.size:
            raise EvaluationInputError(
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
        return len(self.sessions)

    def train_mask(
        self, candidate: np.ndarray, test_sessions: np.ndarray, embargo_sessions: int
    ) -> np.ndarray:
        """Purge and embargo ``candidate`` (row mask) against the test sessions (session mask)."""
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


def _check_int(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise EvaluationInputError(
            f"{name} must be an integer >= {minimum}, got {value!r}",
            hint=f"pass {name}={minimum} or more",
        )
    return int(value)


def _result(
    panel: _Panel, train: np.ndarray, test_sessions: np.ndarray, label: str
) -> tuple[IntArray, IntArray]:
    train_idx = np.flatnonzero(train).astype(np.int64)
    test_idx = np.flatnonzero(test_sessions[panel.session_of_row]).astype(np.int64)
    if train_idx.size == 0:
        raise EvaluationInputError(
            f"{label}: no training rows left after purge and embargo",
            hint="use fewer splits, a shorter embargo or more training sessions",
        )
    return train_idx, test_idx


class PurgedWalkForward:
    """Expanding-window walk-forward splits of a panel by session, purged and embargoed.

    The first ``min_train_sessions`` sessions are training only; the remaining sessions are
    cut into ``n_splits`` contiguous test blocks in time order (sizes differ by at most one,
    earlier blocks larger, as ``numpy.array_split``). Split k trains on every row whose session
    precedes test block k, minus purged rows (see the module docstring).

    Parameters
    ----------
    n_splits : int
        Number of test blocks (>= 1).
    embargo_sessions : int
        Sessions embargoed after each test block's last label end. With an expanding window of
        PAST rows no training row starts after the test block, so the embargo removes nothing
        here (kept for symmetry with :class:`CombinatorialPurgedCV`); purging does the work.
    min_train_sessions : int, optional
        Sessions before the first test block; default ``n_sessions // (n_splits + 1)`` (the
        layout of ``sklearn.model_selection.TimeSeriesSplit``).

    Raises
    ------
    EvaluationInputError
        Bad parameters; at ``split``: bad times, too few sessions, or a split with no training
        rows left after purging.
    """

    def __init__(
        self, n_splits: int, embargo_sessions: int = 0, min_train_sessions: int | None = None
    ) -> None:
        self.n_splits = _check_int("n_splits", n_splits, 1)
        self.embargo_sessions = _check_int("embargo_sessions", embargo_sessions, 0)
        self.min_train_sessions = (
            None if min_train_sessions is None
            else _check_int("min_train_sessions", min_train_sessions, 1)
        )  # fmt: skip

    def get_n_splits(self) -> int:
        """Number of splits ``split`` yields."""
        return self.n_splits

    def split(self, timestamps: TimesLike, t1: TimesLike) -> Iterator[tuple[IntArray, IntArray]]:
        """Yield ``(train_idx, test_idx)`` row positions, test blocks in time order.

        Parameters
        ----------
        timestamps : array-like of tz-aware datetimes, shape (n_rows,)
            Decision time of each row (repeated across symbols of a panel), any row order.
        t1 : array-like of tz-aware datetimes, shape (n_rows,)
            Label end of each row (>= its timestamp).

        Yields
        ------
        train_idx, test_idx : numpy.ndarray of int64
            Sorted row positions.
        """
        panel = _Panel(timestamps, t1)
        m = panel.n_sessions
        start = self.min_train_sessions or m // (self.n_splits + 1)
        if m - start < self.n_splits or start < 1:
            raise EvaluationInputError(
                f"{m} sessions cannot hold {start} training sessions and {self.n_splits} "
                "test blocks",
                hint="lower n_splits or min_train_sessions",
            )
        for k, block in enumerate(np.array_split(np.arange(start, m), self.n_splits)):
            test = np.zeros(m, dtype=bool)
            test[block] = True
            candidate = panel.session_of_row < block[0]
            train = panel.train_mask(candidate, test, self.embargo_sessions)
            yield _result(panel, train, test, f"walk-forward split {k}")


class CombinatorialPurgedCV:
    """Combinatorial purged CV (AFML 12.4) of a panel grouped by session.

    The sorted sessions are cut into ``n_groups`` contiguous groups (sizes differ by at most
    one, earlier groups larger). Every choice of ``n_test_groups`` groups, in
    ``itertools.combinations`` order, is one split: test = those groups' rows, train = all
    other rows minus purged and embargoed rows. That gives ``C(N, k)`` splits.

    Backtest paths: each group is tested in ``C(N-1, k-1)`` splits, so the out-of-sample
    predictions assemble into ``n_paths = C(N-1, k-1)`` full-length paths. Path p takes group
    g's predictions from the p-th split (in split order) that tests g -- the assignment of
    AFML fig. 12.1 and purgedcv's ``reconstruct_paths``; :meth:`paths` returns it as a table.

    Parameters
    ----------
    n_groups : int
        N >= 2.
    n_test_groups : int
        k in [1, N - 1].
    embargo_sessions : int
        Sessions embargoed after each test block's last label end (see module docstring).

    Raises
    ------
    EvaluationInputError
        Bad parameters; at ``split``: bad times, fewer sessions than groups, or a split with
        no training rows left.
    """

    def __init__(self, n_groups: int, n_test_groups: int, embargo_sessions: int = 0) -> None:
        self.n_groups = _check_int("n_groups", n_groups, 2)
        self.n_test_groups = _check_int("n_test_groups", n_test_groups, 1)
        if self.n_test_groups >= self.n_groups:
            raise EvaluationInputError(
                f"n_test_groups must be below n_groups={n_groups}, got {n_test_groups}",
                hint="e.g. n_groups=6, n_test_groups=2",
            )
        self.embargo_sessions = _check_int("embargo_sessions", embargo_sessions, 0)

    def get_n_splits(self) -> int:
        """``C(n_groups, n_test_groups)``."""
        return math.comb(self.n_groups, self.n_test_groups)

    @property
    def n_paths(self) -> int:
        """``C(n_groups - 1, n_test_groups - 1)`` backtest paths."""
        return math.comb(self.n_groups - 1, self.n_test_groups - 1)

    @property
    def test_groups(self) -> list[tuple[int, ...]]:
        """Test groups of each split, in split order."""
        return list(combinations(range(self.n_groups), self.n_test_groups))

    def paths(self) -> IntArray:
        """Path table: ``out[p, g]`` = index of the split whose predictions of group g form
        group g of path p.

        Returns
        -------
        numpy.ndarray of int64, shape (n_paths, n_groups)
        """
        out = np.empty((self.n_paths, self.n_groups), dtype=np.int64)
        seen = np.zeros(self.n_groups, dtype=np.int64)
        for s, groups in enumerate(self.test_groups):
            for g in groups:
                out[seen[g], g] = s
                seen[g] += 1
        return out

    def group_of_rows(self, timestamps: TimesLike) -> IntArray:
        """Group (0..N-1) of every row, as used by :meth:`split` on the same timestamps."""
        t = pd.DatetimeIndex(timestamps)
        panel = _Panel(t, t)
        return self._session_groups(panel.n_sessions)[panel.session_of_row]

    def _session_groups(self, m: int) -> IntArray:
        if m < self.n_groups:
            raise EvaluationInputError(
                f"{m} sessions cannot form {self.n_groups} groups",
                hint="lower n_groups or pass a longer panel",
            )
        out = np.empty(m, dtype=np.int64)
        for g, block in enumerate(np.array_split(np.arange(m), self.n_groups)):
            out[block] = g
        return out

    def split(self, timestamps: TimesLike, t1: TimesLike) -> Iterator[tuple[IntArray, IntArray]]:
        """Yield ``(train_idx, test_idx)`` for each of the ``C(N, k)`` splits.

        Parameters
        ----------
        timestamps, t1 : array-like of tz-aware datetimes, shape (n_rows,)
            As in :meth:`PurgedWalkForward.split`.

        Yields
        ------
        train_idx, test_idx : numpy.ndarray of int64
            Sorted row positions.
        """
        panel = _Panel(timestamps, t1)
        groups = self._session_groups(panel.n_sessions)
        for s, chosen in enumerate(self.test_groups):
            test = np.isin(groups, chosen)
            candidate = ~test[panel.session_of_row]
            train = panel.train_mask(candidate, test, self.embargo_sessions)
            yield _result(panel, train, test, f"CPCV split {s} (test groups {chosen})")
