"""``sensequant run --interval 5minute`` end to end on six real 5-minute stocks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.pipeline import run_pipeline
from sensequant.pipeline.rundir import SNAPSHOT_DIR
from sensequant.pipeline.snapshot import BarSnapshot
from sensequant.pipeline.stress_phase import run_stress
from sensequant.progress import NullReporter
from sensequant.settings import RunConfig, Settings

SYMBOLS = ["RELIANCE", "HDFCBANK", "ICICIBANK", "INFY", "TCS", "SBIN"]


@pytest.mark.slow
def test_intraday_run_completes_with_bundle_report_and_briefing(
    shared_data: Path, tmp_path: Path
) -> None:
    folder = shared_data / "nse_5min"
    if not folder.is_dir():
        pytest.skip(f"{folder} absent")
    settings = Settings(home=tmp_path / "home")
    store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
    files = [folder / f"{s}.csv" for s in SYMBOLS]
    assert import_paths(files, store, catalog, repair_ohlc=True).n_failed == 0
    cfg = RunConfig().with_overrides(
        universe=",".join(SYMBOLS), interval="5m", end=dt.date(2023, 12, 29)
    )
    small = {"num_boost_round": 30, "blend_grid": [0.0, 1.0]}
    cfg = cfg.model_copy(update={"n_jobs": 2, "student": cfg.student.model_copy(update=small)})
    result = run_pipeline(cfg, settings, NullReporter())
    run_dir = result.run_dir
    for name in ("promotion_briefing.md", "report.html", "manifest.yaml", "config.yaml"):
        assert (run_dir / name).is_file(), name
    saved = (run_dir / "config.yaml").read_text(encoding="utf-8")
    assert "interval: 5minute" in saved and "cost_segment: intraday" in saved
    assert "horizon: 6" in saved  # 30 minutes of 5-minute bars
    returns = pd.read_parquet(run_dir / "returns" / "daily.parquet")
    days = pd.DatetimeIndex(returns["timestamp"])
    assert (days == days.normalize()).all()  # one row per SESSION
    assert len(returns) > 20
    pf = json.loads((run_dir / "preflight.json").read_text(encoding="utf-8"))
    assert any("5minute" in n and "absent" in n for n in pf["notes"])
    briefing = (run_dir / "promotion_briefing.md").read_text(encoding="utf-8")
    assert "squared off" in briefing and "per session" in briefing
    assert result.decision in {"ready-for-review", "gates-failed"}
    _check_labels_gate_and_stress_replay(run_dir, tmp_path)


def _check_labels_gate_and_stress_replay(run_dir: Path, tmp_path: Path) -> None:
    """The rows are named as what they are (the basket over the same bars stands in for the
    absent NIFTY 50 at 5 minutes; the equal-weight row is the MIS-costed intraday basket), the
    stress gate uses the intraday scenarios, and `sensequant stress` replays them from the
    run's snapshot and saved predictions."""
    doc = json.loads((run_dir / "promotion_briefing.json").read_text(encoding="utf-8"))
    labels = doc["series_labels"]
    assert labels["benchmark"].startswith("equal-weight basket of the run's symbols over the")
    assert "5minute bars" in labels["benchmark"] and "no costs" in labels["benchmark"]
    assert "MIS" in labels["equal_weight"] and "squared off" in labels["equal_weight"]
    names = [r["name"] for r in doc["performance"]]
    assert names[2:] == [labels["benchmark"], labels["equal_weight"]]
    comparisons = [c["name"] for c in doc["comparisons"]]
    assert f"student - {labels['benchmark']}" in comparisons
    assert f"student - {labels['equal_weight']}" in comparisons
    assert {labels["benchmark"], labels["equal_weight"]} <= {r["name"] for r in doc["comparison"]}
    for name in ("promotion_briefing.md", "report.html"):
        text = (run_dir / name).read_text(encoding="utf-8")
        assert "NIFTY 50 (price index)" not in text, name
        assert "rebalanced monthly, NSE costs" not in text, name
    gate = next(g for g in doc["gates"] if g["name"] == "worst_stress_loss")
    scenarios = doc["stress"]["intraday_scenarios"]
    counted = [x for x in scenarios if x["kind"] != "recorded"]
    assert counted and gate["evaluated"] and gate["value"] is not None
    assert gate["explanation"].startswith("Worst stress loss (intraday scenarios: ")
    assert all(x["name"] in gate["explanation"] for x in counted)
    worst = min(x["student_return"] for x in counted)
    assert gate["value"] == pytest.approx(max(0.0, -worst))
    snap = BarSnapshot.load(run_dir / SNAPSHOT_DIR)
    replay = run_stress(run_dir, snap, out_dir=tmp_path / "stress")
    again = replay.to_dict()
    assert again["intraday_scenarios"] == scenarios  # same bars, same predictions
    assert again["benchmark"] == labels["benchmark"]
    assert (tmp_path / "stress" / "stress.json").is_file()
