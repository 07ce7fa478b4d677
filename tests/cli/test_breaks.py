"""``data breaks``: detect, list, confirm and reject structural breaks, with the reviewer."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore
from tests.conftest import make_daily_bars

runner = CliRunner()
SPIKE_AT = 300


def _home(tmp_path: Path) -> tuple[dict[str, str], str]:
    bars = make_daily_bars(600, seed=3)
    bars.loc[SPIKE_AT, ["open", "high", "low", "close"]] *= 4.0
    BarStore(tmp_path / "store").write("M&M", "1day", bars)
    env = {"SENSEQUANT_HOME": str(tmp_path), "COLUMNS": "200", "LOGNAME": "asha", "USER": "asha"}
    return env, bars["timestamp"].iloc[SPIKE_AT].date().isoformat()


def test_detects_lists_and_reviews_breaks(tmp_path: Path) -> None:
    env, day = _home(tmp_path)
    listed = runner.invoke(app, ["data", "breaks", "--detect", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["symbol"], r["session_date"], r["kind"], r["status"]) for r in rows] == [
        ("M&M", day, "spike", "pending")
    ]
    assert "1 daily series scanned, 1 break(s) found" in listed.stderr
    table = runner.invoke(app, ["data", "breaks"], env=env)
    assert table.exit_code == 0 and "1 pending" in table.stderr and "spike" in table.stdout
    actions = runner.invoke(app, ["data", "actions"], env=env)
    assert "1 structural break(s) await review" in actions.stderr

    reviewed = runner.invoke(
        app, ["data", "breaks", "--reject", f"M&M:{day}:spike", "--json"], env=env
    )
    assert reviewed.exit_code == 0, reviewed.output
    row = json.loads(reviewed.stdout)[0]
    assert (row["status"], row["reviewer"]) == ("rejected", "asha") and row["decided_at"]
    assert "rejected by asha" in reviewed.stderr
    view = AdjustedBarStore(tmp_path / "store", Catalog(tmp_path / "catalog.sqlite"))
    assert view.applied_breaks() == []  # rejected: the bars are used again
    again = runner.invoke(app, ["data", "breaks", "--confirm", f"M&M:{day}"], env=env)
    assert again.exit_code == 0, again.output
    view = AdjustedBarStore(tmp_path / "store", Catalog(tmp_path / "catalog.sqlite"))
    assert [b["status"] for b in view.applied_breaks()] == ["confirmed"]
    pending = runner.invoke(app, ["data", "breaks", "--status", "pending", "--json"], env=env)
    assert json.loads(pending.stdout) == []


def test_bad_targets_and_unknown_breaks_are_clear(tmp_path: Path) -> None:
    env, _ = _home(tmp_path)
    bad = runner.invoke(app, ["data", "breaks", "--confirm", "M&M"], env=env)
    assert bad.exit_code == 2 and "SYMBOL:YYYY-MM-DD[:KIND]" in bad.output
    unknown = runner.invoke(app, ["data", "breaks", "--reject", "M&M:2020-01-01"], env=env)
    assert unknown.exit_code == 1 and "no structural break recorded" in unknown.output
    status = runner.invoke(app, ["data", "breaks", "--status", "open"], env=env)
    assert status.exit_code == 2
