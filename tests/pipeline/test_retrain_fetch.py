"""``retrain`` stops before training when the fetch left symbols incomplete (unless
``--allow-partial``); the champion, store and pipeline are stand-ins (no real data needed)."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import sensequant.data.fetch as fetch_face
from sensequant.cli.main import app
from sensequant.data.fetch import FetchReport, FetchRun, SymbolOutcome
from sensequant.errors import ProviderError
from sensequant.pipeline.phase_results import RunResult
from sensequant.pipeline.retrain import EXIT_NEW_DATA, fetch_failures, retrain
from sensequant.settings import RunConfig, Settings

# the module (the pipeline face's ``retrain`` attribute is the function)
retrain_mod = importlib.import_module("sensequant.pipeline.retrain")


def _report(*outcomes: SymbolOutcome) -> FetchReport:
    return FetchReport(provider="yahoo", interval="1day", symbols=list(outcomes))


PARTIAL = _report(
    SymbolOutcome("AAA", "ok", chunks_planned=2, chunks_fetched=2),
    SymbolOutcome(
        "BBB",
        "partial",
        chunks_planned=4,
        chunks_fetched=2,
        chunks_failed=2,
        reason="HTTP 503 after 5 attempts",
    ),
    SymbolOutcome("CCC", "cached", chunks_planned=1, chunks_cached=1),
    SymbolOutcome("DDD", "unavailable", reason="unknown instrument"),
)


def test_fetch_failures_names_each_incomplete_symbol() -> None:
    assert fetch_failures(PARTIAL) == {
        "BBB": "partial: 2 of 4 chunks failed (HTTP 503 after 5 attempts)",
        "DDD": "unavailable (unknown instrument)",
    }
    assert fetch_failures(_report(SymbolOutcome("AAA", "empty"))) == {}
    assert fetch_failures(None) == {}
    stopped = _report(SymbolOutcome("AAA", "ok"), SymbolOutcome("BBB", "not started"))
    stopped.stopped_reason = "daily request limit reached"
    assert fetch_failures(stopped) == {"BBB": "not started (daily request limit reached)"}


@pytest.fixture()
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """A champion on AAA..DDD up to 2024-01-31, a fetch that fails for BBB and DDD."""
    seen: dict[str, Any] = {"trained": False}
    cfg = RunConfig().with_overrides(universe="AAA,BBB,CCC,DDD")
    champion = SimpleNamespace(
        run_id="champ", run_dir=str(tmp_path / "champ"), universe=cfg.data.universe,
        interval="1day", config_name=cfg.name,
    )  # fmt: skip
    run = SimpleNamespace(
        config=cfg, symbols=["AAA", "BBB", "CCC", "DDD"],
        range_end=pd.Timestamp("2024-01-31", tz="Asia/Kolkata"),
    )  # fmt: skip
    monkeypatch.setattr(retrain_mod, "chosen_run", lambda *a, **k: champion)
    monkeypatch.setattr(retrain_mod, "load_run", lambda path: run)
    monkeypatch.setattr(fetch_face, "run_fetch", lambda *a, **k: FetchRun(a[2], report=PARTIAL))

    def last_session(store: Any, symbols: list[str], interval: str) -> dt.date:
        seen["last_of"] = symbols
        return dt.date(2024, 2, 29)

    def run_pipeline(*args: Any, **kwargs: Any) -> RunResult:
        seen["trained"] = True
        (tmp_path / "chal").mkdir(exist_ok=True)
        return RunResult("chal", tmp_path / "chal", "gates-failed", {}, {})

    monkeypatch.setattr(retrain_mod, "_last_session", last_session)
    monkeypatch.setattr(retrain_mod, "_covered_until", lambda *a: dt.date(2024, 1, 31))
    monkeypatch.setattr(retrain_mod, "ReuseCache", lambda *a: SimpleNamespace(reused=1, trained=2))
    monkeypatch.setattr(retrain_mod, "run_pipeline", run_pipeline)
    monkeypatch.setattr(retrain_mod, "compare_runs", lambda *a: {"common_dates": 0})
    seen["settings"] = Settings(home=tmp_path / "home")
    return seen


def test_a_partial_fetch_stops_before_training(world: dict[str, Any]) -> None:
    with pytest.raises(ProviderError) as info:
        retrain(world["settings"], provider="yahoo")
    msg = info.value.message
    assert "stopped before training" in msg and "2 symbol(s)" in msg
    assert "BBB: partial: 2 of 4 chunks failed (HTTP 503 after 5 attempts)" in msg
    assert "DDD: unavailable" in msg and "AAA" not in msg
    assert info.value.hint is not None and "--allow-partial" in info.value.hint
    assert world["trained"] is False


def test_allow_partial_trains_on_the_complete_symbols_with_a_note(world: dict[str, Any]) -> None:
    out = retrain(world["settings"], provider="yahoo", allow_partial=True)
    assert world["trained"] and out.exit_code == EXIT_NEW_DATA
    assert world["last_of"] == ["AAA", "CCC", "NIFTY 50"]  # the newest common session
    (note,) = out.notes
    assert note.startswith("partial fetch allowed (--allow-partial): 2 symbol(s)")
    assert out.report is not None
    assert json.loads(out.report.read_text(encoding="utf-8"))["notes"] == [note]
    assert f"Note: {note}" in (out.report.parent / "retrain.md").read_text(encoding="utf-8")


def test_cli_stops_with_exit_1_and_takes_allow_partial(world: dict[str, Any]) -> None:
    env = {"SENSEQUANT_HOME": str(world["settings"].home)}
    res = CliRunner().invoke(app, ["retrain", "--provider", "yahoo"], env=env)
    assert res.exit_code == 1 and "--allow-partial" in res.output and not world["trained"]
    res = CliRunner().invoke(app, ["retrain", "--provider", "yahoo", "--allow-partial"], env=env)
    assert res.exit_code == 0, res.output
    assert "note: partial fetch allowed" in res.output and world["trained"]
