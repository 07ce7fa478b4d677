"""Score models end to end on a real subset: comparison table, verdict and the trial ledger.

Two runs of one ``cs_rank`` configuration, a 4-point sweep and a third run share one
SENSEQUANT_HOME, so the third run's deflated Sharpe ratio must count its own trials plus every
trial the ledger already holds (both runs and every sweep point).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sensequant.pipeline.sweep import run_sweep
from sensequant.release.ledger import TrialLedger
from tests.pipeline.conftest import run_real_subset

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

SCORE_RULE = {"top_k": 3, "score": "score", "min_probability": None}
SECTIONS: dict[str, dict[str, Any]] = {
    "labels": {"target": "cs_rank"},
    "windows": {"length_days": 240, "step_days": 120, "min_samples": 60},
    "teacher": {"num_boost_round": 20},
    "student": {
        "min_train_days": 540,
        "test_period_days": 180,
        "num_boost_round": 20,
        "min_data_in_leaf": 20,
        "blend_grid": [0.0, 0.5, 1.0],
    },
    "portfolio": SCORE_RULE,
    "backtest": {"trials": [SCORE_RULE, {**SCORE_RULE, "top_k": 2}]},
}


SWEEP_GRID = {"student.learning_rate": [0.05, 0.1], "student.num_boost_round": [10, 20]}


@pytest.fixture(scope="module")
def score_runs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    home = tmp_path_factory.mktemp("home")
    span = {"start": dt.date(2015, 1, 1), "end": dt.date(2020, 12, 31)}
    results = []
    for _ in range(2):
        settings, cfg, result, _ = run_real_subset(shared_data, home, **span, **SECTIONS)
        results.append(result)
    sweep = run_sweep(cfg, SWEEP_GRID, settings)  # 4 points between the second and third run
    assert len(sweep.points) == 4 and all(p.run_id for p in sweep.points)
    # the third run also fits the stacked alternative (teacher scores as a feature)
    third = {**SECTIONS, "student": {**SECTIONS["student"], "stacking": True}}
    results.append(run_real_subset(shared_data, home, **span, **third)[2])
    return home, results


def _comparison(run_dir: Path) -> pd.DataFrame:
    table = pd.read_parquet(run_dir / "returns" / "comparison.parquet")
    return table.set_index("series")


def _row(table: pd.DataFrame, needle: str) -> pd.Series:
    hits = [n for n in table.index if needle.lower() in str(n).lower()]
    assert hits, f"no comparison row matching {needle!r} in {list(table.index)}"
    return table.loc[hits[0]]


def test_comparison_has_model_variants_and_baselines(score_runs: tuple) -> None:
    _, results = score_runs
    for result in results:
        table = _comparison(result.run_dir)
        scored = [
            "released model",
            "teacher-direct",
            "direct model (blend 0",
            "reversal",
            "momentum",
        ]
        for needle in scored:
            assert np.isfinite(_row(table, needle)["rank_ic"]), needle
        for needle in ["NIFTY 50", "equal-weight universe, bought once", "rebalanced monthly"]:
            assert np.isfinite(_row(table, needle)["sharpe"]), needle


def test_briefing_carries_comparison_and_verdict(score_runs: tuple) -> None:
    _, results = score_runs
    for result in results:
        brief = json.loads((result.run_dir / "promotion_briefing.json").read_text())
        assert brief["comparison"], "comparison rows missing"
        assert isinstance(brief["comparison_verdict"], str)
        assert brief["comparison_verdict"].strip()


def test_ledger_counts_earlier_trials_in_the_dsr(score_runs: tuple) -> None:
    home, results = score_runs
    ledger = TrialLedger(home / "registry.sqlite", home / "ledger")
    rows = ledger.all()
    by_run = {r.run_id: [t for t in rows if t.run_id == r.run_id] for r in results}
    assert all(by_run[r.run_id] for r in results), "every run records its trials"
    assert len(by_run[results[0].run_id]) == len(by_run[results[1].run_id])
    own = by_run[results[2].run_id]
    earlier = [t for t in rows if t.run_id != results[2].run_id]
    first_names = {t.name for t in by_run[results[0].run_id]}
    assert {t.name for t in own} - first_names == {"variant stacked (teacher score as a feature)"}
    assert first_names <= {t.name for t in own}
    assert all(t.trial_id < min(o.trial_id for o in own) for t in earlier)
    pred = pd.read_parquet(results[2].run_dir / "predictions" / "student_oos.parquet")
    ts = pred["timestamp"]
    scope = own[0]
    matching = [
        t
        for t in ledger.matching(scope.universe, scope.interval, ts.min(), ts.max())
        if t.run_id != results[2].run_id
    ]
    assert [t.trial_id for t in matching] == [t.trial_id for t in earlier if t.n_obs > 0]
    counted = [t for t in matching if t.sr_per_period is not None]
    brief = json.loads((results[2].run_dir / "promotion_briefing.json").read_text())
    n_own = sum(t.sr_per_period is not None for t in own)
    assert brief["dsr"]["trials_recorded"] == n_own + len(counted)
    # identical returns (runs 0 and 1 repeat a configuration) count once in N
    distinct = {t.returns_sha256 for t in own + counted if t.sr_per_period is not None}
    assert brief["dsr"]["n_trials"] == len(distinct)
    assert len(distinct) < n_own + len(counted)
    assert brief["dsr"]["n_trials"] > len({t.returns_sha256 for t in own})


def test_ledger_rows_cannot_be_deleted_or_changed(score_runs: tuple) -> None:
    home, _ = score_runs
    conn = sqlite3.connect(home / "registry.sqlite")
    try:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("DELETE FROM trials")
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("UPDATE trials SET name = 'x'")
    finally:
        conn.rollback()
        conn.close()
    assert TrialLedger(home / "registry.sqlite", home / "ledger").all()


def test_stacked_alternative_is_compared_and_saved(score_runs: tuple) -> None:
    _, results = score_runs
    run_dir = results[2].run_dir
    row = _row(_comparison(run_dir), "stacked (teacher score")
    assert np.isfinite(row["rank_ic"]) and np.isfinite(row["sharpe"])
    assert "teacher score as one more feature" in row["label"]
    stacked = pd.read_parquet(run_dir / "predictions" / "student_stacked.parquet")
    student = pd.read_parquet(run_dir / "predictions" / "student_oos.parquet")
    # the same periods and rows as the student: compared on identical OOS dates
    assert set(stacked["period_id"]) == set(student["period_id"])
    assert len(stacked) == len(student)
    assert not (results[0].run_dir / "predictions" / "student_stacked.parquet").exists()


def test_pbo_over_the_ledger_in_the_third_run(score_runs: tuple) -> None:
    _, results = score_runs
    brief = json.loads((results[2].run_dir / "promotion_briefing.json").read_text())
    own = len(pd.read_parquet(results[2].run_dir / "returns" / "trials.parquet").columns) - 1
    pbo = brief["snooping"]["pbo_ledger"]
    assert pbo is not None and 0 <= pbo["pbo"] <= 1
    assert pbo["n_trials"] > own  # earlier runs' and sweep points' distinct series ranked too
