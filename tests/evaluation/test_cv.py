"""Tests of the purged walk-forward and combinatorial purged CV splitters (panel, by date)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from sensequant.evaluation.cv import CombinatorialPurgedCV, PurgedWalkForward
from sensequant.evaluation.metrics import EvaluationInputError
from sensequant.types import IST

H = 3  # label horizon in sessions


def _panel(
    n_dates: int, n_sym: int, *, shuffle: bool = True, seed: int = 0
) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Stacked panel: t = session, t1 = session H sessions later (business days)."""
    days = pd.bdate_range("2024-01-01", periods=n_dates + H, tz=IST)
    pos = np.repeat(np.arange(n_dates), n_sym)
    if shuffle:
        pos = np.random.default_rng(seed).permutation(pos)
    return days[pos], days[pos + H]


def _brute_force_train(
    t: pd.DatetimeIndex, t1: pd.DatetimeIndex, candidate: np.ndarray, test: np.ndarray, e: int
) -> np.ndarray:
    """Expected training rows: candidates whose [t, t1] meets no test row's [t, t1], minus
    rows starting within e sessions after a test run's last label end (pairwise, slow)."""
    ti, t1i = t.asi8, t1.asi8
    overlap = (ti[:, None] <= t1i[None, test]) & (t1i[:, None] >= ti[None, test])
    keep = candidate & ~overlap.any(axis=1)
    sessions = np.unique(t.normalize().asi8)
    sess_of = np.searchsorted(sessions, t.normalize().asi8)
    test_sess = np.unique(sess_of[test])
    runs = np.split(test_sess, np.flatnonzero(np.diff(test_sess) > 1) + 1)
    for run in runs:
        rows = np.isin(sess_of, run)
        after = np.searchsorted(sessions, t1i[rows].max(), side="right")
        keep &= ~((sess_of >= after) & (sess_of < after + e))
    return np.flatnonzero(keep)


def _check_split(
    t: pd.DatetimeIndex,
    t1: pd.DatetimeIndex,
    splits: Iterator[tuple[np.ndarray, np.ndarray]],
    e: int,
    walk_forward: bool,
) -> int:
    n = 0
    day = t.normalize()
    for train, test in splits:
        n += 1
        test_mask = np.zeros(len(t), dtype=bool)
        test_mask[test] = True
        # a whole date is in test or not at all, and never in both train and test
        test_days = set(day[test])
        assert set(np.flatnonzero(day.isin(list(test_days)))) == set(test.tolist())
        assert not test_days & set(day[train])
        # no train label interval overlaps any test label interval
        overlap = (t.asi8[train][:, None] <= t1.asi8[test][None]) & (
            t1.asi8[train][:, None] >= t.asi8[test][None]
        )
        assert not overlap.any()
        # and nothing more than purge + embargo was removed
        candidate = ~test_mask
        if walk_forward:
            candidate &= t.asi8 < t.asi8[test].min()
        expected = _brute_force_train(t, t1, candidate, test_mask, e)
        np.testing.assert_array_equal(train, expected)
    return n


@pytest.mark.parametrize(("n_groups", "k"), [(6, 2), (5, 1), (7, 3)])
def test_cpcv_panel_purges_embargoes_and_never_splits_a_date(n_groups: int, k: int) -> None:
    t, t1 = _panel(70, 4)
    cv = CombinatorialPurgedCV(n_groups, k, embargo_sessions=2)
    n = _check_split(t, t1, cv.split(t, t1), e=2, walk_forward=False)
    assert n == cv.get_n_splits() == math.comb(n_groups, k)
    assert cv.n_paths == math.comb(n_groups - 1, k - 1)


def test_walk_forward_panel_expanding_in_time_order() -> None:
    t, t1 = _panel(90, 5)
    cv = PurgedWalkForward(n_splits=4, embargo_sessions=2, min_train_sessions=30)
    splits = list(cv.split(t, t1))
    assert len(splits) == cv.get_n_splits() == 4
    _check_split(t, t1, iter(splits), e=2, walk_forward=True)
    firsts = [t[test].min() for _, test in splits]
    assert firsts == sorted(firsts)
    sizes = [len(train) for train, _ in splits]
    assert sizes == sorted(sizes) and sizes[0] == (30 - H) * 5  # last H sessions purged
    tested = np.unique(t.normalize()[np.concatenate([test for _, test in splits])])
    assert len(tested) == 60  # every session after the first 30 tested exactly once
    for train, test in splits:
        assert t1[train].max() < t[test].min()


def test_default_min_train_sessions_and_paths_table() -> None:
    t, t1 = _panel(50, 2, shuffle=False)
    splits = list(PurgedWalkForward(4).split(t, t1))
    assert t.normalize()[splits[0][1]].min() == pd.bdate_range("2024-01-01", periods=11)[
        10
    ].tz_localize(IST)  # 50 // 5 = 10 training sessions
    cv = CombinatorialPurgedCV(6, 2)
    paths = cv.paths()
    assert paths.shape == (5, 6)
    groups = cv.test_groups
    for g in range(6):
        column = paths[:, g].tolist()
        assert len(set(column)) == 5 and all(g in groups[s] for s in column)
        assert column == sorted(column)  # p-th split testing g goes to path p
    counts = np.bincount(paths.ravel(), minlength=cv.get_n_splits())
    assert (counts == 2).all()  # each split fills its k = 2 test groups, in 2 paths
    grp = cv.group_of_rows(t)
    assert np.bincount(grp).tolist() == [18, 18, 16, 16, 16, 16]  # 9,9,8,8,8,8 dates x 2


def test_matches_purgedcv_on_a_single_symbol() -> None:
    """Where definitions coincide (one symbol, one row per calendar day) we equal purgedcv.

    purgedcv uses half-open label intervals [t, t1); t1 + 1 ns makes them closed on day data.
    Its embargo is a wall-clock duration after each test label end: 2 days == 2 sessions here.
    """
    purgedcv = pytest.importorskip("purgedcv")
    t = pd.date_range("2024-01-01", periods=120, freq="D", tz=IST)
    t1 = t + pd.Timedelta(days=H)
    x = np.zeros((len(t), 1))
    ends = pd.Series(t1 + pd.Timedelta(1, "ns"))
    ref = purgedcv.CombinatorialPurgedCV(
        6, 2, prediction_times=pd.Series(t), evaluation_times=ends, embargo=pd.Timedelta(days=2)
    )
    mine = CombinatorialPurgedCV(6, 2, embargo_sessions=2)
    pairs = list(zip(ref.split(x), mine.split(t, t1), strict=True))
    assert len(pairs) == 15
    for (a, b), (c, d) in pairs:
        np.testing.assert_array_equal(np.sort(a), c)
        np.testing.assert_array_equal(np.sort(b), d)
    ref_wf = purgedcv.WalkForwardSplit(4, 20, prediction_times=pd.Series(t), evaluation_times=ends)
    mine_wf = PurgedWalkForward(4, min_train_sessions=40)
    for (a, b), (c, d) in zip(ref_wf.split(x), mine_wf.split(t, t1), strict=True):
        np.testing.assert_array_equal(np.sort(a), c)
        np.testing.assert_array_equal(np.sort(b), d)


def test_row_counting_under_purges_a_stacked_panel() -> None:
    """Counting ROWS (skfolio's purged_size/embargo_size, purgedcv's embargo_observations)
    treats h rows as h sessions; on a panel of 5 symbols that is h / 5 sessions."""
    purgedcv = pytest.importorskip("purgedcv")
    n_sym, e = 5, 2
    t, t1 = _panel(42, n_sym, shuffle=False)  # stacked: date-major, 210 rows
    n = len(t)
    ti, t1i = t.asi8, t1.asi8
    # (a) skfolio-style: drop `H` rows before and `e` rows after each contiguous test block
    blocks = np.array_split(np.arange(n), 6)
    test = blocks[2]
    train = np.setdiff1d(np.arange(n), test)
    train = train[(train < test[0] - H) | (train > test[-1] + e)]
    leak = (ti[train][:, None] <= t1i[test][None]) & (t1i[train][:, None] >= ti[test][None])
    assert leak.any()  # row counting keeps training labels that overlap the test labels
    # (b) purgedcv purges by time, but its row groups cut dates and its row embargo is short
    ref = purgedcv.CombinatorialPurgedCV(
        4, 1, prediction_times=pd.Series(t), evaluation_times=pd.Series(t1 + pd.Timedelta(1, "ns")),
        embargo_observations=e,
    )  # fmt: skip
    mine = CombinatorialPurgedCV(4, 1, embargo_sessions=e)
    day = t.normalize()
    sessions = day.unique()
    cut_dates = embargo_leaks = 0
    for (ref_train, ref_test), (my_train, my_test) in zip(
        ref.split(np.zeros((n, 1))), mine.split(t, t1), strict=True
    ):
        for train_idx, test_idx, is_ref in (
            (ref_train, ref_test, True),
            (my_train, my_test, False),
        ):
            test_days = day[test_idx].unique()
            partial = sum(int((day[test_idx] == d).sum() != n_sym) for d in test_days)
            after = sessions.searchsorted(t1[test_idx].max().normalize(), side="right")
            window = sessions[after : after + e]
            leaks = int(day[train_idx].isin(window).sum())
            if is_ref:
                cut_dates += partial
                embargo_leaks += leaks
            else:
                assert partial == 0 and leaks == 0
    assert cut_dates > 0 and embargo_leaks > 0


def test_bad_inputs() -> None:
    t, t1 = _panel(30, 2)
    with pytest.raises(EvaluationInputError, match="tz-aware"):
        next(CombinatorialPurgedCV(3, 1).split(t.tz_localize(None), t1.tz_localize(None)))
    with pytest.raises(EvaluationInputError, match="precedes"):
        next(CombinatorialPurgedCV(3, 1).split(t1, t))
    with pytest.raises(EvaluationInputError, match="missing value at row 4"):
        next(CombinatorialPurgedCV(3, 1).split(t, t1.where(np.arange(len(t)) != 4)))
    with pytest.raises(EvaluationInputError, match="rows but t1"):
        next(PurgedWalkForward(2).split(t, t1[:-1]))
    with pytest.raises(EvaluationInputError, match="cannot form 40 groups"):
        next(CombinatorialPurgedCV(40, 1).split(t, t1))
    with pytest.raises(EvaluationInputError, match="n_test_groups"):
        CombinatorialPurgedCV(3, 3)
    with pytest.raises(EvaluationInputError, match="embargo_sessions"):
        PurgedWalkForward(2, embargo_sessions=-1)
    with pytest.raises(EvaluationInputError, match="no training rows"):
        next(PurgedWalkForward(2, min_train_sessions=2).split(t, t1))  # H = 3 purges them all
