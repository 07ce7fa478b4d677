"""Retrain on a real subset (6 NIFTY 50 stocks): the store ends where the champion ended, so
a retrain finds no new data (exit 3); one more session imported gives a challenger whose
teacher windows are all the champion's (their inputs did not change) and a paired comparison
with the champion; seven more months add windows that are trained while the others are reused,
exactly as a fresh run trains them; a further retrain again finds nothing new."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.pipeline import run_pipeline
from sensequant.pipeline.retrain import EXIT_NEW_DATA, EXIT_NO_NEW_DATA, retrain
from sensequant.progress import NullReporter
from sensequant.release.registry import Registry
from sensequant.settings import RunConfig, Settings
from tests.pipeline.conftest import SUBSET
from tests.pipeline.test_signals import SMALL, approve_and_deploy

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _truncated(shared: Path, dest: Path, last: dt.date) -> list[Path]:
    """Copies of the subset's files and the index files with rows up to ``last`` only."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "index").mkdir(exist_ok=True)
    sources = [shared / "nse_daily_yf" / f"{s}.csv" for s in SUBSET]
    sources += sorted((shared / "nifty50_index").glob("*.csv"))
    out = []
    for src in sources:
        target = dest / ("index" if src.parent.name == "nifty50_index" else "") / src.name
        lines = src.read_text().splitlines()
        keep = [lines[0]] + [
            ln for ln in lines[1:] if (m := _DATE.search(ln)) and m.group(1) <= last.isoformat()
        ]
        target.write_text("\n".join(keep) + "\n")
        out.append(target)
    return [*out[: len(SUBSET)], dest / "index"]


def _import(settings: Settings, files: list[Path]) -> None:
    store, catalog = BarStore(settings.store_dir), Catalog(settings.catalog_path)
    assert import_paths(files, store, catalog, repair_ohlc=True).n_failed == 0


def test_retrain_no_new_data_then_one_new_session(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(home=tmp_path / "home")
    _import(settings, _truncated(shared_data, tmp_path / "v1", dt.date(2008, 12, 31)))
    base = RunConfig().with_overrides(
        universe=",".join(SUBSET), start=dt.date(2005, 1, 1), end=dt.date(2008, 12, 31)
    )
    dumped = base.model_dump()
    cfg = RunConfig.model_validate(
        dumped | {"n_jobs": 1} | {k: {**dumped[k], **v} for k, v in SMALL.items()}
    )
    champion = run_pipeline(cfg, settings, NullReporter())
    registry = Registry(settings.registry_path)
    approve_and_deploy(registry, champion.run_id)

    first = retrain(settings)  # the deployed run; nothing after 2008-12-31 is stored
    assert first.exit_code == EXIT_NO_NEW_DATA and first.challenger is None
    assert first.last_session == dt.date(2008, 12, 31)

    _import(settings, _truncated(shared_data, tmp_path / "v2", dt.date(2009, 1, 2)))
    second = retrain(settings)
    assert second.exit_code == EXIT_NEW_DATA and second.challenger is not None
    assert second.last_session == dt.date(2009, 1, 2)
    assert (second.reused, second.trained) == (48, 0)  # no window's inputs changed
    comp = second.comparison or {}
    assert comp["common_dates"] >= 30
    for key in ("sharpe_difference", "rank_ic_difference"):
        assert comp[key]["lower"] <= comp[key]["estimate"] <= comp[key]["upper"], comp[key]
    assert second.report is not None and second.report.is_file()
    saved = json.loads(second.report.read_text())
    assert saved["challenger"] == second.challenger and saved["exit_code"] == 0
    assert "challenger - champion" in (second.report.parent / "retrain.md").read_text()
    challenger = registry.get(second.challenger)
    assert challenger.state == "candidate"
    pre = json.loads((Path(challenger.run_dir) / "preflight.json").read_text())
    assert pd.Timestamp(pre["range_end"]).date() == dt.date(2009, 1, 2)

    # seven more months: a new window per symbol is trained, the others reused, and the
    # teachers are exactly what a fresh run of the same configuration trains
    _import(settings, _truncated(shared_data, tmp_path / "v3", dt.date(2009, 7, 31)))
    third = retrain(settings, from_run=second.challenger[:-2])  # a prefix
    assert third.exit_code == EXIT_NEW_DATA and third.challenger is not None
    assert third.reused == 48 and third.trained >= 6
    challenger = registry.get(third.challenger)
    fresh = run_pipeline(cfg.with_overrides(end=dt.date(2009, 7, 31)), settings, NullReporter())
    a = pd.read_parquet(Path(challenger.run_dir) / "models" / "teachers.parquet")
    b = pd.read_parquet(fresh.run_dir / "models" / "teachers.parquet")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(
        pd.read_parquet(Path(challenger.run_dir) / "soft_labels.parquet"),
        pd.read_parquet(fresh.run_dir / "soft_labels.parquet"),
    )

    monkeypatch.setenv("SENSEQUANT_HOME", str(settings.home))
    res = CliRunner().invoke(app, ["retrain", "--provider", "none", "--json"])
    assert res.exit_code == EXIT_NO_NEW_DATA, res.output  # covered by the challenger
    assert json.loads(res.stdout)["covered_until"] == "2009-07-31"
