"""Telemetry: events are on disk as soon as they are emitted; a torn last line is tolerated."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sensequant.telemetry import Telemetry, read_events


def test_events_are_flushed_per_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    tel = Telemetry(path, "run-1")
    tel.emit("window", symbol="TCS", value=math.nan)
    # read while the writer is still open: nothing is buffered
    lines = path.read_text().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["run_id"] == "run-1" and event["symbol"] == "TCS" and event["value"] is None
    assert event["ts"].endswith("+05:30")
    tel.close()


def test_phase_records_duration_and_errors(tmp_path: Path) -> None:
    tel = Telemetry(tmp_path / "t.jsonl", "r")
    with tel.phase("features") as res:
        res["rows"] = 3
    with pytest.raises(RuntimeError), tel.phase("teachers"):
        raise RuntimeError("boom")
    tel.close()
    events = read_events(tmp_path / "t.jsonl")
    kinds = [(e["event"], e.get("phase")) for e in events]
    assert kinds == [
        ("phase_start", "features"),
        ("phase_end", "features"),
        ("phase_start", "teachers"),
        ("phase_error", "teachers"),
    ]
    assert events[1]["rows"] == 3 and "features" in tel.phase_seconds
    assert "boom" in events[3]["error"]


def test_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    tel = Telemetry(path, "r")
    tel.emit("a")
    tel.close()
    with path.open("a") as fh:
        fh.write('{"event": "b", "ts"')
    assert [e["event"] for e in read_events(path)] == ["a"]


def test_error_text_is_scrubbed_of_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sensequant.fsutil import REDACTED

    monkeypatch.setenv("SENSEQUANT_BREEZE_SESSION_TOKEN", "tok-9137-abcdef")
    tel = Telemetry(tmp_path / "t.jsonl", "r")
    with pytest.raises(RuntimeError), tel.phase("fetch"):
        raise RuntimeError("session tok-9137-abcdef expired")
    tel.emit("run_failed", error="RuntimeError('tok-9137-abcdef')", note="kept")
    tel.close()
    text = (tmp_path / "t.jsonl").read_text()
    assert "tok-9137-abcdef" not in text
    events = read_events(tmp_path / "t.jsonl")
    assert REDACTED in events[1]["error"] and events[2]["note"] == "kept"


def test_run_start_names_the_writing_process(tmp_path: Path) -> None:
    import os
    import socket

    tel = Telemetry(tmp_path / "t.jsonl", "r1")
    tel.start_run(run_dir="x")
    tel.close()
    (event,) = read_events(tmp_path / "t.jsonl")
    assert event["event"] == "run_start" and event["run_dir"] == "x"
    assert (event["pid"], event["host"]) == (os.getpid(), socket.gethostname())
