"""A dashboard home with a small real run (6 NIFTY 50 stocks, 2016-2021, from ../shared/data),
a recorded corporate action and an interrupted run, shared by the dashboard tests."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from sensequant.data import Catalog
from sensequant.pipeline import RunPaths
from sensequant.settings import Settings
from sensequant.telemetry import Telemetry
from tests.pipeline.conftest import SUBSET, run_real_subset

APP = Path(__file__).resolve().parents[2] / "src" / "sensequant" / "dashboard" / "script" / "app.py"
START, END = dt.date(2016, 1, 1), dt.date(2021, 12, 31)
INTERRUPTED = "20240101-000000-killed"


@dataclass(frozen=True)
class DashHome:
    """The shared dashboard home: settings and the ids of its runs."""

    settings: Settings
    run_id: str
    interrupted_id: str


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def write_interrupted_run(runs_dir: Path, run_id: str = INTERRUPTED) -> Path:
    """A run directory whose writer was killed in the teachers phase (its pid is gone)."""
    root = runs_dir / run_id
    (root / "models").mkdir(parents=True)
    tel = Telemetry(RunPaths(root).telemetry, run_id)
    tel.emit("run_start", pid=dead_pid(), host=socket.gethostname(), run_dir=str(root))
    for phase, seconds in (("preflight", 0.01), ("features", 2.2)):
        tel.emit("phase_start", phase=phase)
        tel.emit("phase_end", phase=phase, seconds=seconds)
    tel.emit("phase_start", phase="teachers", windows=40)
    tel.emit("progress", phase="teachers", done=10, total=40, percent=25.0, eta_s=30.0)
    tel.close()
    return root


def record_reliance_bonus(settings: Settings) -> None:
    """RELIANCE's 1:1 bonus (ex-date 2017-09-07), recorded as ``rejected``: Yahoo's closes are
    already adjusted for it, so it must not be applied again."""
    Catalog(settings.catalog_path).upsert_corporate_actions(
        [
            {
                "symbol": "RELIANCE",
                "ex_date": dt.date(2017, 9, 7),
                "kind": "bonus",
                "price_factor": 0.5,
                "source": "manual",
                "status": "rejected",
                "detail": "1:1 bonus; Yahoo closes already adjusted for it",
            }
        ]
    )


@pytest.fixture(scope="session")
def dash_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> DashHome:
    """A real run of :data:`SUBSET` (about 20 s), a corporate action, an interrupted run."""
    settings, _, result, _ = run_real_subset(
        shared_data,
        tmp_path_factory.mktemp("dash_home"),
        start=START,
        end=END,
        student={"min_train_days": 540},
    )
    record_reliance_bonus(settings)
    write_interrupted_run(settings.runs_dir)
    return DashHome(settings, result.run_id, INTERRUPTED)


def run_config_yaml(path: Path) -> Path:
    """The same small run as :func:`dash_home`'s, as a YAML for ``sensequant run --config``."""
    import yaml

    from sensequant.settings import RunConfig

    base = RunConfig().with_overrides(universe=",".join(SUBSET), start=START, end=END)
    dumped = base.model_dump(mode="json")
    dumped["n_jobs"] = 2
    dumped["student"]["min_train_days"] = 540
    path.write_text(yaml.safe_dump(dumped), encoding="utf-8")
    return path
