"""Tests of top-k equal-weight portfolio construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.errors import ConfigError, DataError
from sensequant.evaluation.portfolio import (
    apply_caps,
    long_short_weights,
    probability_scaled_weights,
    probability_threshold_weights,
    target_weights,
)
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


# ------------------------------------------------------------------ sizing rules (issue 4)

# D1 scores (p_up - p_down): A 0.50, B 0.30, C 0.35, D 0.25, E -0.30; p_up: .6 .5 .45 .3 .2
# D2 scores: A -0.30, B 0.05
SIZING = _preds(
    [
        ("A", D1, 0.10, 0.60),
        ("B", D1, 0.20, 0.50),
        ("C", D1, 0.10, 0.45),
        ("D", D1, 0.05, 0.30),
        ("E", D1, 0.50, 0.20),
        ("A", D2, 0.50, 0.20),
        ("B", D2, 0.30, 0.35),
    ]
)


def test_threshold_weights_equal_among_qualifiers_capped_in_count() -> None:
    # p_up >= 0.4: A, B, C qualify on D1; ranked by score A (0.5), C (0.35), B (0.3)
    capped = probability_threshold_weights(SIZING, min_probability=0.4, max_positions=2)
    assert capped.loc[D1].to_dict() == {"A": 0.5, "B": 0.0, "C": 0.5, "D": 0.0, "E": 0.0}
    assert capped.loc[D2].sum() == 0.0  # nothing has p_up >= 0.4 on D2
    roomy = probability_threshold_weights(SIZING, min_probability=0.4, max_positions=10)
    np.testing.assert_allclose(roomy.loc[D1], [1 / 3, 1 / 3, 1 / 3, 0, 0])
    # ranking by p_up instead: A (0.6), B (0.5)
    by_up = probability_threshold_weights(
        SIZING, min_probability=0.4, max_positions=2, score="p_up"
    )
    assert by_up.loc[D1].to_dict() == {"A": 0.5, "B": 0.5, "C": 0.0, "D": 0.0, "E": 0.0}
    tradable = pd.DataFrame({"A": [False], "B": [True], "C": [True]}, index=[D1])
    masked = probability_threshold_weights(
        SIZING, min_probability=0.4, max_positions=2, tradable=tradable
    )
    assert masked.loc[D1].to_dict() == {"A": 0.0, "B": 0.5, "C": 0.5, "D": 0.0, "E": 0.0}


def test_threshold_weights_break_ties_by_symbol() -> None:
    rows = [("ZED", D1, 0.1, 0.5), ("ABC", D1, 0.1, 0.5), ("MID", D1, 0.1, 0.5)]
    for perm in ([0, 1, 2], [2, 1, 0]):
        w = probability_threshold_weights(
            _preds([rows[i] for i in perm]), min_probability=0.4, max_positions=2
        )
        assert w.loc[D1].to_dict() == {"ABC": 0.5, "MID": 0.5, "ZED": 0.0}


def test_scaled_weights_proportional_to_conviction() -> None:
    # score p_up, floor 0.4: convictions A 0.20, B 0.10, C 0.05 -> 4/7, 2/7, 1/7 of gross 0.8
    w = probability_scaled_weights(SIZING, min_probability=0.4, score="p_up", gross=0.8)
    np.testing.assert_allclose(w.loc[D1], np.array([4, 2, 1, 0, 0]) / 7 * 0.8)
    assert w.loc[D2].sum() == 0.0
    # score p_up - p_down, floor 0: A 0.50, B 0.30, C 0.35 (sum 1.15)
    w = probability_scaled_weights(SIZING, min_probability=0.4)
    np.testing.assert_allclose(w.loc[D1], np.array([0.5, 0.3, 0.35, 0, 0]) / 1.15)
    assert w.loc[D1].sum() == pytest.approx(1.0)


def test_scaled_weights_skip_names_without_conviction() -> None:
    # B clears p_up >= 0.4 but is more likely down than up: no weight; C sits on the floor
    preds = _preds([("A", D1, 0.1, 0.5), ("B", D1, 0.45, 0.42), ("C", D1, 0.3, 0.4)])
    w = probability_scaled_weights(preds, min_probability=0.4)
    assert w.loc[D1].to_dict() == pytest.approx({"A": 0.4 / 0.5, "B": 0.0, "C": 0.1 / 0.5})
    w_up = probability_scaled_weights(preds, min_probability=0.4, score="p_up")
    assert w_up.loc[D1].to_dict() == pytest.approx({"A": 0.1 / 0.12, "B": 0.02 / 0.12, "C": 0.0})


def test_long_short_is_dollar_neutral_and_picks_both_tails() -> None:
    w = long_short_weights(SIZING, top_k=2, bottom_k=2, gross=1.0)
    # D1 ranking: A, C, B, D, E -> long A, C; short D, E
    assert w.loc[D1].to_dict() == {"A": 0.25, "B": 0.0, "C": 0.25, "D": -0.25, "E": -0.25}
    # D2 has two names and both go long first: no short side left, so no book
    assert w.loc[D2].abs().sum() == 0.0
    one_each = long_short_weights(SIZING, top_k=1, bottom_k=2)
    assert one_each.loc[D2].to_dict() == {"A": -0.5, "B": 0.5, "C": 0.0, "D": 0.0, "E": 0.0}
    for book in (w.loc[[D1]], one_each):
        np.testing.assert_allclose(book.sum(axis=1), 0.0, atol=1e-15)
        np.testing.assert_allclose(book.abs().sum(axis=1), 1.0)
    half = long_short_weights(SIZING, top_k=1, bottom_k=3, gross=0.5)
    np.testing.assert_allclose(half.loc[D1], [0.25, -0.25 / 3, 0.0, -0.25 / 3, -0.25 / 3])


def test_long_short_needs_a_name_on_each_side() -> None:
    preds = _preds([("A", D1, 0.1, 0.6), ("A", D2, 0.1, 0.6), ("B", D2, 0.3, 0.3)])
    w = long_short_weights(preds, top_k=3, bottom_k=3)
    assert w.loc[D1].abs().sum() == 0.0  # one name: no dollar-neutral book
    assert w.loc[D2].abs().sum() == 0.0  # both names go long first: no short side left
    w = long_short_weights(preds, top_k=1, bottom_k=3)
    assert w.loc[D2].to_dict() == {"A": 0.5, "B": -0.5}


def test_apply_caps_cuts_to_cash_without_redistributing() -> None:
    w = pd.DataFrame(
        {"A": [0.7, 0.5, 0.0], "B": [0.2, -0.5, 0.0], "C": [0.1, 0.0, 0.0]},
        index=pd.bdate_range("2024-01-01", periods=3, tz="Asia/Kolkata"),
    )
    capped = apply_caps(w, max_weight_per_symbol=0.4)
    np.testing.assert_allclose(capped, [[0.4, 0.2, 0.1], [0.4, -0.4, 0.0], [0.0, 0.0, 0.0]])
    both = apply_caps(w, max_weight_per_symbol=0.4, max_gross=0.5)
    # row 1: 0.4 + 0.2 + 0.1 = 0.7 -> x 5/7; row 2: 0.8 -> x 5/8 (signs kept)
    np.testing.assert_allclose(
        both, [[0.4 * 5 / 7, 0.2 * 5 / 7, 0.1 * 5 / 7], [0.25, -0.25, 0.0], [0.0, 0.0, 0.0]]
    )
    assert (both.abs() <= 0.4 + 1e-15).all().all()
    assert (both.abs().sum(axis=1) <= 0.5 + 1e-15).all()


def test_sizing_parameters_are_checked() -> None:
    with pytest.raises(ConfigError, match="max_positions"):
        probability_threshold_weights(SIZING, min_probability=0.4, max_positions=0)
    with pytest.raises(ConfigError, match="min_probability"):
        probability_scaled_weights(SIZING, min_probability=1.5)
    with pytest.raises(ConfigError, match="gross"):
        long_short_weights(SIZING, top_k=1, bottom_k=1, gross=2.0)
    with pytest.raises(ConfigError, match="max_weight_per_symbol"):
        apply_caps(pd.DataFrame({"A": [0.5]}), max_weight_per_symbol=-0.1)
    with pytest.raises(DataError, match="NaN"):
        apply_caps(pd.DataFrame({"A": [np.nan]}), max_weight_per_symbol=0.5)
    with pytest.raises(DataError, match="more than one row"):
        long_short_weights(pd.concat([SIZING, SIZING.iloc[:1]]), top_k=1, bottom_k=1)


# ----------------------------------------------------------------- rank-only (generic score)


def _scores(rows: list[tuple[str, pd.Timestamp, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["symbol", "timestamp", "score"])


def test_rank_only_top_k_picks_by_score_with_no_floor() -> None:
    scores = _scores(
        [
            *[("A", D1, -0.30), ("B", D1, -0.01), ("C", D1, -0.20), ("D", D1, np.nan)],
            *[("A", D2, 0.05), ("B", D2, -0.50), ("C", D2, 0.05)],
        ]
    )
    cfg = PortfolioConfig(top_k=2, score="score", rebalance_every=1, hold_buffer=0)
    assert cfg.min_probability is None  # rank-only: no probability floor by default
    w = target_weights(scores, cfg)
    # D1: every score negative, still the best two are held (B, C); NaN never selected
    assert w.loc[D1].to_dict() == {"A": 0.0, "B": 0.5, "C": 0.5, "D": 0.0}
    # D2: A and C tie at 0.05 -> both held (ties by name), B dropped
    assert w.loc[D2].to_dict() == {"A": 0.5, "B": 0.0, "C": 0.5, "D": 0.0}


def test_rank_only_matches_probability_score_without_floor() -> None:
    preds = _preds([("A", D1, 0.10, 0.30), ("B", D1, 0.05, 0.20), ("C", D1, 0.50, 0.45)])
    generic = preds.assign(score=preds["p_up"] - preds["p_down"])[["symbol", "timestamp", "score"]]
    rank_only = target_weights(generic, PortfolioConfig(top_k=2, score="score"))
    no_floor = target_weights(preds, PortfolioConfig(top_k=2, min_probability=None))
    pd.testing.assert_frame_equal(rank_only, no_floor)
    floored = target_weights(preds, PortfolioConfig(top_k=2, min_probability=0.40))
    assert floored.loc[D1].to_dict() == {"A": 0.0, "B": 0.0, "C": 0.5}  # old rule unchanged
    # the other sizing rules accept a generic score and no floor too
    thr = probability_threshold_weights(
        generic, min_probability=None, max_positions=2, score="score"
    )
    assert thr.loc[D1].to_dict() == {"A": 0.5, "B": 0.5, "C": 0.0}
    scaled = probability_scaled_weights(generic, min_probability=None, score="score")
    assert scaled.loc[D1].to_dict() == pytest.approx({"A": 0.2 / 0.35, "B": 0.15 / 0.35, "C": 0.0})
    ls = long_short_weights(generic, top_k=1, bottom_k=1, score="score")
    assert ls.loc[D1].to_dict() == {"A": 0.5, "B": 0.0, "C": -0.5}


def test_rank_only_config_and_column_errors() -> None:
    with pytest.raises(ValueError, match="min_probability"):
        PortfolioConfig(score="score", min_probability=0.4)
    with pytest.raises(DataError, match="score"):
        target_weights(_preds([("A", D1, 0.1, 0.5)]), PortfolioConfig(score="score"))
    scores = _scores([("A", D1, 0.1)])
    with pytest.raises(DataError, match="p_up"):
        target_weights(scores, PortfolioConfig(min_probability=0.4))
