"""Stress phase on a real run: 6 NIFTY 50 stocks, 2005-2008, so the 2008 periods are covered.

The run is made small on purpose (fewer boosting rounds, 180-day student periods, no extra
trials) to keep the test fast; the stress code path is the same as for a full run.

Also checks the packaged stress-period dates against the real NIFTY 50 closes: a period whose
source says it was adjusted to the NIFTY drawdown must start the session after the peak close
and end on the lowest close.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.store import BarStore
from sensequant.errors import ConfigError
from sensequant.evaluation.stress import ROW_NAMES, STUDENT, StressReport
from sensequant.pipeline.stress_phase import load_stress_periods, run_stress
from sensequant.types import BENCHMARK_SYMBOL, IST
from tests.pipeline.conftest import run_real_subset

LEHMAN = "2008 Lehman / global financial crisis"

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def stressed(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    settings, _, result, _ = run_real_subset(
        shared_data,
        tmp_path_factory.mktemp("home"),
        start=dt.date(2005, 1, 1),
        end=dt.date(2008, 12, 31),
        windows={"step_days": 180},
        teacher={"num_boost_round": 20},
        student={
            "min_train_days": 540,
            "test_period_days": 180,
            "num_boost_round": 30,
            "train_lookback_days": 730,
        },
        backtest={"trials": []},
        stats={"bootstrap_reps": 200},
        stress={"enabled": False},  # replayed once below, through the `sensequant stress` path
    )
    store = BarStore(settings.store_dir)
    report = run_stress(result.run_dir, store)
    return store, result.run_dir, report


def test_lehman_replayed_with_a_model_trained_before_it(stressed: tuple) -> None:
    _, run_dir, report = stressed
    assert isinstance(report, StressReport)
    lehman = next(p for p in report.periods if p.period.name == LEHMAN)
    start = pd.Timestamp("2008-09-01", tz=IST)
    assert lehman.model_train_end < start
    models = pd.read_parquet(run_dir / "models" / "student_walkforward.parquet")
    row = models.loc[models["period_id"] == lehman.model_period_id].iloc[0]
    assert row["train_end"] == lehman.model_train_end
    # no other walk-forward student was trained later but still before the period
    assert not ((models["train_end"] > row["train_end"]) & (models["train_end"] < start)).any()
    assert [r.name for r in lehman.rows] == list(ROW_NAMES)
    for r in lehman.rows:
        values = [r.total_return, r.max_drawdown, r.hit_rate] + [r.sharpe] * (r.name != "cash")
        assert all(v is not None and math.isfinite(v) for v in values), r
    assert lehman.row("cash").sharpe is None  # zero variance: reported as None with a reason
    assert "sharpe" in lehman.row("cash").na_reasons
    nifty = lehman.rows[1]
    assert nifty.total_return < -0.25 and nifty.max_drawdown > 0.35  # the real crash
    assert 0.0 <= lehman.resilience_score <= 100.0
    assert report.worst_period_loss is not None
    assert report.worst_period_loss <= lehman.row(STUDENT).total_return


def test_files_written_and_consistent(stressed: tuple) -> None:
    _, run_dir, report = stressed
    data = json.loads((run_dir / "stress" / "stress.json").read_text())
    assert [p["name"] for p in data["periods"]] == [p.period.name for p in report.periods]
    assert data["periods"][-1]["kind"] == "synthetic"
    skipped = {s["name"]: s["reason"] for s in data["skipped"]}
    assert (
        "2020 COVID crash" in skipped
        and "after the run's last session" in skipped["2020 COVID crash"]
    )
    table = pd.read_parquet(run_dir / "stress" / "stress_table.parquet")
    assert len(table) == len(report.periods) * len(ROW_NAMES)
    daily = pd.read_parquet(run_dir / "stress" / "stress_daily.parquet")
    assert set(daily["period"]) == {p.period.name for p in report.periods}
    assert any("reproduce the run's out-of-sample predictions" in n for n in report.notes)


def test_packaged_periods_match_the_nifty_drawdowns(stressed: tuple) -> None:
    store = stressed[0]
    bars = store.read(BENCHMARK_SYMBOL, "1day")
    close = pd.Series(bars["close"].to_numpy(), index=pd.DatetimeIndex(bars["timestamp"]))
    checked = 0
    for p in load_stress_periods():
        start, end = pd.Timestamp(p.start, tz=IST), pd.Timestamp(p.end, tz=IST)
        if "adjusted to the NIFTY 50 drawdown" not in p.source or end > close.index[-1]:
            continue
        window = close.loc[:end]
        peak_day = window.index[window.index.get_indexer([start])[0] - 1]
        span = close.loc[peak_day:end]
        assert span.idxmax() == peak_day, p.name
        assert span.idxmin() == end, p.name
        checked += 1
    assert checked >= 8
    covid = close.loc["2020-01-01":"2020-06-30"]
    assert covid.idxmin() == pd.Timestamp("2020-03-23", tz=IST)


def test_load_stress_periods_packaged_and_errors(tmp_path: Path) -> None:
    periods = load_stress_periods()
    assert len(periods) == 15 and len({p.name for p in periods}) == 15
    assert all(p.start <= p.end and p.description and p.source for p in periods)
    linked = Path(__file__).resolve().parents[2] / "configs" / "stress_periods.yaml"
    assert load_stress_periods(linked) == periods
    with pytest.raises(ConfigError, match="does not exist"):
        load_stress_periods(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("periods:\n  - {name: a, start: 2020-02-01, end: 2020-01-01}\n")
    with pytest.raises(ConfigError, match="after end"):
        load_stress_periods(bad)
