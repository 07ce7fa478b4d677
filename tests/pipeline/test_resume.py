"""Run lifecycle on a real subset: one data snapshot per run, kill and resume.

* An import of a changed file while the run trains changes neither its numbers nor the data
  fingerprints in its manifest (the run reads only its snapshot).
* ``sensequant run`` SIGKILLed during the teachers and again during the student, then resumed
  with ``--resume``, ends with the predictions and briefing numbers of an uninterrupted run;
  the registry shows ``interrupted`` in between.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import sensequant.pipeline.run as run_mod
from sensequant.cli.main import app
from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.fsutil import to_plain
from sensequant.pipeline import RunResult
from sensequant.release.registry import Registry
from sensequant.settings import RunConfig, Settings
from sensequant.telemetry import read_events
from tests.pipeline.conftest import SUBSET, run_real_subset

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

SPAN = {"start": dt.date(2016, 1, 1), "end": dt.date(2021, 12, 31)}
SECTIONS: dict[str, dict[str, Any]] = {"student": {"min_train_days": 540}}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def baseline(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    settings, cfg, result, _ = run_real_subset(
        shared_data, tmp_path_factory.mktemp("home_a"), **SPAN, **SECTIONS
    )
    return settings, cfg, result


def _predictions(run_dir: Path) -> dict[str, pd.DataFrame]:
    return {p.name: pd.read_parquet(p) for p in sorted((run_dir / "predictions").glob("*.parquet"))}


def _numbers(value: Any, path: str = "") -> dict[str, Any]:
    """Every number and string of the briefing by its path, less what names the run."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k not in ("run_id", "created_at", "run_dir"):
                out.update(_numbers(v, f"{path}/{k}"))
        return out
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in _numbers(item, f"{path}/{i}").items()
        }
    return {path: value}


def _briefing(run_dir: Path) -> dict[str, Any]:
    data = json.loads((run_dir / "promotion_briefing.json").read_text(encoding="utf-8"))
    return _numbers(data)


def _assert_same_results(run_dir: Path, reference: Path) -> None:
    got, want = _predictions(run_dir), _predictions(reference)
    assert list(got) == list(want) and got
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True, obj=name)
    got_b, want_b = _briefing(run_dir), _briefing(reference)
    assert got_b == want_b


def _fingerprints(run_dir: Path) -> list[dict[str, Any]]:
    manifest = yaml.safe_load((run_dir / "manifest.yaml").read_text(encoding="utf-8"))
    return manifest["data"]


def test_an_import_during_the_run_changes_nothing(
    baseline: tuple, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, reference = baseline
    changed = tmp_path / "changed" / "RELIANCE.csv"
    changed.parent.mkdir()
    frame = pd.read_csv(shared_data / "nse_daily_yf" / "RELIANCE.csv")
    late = frame["Date"] >= "2019-01-01"
    for col in ("Open", "High", "Low", "Close", "Adj Close"):
        frame.loc[late, col] *= 1.25  # a "corrected" file: every price since 2019 moves
    frame.to_csv(changed, index=False)
    imported: list[str] = []
    real_teachers = run_mod.teacher_phase

    def import_then_train(config: RunConfig, *args: Any, **kwargs: Any) -> Any:
        settings = Settings(home=tmp_path / "home")
        store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
        report = import_paths([changed], store, catalog, on_conflict="replace", repair_ohlc=True)
        assert report.n_failed == 0
        imported.append(store.fingerprint("RELIANCE", "1day").sha256)
        return real_teachers(config, *args, **kwargs)

    monkeypatch.setattr(run_mod, "teacher_phase", import_then_train)
    _, _, result, _ = run_real_subset(shared_data, tmp_path / "home", **SPAN, **SECTIONS)
    assert imported  # the store did change while the run trained ...
    reliance = next(f for f in _fingerprints(result.run_dir) if f["symbol"] == "RELIANCE")
    assert reliance["sha256"] != imported[0]
    # ... yet the run's numbers and its manifest's data fingerprints are the untouched run's
    assert _fingerprints(result.run_dir) == _fingerprints(reference.run_dir)
    _assert_same_results(result.run_dir, reference.run_dir)
    # the corporate actions the bars were adjusted with still reach the manifest
    settings, _, _ = baseline
    view = AdjustedBarStore(settings.store_dir, Catalog(settings.catalog_path))
    manifest = yaml.safe_load((reference.run_dir / "manifest.yaml").read_text(encoding="utf-8"))
    assert manifest["extra"]["corporate_actions_applied"] == to_plain(view.applied_actions(SUBSET))
    snap = json.loads((result.run_dir / "snapshot" / "snapshot.json").read_text("utf-8"))
    assert {(s["symbol"], s["sha256"]) for s in snap["series"]} >= {
        (f["symbol"], f["sha256"]) for f in _fingerprints(result.run_dir)
    }


# -- kill and resume ---------------------------------------------------------------------------


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SENSEQUANT_HOME": str(home),
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }


def _cli(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sensequant", *args],
        env=_env(home),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when(proc: subprocess.Popen[str], runs_dir: Path, ready: Any, timeout: float) -> None:
    """SIGKILL ``proc`` once ``ready(events)`` holds for its run's telemetry."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        files = list(runs_dir.glob("*/telemetry.jsonl"))
        if files and ready(read_events(files[0])):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the phase to interrupt never started")


def _attempt(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    starts = [i for i, e in enumerate(events) if e["event"] == "run_start"]
    return events[starts[-1] :]


def _in_teachers(events: list[dict[str, Any]]) -> bool:
    """At least one teacher symbol finished (and was checkpointed)."""
    return any(e["event"] == "window" for e in events)


def _in_student(events: list[dict[str, Any]]) -> bool:
    """The latest attempt has started the student phase."""
    return any(e["event"] == "phase_start" and e["phase"] == "student" for e in _attempt(events))


def _state(home: Path, run_id: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "sensequant", "runs", "--json"],
        env=_env(home),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return next(r["state"] for r in json.loads(out) if r["run_id"] == run_id)


def test_killed_twice_and_resumed_equals_an_uninterrupted_run(
    baseline: tuple, shared_data: Path, tmp_path: Path
) -> None:
    _, cfg, reference = baseline
    reference: RunResult
    settings = Settings(home=tmp_path / "home")
    store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
    sources = [*(shared_data / "nse_daily_yf" / f"{s}.csv" for s in SUBSET)]
    report = import_paths(
        [*sources, shared_data / "nifty50_index"], store, catalog, repair_ohlc=True
    )
    assert report.n_failed == 0
    config = tmp_path / "run.yaml"
    config.write_text(cfg.to_yaml(), encoding="utf-8")

    # 1. killed while the teachers train (after at least one symbol finished)
    proc = _cli(settings.home, "run", "--config", str(config))
    _kill_when(proc, settings.runs_dir, _in_teachers, timeout=400)
    (run_dir,) = settings.runs_dir.iterdir()
    run_id = run_dir.name
    assert _state(settings.home, run_id) == "interrupted"  # found gone by `runs`
    assert list((run_dir / "checkpoints" / "teachers").glob("*.json"))
    assert not list((run_dir / "checkpoints").rglob("*.pkl"))  # JSON + Parquet, never pickle

    # 2. resumed (by prefix), killed again while the student trains
    proc = _cli(settings.home, "run", "--resume", run_id[:-2])
    _kill_when(proc, settings.runs_dir, _in_student, timeout=600)
    assert _state(settings.home, run_id) == "interrupted"
    first_resume = _attempt(read_events(run_dir / "telemetry.jsonl"))
    teachers = next(
        e for e in first_resume if e["event"] == "phase_start" and e["phase"] == "teachers"
    )
    assert teachers["resumed_symbols"] >= 1  # finished teacher symbols were not trained again

    # 3. resumed to the end
    proc = _cli(settings.home, "run", "--resume", run_id, "--json")
    out, errs = proc.communicate(timeout=900)
    assert proc.returncode == 0, errs
    payload = json.loads(out)
    assert payload["run_id"] == run_id and payload["decision"] == reference.decision
    assert not (run_dir / "checkpoints").exists()
    _assert_same_results(run_dir, reference.run_dir)
    record = Registry(settings.registry_path).get(run_id)
    assert record.state == "candidate" and record.gate_decision == reference.decision
    moves = [e.to_state for e in Registry(settings.registry_path).events(run_id)]
    assert moves == ["running", "interrupted", "running", "interrupted", "running", "candidate"]
    assert not Registry(settings.registry_path).check_chain()[0]

    # `sensequant stress RUN_ID` replays on the run's snapshot, even after the store changed
    bars = store.read("INFY", "1day")
    bars[["open", "high", "low", "close"]] *= 2
    store.write("INFY", "1day", bars)
    env = {"SENSEQUANT_HOME": str(settings.home)}
    res = CliRunner().invoke(app, ["stress", run_id[:10]], env=env)
    assert res.exit_code == 0, res.output
    (analysis,) = (run_dir / "analyses").glob("*-stress/stress.json")
    notes = json.loads(analysis.read_text(encoding="utf-8"))["notes"]
    assert any("features rebuilt from the store reproduce" in n for n in notes), notes
