"""Crash safety of the fetch: SIGKILL at random points, restart, same store; two writers at once.

The killed runs are forked from the test process (a fresh interpreter needs ~4 s to build the
NSE calendar, too slow for ten restarts); the run that finishes the job is a fresh
interpreter, so only what reached the disk counts.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.fetch import FetchPolicy, fetch_bars_to_store
from sensequant.data.providers.base import ProviderInfo
from sensequant.data.store import BarStore
from sensequant.testing.fake_provider import FakeClock, FakeProvider
from sensequant.types import INTERVALS

NOW = "2024-09-09 18:00"
SYMBOLS = ["AAA", "BBB", "CCC"]
ARGS = ("5minute", "2024-03-01", "2024-08-30")  # ~10 chunks per symbol
REPO = Path(__file__).resolve().parents[3]
RUNNER = (
    "import sys; from pathlib import Path; "
    "from tests.data.fetch.test_resume import fetch_once; "
    "sys.exit(fetch_once(Path(sys.argv[1]), int(sys.argv[2])))"
)

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork()"
)


def fetch_once(root: Path, seed: int) -> int:
    """One fetch of SYMBOLS x ARGS into ``root`` with 20 % transient faults; exit status.

    Every call takes 20 ms of real time (like a network round trip), so a whole run lasts
    well over a second on any machine and the kills below land mid-run.
    """
    clock = FakeClock(NOW)
    report = fetch_bars_to_store(
        FakeProvider(fault_rate=0.2, seed=seed, slow_calls=range(10**6), slow_s=0.02),
        BarStore(root / "store", lock_timeout=60.0),
        Catalog(root / "catalog.sqlite"),
        SYMBOLS,
        *ARGS,
        policy=FetchPolicy(max_attempts=12),
        flush_every=2,  # many store writes: many chances to be killed inside one
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        now=clock.now,
    )
    (root / f"report-{os.getpid()}.json").write_text(json.dumps(report.to_dict()))
    return 1 if report.n_failed else 0


def _child(root: Path, seed: int) -> None:
    sys.exit(fetch_once(root, seed))


@pytest.fixture()
def home(tmp_path: Path) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="sq-resume-", dir=shm))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path


def _reference(root: Path) -> dict[str, str]:
    """Fingerprints of a fault-free fetch (one call per symbol)."""
    clock = FakeClock(NOW)
    store = BarStore(root / "store")
    fetch_bars_to_store(
        FakeProvider(info=ProviderInfo(name="fake", intervals=INTERVALS)),
        store,
        Catalog(root / "catalog.sqlite"),
        SYMBOLS,
        *ARGS,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        now=clock.now,
    )
    return {s: store.fingerprint(s, ARGS[0]).sha256 for s in SYMBOLS}


def _fingerprints(root: Path) -> dict[str, str]:
    store = BarStore(root / "store")
    return {s: store.fingerprint(s, ARGS[0]).sha256 for s in SYMBOLS}


def _store_files(root: Path) -> tuple[list[Path], list[Path]]:
    """(parquet files, anything else but the lock file) under the store."""
    files = [p for p in (root / "store").rglob("*") if p.is_file()]
    parquet = [p for p in files if p.suffix == ".parquet" and not p.name.startswith(".")]
    other = [p for p in files if p not in parquet and p.name != ".lock"]
    return parquet, other


def _all_readable(root: Path) -> None:
    for path in _store_files(root)[0]:
        pq.read_table(path)  # raises on a torn file


def test_killed_ten_times_then_finished_gives_the_same_store(home: Path) -> None:
    reference = _reference(home / "ref")
    root = home / "run"
    root.mkdir()
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(20240909)
    killed = 0
    for i in range(10):
        proc = ctx.Process(target=_child, args=(root, i))
        proc.start()
        proc.join(rng.uniform(0.02, 0.25))
        if proc.is_alive() and proc.pid is not None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.join()
        _all_readable(root)
    assert killed >= 5, "the runs finished before they could be killed: make them longer"
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(root), "99"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _fingerprints(root) == reference
    _all_readable(root)
    parquet, other = _store_files(root)
    assert len(parquet) == len(SYMBOLS)
    # after the finished run a second fetch is a no-op
    again = FakeProvider()
    clock = FakeClock(NOW)
    fetch_bars_to_store(
        again,
        BarStore(root / "store"),
        Catalog(root / "catalog.sqlite"),
        SYMBOLS,
        *ARGS,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        now=clock.now,
    )
    assert again.calls == []
    # a writer killed mid-write leaves a temp file; the next lock holder sweeps it away
    assert [p.name for p in other] == []


def test_two_processes_fetching_into_one_store_serialise(home: Path) -> None:
    reference = _reference(home / "ref")
    root = home / "run"
    root.mkdir()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_child, args=(root, seed)) for seed in (1, 2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(300)
    assert [p.exitcode for p in procs] == [0, 0]
    assert _fingerprints(root) == reference
    _all_readable(root)
    assert _store_files(root)[1] == []
    reports = [json.loads(p.read_text()) for p in root.glob("report-*.json")]
    assert len(reports) == 2 and all(r["n_failed"] == 0 for r in reports)
