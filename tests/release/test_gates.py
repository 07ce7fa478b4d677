"""Release gates: each gate passes and fails, NaN fails, the decision."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from sensequant.errors import PipelineError
from sensequant.release.gates import (
    GateInputs,
    GateResult,
    decide,
    decision_reason,
    evaluate_gates,
)
from sensequant.settings import GateConfig

ALL_GATES = GateConfig(
    min_sharpe_excess_vs_benchmark=0.0,
    min_sharpe_excess_vs_equal_weight=0.1,
    min_dsr=0.95,
    max_drawdown=0.35,
    min_sharpe_ci_lower=0.0,
    min_excess_sharpe_ci_lower=0.0,
    max_stress_loss=0.40,
    min_oos_days=250,
)
PASSING = GateInputs(
    sharpe=1.20,
    benchmark_sharpe=0.61,
    equal_weight_sharpe=0.95,
    dsr=0.97,
    max_drawdown=0.23,
    sharpe_ci_lower=0.15,
    oos_days=480,
    excess_sharpe_ci_lower=0.05,
    worst_stress_loss=0.18,
)
# gate name -> (input field, a value that makes exactly this gate fail)
FAILING = {
    "sharpe_excess_vs_benchmark": ("benchmark_sharpe", 1.30),
    "sharpe_excess_vs_equal_weight": ("equal_weight_sharpe", 1.15),
    "dsr": ("dsr", 0.80),
    "max_drawdown": ("max_drawdown", 0.41),
    "sharpe_ci_lower": ("sharpe_ci_lower", -0.05),
    "excess_sharpe_ci_lower": ("excess_sharpe_ci_lower", -0.20),
    "worst_stress_loss": ("worst_stress_loss", 0.45),
    "oos_days": ("oos_days", 120),
}


def _only(**thresholds: float) -> GateConfig:
    """A GateConfig with every gate off except ``thresholds`` (independent of defaults)."""
    off = dict.fromkeys(GateConfig.model_fields)
    return GateConfig(**{**off, **thresholds})


def _by_name(results: list[GateResult]) -> dict[str, GateResult]:
    return {r.name: r for r in results}


def test_all_gates_pass_with_passing_inputs() -> None:
    results = evaluate_gates(ALL_GATES, PASSING)
    assert [r.name for r in results] == list(FAILING)
    assert all(r.passed for r in results), [r.explanation for r in results if not r.passed]
    assert decide(results) == "ready-for-review"
    assert decision_reason(results) == "all 8 gates passed"


@pytest.mark.parametrize("gate", list(FAILING))
def test_each_gate_fails_alone(gate: str) -> None:
    field, bad = FAILING[gate]
    changes: dict[str, Any] = {field: bad}
    results = _by_name(evaluate_gates(ALL_GATES, dataclasses.replace(PASSING, **changes)))
    failed = [name for name, r in results.items() if not r.passed]
    assert failed == [gate]
    assert "is not" in results[gate].explanation
    assert decide(list(results.values())) == "gates-failed"
    assert gate in decision_reason(list(results.values()))


@pytest.mark.parametrize("gate", list(FAILING))
def test_nan_input_fails_its_gate_as_not_computable(gate: str) -> None:
    field, _ = FAILING[gate]
    changes: dict[str, Any] = {field: math.nan}
    inputs = dataclasses.replace(PASSING, **changes)
    result = _by_name(evaluate_gates(ALL_GATES, inputs))[gate]
    assert not result.passed
    assert result.value is None
    assert result.explanation.startswith("not computable: ")


def test_nan_strategy_sharpe_fails_both_excess_gates() -> None:
    results = _by_name(evaluate_gates(ALL_GATES, dataclasses.replace(PASSING, sharpe=math.nan)))
    for name in ("sharpe_excess_vs_benchmark", "sharpe_excess_vs_equal_weight"):
        assert not results[name].passed
        assert "OOS Sharpe" in results[name].explanation
    assert results["dsr"].passed


def test_explanation_has_the_numbers() -> None:
    inputs = dataclasses.replace(PASSING, sharpe=0.84)
    results = _by_name(evaluate_gates(ALL_GATES, inputs))
    excess = results["sharpe_excess_vs_benchmark"]
    assert excess.explanation == "OOS Sharpe 0.84 minus NIFTY 50 Sharpe 0.61 = 0.23 > 0.00"
    assert excess.value == pytest.approx(0.23)
    assert (excess.threshold, excess.comparison) == (0.0, ">")
    ew = results["sharpe_excess_vs_equal_weight"]
    assert ew.explanation == (
        "OOS Sharpe 0.84 minus equal-weight (monthly, costed) Sharpe 0.95 = -0.11 is not > 0.10"
    )
    assert results["max_drawdown"].explanation == "OOS max drawdown 23.0 % <= 35.0 %"
    assert results["oos_days"].explanation == "OOS sessions 480 >= 250"
    assert results["dsr"].explanation == "Deflated Sharpe ratio 0.97 >= 0.95"


def test_boundaries_strict_and_inclusive() -> None:
    cfg = _only(
        min_sharpe_excess_vs_benchmark=0.0, min_dsr=0.95, max_drawdown=0.35, min_oos_days=250
    )
    at_threshold = dataclasses.replace(
        PASSING, sharpe=0.5, benchmark_sharpe=0.5, dsr=0.95, max_drawdown=0.35, oos_days=250
    )
    results = _by_name(evaluate_gates(cfg, at_threshold))
    assert not results["sharpe_excess_vs_benchmark"].passed  # "must exceed"
    assert results["dsr"].passed
    assert results["max_drawdown"].passed
    assert results["oos_days"].passed


def test_near_equal_values_are_shown_with_more_decimals() -> None:
    (result,) = evaluate_gates(_only(min_dsr=0.95), dataclasses.replace(PASSING, dsr=0.9496))
    assert not result.passed
    assert result.explanation == "Deflated Sharpe ratio 0.9496 is not >= 0.9500"


def test_none_thresholds_switch_gates_off() -> None:
    cfg = _only(min_dsr=0.95, min_oos_days=250)
    assert [r.name for r in evaluate_gates(cfg, PASSING)] == ["dsr", "oos_days"]
    assert evaluate_gates(_only(), PASSING) == []


def test_no_gates_is_ready_for_review_and_says_so() -> None:
    assert decide([]) == "ready-for-review"
    assert "no gates configured" in decision_reason([])


def test_negative_drawdown_is_rejected() -> None:
    with pytest.raises(PipelineError, match="is negative"):
        evaluate_gates(ALL_GATES, dataclasses.replace(PASSING, max_drawdown=-0.23))


def test_stress_gate_not_evaluated_when_no_scenario_applies() -> None:
    inputs = dataclasses.replace(
        PASSING,
        worst_stress_loss=math.nan,
        stress_not_evaluated="no stress scenario applies to this run (COVID: before the OOS)",
    )
    results = evaluate_gates(ALL_GATES, inputs)
    gate = _by_name(results)["worst_stress_loss"]
    assert not gate.evaluated and not gate.passed and gate.value is None
    assert gate.status == "NOT EVALUATED"
    assert gate.explanation == (
        "not evaluated: no stress scenario applies to this run (COVID: before the OOS)"
    )
    assert decide(results) == "ready-for-review"  # neither a pass nor a failure ...
    reason = decision_reason(results)  # ... but named in the decision
    assert reason == "all 7 evaluated gates passed; not evaluated: worst_stress_loss"
    failing = evaluate_gates(ALL_GATES, dataclasses.replace(inputs, dsr=0.5))
    assert decide(failing) == "gates-failed"
    assert decision_reason(failing) == (
        "1 of 7 evaluated gates failed: dsr; not evaluated: worst_stress_loss"
    )


def test_stress_gate_without_a_replay_still_fails_as_not_computable() -> None:
    """No stress replay at all (stress switched off): a missing loss is not a pass."""
    results = evaluate_gates(ALL_GATES, dataclasses.replace(PASSING, worst_stress_loss=math.nan))
    gate = _by_name(results)["worst_stress_loss"]
    assert gate.evaluated and not gate.passed and gate.status == "FAIL"
    assert gate.explanation.startswith("not computable")


def test_gate_texts_name_the_runs_series_and_scenarios() -> None:
    inputs = dataclasses.replace(
        PASSING,
        benchmark_name="equal-weight basket (every bar, no costs)",
        equal_weight_name="intraday equal-weight (MIS costs, squared off)",
        stress_scenarios="intraday scenarios: synthetic -5% gap at the open",
    )
    by = _by_name(evaluate_gates(ALL_GATES, inputs))
    assert by["sharpe_excess_vs_benchmark"].explanation.startswith(
        "OOS Sharpe 1.20 minus equal-weight basket (every bar, no costs) Sharpe 0.61 ="
    )
    assert "minus intraday equal-weight (MIS costs, squared off) Sharpe 0.95" in (
        by["sharpe_excess_vs_equal_weight"].explanation
    )
    assert "(OOS Sharpe - equal-weight basket (every bar, no costs) Sharpe)" in (
        by["excess_sharpe_ci_lower"].explanation
    )
    assert by["worst_stress_loss"].explanation == (
        "Worst stress loss (intraday scenarios: synthetic -5% gap at the open) 18.0 % <= 40.0 %"
    )
    default = _by_name(evaluate_gates(ALL_GATES, PASSING))
    assert "minus NIFTY 50 Sharpe" in default["sharpe_excess_vs_benchmark"].explanation
    assert default["worst_stress_loss"].explanation.startswith("Worst stress-period loss")
