"""Promotion briefing and the equity/drawdown plot, rendered only from given results."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

from sensequant.errors import PipelineError
from sensequant.evaluation.snooping import PBOResult, SPAResult
from sensequant.evaluation.stats import BootstrapCI
from sensequant.pipeline.briefing_data import comparison_rows
from sensequant.release.briefing import (
    BENCHMARK,
    EQUAL_WEIGHT,
    JSON_NAME,
    MD_NAME,
    STUDENT,
    TEACHER,
    BriefingData,
    briefing_to_dict,
    headline,
)
from sensequant.release.briefing_comparison import COMPARISON_TITLE, NO_COMPARISON
from sensequant.release.briefing_evidence import evidence_md
from sensequant.release.briefing_md import write_briefing
from sensequant.release.evidence_types import (
    BootstrapExtra,
    BriefingEvidence,
    Comparison,
    DecileReturn,
    FeatureGain,
    ICYear,
    OOSEvidence,
    Snooping,
    SPATest,
    StepMTest,
    TrackRecord,
)
from sensequant.release.gates import GateInputs, decide, evaluate_gates
from sensequant.release.plots import equity_drawdown_png
from sensequant.settings import GateConfig
from sensequant.types import IST

HASH = "ab" * 32  # no digits: every digit in the Markdown must come from a number
TEMPLATE_LITERALS = "NIFTY 50 sha256 SR0"  # digits that are part of names, not results


def _perf(name: str, seed: int, **overrides: Any) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    row: dict[str, Any] = {
        "name": name,
        "cagr": round(float(rng.uniform(0.03, 0.3)), 5),
        "sharpe": round(float(rng.uniform(0.2, 1.6)), 4),
        "sortino": round(float(rng.uniform(0.3, 2.2)), 4),
        "max_drawdown": round(float(rng.uniform(0.08, 0.4)), 5),
        "max_dd_peak": "2022-01-17",
        "max_dd_trough": "2022-06-17",
        "volatility": round(float(rng.uniform(0.1, 0.3)), 5),
        "turnover": round(float(rng.uniform(2, 30)), 3),
        "exposure": round(float(rng.uniform(0.3, 1.0)), 5),
        "time_in_market": round(float(rng.uniform(0.5, 1.0)), 5),
        "hit_rate": round(float(rng.uniform(0.45, 0.58)), 5),
        "total_return": round(float(rng.uniform(0.1, 0.9)), 5),
    }
    row.update(overrides)
    return row


NAN = math.nan
COMPARISON_FRAME = pd.DataFrame(
    {
        "mean_ic": [0.0183, 0.0211, 0.0342, 0.0157, 0.0093, 0.0071, NAN, NAN, NAN],
        "rank_ic": [0.0196, 0.0213, 0.0344, 0.0162, 0.0105, 0.0082, NAN, NAN, NAN],
        "icir": [0.1837, 0.2044, 0.2916, 0.1523, 0.0631, 0.0544, NAN, NAN, NAN],
        "sharpe": [0.8412, 0.7921, 0.9133, 0.6544, 0.1217, 0.4326, 0.6113, 0.8825, 0.8648],
        "annual_return": [0.1473, 0.1314, 0.1622, 0.1118, 0.0187, 0.0712, 0.1036, 0.1397, 0.1352],
        "max_drawdown": [-0.2314, -0.2419, -0.2237, -0.2733, -0.3921, -0.3312, -0.3801, -0.3467,
                         -0.3519],
        "mean_exposure": [0.8719, 0.8846, 0.9107, 0.8623, 0.9581, 0.9433, NAN, 0.9912, 0.9907],
        "time_in_market": [0.9452, 0.9541, 0.9627, 0.9318, 0.9973, 0.9915, NAN, 1.0, 1.0],
        "annual_turnover": [9.7312, 9.4428, 11.2843, 14.6174, 52.3516, 8.8347, NAN, NAN, 0.4413],
        "n_days": [731] * 9,
        "label": [
            "the released student portfolio, rebalanced daily, net of NSE costs",
            "the student portfolio, rebalanced daily, net of NSE costs",
            "pooled model on the raw target (no teachers), rebalanced daily, net of NSE costs",
            "teacher predictions traded directly, rebalanced daily, net of NSE costs",
            "reversal score, rebalanced daily, net of NSE costs",
            "momentum score, rebalanced daily, net of NSE costs",
            "NIFTY 50 price index, not rebalanced, no costs",
            "equal weight bought once and never rebalanced, entry costs only",
            "equal weight rebalanced monthly, net of NSE costs",
        ],
    },
    index=[
        "released model", "student", "direct", "teacher-direct", "reversal 5d", "momentum 12-1",
        "NIFTY 50", "equal-weight buy-and-hold", "equal-weight monthly (costed)",
    ],
)  # fmt: skip
VERDICT = "Distillation lost to the direct model: student Rank IC 0.0213 vs direct 0.0344."


def make_data(*, gates: GateConfig | None = None, sharpe_ci_lower: float = 0.21) -> BriefingData:
    """A fully populated BriefingData with some values missing on purpose."""
    performance = [
        _perf(STUDENT, 1, sharpe=0.8412, max_drawdown=0.2314),
        _perf(TEACHER, 2, sortino=None),
        _perf(BENCHMARK, 3, sharpe=0.6113, turnover=None),
        _perf(EQUAL_WEIGHT, 4, sharpe=0.9537, turnover=math.nan),
    ]
    inputs = GateInputs(
        sharpe=0.8412,
        benchmark_sharpe=0.6113,
        equal_weight_sharpe=0.9537,
        dsr=0.9731,
        max_drawdown=performance[0]["max_drawdown"],
        sharpe_ci_lower=sharpe_ci_lower,
        oos_days=731,
        excess_sharpe_ci_lower=0.04,
        worst_stress_loss=0.12,
    )
    results = evaluate_gates(gates or GateConfig(), inputs)
    return BriefingData(
        run_id="20240607-101500-abc",
        created_at="2024-06-07T10:15:00+05:30",
        config_name="unit",
        universe="nifty50",
        symbols=["RELIANCE", "TCS", "INFY"],
        start="2021-09-01",
        end="2024-09-06",
        data_range="2002-07-01 to 2024-09-06",
        window_counts={"planned": 163, "trained": 141, "skipped": 19, "failed": 3},
        skip_reasons={"before listing": 12, "too few samples": 7},
        failures=["TCS window 17: LightGBMError boom", "INFY window 4: | pipe"],
        teacher_validation={
            "accuracy": {"mean": 0.4713, "median": 0.4688},
            "f1": {"mean": 0.3911, "median": None},
        },
        performance=performance,
        signal={
            STUDENT: {
                "mean_ic": 0.03141,
                "mean_rank_ic": 0.02718,
                "icir": 0.2874,
                "rank_icir": 0.2456,
                "n_days": 731,
            },
            TEACHER: {
                "mean_ic": 0.01732,
                "mean_rank_ic": math.nan,
                "icir": 0.1321,
                "rank_icir": None,
                "n_days": 729,
            },
        },
        alpha_beta={"alpha": 0.04417, "beta": 0.8123, "convention": "arithmetic, daily OLS"},
        bootstrap={
            "lower": sharpe_ci_lower,
            "upper": 1.4389,
            "estimate": 0.8412,
            "confidence": 0.9,
            "reps": 2000,
            "block_length": 11.37,
            "seed": 77,
            "method": "bca",
        },
        psr=0.9842,
        dsr={
            "dsr": 0.9731,
            "n_trials": 5,
            "trials_recorded": 8,
            "trial_sr_variance": 0.000913,
            "sr0": 0.03177,
        },
        trials=[{"name": "top5", "sharpe": 0.7123}, {"name": "top20", "sharpe": None}],
        gates=results,
        decision=decide(results),
        costs_note="NSE delivery schedule by effective date plus 5 bp slippage per side",
        artifacts={"manifest.yaml": HASH, "predictions/oos.parquet": HASH},
        na_reasons={
            "performance.teacher-direct.sortino": "no downside days",
            "performance": "benchmark has no turnover",
            "trials.top20": "trial crashed",
        },
        comparison=comparison_rows(COMPARISON_FRAME),
        comparison_verdict=VERDICT,
    )


def _curves(n: int = 400) -> dict[str, pd.Series]:
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2021-09-01", periods=n, tz=IST)
    return {
        name: pd.Series(np.cumprod(1 + rng.normal(3e-4, 0.012, n)), index=idx)
        for name in (STUDENT, BENCHMARK, EQUAL_WEIGHT)
    }


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[BriefingData, dict[str, Path]]:
    """One run directory with the plot and the briefing (read-only for the tests)."""
    run_dir = tmp_path_factory.mktemp("run")
    data = make_data()
    equity_drawdown_png(run_dir / "equity_drawdown.png", _curves(), title="run")
    return data, write_briefing(run_dir, data)


def _number_tokens(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def _formatted(value: Any) -> list[str]:
    """Every way the briefing may print ``value``."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        v = float(value)
        if not math.isfinite(v):
            return []
        fmts = [f"{v:.{d}f}" for d in range(5)] + [f"{v * 100:.1f}", f"{v:.3g}", f"{v:g}"]
        return [*fmts, f"{v * 100:g}"]
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *_formatted(v)]]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _formatted(v)]
    if hasattr(value, "__dataclass_fields__"):
        return [s for f in value.__dataclass_fields__ for s in _formatted(getattr(value, f))]
    return [str(value)]


def test_every_number_in_markdown_comes_from_the_input(
    written: tuple[BriefingData, dict[str, Path]],
) -> None:
    data, paths = written
    md = paths["md"].read_text(encoding="utf-8")
    source = " ".join(_formatted(data)) + " " + TEMPLATE_LITERALS + " 3"  # 3 symbols
    invented = _number_tokens(md) - _number_tokens(source)
    assert not invented, f"numbers not derived from the input: {sorted(invented)}"


def test_markdown_shows_the_results(written: tuple[BriefingData, dict[str, Path]]) -> None:
    data, paths = written
    md = paths["md"].read_text(encoding="utf-8")
    student = data.performance[0]
    assert "Student OOS Sharpe 0.84 (mean exposure " in md
    assert f"{student['exposure'] * 100:.1f} %) vs NIFTY 50 price index 0.61" in md
    assert f"{student['cagr'] * 100:.1f} %" in md
    assert f"{student['max_drawdown'] * 100:.1f} %" in md
    assert f"{student['turnover']:.1f}x" in md
    assert "| student | " in md and "| NIFTY 50 (price index) | " in md
    assert f"| {EQUAL_WEIGHT} | " in md and "| teacher-direct | " in md
    assert "0.0314" in md and "0.0272" in md  # IC and Rank IC
    assert "alpha 4.4 % per year, beta 0.81" in md
    assert "90 % CI [0.21, 1.44]" in md and "2000 reps" in md and "seed 77, method bca" in md
    assert "DSR 0.973 with N = 5 distinct trials (8 recorded in all;" in md
    assert "SR0 0.0318" in md
    assert "planned 163, trained 141, skipped 19, failed 3" in md
    assert "skipped (before listing): 12" in md
    assert "INFY window 4: \\| pipe" in md
    assert "universe: nifty50 (3 symbols: RELIANCE, TCS, INFY)" in md
    for gate in data.gates:
        assert gate.explanation in md
    assert f"**Decision: {data.decision}**" in md
    assert "survivorship" in md.lower()
    assert "NIFTY 50 price index, no total-return index available" in md
    assert data.costs_note in md
    assert "![Equity curves and drawdown](equity_drawdown.png)" in md
    assert "[manifest.yaml](manifest.yaml)" in md
    assert f"sensequant approve {data.run_id} --by NAME" in md


def test_missing_values_render_as_na_with_reason(
    written: tuple[BriefingData, dict[str, Path]],
) -> None:
    _, paths = written
    md = paths["md"].read_text(encoding="utf-8")
    assert "n/a (no downside days)" in md  # exact key
    assert "n/a (benchmark has no turnover)" in md  # prefix key, None and NaN alike
    assert "n/a (trial crashed)" in md
    assert "n/a (not computed)" in md  # default reason (teacher Rank IC, f1 median)
    assert not re.search(r"\b(nan|None|inf)\b", md)


def test_json_round_trips_and_is_the_source_of_truth(
    written: tuple[BriefingData, dict[str, Path]],
) -> None:
    data, paths = written
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert doc == briefing_to_dict(data)
    assert doc["performance"][0] == data.performance[0]
    assert doc["performance"][3]["turnover"] is None  # NaN -> null
    assert doc["signal"][TEACHER]["mean_rank_ic"] is None
    assert doc["decision"] == data.decision
    assert [g["explanation"] for g in doc["gates"]] == [g.explanation for g in data.gates]
    assert doc["universe"] == {
        "name": "nifty50",
        "n_symbols": 3,
        "symbols": ["RELIANCE", "TCS", "INFY"],
        "industries": {"RELIANCE": None, "TCS": None, "INFY": None},
    }
    assert doc["headline"]["sharpe"] == 0.8412
    assert doc["headline"]["equal_weight_sharpe"] == 0.9537
    assert doc["dsr"]["n_trials"] == 5
    assert doc["na_reasons"] == data.na_reasons


def test_headline() -> None:
    h = headline(make_data())
    assert h["sharpe"] == 0.8412 and h["benchmark_sharpe"] == 0.6113
    assert h["mean_ic"] == 0.03141 and h["dsr"] == 0.9731 and h["n_trials"] == 5


def test_failed_gates_show_override_command(tmp_path: Path) -> None:
    data = make_data(gates=GateConfig(min_sharpe_excess_vs_equal_weight=0.0))
    assert data.decision == "gates-failed"
    md = Path(write_briefing(tmp_path, data)["md"]).read_text(encoding="utf-8")
    assert f'sensequant approve {data.run_id} --by NAME --override --note "why"' in md
    assert "sharpe_excess_vs_equal_weight" in md and "| FAIL |" in md


def test_ready_run_shows_plain_approve(tmp_path: Path) -> None:
    data = make_data(gates=GateConfig(min_sharpe_excess_vs_equal_weight=None))
    assert data.decision == "ready-for-review"
    md = Path(write_briefing(tmp_path, data)["md"]).read_text(encoding="utf-8")
    assert "--override" not in md
    assert f"sensequant approve {data.run_id} --by NAME\n" in md


def test_missing_plot_and_sections_are_na(tmp_path: Path) -> None:
    data = make_data()
    data.alpha_beta = None
    data.bootstrap = None
    data.na_reasons["bootstrap"] = "fewer than 60 OOS days"
    paths = write_briefing(tmp_path, data)  # no PNG written
    md = paths["md"].read_text(encoding="utf-8")
    assert "Equity/drawdown plot: n/a (not computed)" in md
    assert "n/a (fewer than 60 OOS days)" in md
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert doc["alpha_beta"] is None and doc["bootstrap"] is None


def test_inconsistent_decision_is_refused(tmp_path: Path) -> None:
    data = make_data(gates=GateConfig(min_sharpe_excess_vs_equal_weight=0.0))
    data.decision = "ready-for-review"
    with pytest.raises(PipelineError, match="decide"):
        write_briefing(tmp_path, data)
    assert not (tmp_path / JSON_NAME).exists() and not (tmp_path / MD_NAME).exists()


def test_plot_png_written_without_pyplot_state(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    backend, figures = matplotlib.get_backend(), plt.get_fignums()
    path = tmp_path / "equity_drawdown.png"
    equity_drawdown_png(path, _curves(), title="Student vs benchmarks", log_scale=True)
    payload = path.read_bytes()
    assert payload.startswith(b"\x89PNG\r\n\x1a\n") and len(payload) > 10_000
    assert matplotlib.get_backend() == backend
    assert plt.get_fignums() == figures
    assert [p.name for p in tmp_path.iterdir()] == ["equity_drawdown.png"]


def test_plot_rejects_bad_curves(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="no equity curves"):
        equity_drawdown_png(tmp_path / "x.png", {}, title="t")
    with pytest.raises(PipelineError, match="not indexed by dates"):
        equity_drawdown_png(tmp_path / "x.png", {"s": pd.Series([1.0, 1.1])}, title="t")
    returns = pd.Series([0.01, -0.02], index=pd.bdate_range("2024-01-01", periods=2))
    with pytest.raises(PipelineError, match="non-positive"):
        equity_drawdown_png(tmp_path / "x.png", {"s": returns}, title="t")
    assert not (tmp_path / "x.png").exists()


def _ci(estimate: float, lower: float, upper: float) -> BootstrapCI:
    return BootstrapCI(estimate, lower, upper, 0.95, 500, 7.5, 42, "stationary bootstrap")


def test_typed_evidence_renders_and_serialises_in_briefing_key_order() -> None:
    spa = SPAResult(0.0412, 0.0301, 0.0533, 500, 10, 42, 3, "ignored")
    pbo = PBOResult(0.3125, 8, 70, np.array([-0.5, 0.25, 0.75]), "ties count as overfit")
    oos = OOSEvidence(
        zero_trades=False,
        comparisons=(Comparison("student - NIFTY 50 (price index)", "sharpe", _ci(0.4, 0.1, 0.7)),),
        bootstrap_extra=BootstrapExtra(mean_excess_return=_ci(0.023, -0.041, 0.09), mean_ic=None),
        snooping=Snooping(
            spa=SPATest(spa, "NIFTY 50 (price index)"),
            stepm=StepMTest(("student top5",), 0.05),
            spa_equal_weight=None,
            stepm_equal_weight=StepMTest((), 0.05),
            pbo=pbo,
        ),
        min_track_record_length=TrackRecord(sessions=1834.2, years=7.28),
        ic_by_year=(ICYear(2020, 0.021, 0.019, 248),),
        deciles=(DecileReturn(1, -0.002), DecileReturn(10, 0.0025)),
        decile_spread=0.0046,
    )
    ev = BriefingEvidence(
        oos=oos, stress=None, feature_importance=(FeatureGain("ret_5", 12.5),), report="r.html"
    )
    md = "\n".join(evidence_md(ev))
    assert "| student - NIFTY 50 (price index) | sharpe | 0.40 | [0.10, 0.70] |" in md
    assert "stationary bootstrap, 95.0 % CI" in md
    assert "Hansen SPA over 3 configurations vs NIFTY 50 (price index): p-value" in md
    assert "(consistent) 0.041, lower 0.030, upper 0.053 (500 reps, block 10.00, seed 42)" in md
    assert "beating it: student top5" in md and "beating it: none" in md
    assert "(CSCV, S = 8, 70 splits): 0.312" in md
    assert "7.28 years (1834.20 sessions)" in md
    assert "Mean excess return over NIFTY 50 (annualised): 2.3 %, CI [-4.1 %, 9.0 %]" in md
    assert "Mean daily IC" not in md
    assert "D1 -0.2 %, D10 0.2 %; top minus bottom 0.5 %" in md
    assert "[r.html](r.html)" in md and "## Stress tests" not in md
    doc = ev.to_dict()
    assert list(doc) == [
        "zero_trades", "comparisons", "bootstrap_extra", "snooping", "min_track_record_length",
        "ic_by_year", "deciles", "decile_spread", "stress", "feature_importance", "report",
    ]  # fmt: skip
    assert doc["snooping"]["spa"]["benchmark"] == "NIFTY 50 (price index)"
    assert doc["snooping"]["stepm_equal_weight"] == {"superior": [], "size": 0.05}
    assert doc["feature_importance"] == [{"feature": "ret_5", "gain": 12.5}]
    assert BriefingEvidence().to_dict() == {} and evidence_md(BriefingEvidence()) == []


def test_comparison_rows_from_the_table() -> None:
    na: dict[str, str] = {}
    rows = comparison_rows(COMPARISON_FRAME, na)
    assert [r["name"] for r in rows] == list(COMPARISON_FRAME.index)
    assert not na  # a table: nothing missing as a whole
    nifty = rows[6]
    assert list(nifty) == ["name", "label", *COMPARISON_FRAME.columns.drop("label")]
    assert nifty["mean_ic"] is None and nifty["annual_turnover"] is None  # NaN -> None
    assert nifty["sharpe"] == 0.6113 and nifty["n_days"] == 731
    assert isinstance(nifty["n_days"], int) and nifty["label"].startswith("NIFTY 50 price")
    assert comparison_rows(None, na) == [] and na == {"comparison": NO_COMPARISON}
    assert comparison_rows(COMPARISON_FRAME.iloc[:0]) == []


def test_comparison_in_json_and_markdown(
    written: tuple[BriefingData, dict[str, Path]],
) -> None:
    data, paths = written
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert doc["comparison"] == data.comparison and doc["comparison_verdict"] == VERDICT
    assert [r["name"] for r in doc["comparison"]] == list(COMPARISON_FRAME.index)
    assert doc["comparison"][7]["annual_turnover"] is None
    md = paths["md"].read_text(encoding="utf-8")
    head, rest = md.split(f"## {COMPARISON_TITLE}", 1)
    assert "Student OOS Sharpe" in head and "## Decision and gates" not in head
    section = rest.split("\n## ", 1)[0]
    header = "| | Rank IC | IC | ICIR | net Sharpe | annual return | max DD | exposure |"
    assert header.replace("| |", "|  |") in section
    for name, label in zip(COMPARISON_FRAME.index, COMPARISON_FRAME["label"], strict=True):
        assert f"| {name} | " in section and f" | {label} |" in section
    assert (
        "| student | 0.0213 | 0.0211 | 0.20 | 0.79 | 13.1 % | -24.2 % | 88.5 % | 95.4 % | 9.4x "
        "| 731 |" in section
    )
    assert "| NIFTY 50 | n/a (no score for this series) |" in section
    assert "n/a (no exposure series)" in section and "n/a (no turnover series)" in section
    assert f"**Verdict:** {VERDICT}" in section


def test_no_comparison_says_why(tmp_path: Path) -> None:
    data = make_data()
    data.comparison, data.comparison_verdict = comparison_rows(None, data.na_reasons), ""
    paths = write_briefing(tmp_path, data)
    md = paths["md"].read_text(encoding="utf-8")
    section = md.split(f"## {COMPARISON_TITLE}", 1)[1].split("\n## ", 1)[0]
    assert "n/a (no comparison computed in this run)" in section
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert doc["comparison"] == [] and doc["comparison_verdict"] == ""
    assert doc["na_reasons"]["comparison"] == NO_COMPARISON


def test_briefing_json_key_order() -> None:
    doc = briefing_to_dict(make_data())
    assert list(doc) == [
        "schema_version", "run_id", "created_at", "config_name", "universe", "oos",
        "data_range", "decision", "decision_reason", "gates", "headline", "performance",
        "signal", "alpha_beta", "bootstrap", "psr", "dsr", "trials", "windows",
        "teacher_validation", "notes", "plot", "manifest", "artifacts", "na_reasons",
        "comparison", "comparison_verdict", "costs", "series_labels",
    ]  # fmt: skip
    data = make_data()
    data.evidence = BriefingEvidence(report="report.html")
    assert list(briefing_to_dict(data))[-5:] == [
        "report",
        "comparison",
        "comparison_verdict",
        "costs",
        "series_labels",
    ]
