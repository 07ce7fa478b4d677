"""Review service: identity, four-eyes, evidence verification before approval, run-id prefixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensequant.errors import (
    RegistryError,
    ReviewRefusedError,
    TamperedError,
    UnknownRunError,
    UsageError,
)
from sensequant.fsutil import sha256_file
from sensequant.identity import current_actor, validate_display_name
from sensequant.release.registry import Registry
from sensequant.release.review import approve, reject
from sensequant.release.verify import verify_run
from tests.release.fake_runs import as_user, clock, make_run


@pytest.fixture()
def reg(tmp_path: Path) -> Registry:
    return Registry(tmp_path / "registry.sqlite", clock=clock())


@pytest.mark.parametrize(
    "name",
    ["[/]", "[bold]x", "\x1b[31mred", "a\nb", "x" * 65, "Root", " sensequant ", "<b>hi</b>"],
)
def test_bad_display_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError) as err:
        validate_display_name(name)
    assert err.value.exit_code == 2


def test_good_display_names_and_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    assert validate_display_name("  A. Reviewer-Iyer ") == "A. Reviewer-Iyer"
    assert validate_display_name("Zoë O'Brien") == "Zoë O'Brien"
    assert validate_display_name(None) is None and validate_display_name(" ") is None
    as_user(monkeypatch, "bob")
    assert current_actor("Bob B").label() == "bob (Bob B)"
    as_user(monkeypatch, "sensequant")
    with pytest.raises(UsageError, match="pipeline's own identity"):
        current_actor(None)


def test_producer_cannot_approve_but_another_user_can(
    reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = make_run(reg, tmp_path / "runs", "r1", producer="alice")
    assert reg.get("r1").producer == "alice"
    as_user(monkeypatch, "alice")
    with pytest.raises(ReviewRefusedError, match="four-eyes") as err:
        approve(reg, "r1", display_name="Alice", note=None)
    assert err.value.exit_code == 1
    assert reg.get("r1").state == "candidate" and len(reg.events("r1")) == 1

    as_user(monkeypatch, "bob")
    outcome = approve(reg, "r1", display_name="Bob B", note="looks fine")
    assert outcome.record.state == "approved"
    last = reg.events("r1")[-1]
    assert (last.actor, last.display_name, last.note) == ("bob", "Bob B", "looks fine")
    assert last.manifest_sha256 == sha256_file(run_dir / "manifest.yaml")
    assert outcome.to_dict()["manifest_sha256"] == last.manifest_sha256


def test_four_eyes_off_and_unknown_producer(
    reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, "alice")
    make_run(reg, tmp_path / "runs", "solo", producer="alice", require_second_person=False)
    make_run(reg, tmp_path / "runs", "legacy", producer=None)
    assert approve(reg, "solo", display_name=None, note=None).record.state == "approved"
    # producer defaults to the OS user registering the run
    assert reg.get("legacy").producer == "alice"
    with reg.atomic() as txn:  # a run registered before producers were recorded
        txn.conn.execute("UPDATE runs SET producer = NULL WHERE run_id = 'legacy'")
    as_user(monkeypatch, "bob")
    with pytest.raises(ReviewRefusedError, match="before producers were recorded"):
        approve(reg, "legacy", display_name=None, note=None)


def test_bad_name_commits_nothing(
    reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_run(reg, tmp_path / "runs", "r1")
    as_user(monkeypatch, "bob")
    with pytest.raises(UsageError):
        approve(reg, "r1", display_name="[/]", note=None)
    assert reg.get("r1").state == "candidate"


def test_tampered_model_file_is_detected_and_refused(
    reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = make_run(reg, tmp_path / "runs", "r1")
    assert verify_run(reg.get("r1")).ok
    assert verify_run(reg.get("r1")).checked == 3
    (run_dir / "models" / "student.txt").write_text("a different model\n")
    check = verify_run(reg.get("r1"))
    assert not check.ok and any("models/student.txt" in p for p in check.problems)
    as_user(monkeypatch, "bob")
    with pytest.raises(TamperedError, match=r"models/student\.txt") as err:
        approve(reg, "r1", display_name=None, note=None)
    assert err.value.exit_code == 1 and reg.get("r1").state == "candidate"


def test_verify_problems(reg: Registry, tmp_path: Path) -> None:
    run_dir = make_run(reg, tmp_path / "runs", "r1")
    (run_dir / "analyses" / "x-stress").mkdir(parents=True)
    (run_dir / "analyses" / "x-stress" / "stress.json").write_text("{}")
    (run_dir / "telemetry.jsonl").write_text("more\n")
    assert verify_run(reg.get("r1")).ok  # analyses and the telemetry log are not evidence
    (run_dir / "models" / "extra.txt").write_text("x")
    (run_dir / "config.yaml").unlink()
    problems = verify_run(reg.get("r1")).problems
    assert any("models/extra.txt: not listed" in p for p in problems)
    assert any("config.yaml: listed in the manifest but missing" in p for p in problems)
    manifest = run_dir / "manifest.yaml"
    manifest.write_text(manifest.read_text() + "# edited\n")
    assert any(
        "changed since the run's registration" in p for p in verify_run(reg.get("r1")).problems
    )
    run_dir.rename(tmp_path / "elsewhere")
    (problem,) = verify_run(reg.get("r1")).problems
    assert "is missing (moved or deleted)" in problem


def test_moved_away_run_cannot_be_approved(
    reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = make_run(reg, tmp_path / "runs", "r1")
    run_dir.rename(tmp_path / "moved")
    as_user(monkeypatch, "bob")
    with pytest.raises(TamperedError, match="moved or deleted"):
        approve(reg, "r1", display_name=None, note=None)


def test_run_id_prefixes(reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_run(reg, tmp_path / "runs", "20240601-aaa")
    make_run(reg, tmp_path / "runs", "20240601-abb")
    assert reg.resolve("20240601-aa") == "20240601-aaa"
    assert reg.resolve("20240601-abb") == "20240601-abb"
    with pytest.raises(UnknownRunError, match=r"ambiguous.*20240601-aaa, 20240601-abb") as err:
        reg.resolve("20240601-a")
    assert err.value.exit_code == 2
    with pytest.raises(UnknownRunError, match="unknown run"):
        reg.resolve("zzz")
    with pytest.raises(UnknownRunError):
        reg.resolve("")
    as_user(monkeypatch, "bob")
    assert reject(reg, "20240601-ab", display_name=None, note="no").record.state == "rejected"
    with pytest.raises(RegistryError, match="from rejected to approved"):
        approve(reg, "20240601-ab", display_name=None, note=None)


def test_os_user_without_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    def no_name() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr("getpass.getuser", no_name)
    assert current_actor(None).os_user == f"uid-{os.getuid()}"
