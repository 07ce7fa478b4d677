"""Run manifest: versions, git revision, secret scrubbing, atomic writes."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from sensequant.errors import StoreError
from sensequant.fsutil import (
    REDACTED,
    scrub_secrets,
    sha256_file,
    write_json_atomic,
    write_text_atomic,
    write_yaml_atomic,
)
from sensequant.release import manifest as manifest_mod
from sensequant.release.manifest import build_manifest, git_revision, package_versions
from sensequant.settings import RunConfig

SECRET = "s3cr3t-breeze-value-9137"
REQUIRED = (
    "python",
    "sensequant",
    "numpy",
    "pandas",
    "pyarrow",
    "lightgbm",
    "TA-Lib",
    "arch",
    "scikit-learn",
    "exchange_calendars",
    "pydantic",
)


def _manifest(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return build_manifest(
        run_id="20240607-101500-abc123",
        created_at="2024-06-07T10:15:00+05:30",
        config=RunConfig(name="unit"),
        data_fingerprints=[
            {
                "symbol": "RELIANCE",
                "interval": "1day",
                "first": "2002-07-01",
                "last": "2024-09-06",
                "bars": 5470,
                "sha256": "ab" * 32,
            }
        ],
        feature_set_hash="feat0123",
        seeds={"global": 20240607, "bootstrap": 7},
        artifacts={"promotion_briefing.json": "cd" * 32, "equity_drawdown.png": "ef" * 32},
        extra=extra,
    )


def test_package_versions_present() -> None:
    versions = package_versions()
    for name in REQUIRED:
        assert versions[name], name
    assert versions["python"] == platform.python_version()
    assert versions["numpy"] == np.__version__
    assert versions["TA-Lib"] != "not installed"


def test_missing_package_reads_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.metadata.version

    def fake(name: str) -> str:
        if name == "arch":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(manifest_mod.importlib.metadata, "version", fake)
    versions = package_versions()
    assert versions["arch"] == "not installed"
    assert versions["numpy"] == np.__version__


def test_git_revision_outside_a_repo_is_unknown(tmp_path: Path) -> None:
    rev = git_revision(tmp_path)
    assert rev["commit"] == "unknown"
    if shutil.which("git") is None:
        assert rev["dirty"] is None


def test_git_revision_without_git_never_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert git_revision(tmp_path) == {"commit": "unknown", "dirty": None}


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_revision_reads_commit_and_dirty(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q")
    (tmp_path / "a.txt").write_text("1")
    git("add", "a.txt")
    git("commit", "-q", "-m", "one")
    sha = git("rev-parse", "HEAD")
    assert git_revision(tmp_path / "a.txt") == {"commit": sha, "dirty": False}
    (tmp_path / "a.txt").write_text("2")
    assert git_revision(tmp_path) == {"commit": sha, "dirty": True}


def test_build_manifest_contents() -> None:
    m = _manifest(extra={"calendar_end": "2025-12-31"})
    cfg = RunConfig(name="unit")
    assert m["run_id"] == "20240607-101500-abc123"
    assert m["config_name"] == "unit"
    assert m["config_fingerprint"] == cfg.fingerprint()
    assert m["config"] == cfg.model_dump(mode="json")
    assert m["data"] == [
        {
            "symbol": "RELIANCE",
            "interval": "1day",
            "first": "2002-07-01",
            "last": "2024-09-06",
            "bars": 5470,
            "sha256": "ab" * 32,
        }
    ]
    assert m["feature_set_hash"] == "feat0123"
    assert m["seeds"] == {"global": 20240607, "bootstrap": 7}
    assert list(m["artifacts"]) == ["equity_drawdown.png", "promotion_briefing.json"]
    assert set(REQUIRED) <= set(m["packages"])
    assert set(m["git"]) == {"commit", "dirty"}
    assert m["extra"] == {"calendar_end": "2025-12-31"}


def test_secrets_are_scrubbed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SENSEQUANT_BREEZE_API_SECRET", SECRET)
    extra = {
        "session_token": "tok-123",
        "broker": {"API_KEY": "k-1", "Password": "pw", "name": "breeze"},
        "echo": SECRET,
        "url": f"https://api.example/login?secret={SECRET}",
        "accounts": [{"client-secret": "cs-9f3x"}, {"label": "fine"}],
    }
    m = _manifest(extra=extra)
    path = tmp_path / "manifest.yaml"
    write_yaml_atomic(path, m)
    text = path.read_text()
    for leaked in (SECRET, "tok-123", "k-1", "pw", "cs-9f3x"):
        assert leaked not in text.replace(REDACTED, ""), leaked
    loaded = yaml.safe_load(text)
    assert loaded["extra"]["session_token"] == REDACTED
    assert loaded["extra"]["broker"] == {
        "API_KEY": REDACTED,
        "Password": REDACTED,
        "name": "breeze",
    }
    assert loaded["extra"]["echo"] == REDACTED
    assert loaded["extra"]["url"] == f"https://api.example/login?secret={REDACTED}"
    assert loaded["extra"]["accounts"] == [{"client-secret": REDACTED}, {"label": "fine"}]
    assert loaded == m  # YAML round trip


def test_scrub_does_not_touch_ordinary_values() -> None:
    data = {"symbol": "RELIANCE", "bars": 10, "nested": [1, "x"]}
    assert scrub_secrets(data, environ={"HOME": "/root"}) == data


def test_atomic_text_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "briefing.md"
    write_text_atomic(target, "first")
    write_text_atomic(target, "second ₹")
    assert target.read_text(encoding="utf-8") == "second ₹"
    assert sorted(p.name for p in target.parent.iterdir()) == ["briefing.md"]


def test_failed_atomic_write_keeps_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "manifest.yaml"
    write_yaml_atomic(target, {"a": 1})

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StoreError, match=r"manifest\.yaml"):
        write_yaml_atomic(target, {"a": 2})
    assert yaml.safe_load(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.yaml"]


def test_json_write_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    write_json_atomic(path, {"nan": float("nan"), "inf": np.float64("inf"), "n": np.int64(3)})
    assert json.loads(path.read_text()) == {"nan": None, "inf": None, "n": 3}


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    payload = np.random.default_rng(3).bytes(3 << 20)
    path.write_bytes(payload)
    assert sha256_file(path) == hashlib.sha256(payload).hexdigest()
    with pytest.raises(StoreError, match="missing"):
        sha256_file(tmp_path / "missing")
