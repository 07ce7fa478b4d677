"""Deployment: only approved, verified runs; one deployed run per (universe, interval); rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensequant.errors import RegistryError, TamperedError, UsageError
from sensequant.release.deploy import deploy, retire, rollback
from sensequant.release.registry import Registry
from sensequant.release.review import approve
from tests.release.fake_runs import as_user, clock, make_run


@pytest.fixture()
def reg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    registry = Registry(tmp_path / "registry.sqlite", clock=clock())
    runs = tmp_path / "runs"
    for rid, interval in (("r1", "1day"), ("r2", "1day"), ("r3", "1day"), ("h1", "1hour")):
        make_run(registry, runs, rid, interval=interval, producer="alice")
    as_user(monkeypatch, "bob")
    for rid in ("r1", "r2", "r3", "h1"):
        approve(registry, rid, display_name=None, note=None)
    return registry


def _deployed(reg: Registry) -> list[str]:
    return sorted(r.run_id for r in reg.list_runs(["deployed"]))


def test_one_deployed_run_per_universe_and_interval(reg: Registry) -> None:
    first = deploy(reg, "r1", display_name="Bob B")
    assert first.record.state == "deployed" and first.retired == ()
    second = deploy(reg, "r2", display_name=None, note="better")
    assert second.retired == ("r1",) and second.to_dict()["retired"] == ["r1"]
    deploy(reg, "h1", display_name=None)  # another interval: r2 stays deployed
    assert _deployed(reg) == ["h1", "r2"]
    assert reg.get("r1").state == "retired"
    retire_event = reg.events("r1")[-1]
    assert (retire_event.to_state, retire_event.note) == ("retired", "superseded by r2")
    assert reg.check_chain()[0] == []


def test_deploy_needs_an_approved_untampered_run(reg: Registry, tmp_path: Path) -> None:
    deploy(reg, "r1", display_name=None)
    with pytest.raises(RegistryError, match="only an approved run"):
        deploy(reg, "r1", display_name=None)
    manifest = tmp_path / "runs" / "r2" / "manifest.yaml"
    manifest.write_text(manifest.read_text() + "# re-signed\n")
    with pytest.raises(TamperedError, match="changed since the run's approval"):
        deploy(reg, "r2", display_name=None)
    (tmp_path / "runs" / "r3" / "models" / "student.txt").write_text("swapped")
    with pytest.raises(TamperedError, match=r"models/student\.txt"):
        deploy(reg, "r3", display_name=None)
    assert _deployed(reg) == ["r1"]


def test_rollback_restores_the_previous_run(reg: Registry) -> None:
    deploy(reg, "r1", display_name=None)
    deploy(reg, "r2", display_name=None)
    deploy(reg, "r3", display_name=None)
    deploy(reg, "h1", display_name=None)
    with pytest.raises(UsageError, match="nifty50 1day, nifty50 1hour"):
        rollback(reg)  # two deployment histories: say which
    back = rollback(reg, universe="nifty50", interval="1day")
    assert (back.record.run_id, back.retired) == ("r2", ("r3",))
    assert _deployed(reg) == ["h1", "r2"]
    assert rollback(reg, interval="1day").record.run_id == "r1"
    assert _deployed(reg) == ["h1", "r1"]
    with pytest.raises(RegistryError, match="no earlier deployment"):
        rollback(reg, interval="1day")
    assert [e.to_state for e in reg.events("r3")][-2:] == ["deployed", "retired"]
    assert reg.check_chain()[0] == []


def test_retire_then_rollback_redeploys(reg: Registry) -> None:
    deploy(reg, "h1", display_name=None)
    assert retire(reg, "h1", display_name=None, note="market closed").record.state == "retired"
    with pytest.raises(RegistryError, match="from retired to retired"):
        retire(reg, "h1", display_name=None)
    assert rollback(reg, interval="1hour").record.state == "deployed"
    reg.transition("r1", "deployed", actor="bob", note=None)
    reg.transition("r1", "retired", actor="bob", note=None)
    # outside a rollback, retired stays terminal
    with pytest.raises(RegistryError, match="cannot move from retired to deployed"):
        reg.transition("r1", "deployed", actor="bob", note=None)
