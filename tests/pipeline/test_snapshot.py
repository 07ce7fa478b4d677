"""The run's data snapshot (read contract, read-only, saved and checked) and SIGTERM handling."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sensequant.pipeline.run as run_mod
from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore
from sensequant.errors import DataError, NoDataError, StoreError
from sensequant.pipeline.snapshot import BarSnapshot, capture_snapshot, snapshot_series
from sensequant.release.registry import Registry
from sensequant.settings import RunConfig, Settings
from sensequant.telemetry import read_events
from tests.pipeline.conftest import synthetic_sessions


@pytest.fixture()
def home(synthetic_home: Settings) -> Settings:
    """The shared synthetic home (tests/pipeline/conftest.py)."""
    return synthetic_home


def test_snapshot_reads_like_the_store_and_ignores_later_imports(
    home: Settings, tmp_path: Path
) -> None:
    store = BarStore(home.store_dir)
    series = snapshot_series(["AAA", "BBB"], "NIFTY 50", "1day", store)
    assert series == [("AAA", "1day"), ("BBB", "1day"), ("NIFTY 50", "1day")]
    snap = capture_snapshot(store, series, tmp_path / "snap")
    for kwargs in (
        {},
        {"start": "2016-03-01"},
        {"end": "2016-03-01"},
        {"start": "2015-06-01", "end": pd.Timestamp("2016-01-04 15:30", tz="Asia/Kolkata")},
        {"columns": ["close"]},
        {"end": "2016-03-01", "columns": ["timestamp", "open", "close"]},
    ):
        pd.testing.assert_frame_equal(
            snap.read("AAA", "1day", **kwargs), store.read("AAA", "1day", **kwargs)
        )
    before = store.fingerprint("AAA", "1day")
    assert snap.fingerprint("AAA", "1day") == before
    store.write("AAA", "1day", synthetic_sessions(1500, 99))  # an import after the capture
    assert store.fingerprint("AAA", "1day") != before
    assert snap.fingerprint("AAA", "1day") == before  # the snapshot did not move
    with pytest.raises(NoDataError, match="snapshot"):
        snap.read("CCC", "1day")
    with pytest.raises(StoreError, match="read-only"):
        snap.write("AAA", "1day", synthetic_sessions(10, 1))
    with pytest.raises(StoreError, match="volume2"):
        snap.read("AAA", "1day", columns=["volume2"])


def test_saved_snapshot_loads_identically_and_detects_tampering(
    home: Settings, tmp_path: Path
) -> None:
    store = BarStore(home.store_dir)
    snap = capture_snapshot(store, [("AAA", "1day"), ("NIFTY 50", "1day")], tmp_path / "snap")
    index = snap.save()
    meta = json.loads(index.read_text(encoding="utf-8"))
    assert [e["symbol"] for e in meta["series"]] == ["AAA", "NIFTY 50"]
    loaded = BarSnapshot.load(tmp_path / "snap")
    assert loaded.series == snap.series
    for sym in ("AAA", "NIFTY 50"):
        pd.testing.assert_frame_equal(loaded.read(sym, "1day"), snap.read(sym, "1day"))
        assert loaded.fingerprint(sym, "1day") == snap.fingerprint(sym, "1day")
    bars = snap.read("AAA", "1day")
    bars.loc[5, "close"] *= 1.01
    bars.to_parquet(snap.path("AAA", "1day"), index=False)
    with pytest.raises(DataError, match="no longer match"):
        BarSnapshot.load(tmp_path / "snap")
    with pytest.raises(DataError, match="no data snapshot"):
        BarSnapshot.load(tmp_path / "elsewhere")


def test_sigterm_records_the_run_interrupted(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def terminated(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not interrupt the run")

    monkeypatch.setattr(run_mod, "teacher_phase", terminated)
    config = RunConfig().with_overrides(universe="AAA,BBB")
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        run_mod.run_pipeline(config, home)
    assert signal.getsignal(signal.SIGTERM) == previous  # handler restored
    (run,) = Registry(home.registry_path).list_runs()
    assert run.state == "interrupted" and run.pid == os.getpid()
    events = Registry(home.registry_path).events(run.run_id)
    assert [e.to_state for e in events] == ["running", "interrupted"]
    assert "SIGTERM" in (events[-1].note or "")
    tel = read_events(Path(run.run_dir) / "telemetry.jsonl")
    assert tel[-1]["event"] == "run_failed" and tel[-1]["interrupted"] is True
    # what a resume needs is on disk: the snapshot and the pre-flight checkpoint
    assert (Path(run.run_dir) / "snapshot" / "snapshot.json").is_file()
    assert (Path(run.run_dir) / "checkpoints" / "preflight.json").is_file()


def test_a_failing_run_is_recorded_failed(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("boom")

    monkeypatch.setattr(run_mod, "teacher_phase", broken)
    with pytest.raises(ValueError, match="boom"):
        run_mod.run_pipeline(RunConfig().with_overrides(universe="AAA,BBB"), home)
    (run,) = Registry(home.registry_path).list_runs()
    assert run.state == "failed"
    assert [e.to_state for e in Registry(home.registry_path).events(run.run_id)] == [
        "running",
        "failed",
    ]


def test_snapshot_holds_the_adjusted_bars_and_the_actions_applied(
    home: Settings, tmp_path: Path
) -> None:
    catalog = Catalog(home.catalog_path)
    catalog.upsert_corporate_actions(
        [
            {
                "symbol": "AAA",
                "ex_date": dt.date(2016, 6, 1),
                "kind": "bonus 1:1",
                "price_factor": 0.5,
                "source": "detected",
                "status": "suspected",
            }
        ]
    )
    view = AdjustedBarStore(home.store_dir, catalog)
    snap = capture_snapshot(view, [("AAA", "1day"), ("BBB", "1day")], tmp_path / "snap")
    pd.testing.assert_frame_equal(snap.read("AAA", "1day"), view.read("AAA", "1day"))
    assert snap.fingerprint("AAA", "1day") == view.fingerprint("AAA", "1day")
    actions = snap.applied_actions(["AAA"])
    assert [(a["symbol"], a["price_factor"]) for a in actions] == [("AAA", 0.5)]
    assert snap.applied_actions(["BBB"]) == []
    snap.save()
    assert BarSnapshot.load(tmp_path / "snap").applied_actions() == actions
