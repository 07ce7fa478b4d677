"""Tests for the purge/embargo index code (teacher split and OOF folds, session panels).

The panel splitters built on :class:`SessionPanel` are tested in ``tests/evaluation/test_cv.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset import (
    SessionPanel,
    purged_fold_indices,
    purged_split_indices,
    session_groups,
)
from sensequant.errors import DataError, SplitError
from sensequant.types import IST

H = 5


def make_times(n: int = 160) -> tuple[pd.DatetimeIndex, pd.Series]:
    """Business-day sample times of one window; t1 = t + H sessions."""
    days = pd.bdate_range("2021-01-01", periods=n + H, tz=IST)
    return days[:n], pd.Series(days[H : H + n], index=days[:n])


def _overlaps(t: np.ndarray, e: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise overlap of intervals [t[a], e[a]] and [t[b], e[b]] -> bool (len(a), len(b))."""
    return (t[a][:, None] <= e[b][None, :]) & (e[a][:, None] >= t[b][None, :])


def test_main_split_embargo_and_purge() -> None:
    times, t1 = make_times()
    train, val = purged_split_indices(times, t1, validation_fraction=0.25, embargo=H)
    assert val[0] == 120 + H and val[-1] == 159
    assert (t1.iloc[train] < times[val[0]]).all()
    np.testing.assert_array_equal(train, np.arange(120))
    # an embargo shorter than the label horizon: the purge by t1 timestamps must bite
    train2, val2 = purged_split_indices(times, t1, validation_fraction=0.25, embargo=2)
    assert val2[0] == 122
    np.testing.assert_array_equal(train2, np.arange(117))  # t1 of row 117 is row 122's date


def test_split_with_no_room_for_validation_is_empty() -> None:
    times, t1 = make_times(n=8)
    train, val = purged_split_indices(times, t1, validation_fraction=0.25, embargo=H)
    assert train.size == 0 and val.size == 0
    assert train.dtype == val.dtype == np.int64


def test_purged_folds_never_train_on_overlapping_labels() -> None:
    rng = np.random.default_rng(5)
    n = 150
    days = pd.bdate_range("2022-01-03", periods=n + 30, tz=IST)
    t = days[:n]
    # irregular label ends: 1 to 25 sessions ahead (timestamps matter, not row counts)
    t1 = pd.Series(days[np.arange(n) + rng.integers(1, 26, n)])
    splits = purged_fold_indices(t, t1, n_folds=4, embargo=H)
    tn, en = t.asi8, pd.DatetimeIndex(t1).asi8
    np.testing.assert_array_equal(np.sort(np.concatenate([te for _, te in splits])), np.arange(n))
    for train, test in splits:
        assert train.size > 0
        assert not _overlaps(tn, en, train, test).any()
        after = np.flatnonzero(tn > en[test].max())[:H]  # embargo after the label span
        assert not np.isin(after, train).any()
        assert not np.isin(np.arange(test[-1] + 1, min(test[-1] + 1 + H, n)), train).any()


def test_bad_times_raise_split_error() -> None:
    times, t1 = make_times(n=20)
    with pytest.raises(SplitError, match="tz-aware"):
        purged_split_indices(times.tz_localize(None), t1, validation_fraction=0.25, embargo=H)
    with pytest.raises(SplitError, match="NaT"):
        purged_fold_indices(times, t1.where(t1.index != times[3]), n_folds=2, embargo=H)
    with pytest.raises(SplitError, match="sorted ascending"):
        purged_fold_indices(times[::-1], t1[::-1], n_folds=2, embargo=H)
    with pytest.raises(SplitError, match="t1 before"):
        purged_split_indices(
            times, times - pd.Timedelta(days=1), validation_fraction=0.25, embargo=H
        )
    with pytest.raises(SplitError, match="rows but t1"):
        purged_split_indices(times, t1.iloc[:-1], validation_fraction=0.25, embargo=H)
    with pytest.raises(SplitError, match="n_folds=21"):
        purged_fold_indices(times, t1, n_folds=21, embargo=H)
    # a data error the CLI prints with its hint, and a ValueError for callers that expect one
    assert issubclass(SplitError, DataError) and issubclass(SplitError, ValueError)


def test_session_panel_groups_symbols_of_one_date() -> None:
    days = pd.bdate_range("2023-01-02", periods=6, tz=IST)
    t = days.repeat(2)  # two symbols per session
    t1 = days[np.minimum(np.arange(6) + 1, 5)].repeat(2)
    panel = SessionPanel(t, t1)
    assert panel.n_sessions == 6
    np.testing.assert_array_equal(panel.session_of_row, np.arange(6).repeat(2))
    test = np.zeros(6, dtype=bool)
    test[3] = True
    keep = panel.train_mask(np.ones(12, dtype=bool), test, embargo_sessions=1)
    # session 2 (label ends on session 3) purged, 3 tested, 4 embargoed after t1 = session 4
    np.testing.assert_array_equal(keep, np.isin(np.arange(6), [0, 1]).repeat(2))
    train_idx, test_idx = panel.positions(keep, test)
    np.testing.assert_array_equal(train_idx, [0, 1, 2, 3])
    np.testing.assert_array_equal(test_idx, [6, 7])


def test_session_panel_and_groups_raise_split_error() -> None:
    days = pd.bdate_range("2023-01-02", periods=4, tz=IST)
    with pytest.raises(SplitError, match="no samples"):
        SessionPanel(days[:0], days[:0])
    with pytest.raises(SplitError, match="precedes"):
        SessionPanel(days, days[::-1])
    np.testing.assert_array_equal(session_groups(5, 2), [0, 0, 0, 1, 1])
    with pytest.raises(SplitError, match="cannot form 6 groups"):
        session_groups(5, 6)
