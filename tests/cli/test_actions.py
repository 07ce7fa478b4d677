"""``data actions``: list, confirm and reject corporate actions; rejected ones stop applying."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog

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
