"""``data actions``: list, confirm and reject corporate actions; rejected ones stop applying."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore
from tests.conftest import make_daily_bars

runner = CliRunner()


def _home(tmp_path: Path) -> dict[str, str]:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    catalog.upsert_corporate_actions(
        [
            {
                "symbol": sym,
                "ex_date": dt.date(2019, 3, 1),
                "kind": "split",
                "price_factor": 0.5,
                "source": "detected",
                "status": "suspected",
            }
            for sym in ("ABC", "M&M")
        ]
    )
    return {"SENSEQUANT_HOME": str(tmp_path), "COLUMNS": "200"}


def test_lists_and_reviews_actions(tmp_path: Path) -> None:
    env = _home(tmp_path)
    listed = runner.invoke(app, ["data", "actions", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert [r["status"] for r in json.loads(listed.stdout)] == ["suspected", "suspected"]
    args = ["data", "actions", "--reject", "ABC:2019-03-01", "--confirm", "M&M:2019-03-01"]
    reviewed = runner.invoke(app, [*args, "--json"], env=env)
    assert reviewed.exit_code == 0, reviewed.output
    status = {r["symbol"]: r["status"] for r in json.loads(reviewed.stdout)}
    assert status == {"ABC": "rejected", "M&M": "confirmed"}
    view = AdjustedBarStore(tmp_path / "store", Catalog(tmp_path / "catalog.sqlite"))
    assert [a["symbol"] for a in view.applied_actions()] == ["M&M"]


def test_bad_target_and_unknown_action_are_clear(tmp_path: Path) -> None:
    env = _home(tmp_path)
    bad = runner.invoke(app, ["data", "actions", "--confirm", "ABC"], env=env)
    assert bad.exit_code == 2 and "SYMBOL:YYYY-MM-DD" in bad.output
    unknown = runner.invoke(app, ["data", "actions", "--reject", "ABC:2020-01-01"], env=env)
    assert unknown.exit_code == 1 and "no corporate action recorded" in unknown.output


def test_reviews_record_the_shared_identity(tmp_path: Path) -> None:
    """``data actions`` and ``data breaks`` record the registry's identity: the OS user plus
    a validated ``--by`` display name (sensequant.identity); bad names and the pipeline's own
    account are refused."""
    env = _home(tmp_path) | {"LOGNAME": "asha", "USER": "asha"}
    args = ["data", "actions", "--confirm", "ABC:2019-03-01", "--by", "A. Rao"]
    done = runner.invoke(app, args, env=env)
    assert done.exit_code == 0, done.output
    assert "confirmed by asha (A. Rao)" in done.stderr
    (review,) = Catalog(tmp_path / "catalog.sqlite").action_reviews("ABC").to_dict("records")
    assert (review["reviewer"], review["reviewer_name"]) == ("asha", "A. Rao")
    old = ["data", "actions", "--reject", "M&M:2019-03-01", "--reviewer-name", "A. Rao"]
    assert runner.invoke(app, old, env=env).exit_code == 0  # the older spelling still works
    for name, why in (("[red]x[/red]", "markup"), ("admin", "reserved")):
        bad = runner.invoke(app, [*args[:4], "--by", name], env=env)
        assert bad.exit_code == 2 and why in bad.output, bad.output
    system = runner.invoke(app, args, env=env | {"LOGNAME": "sensequant", "USER": "sensequant"})
    assert system.exit_code == 2 and "cannot review" in system.output
    # data breaks: the same identity, stored as its label
    BarStore(tmp_path / "store").write("XYZ", "1day", _spiked())
    listed = runner.invoke(app, ["data", "breaks", "--detect", "--json"], env=env)
    day = json.loads(listed.stdout)[0]["session_date"]
    decided = runner.invoke(
        app, ["data", "breaks", "--reject", f"XYZ:{day}", "--by", "A. Rao", "--json"], env=env
    )
    assert decided.exit_code == 0, decided.output
    assert json.loads(decided.stdout)[0]["reviewer"] == "asha (A. Rao)"
    bad = runner.invoke(app, ["data", "breaks", "--reject", f"XYZ:{day}", "--by", "root"], env=env)
    assert bad.exit_code == 2 and "reserved" in bad.output


def _spiked() -> pd.DataFrame:
    bars = make_daily_bars(300, seed=3)
    bars.loc[150, ["open", "high", "low", "close"]] *= 4.0
    return bars
