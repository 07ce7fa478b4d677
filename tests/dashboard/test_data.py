"""The dashboard's data functions on a small real run: runs list, run page data, coverage,
registry events and review through the registry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.dashboard import (
    equity_drawdown,
    gates_table,
    list_runs,
    load_coverage,
    load_run_view,
    registry_events,
    review,
    strategy_card,
    stress_table,
    trials_table,
)
from sensequant.errors import RegistryError, ReviewRefusedError, UsageError
from sensequant.identity import os_user
from sensequant.release import Registry
from sensequant.settings import Settings
from tests.dashboard.conftest import DashHome

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _briefing(home: DashHome) -> dict:
    path = home.settings.runs_dir / home.run_id / "promotion_briefing.json"
    return json.loads(path.read_text())


def test_runs_list_has_the_candidate_and_the_interrupted_run(dash_home: DashHome) -> None:
    runs = list_runs(dash_home.settings).set_index("run_id")
    brief = _briefing(dash_home)
    row = runs.loc[dash_home.run_id]
    assert row["status"] == "candidate"
    assert row["decision"] == brief["decision"]
    assert row["sharpe"] == pytest.approx(brief["headline"]["sharpe"])
    assert row["max_drawdown"] == pytest.approx(brief["headline"]["max_drawdown"])
    assert runs.loc[dash_home.interrupted_id, "status"] == "interrupted"
    assert runs.loc[dash_home.interrupted_id, "progress"] == ""  # not running: no progress


def test_run_view_reads_every_section(dash_home: DashHome) -> None:
    view = load_run_view(dash_home.settings, dash_home.run_id)
    brief = _briefing(dash_home)
    card = dict(strategy_card(view))
    assert card["universe"] == brief["universe"]["name"]
    assert card["decision"].startswith(brief["decision"])
    assert card["Sharpe (net, annualised)"] == f"{brief['headline']['sharpe']:.2f}"
    assert view.daily is not None
    equity, drawdown = equity_drawdown(view.daily)
    strategy = "strategy (net of costs)"
    assert equity[strategy].iloc[-1] == pytest.approx(np.prod(1 + view.daily["student_net"]))
    assert -drawdown[strategy].min() == pytest.approx(brief["headline"]["max_drawdown"])
    gates = gates_table(brief)
    assert len(gates) == len(brief["gates"]) and gates["explanation"].notna().all()
    assert view.stress is not None
    stress = stress_table(view.stress)
    assert len(stress) == len(view.stress["periods"]) > 0
    assert stress["strategy return"].notna().all()
    trials = trials_table(brief)
    assert len(trials) == brief["headline"]["n_trials"]
    assert trials["sharpe"].is_monotonic_decreasing
    assert [e["to_state"] for e in view.events] == ["running", "candidate"]
    assert view.live is not None and view.live.status == "finished"


def test_unknown_run_is_a_clear_error(dash_home: DashHome) -> None:
    with pytest.raises(RegistryError, match="unknown run 'nope'"):
        load_run_view(dash_home.settings, "nope")


def test_coverage_audit_gaps_and_actions(dash_home: DashHome) -> None:
    cov = load_coverage(dash_home.settings)
    assert set(cov.audit["symbol"]) >= {"HDFCBANK", "INFY", "ITC", "RELIANCE", "SBIN", "TCS"}
    assert cov.summary["symbols"] == len(cov.audit)
    assert (cov.audit["bars"] > 1000).all()
    assert not cov.gaps.empty and (cov.gaps["missing_sessions"] > 0).all()
    action = cov.actions.set_index("symbol").loc["RELIANCE"]
    assert (action["kind"], action["status"]) == ("bonus", "rejected")
    assert load_coverage(dash_home.settings, "5minute").audit.empty


def test_empty_home_shows_nothing_and_creates_nothing(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    assert list_runs(settings).empty
    assert registry_events(settings).empty
    assert load_coverage(settings).audit.empty
    assert not (tmp_path / "home" / "registry.sqlite").exists()


def test_registry_events_of_every_run(dash_home: DashHome) -> None:
    events = registry_events(dash_home.settings)
    mine = events[events["run_id"] == dash_home.run_id]
    assert mine[["actor", "to_state"]].values.tolist() == [  # newest first
        ["sensequant", "candidate"],
        ["sensequant", "running"],
    ]


def test_review_goes_through_the_registry_rules(dash_home: DashHome, tmp_path: Path) -> None:
    # a copy of the registry: the shared run stays a candidate for the other tests
    shutil.copy(dash_home.settings.registry_path, tmp_path / "registry.sqlite")
    settings = Settings(home=tmp_path)
    run_id = dash_home.run_id
    with pytest.raises(UsageError):
        review(settings, run_id, "deploy", display_name="asha", note=None)
    with pytest.raises(RegistryError, match="needs a note"):
        review(settings, run_id, "reject", display_name="asha", note=None)
    with pytest.raises(UsageError, match="markup characters"):
        review(settings, run_id, "approve", display_name="[bold]x", note="fine")
    # this process produced the run: four-eyes refuses its own approval, as the CLI does
    with pytest.raises(ReviewRefusedError, match="four-eyes"):
        review(settings, run_id, "approve", display_name="asha", note="looks fine")
    out = review(settings, run_id[:12], "reject", display_name=" asha ", note="IC too low")
    assert out.record.state == "rejected" and out.actor.display_name == "asha"
    last = Registry(settings.registry_path).events(run_id)[-1]
    assert (last.actor, last.display_name, last.to_state, last.note) == (
        os_user(),
        "asha",
        "rejected",
        "IC too low",
    )
    assert isinstance(registry_events(settings), pd.DataFrame)
