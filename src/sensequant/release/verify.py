"""Verify a run's evidence against its manifest, and the registry against its hash chain.

A run directory is immutable evidence once registered: ``manifest.yaml`` lists the SHA-256 of
every artifact, and the registry keeps the SHA-256 of the manifest itself (at registration, and
again in the approval event). :func:`verify_run` re-hashes every listed file and reports a
missing directory or manifest, a changed manifest, a missing or altered artifact, and any file
the manifest does not list (except the telemetry log and ``analyses/``, where post-run analyses
such as ``sensequant stress`` write). Approve and deploy call it first and refuse on any problem.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from sensequant.fsutil import sha256_file
from sensequant.release.manifest import ANALYSES_DIR, MANIFEST_NAME, UNHASHED_NAMES
from sensequant.release.registry import Registry
from sensequant.release.registry_chain import ChainProblem
from sensequant.release.registry_records import Event, RunRecord

__all__ = ["RegistryCheck", "RunCheck", "approved_manifest", "verify_registry", "verify_run"]


@dataclass(frozen=True)
class RunCheck:
    """Outcome of :func:`verify_run`.

    Attributes
    ----------
    run_id, run_dir : str
    ok : bool
        True when no problem was found.
    manifest_sha256 : str or None
        SHA-256 of the manifest as found (None when missing).
    checked : int
        Number of artifacts re-hashed.
    problems : tuple of str
        One line per problem, naming the file.
    manifest : dict
        The parsed manifest (empty when missing or unreadable); not part of :meth:`to_dict`.
    """

    run_id: str
    run_dir: str
    ok: bool
    manifest_sha256: str | None
    checked: int
    problems: tuple[str, ...]
    manifest: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (``problems`` as a list, without the parsed manifest)."""
        out = asdict(self)
        out.pop("manifest")
        out["problems"] = list(self.problems)
        return out


def approved_manifest(events: list[Event]) -> str | None:
    """The manifest hash stored by the run's last approval (None: none stored)."""
    approvals = [e for e in events if e.to_state == "approved"]
    return approvals[-1].manifest_sha256 if approvals else None


def _read_manifest(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, f"{path}: cannot read the manifest ({type(exc).__name__})"
    if not isinstance(data, dict) or not isinstance(data.get("artifacts"), dict):
        return None, f"{path}: not a run manifest (no 'artifacts' mapping)"
    return data, None


def _artifact_problems(root: Path, artifacts: dict[str, Any]) -> list[str]:
    problems = []
    base = root.resolve()
    for rel, digest in artifacts.items():
        path = (root / rel).resolve()
        if PurePosixPath(rel).is_absolute() or not path.is_relative_to(base):
            problems.append(f"{rel}: manifest entry points outside the run directory")
        elif not path.is_file():
            problems.append(f"{rel}: listed in the manifest but missing")
        elif sha256_file(path) != digest:
            problems.append(f"{rel}: content differs from the manifest's sha256 (altered)")
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or path.name in UNHASHED_NAMES or rel in artifacts:
            continue
        if rel.split("/", 1)[0] != ANALYSES_DIR:
            problems.append(f"{rel}: not listed in the manifest (added after the run)")
    return problems


def verify_run(record: RunRecord, *, expected_manifest: str | None = None) -> RunCheck:
    """Check every artifact of a registered run against its manifest.

    Parameters
    ----------
    record : RunRecord
        The run (its ``run_dir`` and registered ``manifest_sha256``).
    expected_manifest : str, optional
        A manifest hash the run must still have (e.g. the one its approval stored).

    Returns
    -------
    RunCheck
        Never raises for a bad run: problems are listed (missing directory, missing or changed
        manifest, wrong run id, missing/altered/unlisted artifacts).
    """
    root = Path(record.run_dir)

    def done(problems: list[str], sha: str | None = None, n: int = 0, m: Any = None) -> RunCheck:
        return RunCheck(
            record.run_id, str(root), not problems, sha, n, tuple(problems), dict(m or {})
        )

    if not root.is_dir():
        return done([f"run directory {root} is missing (moved or deleted)"])
    path = root / MANIFEST_NAME
    if not path.is_file():
        return done([f"{MANIFEST_NAME}: missing from {root}"])
    sha = sha256_file(path)
    problems = []
    for label, want in (("registration", record.manifest_sha256), ("approval", expected_manifest)):
        if want is not None and want != sha:
            problems.append(f"{MANIFEST_NAME}: changed since the run's {label} (sha256 differs)")
    manifest, error = _read_manifest(path)
    if manifest is None:
        return done([*problems, str(error)], sha)
    if manifest.get("run_id") != record.run_id:
        problems.append(f"{MANIFEST_NAME}: belongs to run {manifest.get('run_id')!r}")
    artifacts = {str(k): v for k, v in manifest["artifacts"].items()}
    problems += _artifact_problems(root, artifacts)
    return done(problems, sha, len(artifacts), manifest)


@dataclass(frozen=True)
class RegistryCheck:
    """Outcome of :func:`verify_registry`: ``ok``, the event count, the head hash, problems."""

    ok: bool
    events: int
    head: str
    problems: tuple[ChainProblem, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "ok": self.ok,
            "events": self.events,
            "head": self.head,
            "problems": [asdict(p) for p in self.problems],
        }


def verify_registry(registry: Registry) -> RegistryCheck:
    """Recompute the registry's event hash chain and check each run's state against it."""
    problems, n, head = registry.check_chain()
    return RegistryCheck(not problems, n, head, tuple(problems))
