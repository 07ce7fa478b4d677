"""Every dashboard page rendered by Streamlit's AppTest on a small real run: its sections are
there, filled, and nothing raised."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sensequant.dashboard import load_run_view
from sensequant.dashboard.page_live import LIVE_SECTIONS
from sensequant.dashboard.page_run import RUN_SECTIONS
from sensequant.dashboard.pages import COVERAGE_SECTIONS, EVENTS_SECTIONS, RUNS_SECTIONS
from sensequant.identity import os_user
from sensequant.release import Registry
from tests.dashboard.conftest import APP, DashHome

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _page(
    monkeypatch: pytest.MonkeyPatch, home: Path, page: str, run: str | None = None
) -> AppTest:
    monkeypatch.setenv("SENSEQUANT_HOME", str(home))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["page"] = page
    if run is not None:
        at.query_params["run"] = run
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_runs_page(dash_home: DashHome, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, dash_home.settings.home, "runs")
    assert [h.value for h in at.subheader] == list(RUNS_SECTIONS)
    (table,) = at.dataframe
    frame = table.value.set_index("run_id")
    assert frame.loc[dash_home.run_id, "status"] == "candidate"
    assert frame.loc[dash_home.interrupted_id, "status"] == "interrupted"
    assert {m.label for m in at.metric} >= {"candidate", "interrupted"}


def test_run_page(dash_home: DashHome, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, dash_home.settings.home, "run", dash_home.run_id)
    assert [h.value for h in at.subheader] == list(RUN_SECTIONS)
    assert at.selectbox[0].value == dash_home.run_id
    assert not at.info  # every section has content
    charts = at.get("plotly_chart")
    assert len(charts) == 4  # equity, drawdown, stress, trials
    card, gates, stress, trials, history = at.table[0], *at.dataframe
    assert "Sharpe (net, annualised)" in card.value.index
    brief = load_run_view(dash_home.settings, dash_home.run_id).briefing or {}
    assert len(gates.value) == len(brief["gates"]) and len(stress.value) > 0
    assert len(trials.value) == len(brief["trials"])
    assert history.value["to_state"].tolist() == ["running", "candidate"]
    assert at.button[0].label == "Record decision"


def test_run_page_review_form_applies_the_registry_rules(
    dash_home: DashHome, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copy(dash_home.settings.registry_path, tmp_path / "registry.sqlite")
    at = _page(monkeypatch, tmp_path, "run", dash_home.run_id)
    form_radio = next(r for r in at.radio if r.label == "Decision")
    form_radio.set_value("reject")
    at.text_input[0].set_value("asha")
    at.button[0].click()
    at.run()
    assert "needs a note" in at.error[0].value  # refused: nothing recorded
    assert Registry(tmp_path / "registry.sqlite").get(dash_home.run_id).state == "candidate"
    at.text_area[0].set_value("IC below teacher-direct")
    at.button[0].click()
    at.run()
    assert not at.error
    shown = at.success[-1].value.replace("\\", "")  # literal(): Markdown escaped
    assert f"rejected by {os_user()} (asha)" in shown  # the OS user, then the display name
    rec = Registry(tmp_path / "registry.sqlite").get(dash_home.run_id)
    assert rec.state == "rejected"


def test_live_page(dash_home: DashHome, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, dash_home.settings.home, "live", dash_home.interrupted_id)
    assert [h.value for h in at.subheader] == list(LIVE_SECTIONS)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["status"] == "interrupted" and metrics["phase"] == "teachers"
    assert metrics["percent of step"] == "25 %"
    at = _page(monkeypatch, dash_home.settings.home, "live", dash_home.run_id)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["status"], metrics["phase"]) == ("finished", "release")
    phases, recent = at.dataframe
    assert phases.value["phase"].tolist()[-1] == "release"
    assert recent.value["event"].iloc[0] == "run_end"


def test_coverage_page(dash_home: DashHome, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, dash_home.settings.home, "coverage")
    assert [h.value for h in at.subheader] == list(COVERAGE_SECTIONS)
    audit, gaps, actions = at.dataframe
    assert "RELIANCE" in audit.value["symbol"].tolist()
    assert len(gaps.value) > 0
    assert actions.value["symbol"].tolist() == ["RELIANCE"]
    assert len(at.get("plotly_chart")) == 1


def test_events_page(dash_home: DashHome, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(monkeypatch, dash_home.settings.home, "events")
    assert [h.value for h in at.subheader] == list(EVENTS_SECTIONS)
    (events,) = at.dataframe
    assert dash_home.run_id in events.value["run_id"].tolist()


def test_unknown_page_falls_back_to_runs(
    dash_home: DashHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _page(monkeypatch, dash_home.settings.home, "nope")
    assert at.title[0].value == "Runs"
