"""EventReporter: progress events (percent, ETA) beside the wrapped display."""

from __future__ import annotations

from typing import Any

from sensequant.progress import EventReporter, NullReporter


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _reporter(min_interval_s: float = 1.0) -> tuple[EventReporter, list[dict[str, Any]], Clock]:
    events: list[dict[str, Any]] = []
    clock = Clock()

    def emit(event: str, **fields: Any) -> None:
        events.append({"event": event, **fields})

    return (
        EventReporter(NullReporter(), emit, min_interval_s=min_interval_s, clock=clock),
        events,
        clock,
    )


def test_percent_and_eta_from_steps() -> None:
    rep, events, clock = _reporter(min_interval_s=0.0)
    rep.start("teachers", total=4)
    clock.t += 10
    rep.advance()
    assert events[0] == {
        "event": "progress", "phase": "teachers", "done": 0, "total": 4, "percent": 0.0,
        "eta_s": None, "elapsed_s": 0.0,
    }  # fmt: skip
    assert events[1]["percent"] == 25.0 and events[1]["eta_s"] == 30.0  # 10 s a step, 3 left
    rep.done("4 windows")
    assert events[-1]["percent"] == 100.0 and events[-1]["summary"] == "4 windows"
    assert rep.inner.lines == ["start teachers", "4 windows"]  # type: ignore[attr-defined]


def test_steps_are_throttled_but_the_last_is_written() -> None:
    rep, events, clock = _reporter(min_interval_s=1.0)
    rep.start("student", total=100)
    for _ in range(100):
        clock.t += 0.05
        rep.advance()
    steps = [e["done"] for e in events[1:]]
    assert 4 <= len(steps) <= 6  # 5 s in 1 s slices, not 100 events
    assert steps[-1] == 100


def test_indeterminate_phase_and_warnings() -> None:
    rep, events, _ = _reporter()
    rep.start("backtest")
    assert events[0]["percent"] is None and events[0]["total"] is None
    rep.warn("thin universe")
    rep.done("ok")
    assert events[1] == {"event": "warning", "message": "thin universe"}
    assert events[2]["percent"] == 100.0


def test_plain_reporter_prints_phase_percent_and_eta_lines() -> None:
    import io

    from sensequant.progress import PlainReporter

    stream, clock = io.StringIO(), Clock()
    rep = PlainReporter(stream, min_interval_s=10.0, clock=clock)
    rep.start("teachers", total=4)
    clock.t += 5.0
    rep.advance()  # throttled: 5 s since the start line
    clock.t += 5.0
    rep.advance()  # 10 s: 2 of 4 done in 10 s -> 10 s left
    rep.advance(2)  # the last step always prints
    rep.done("4 windows")
    rep.warn("careful")
    rep.start("student")
    clock.t += 20.0
    rep.advance()
    lines = stream.getvalue().splitlines()
    assert lines == [
        "teachers: started (4 steps)",
        "teachers: 50% (2/4), eta 10s",
        "teachers: 100% (4/4), eta 0s",
        "teachers: done -- 4 windows",
        "  warning: careful",
        "student: started",
        "student: 1 steps",
    ]
    assert "\x1b" not in stream.getvalue()


def test_console_reporter_is_plain_when_stdout_is_not_a_terminal(monkeypatch: Any) -> None:
    import io
    import sys

    from sensequant.progress import PlainReporter, RichReporter, console_reporter

    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert isinstance(console_reporter(), PlainReporter)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Tty())
    assert isinstance(console_reporter(), RichReporter)
