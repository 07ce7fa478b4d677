"""Tests of top-k equal-weight portfolio construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.errors import DataError
from sensequant.evaluation.portfolio import target_weights
from sensequant.settings import PortfolioConfig

D1, D2 = (
    pd.Timestamp("2024-01-01", tz="Asia/Kolkata"),
    pd.Timestamp("2024-01-02", tz="Asia/Kolkata"),
)


def _preds(rows: list[tuple[str, pd.Timestamp, float, float]]) -> pd.DataFrame:
    """rows: (symbol, timestamp, p_down, p_up); p_flat fills to 1."""
    frame = pd.DataFrame(rows, columns=["symbol", "timestamp", "p_down", "p_up"])
    frame["p_flat"] = 1.0 - frame["p_down"] - frame["p_up"]
    return frame


def test_top_k_equal_weight_with_threshold_and_cash() -> None:
    preds = _preds(
        [
            ("A", D1, 0.10, 0.60),
            ("B", D1, 0.20, 0.50),
            ("C", D1, 0.10, 0.45),
            ("D", D1, 0.05, 0.30),  # below min_probability
            ("A", D2, 0.50, 0.20),
            ("B", D2, 0.30, 0.35),
            ("C", D2, 0.40, 0.41),  # the only one above the threshold on D2
            ("D", D2, 0.30, 0.39),
        ]
    )
    cfg = PortfolioConfig(
        top_k=2, min_probability=0.40, score="p_up_minus_p_down", rebalance_every=1, hold_buffer=0
    )
    w = target_weights(preds, cfg)
    assert list(w.columns) == ["A", "B", "C", "D"]
    assert list(w.index) == [D1, D2]
    # D1 scores: A 0.50, B 0.30, C 0.35 -> A and C
    assert list(w.loc[D1]) == [0.5, 0.0, 0.5, 0.0]
    # D2: only C qualifies -> one slot filled, the other stays in cash
    assert list(w.loc[D2]) == [0.0, 0.0, 0.5, 0.0]
    assert (w.sum(axis=1) <= 1.0 + 1e-12).all()


def test_score_choice_changes_selection() -> None:
    preds = _preds([("A", D1, 0.40, 0.55), ("B", D1, 0.05, 0.50)])
    by_up = target_weights(preds, PortfolioConfig(top_k=1, min_probability=0.3, score="p_up"))
    by_diff = target_weights(preds, PortfolioConfig(top_k=1, min_probability=0.3))
    assert by_up.loc[D1, "A"] == 1.0 and by_up.loc[D1, "B"] == 0.0
    assert by_diff.loc[D1, "B"] == 1.0 and by_diff.loc[D1, "A"] == 0.0


def test_ties_are_broken_by_symbol_whatever_the_row_order() -> None:
    rows = [("ZED", D1, 0.1, 0.5), ("ABC", D1, 0.1, 0.5), ("MID", D1, 0.1, 0.5)]
    cfg = PortfolioConfig(top_k=2, min_probability=0.4, score="p_up")
    for perm in ([0, 1, 2], [2, 1, 0], [1, 0, 2]):
        w = target_weights(_preds([rows[i] for i in perm]), cfg)
        assert w.loc[D1].to_dict() == {"ABC": 0.5, "MID": 0.5, "ZED": 0.0}


def test_nothing_qualifies_gives_an_all_zero_row() -> None:
    preds = _preds([("A", D1, 0.1, 0.6), ("A", D2, 0.6, 0.1), ("B", D2, np.nan, np.nan)])
    cfg = PortfolioConfig(top_k=3, min_probability=0.4, rebalance_every=1)
    w = target_weights(preds, cfg)
    assert w.loc[D2].sum() == 0.0
    assert w.loc[D1, "A"] == pytest.approx(1 / 3)


def test_tradable_mask_excludes_symbols_and_missing_entries_count_as_not_tradable() -> None:
    preds = _preds([("A", D1, 0.1, 0.6), ("B", D1, 0.1, 0.5), ("C", D1, 0.1, 0.45)])
    tradable = pd.DataFrame({"A": [False], "B": [True]}, index=[D1])  # C absent
    w = target_weights(preds, PortfolioConfig(top_k=2, min_probability=0.4), tradable=tradable)
    assert w.loc[D1].to_dict() == {"A": 0.0, "B": 0.5, "C": 0.0}


def _ranked_days(scores: list[dict[str, float]]) -> pd.DataFrame:
    days = pd.bdate_range("2024-01-01", periods=len(scores), tz="Asia/Kolkata")
    rows = [
        (sym, day, 0.1, p_up)
        for day, day_scores in zip(days, scores, strict=True)
        for sym, p_up in day_scores.items()
    ]
    return _preds(rows)


def test_decisions_only_every_n_sessions() -> None:
    preds = _ranked_days([{"A": 0.6, "B": 0.5}] * 7)
    w = target_weights(preds, PortfolioConfig(top_k=1, min_probability=0.3, rebalance_every=3))
    days = sorted(preds["timestamp"].unique())
    assert list(w.index) == [days[0], days[3], days[6]]


def test_hold_buffer_keeps_a_held_name_until_it_drops_out_of_the_buffer() -> None:
    day = [
        {"A": 0.60, "B": 0.55, "C": 0.50, "D": 0.45},  # hold A
        {"B": 0.60, "A": 0.55, "C": 0.50, "D": 0.45},  # A is 2nd: kept (within 1 + 2)
        {"B": 0.60, "C": 0.55, "D": 0.50, "A": 0.45},  # A is 4th: dropped, B bought
        {"B": 0.60, "C": 0.55, "D": 0.50, "A": 0.45},
    ]
    preds = _ranked_days(day)
    buffered = PortfolioConfig(top_k=1, min_probability=0.3, rebalance_every=1, hold_buffer=2)
    held = target_weights(preds, buffered).idxmax(axis=1).tolist()
    assert held == ["A", "A", "B", "B"]
    pure = PortfolioConfig(top_k=1, min_probability=0.3, rebalance_every=1, hold_buffer=0)
    assert target_weights(preds, pure).idxmax(axis=1).tolist() == ["A", "B", "B", "B"]


def test_a_held_name_that_no_longer_qualifies_is_sold() -> None:
    preds = _ranked_days([{"A": 0.60, "B": 0.50}, {"A": 0.35, "B": 0.50}])
    cfg = PortfolioConfig(top_k=1, min_probability=0.4, rebalance_every=1, hold_buffer=5)
    assert target_weights(preds, cfg).idxmax(axis=1).tolist() == ["A", "B"]


def test_duplicates_and_missing_columns_are_errors() -> None:
    preds = _preds([("A", D1, 0.1, 0.6), ("A", D1, 0.2, 0.5)])
    with pytest.raises(DataError, match="more than one row for symbol A"):
        target_weights(preds, PortfolioConfig())
    with pytest.raises(DataError, match="p_up"):
        target_weights(preds.drop(columns="p_up"), PortfolioConfig())
