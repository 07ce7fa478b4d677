"""The split evaluation modules keep their public names where callers import them."""

from __future__ import annotations

from types import ModuleType

import pytest

import sensequant.evaluation as evaluation
from sensequant.evaluation import (
    backtest,
    backtest_ledger,
    costs,
    costs_rows,
    portfolio,
    portfolio_caps,
    portfolio_ranking,
    stress,
    stress_inputs,
)

MOVED = [
    (costs, costs_rows, ["CHARGES", "Charge", "DateLike", "FeeRow", "GstRow", "Segment", "Side"]),
    (costs, costs_rows, ["to_date"]),
    (backtest, backtest_ledger, ["LEDGER_COLUMNS"]),
    (portfolio, portfolio_caps, ["apply_caps", "weight_values"]),
    (portfolio, portfolio_ranking, ["Score"]),
    (
        stress,
        stress_inputs,
        ["StressInputs", "predict_span", "select_model", "walk_forward_predictions"],
    ),
]


@pytest.mark.parametrize(("face", "home", "names"), MOVED)
def test_moved_names_are_the_same_objects_at_the_old_path(
    face: object, home: object, names: list[str]
) -> None:
    for name in names:
        assert getattr(face, name) is getattr(home, name), name


@pytest.mark.parametrize("module", [backtest, costs, portfolio, stress])
def test_all_names_resolve(module: ModuleType) -> None:
    assert all(hasattr(module, n) for n in module.__all__)


def test_package_face_unchanged() -> None:
    assert all(hasattr(evaluation, n) for n in evaluation.__all__)
    assert evaluation.run_backtest is backtest.run_backtest
    assert evaluation.FeeRow is costs_rows.FeeRow
