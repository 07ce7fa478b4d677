"""A run's status and progress from its telemetry, also while another writer appends to it."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from sensequant.dashboard import read_progress, run_status
from sensequant.progress import EventReporter, NullReporter
from sensequant.telemetry import Telemetry, now_ist
from tests.dashboard.conftest import dead_pid, write_interrupted_run

HOST = socket.gethostname()


def _ev(kind: str, ts: dt.datetime | None = None, **fields: object) -> dict[str, object]:
    return {"ts": (ts or now_ist()).isoformat(), "run_id": "r", "event": kind, **fields}


def test_status_rules() -> None:
    alive = _ev("run_start", pid=os.getpid(), host=HOST)
    assert run_status([]) == "unknown"
    assert run_status([alive, _ev("run_end", decision="gates-failed")]) == "finished"
    assert run_status([alive, _ev("run_failed", error="PipelineError('x')")]) == "failed"
    assert run_status([alive, _ev("run_failed", error="KeyboardInterrupt()")]) == "interrupted"
    assert run_status([alive, _ev("phase_start", phase="teachers")]) == "running"
    dead = _ev("run_start", pid=dead_pid(), host=HOST)
    assert run_status([dead, _ev("phase_start", phase="teachers")]) == "interrupted"
    # another host: judged by silence
    old = now_ist() - dt.timedelta(hours=2)
    foreign = _ev("run_start", old, pid=1, host=HOST + "-elsewhere")
    assert run_status([foreign]) == "interrupted"
    assert run_status([foreign, _ev("progress")]) == "running"


def test_interrupted_run_keeps_its_last_phase(tmp_path: Path) -> None:
    root = write_interrupted_run(tmp_path)
    live = read_progress(root / "telemetry.jsonl")
    assert live.status == "interrupted"
    assert (live.phase, live.percent, live.done, live.total) == ("teachers", 25.0, 10, 40)
    assert live.eta_s is None  # nothing is coming
    assert [p["phase"] for p in live.phases] == ["preflight", "features"]


def _write_run(path: Path, go: threading.Event, step: threading.Event) -> None:
    tel = Telemetry(path, "20990101-000000-thread")
    tel.start_run(run_dir=str(path.parent))
    rep = EventReporter(NullReporter(), tel.emit, min_interval_s=0.0)
    for phase, total in (("features", None), ("teachers", 4)):
        with tel.phase(phase):
            rep.start(phase, total)
            for _ in range(total or 0):
                go.wait(10)
                go.clear()
                rep.advance()
                step.set()
            if total:  # hold the phase open until the reader has seen its last step
                go.wait(10)
                go.clear()
            rep.done(f"{phase} done")
    tel.emit("run_end", decision="gates-failed")
    tel.close()


def test_reader_sees_a_run_written_by_another_thread_progress(tmp_path: Path) -> None:
    path = tmp_path / "run" / "telemetry.jsonl"
    go, step = threading.Event(), threading.Event()
    writer = threading.Thread(target=_write_run, args=(path, go, step), daemon=True)
    writer.start()
    seen = []
    for _ in range(4):
        go.set()
        assert step.wait(10)
        step.clear()
        live = read_progress(path)
        seen.append((live.status, live.phase, live.percent, live.done))
    go.set()  # let the writer finish the run
    writer.join(10)
    assert seen == [
        ("running", "teachers", 25.0, 1),
        ("running", "teachers", 50.0, 2),
        ("running", "teachers", 75.0, 3),
        ("running", "teachers", 100.0, 4),
    ]
    final = read_progress(path)
    assert final.status == "finished" and final.percent == 100.0
    assert [p["phase"] for p in final.phases] == ["features", "teachers"]
    assert final.recent[0]["event"] == "run_end"


_CHILD = """
import sys, time
from pathlib import Path
from sensequant.progress import EventReporter, NullReporter
from sensequant.telemetry import Telemetry
tel = Telemetry(Path(sys.argv[1]), "20990101-000000-child")
tel.start_run(run_dir=sys.argv[1])
rep = EventReporter(NullReporter(), tel.emit, min_interval_s=0.0)
with tel.phase("student"):
    rep.start("student", 50)
    for _ in range(50):
        time.sleep(0.1)
        rep.advance()
    rep.done("ok")
tel.emit("run_end", decision="gates-failed")
tel.close()
"""


def test_reader_sees_a_run_in_another_process_progress(tmp_path: Path) -> None:
    path = tmp_path / "run" / "telemetry.jsonl"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)])
    try:
        percents = []
        deadline = time.monotonic() + 60
        while child.poll() is None and time.monotonic() < deadline:
            live = read_progress(path)
            if live.status == "running" and live.percent is not None:
                assert live.phase == "student" and live.total == 50
                percents.append(live.percent)
            time.sleep(0.3)
    finally:
        child.wait(30)
    assert len(set(percents)) >= 3, percents
    assert percents == sorted(percents)
    assert read_progress(path).status == "finished"
