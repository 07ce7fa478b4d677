"""Series labels of substituted benchmarks, and the stress results the gate reads."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from sensequant.evaluation.stress_report import (
    IntradayScenario,
    PeriodResult,
    Skipped,
    StressPeriod,
    StressReport,
    StressRules,
)
from sensequant.evaluation.stress_scoring import NIFTY, SIXTY_FORTY, STUDENT, StressRow
from sensequant.pipeline.briefing_data import _no_scenario, _scenario_words, benchmark_note
from sensequant.pipeline.series_labels import BASKET, INTRADAY_EQUAL, series_labels
from sensequant.pipeline.universe_rules import EQUAL_WEIGHT_BENCHMARK
from sensequant.release.briefing import BENCHMARK, EQUAL_WEIGHT, SeriesLabels
from sensequant.settings import RunConfig


def test_daily_nifty_run_keeps_the_old_labels() -> None:
    labels = series_labels(RunConfig())
    assert labels == SeriesLabels()
    assert (labels.benchmark, labels.equal_weight) == (BENCHMARK, EQUAL_WEIGHT)
    assert BASKET == EQUAL_WEIGHT_BENCHMARK


def test_metals_benchmark_is_the_daily_basket_without_costs() -> None:
    labels = series_labels(RunConfig().with_overrides(universe="metals", benchmark=BASKET))
    assert labels.benchmark == (
        "equal-weight basket of the run's symbols (rebalanced daily, no costs)"
    )
    assert labels.equal_weight == EQUAL_WEIGHT  # the monthly costed pair is what it says
    assert "NIFTY" not in labels.benchmark_short


def test_intraday_labels_with_and_without_the_index_at_the_interval() -> None:
    basket = series_labels(RunConfig().with_overrides(interval="5m", benchmark=BASKET))
    assert basket.benchmark.startswith("equal-weight basket of the run's symbols over the same")
    assert "5minute bars" in basket.benchmark and "no costs" in basket.benchmark
    assert basket.equal_weight == INTRADAY_EQUAL and "MIS" in basket.equal_weight
    index = series_labels(RunConfig().with_overrides(interval="5m"))
    assert index.benchmark == "NIFTY 50 (price index) at 5minute, session close to close"
    assert index.benchmark_short == "NIFTY 50" and index.equal_weight == INTRADAY_EQUAL


def test_labels_round_trip_and_old_briefings_keep_the_old_names() -> None:
    labels = series_labels(RunConfig().with_overrides(interval="5m", benchmark=BASKET))
    assert SeriesLabels.from_doc({"series_labels": labels.to_dict()}) == labels
    assert SeriesLabels.from_doc({"run_id": "old"}) == SeriesLabels()
    assert SeriesLabels.from_doc(None) == SeriesLabels()
    assert benchmark_note(SeriesLabels()).endswith("no total-return index is available here.")
    note = benchmark_note(labels)
    assert labels.benchmark in note and labels.equal_weight in note and "NIFTY" not in note


def _rules() -> StressRules:
    return StressRules()


def _scenario(name: str, kind: str, ret: float) -> IntradayScenario:
    return IntradayScenario(name, "2023-12-29", kind, ret, -0.02, -0.01, -0.015)  # type: ignore[arg-type]


def test_intraday_worst_loss_counts_events_and_shocks_not_the_recorded_session() -> None:
    report = StressReport(
        [],
        [Skipped("2024-06-04 election-result session", "not an out-of-sample session")],
        _rules(),
        intraday=[
            _scenario("last OOS session as recorded", "recorded", -0.30),
            _scenario("synthetic -5% gap at the open", "synthetic", -0.012),
            _scenario("synthetic -3% fall in 10 minutes from 11:00", "synthetic", -0.004),
        ],
        benchmark="equal-weight basket",
    )
    worst, used = report.worst_loss()
    assert worst == -0.012 and report.worst_period_loss == -0.012
    assert used == ["synthetic -5% gap at the open", "synthetic -3% fall in 10 minutes from 11:00"]
    assert _scenario_words(report, used) == (
        "intraday scenarios: synthetic -5% gap at the open; synthetic -3% fall in 10 minutes "
        "from 11:00"
    )
    doc = report.to_dict()
    assert doc["benchmark"] == "equal-weight basket" and len(doc["intraday_scenarios"]) == 3
    assert doc["intraday_scenarios"][1]["student_return"] == -0.012


def test_no_scenario_means_not_evaluated_with_the_reason() -> None:
    skipped = [Skipped("COVID crash", "before the out-of-sample span")]
    report = StressReport([], skipped, _rules())
    assert report.worst_loss() == (None, [])
    assert _no_scenario(report) == (
        "no stress scenario applies to this run (COVID crash: before the out-of-sample span)"
    )
    assert _no_scenario(None) is None  # no replay at all: the gate fails as not computable
    empty = StressReport([], [], _rules(), notes=["no out-of-sample student predictions"])
    assert _no_scenario(empty) == (
        "no stress scenario applies to this run (no out-of-sample student predictions)"
    )


def _period_result() -> PeriodResult:
    sessions = pd.DatetimeIndex(pd.to_datetime(["2020-03-02", "2020-03-03"])).tz_localize(
        "Asia/Kolkata"
    )
    rows = tuple(
        StressRow(name, total_return=r, max_drawdown=0.1, sharpe=None, sortino=None, hit_rate=None)
        for name, r in ((STUDENT, -0.2), (NIFTY, -0.3), (SIXTY_FORTY, -0.18))
    )
    period = StressPeriod(
        name="COVID crash", start=dt.date(2020, 3, 2), end=dt.date(2020, 3, 3),
        description="NIFTY fell 38 %",
    )  # fmt: skip
    return PeriodResult(
        period=period,
        first_decision=sessions[0],
        sessions=sessions,
        model_period_id=1,
        model_train_end=sessions[0],
        rows=rows,
        resilience_score=math.nan,
        failure_mode="tail event",
        failure_rule="NIFTY fell -6.0% on 2020-03-02",
        diagnostics={},
        daily=pd.DataFrame(index=sessions),
    )


def test_daily_stress_rows_named_by_the_runs_benchmark() -> None:
    basket = "equal-weight basket of the run's symbols (rebalanced daily, no costs)"
    report = StressReport([_period_result()], [], _rules(), benchmark=basket)
    doc = report.to_dict()
    period = doc["periods"][0]
    assert [r["name"] for r in period["rows"]] == [STUDENT, basket, "60/40 benchmark/cash"]
    assert period["failure_rule"] == "benchmark fell -6.0% on 2020-03-02"
    assert period["description"] == "benchmark fell 38 %"
    assert "NIFTY" not in doc["resilience_formula"] and basket in doc["resilience_formula"]
    assert all("NIFTY" not in v for v in doc["failure_rules"].values())
    assert set(report.table()["row"]) == {STUDENT, basket, "60/40 benchmark/cash"}
    assert report.worst_loss() == (-0.2, ["COVID crash"])
    plain = StressReport([_period_result()], [], _rules()).to_dict()  # a NIFTY 50 run
    assert [r["name"] for r in plain["periods"][0]["rows"]] == [STUDENT, NIFTY, SIXTY_FORTY]
    assert plain["benchmark"] == NIFTY
