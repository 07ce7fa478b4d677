"""Daily signals on a real run (6 NIFTY 50 stocks): approved by another OS user, deployed,
then ``sensequant signals``; stale data and a changed feature set are refused, and a signal on
a past date equals the backtest's target weights for that date (point in time)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.data.store import BarStore
from sensequant.errors import DataError, ModelError
from sensequant.evaluation.sizing import portfolio_weights
from sensequant.pipeline.signals import compute_signals
from sensequant.release.deploy import deploy
from sensequant.release.registry import Registry
from sensequant.release.review import approve
from tests.pipeline.conftest import run_real_subset

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

SMALL = {
    "windows": {"step_days": 180},
    "teacher": {"num_boost_round": 20},
    "student": {
        "min_train_days": 540,
        "test_period_days": 180,
        "num_boost_round": 30,
        "train_lookback_days": 730,
    },
    "backtest": {"trials": []},
    "stats": {"bootstrap_reps": 200},
    "stress": {"enabled": False},
    "portfolio": {"top_k": 2, "hold_buffer": 1, "rebalance_every": 5},
}
"""A small, fast run (the code paths are those of a full run)."""


def approve_and_deploy(registry: Registry, run_id: str) -> None:
    """Approve as another OS user than the producer (four-eyes), then deploy."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("getpass.getuser", lambda: "reviewer-bob")
        approve(registry, run_id, display_name=None, note="signals test", override=True)
        deploy(registry, run_id, display_name=None)


@pytest.fixture(scope="module")
def deployed(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    home = tmp_path_factory.mktemp("home")
    settings, cfg, result, _ = run_real_subset(
        shared_data, home, start=dt.date(2005, 1, 1), end=dt.date(2008, 12, 31), **SMALL
    )
    registry = Registry(settings.registry_path)
    approve_and_deploy(registry, result.run_id)
    return settings, cfg, result


def test_deployed_json_gives_weights_for_the_next_session(
    deployed: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, cfg, result = deployed
    monkeypatch.setenv("SENSEQUANT_HOME", str(settings.home))
    res = CliRunner().invoke(app, ["signals", "--deployed", "--json", "--max-age-days", "100000"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    last = BarStore(settings.store_dir).read("INFY", "1day")["timestamp"].iloc[-1]
    assert got["as_of"] == str(last.date())  # the last stored bar ...
    assert dt.date.fromisoformat(got["for_session"]) > last.date()  # ... weights for the next
    assert got["run_id"] == result.run_id and got["model"] == "release"
    assert got["places_orders"] is False and len(got["data_fingerprint"]) == 64
    weights = [r["target_weight"] for r in got["signals"]]
    assert len(weights) == 6 and sum(weights) <= 1 + 1e-9 and min(weights) >= 0
    held = [w for w in weights if w > 0]
    assert held and all(abs(w - 1 / cfg.portfolio.top_k) < 1e-12 for w in held)
    assert [r["rank"] for r in got["signals"]] == [1, 2, 3, 4, 5, 6]
    out = settings.home / "signals.csv"
    res = CliRunner().invoke(
        app, ["signals", "--run", result.run_id[:10], "--out", str(out), "--max-age-days", "100000"]
    )
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(out)
    assert list(csv["target_weight"]) == weights and set(csv["run_id"]) == {result.run_id}


def test_stale_data_refused(deployed: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _, result = deployed
    store = BarStore(settings.store_dir)
    last = store.read("INFY", "1day")["timestamp"].iloc[-1].date()
    with pytest.raises(DataError, match=r"stale data .*INFY \(last bar"):
        compute_signals(result.run_id, result.run_dir, store, date=last + dt.timedelta(days=30))
    monkeypatch.setenv("SENSEQUANT_HOME", str(settings.home))
    res = CliRunner().invoke(app, ["signals", "--deployed"])  # today: years after the data
    assert res.exit_code == 1 and "stale data" in res.output


def test_feature_set_mismatch_refused(deployed: tuple, tmp_path: Path) -> None:
    settings, _, result = deployed
    copy = tmp_path / "run"
    shutil.copytree(result.run_dir, copy)
    meta_path = copy / "models" / "student.json"
    meta = json.loads(meta_path.read_text())
    meta["feature_set_hash"] = "0123456789abcdef"  # trained on another feature set
    meta_path.write_text(json.dumps(meta))
    store = BarStore(settings.store_dir)
    with pytest.raises(ModelError, match="feature-set hash 0123456789abcdef differs"):
        compute_signals("copy", copy, store, date=dt.date(2009, 6, 30))


def test_signal_on_a_past_date_equals_the_backtest_weights(deployed: tuple) -> None:
    settings, cfg, result = deployed
    oos = pd.read_parquet(result.run_dir / "predictions" / "student_oos.parquet")
    backtest = portfolio_weights(oos, cfg.portfolio)  # what the run's backtest held
    store = BarStore(settings.store_dir)
    dates = sorted(oos["timestamp"].unique())
    held = set()
    hold = dates[dates.index(backtest.index[-5]) + 2]  # two sessions after a decision
    for d in (dates[len(dates) // 3], hold, dates[-1]):
        sig = compute_signals(result.run_id, result.run_dir, store, date=d.date())
        assert sig.model.startswith("walk-forward period")  # never the release model
        assert sig.as_of == d.date()
        decided = backtest.index[backtest.index <= d][-1]
        assert sig.decided_on == decided.date()
        assert (d != hold) or (sig.decided_on < sig.as_of and "held" in sig.notes[-1])
        want = backtest.loc[decided]
        got = sig.rows.set_index("symbol")["target_weight"]
        pd.testing.assert_series_equal(got.reindex(want.index), want, check_names=False, atol=1e-12)
        score = oos.loc[oos["timestamp"] == d].set_index("symbol")["score"]
        assert (sig.rows.set_index("symbol")["score"] - score).abs().max() < 1e-9
        held.add(tuple(got[got > 0].sort_index().index))
        assert (got > 0).sum() == cfg.portfolio.top_k  # top k of the universe: the ranking
    assert len(held) > 1  # the book changed between the dates


def test_stress_replay_on_dask_matches_joblib(deployed: tuple, tmp_path: Path) -> None:
    """(Shares this module's run.) The stress periods replayed on a Dask cluster give the
    in-process report."""
    from dask.distributed import LocalCluster

    from sensequant.pipeline.stress_phase import run_stress

    settings, cfg, result = deployed
    store = BarStore(settings.store_dir)
    local = run_stress(result.run_dir, store, out_dir=tmp_path / "joblib")
    copy = tmp_path / "run"
    shutil.copytree(result.run_dir, copy)
    with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
        on_dask = cfg.with_executor(cluster.scheduler_address)
        (copy / "config.yaml").write_text(on_dask.to_yaml())
        remote = run_stress(copy, store, out_dir=tmp_path / "dask")
    assert json.dumps(remote.to_dict(), default=str) == json.dumps(local.to_dict(), default=str)
    assert len(local.periods) >= 1
