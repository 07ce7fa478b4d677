"""A tiny fake run directory with a real manifest, registered in a registry (no pipeline run).

Shared by the release and CLI tests of review, verification and deployment.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from sensequant.fsutil import sha256_file
from sensequant.release.registry import Registry
from sensequant.types import IST

T0 = dt.datetime(2024, 6, 7, 10, 15, tzinfo=ZoneInfo(IST))


def clock() -> Callable[[], dt.datetime]:
    """A clock ticking one minute per call."""
    ticks = itertools.count()
    return lambda: T0 + dt.timedelta(minutes=next(ticks))


def make_run(
    reg: Registry,
    runs_dir: Path,
    run_id: str,
    *,
    producer: str | None = "alice",
    universe: str = "nifty50",
    interval: str = "1day",
    decision: str = "ready-for-review",
    require_second_person: bool | None = True,
) -> Path:
    """Write ``<runs_dir>/<run_id>`` (config, a model, a briefing, the manifest) and register
    it as a candidate produced by ``producer``. Returns the run directory."""
    run_dir = runs_dir / run_id
    (run_dir / "models").mkdir(parents=True)
    config: dict[str, object] = {
        "name": "default",
        "data": {"universe": universe, "interval": interval},
    }
    if require_second_person is not None:
        config["review"] = {"require_second_person": require_second_person}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    (run_dir / "models" / "student.txt").write_text(f"tree model of {run_id}\n")
    (run_dir / "promotion_briefing.md").write_text(f"# {run_id}\n")
    (run_dir / "telemetry.jsonl").write_text("{}\n")
    artifacts = {
        p.relative_to(run_dir).as_posix(): sha256_file(p)
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and p.name != "telemetry.jsonl"
    }
    manifest = {"run_id": run_id, "config": config, "artifacts": artifacts}
    (run_dir / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    reg.register_run(
        run_id=run_id,
        created_at=f"2024-06-01T09:{len(reg.list_runs()):02d}:00+05:30",
        run_dir=run_dir,
        config_name="default",
        universe=universe,
        interval=interval,
        start="2021-09-01",
        end="2024-09-06",
        gate_decision=decision,
        headline={"sharpe": 0.84},
        producer=producer,
    )
    return run_dir


def as_user(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make :func:`getpass.getuser` (the acting OS user) return ``name``."""
    monkeypatch.setattr("getpass.getuser", lambda: name)
