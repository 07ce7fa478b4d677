"""Purged, embargoed cross-validation of a multi-symbol panel, split by DATE.

Lopez de Prado, *Advances in Financial Machine Learning* (AFML), ch. 7 (purging and
embargo) and ch. 12 (combinatorial purged CV); ``docs/methodology.md``.

The purge and embargo rules (sessions, test blocks, closed label intervals) and their index
code live in :mod:`sensequant.dataset.splits` (:class:`~sensequant.dataset.splits.SessionPanel`).
Splitting stacked rows instead of sessions -- skfolio's ``purged_size``/``embargo_size`` or
purgedcv's ``embargo_observations`` count ROWS -- cuts dates in two and under-purges a panel of
n symbols by a factor of about n.

Both splitters yield ``(train_idx, test_idx)``: sorted int64 ROW POSITIONS into the arrays
given to ``split`` (which need not be sorted).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import combinations

import numpy as np
import pandas as pd

from sensequant.dataset import SessionPanel, TimesLike, session_groups
from sensequant.errors import SplitError
from sensequant.evaluation.metrics import EvaluationInputError
from sensequant.types import IntArray


def _panel(timestamps: TimesLike, t1: TimesLike) -> SessionPanel:
    """:class:`SessionPanel` of the rows; its :class:`SplitError` as an evaluation error."""
    try:
        return SessionPanel(timestamps, t1)
    except SplitError as exc:
        raise EvaluationInputError(exc.message, hint=exc.hint) from None


def _check_int(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise EvaluationInputError(
            f"{name} must be an integer >= {minimum}, got {value!r}",
            hint=f"pass {name}={minimum} or more",
        )
    return int(value)


def _result(
    panel: SessionPanel, train: np.ndarray, test_sessions: np.ndarray, label: str
) -> tuple[IntArray, IntArray]:
    train_idx, test_idx = panel.positions(train, test_sessions)
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
        panel = _panel(timestamps, t1)
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
        panel = _panel(t, t)
        return self._session_groups(panel.n_sessions)[panel.session_of_row]

    def _session_groups(self, m: int) -> IntArray:
        try:
            return session_groups(m, self.n_groups)
        except SplitError as exc:
            raise EvaluationInputError(exc.message, hint=exc.hint) from None

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
        panel = _panel(timestamps, t1)
        groups = self._session_groups(panel.n_sessions)
        for s, chosen in enumerate(self.test_groups):
            test = np.isin(groups, chosen)
            candidate = ~test[panel.session_of_row]
            train = panel.train_mask(candidate, test, self.embargo_sessions)
            yield _result(panel, train, test, f"CPCV split {s} (test groups {chosen})")
