"""Run manifest (``manifest.yaml``) of the release bundle.

The manifest records everything needed to reproduce a run: the effective configuration, a
fingerprint of every input bar file, the feature-set hash, seeds, package versions, the git
revision of the code and the SHA-256 of every artifact. It never contains secrets: keys whose
name looks secret are redacted, and so is any value equal to a secret environment variable
(:func:`sensequant.fsutil.scrub_secrets`). The atomic writers, :func:`~sensequant.fsutil.to_plain`
and :func:`~sensequant.fsutil.sha256_file` live in :mod:`sensequant.fsutil`.
"""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from pathlib import Path
from typing import Any, Final

from sensequant.fsutil import scrub_secrets, to_plain
from sensequant.settings import RunConfig

MANIFEST_SCHEMA_VERSION: Final = 1
MANIFEST_NAME: Final = "manifest.yaml"
"""The manifest's file name in a run directory."""
TELEMETRY_NAME: Final = "telemetry.jsonl"
UNHASHED_NAMES: Final = frozenset({TELEMETRY_NAME, MANIFEST_NAME})
"""Files the manifest does not hash (still being written when the manifest is built)."""
ANALYSES_DIR: Final = "analyses"
"""Folder of a run directory for analyses made after the run (``sensequant stress``): never
hashed by the manifest and never checked by ``sensequant verify``; the run's own files are
never rewritten."""

_PACKAGES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("sensequant", ("sensequant",)),
    ("numpy", ("numpy",)),
    ("pandas", ("pandas",)),
    ("pyarrow", ("pyarrow",)),
    ("scipy", ("scipy",)),
    ("lightgbm", ("lightgbm",)),
    ("TA-Lib", ("TA-Lib", "ta-lib", "talib")),
    ("arch", ("arch",)),
    ("scikit-learn", ("scikit-learn",)),
    ("exchange_calendars", ("exchange_calendars", "exchange-calendars")),
    ("pydantic", ("pydantic",)),
    ("matplotlib", ("matplotlib",)),
)
_GIT_TIMEOUT_S: Final = 5.0


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a run's results depend on.

    Returns
    -------
    dict of str to str
        ``python`` plus sensequant, numpy, pandas, pyarrow, scipy, lightgbm, TA-Lib, arch,
        scikit-learn, exchange_calendars, pydantic and matplotlib; ``"not installed"`` for a
        package that is missing. Read with :mod:`importlib.metadata`, nothing is imported.
    """
    versions = {"python": platform.python_version()}
    for label, dist_names in _PACKAGES:
        versions[label] = "not installed"
        for dist in dist_names:
            try:
                versions[label] = importlib.metadata.version(dist)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    return versions


def git_revision(start: Path) -> dict[str, Any]:
    """Git commit and working-tree state of the repository containing ``start``.

    Parameters
    ----------
    start : pathlib.Path
        A file or folder inside the repository (e.g. the sensequant package directory).

    Returns
    -------
    dict
        ``{"commit": sha or "unknown", "dirty": bool or None}``. ``dirty`` is None when git
        cannot tell (no git, not a repository, timeout). Never raises: a missing git must not
        fail a run.
    """
    folder = start if start.is_dir() else start.parent
    commit = _git(folder, "rev-parse", "HEAD")
    status = _git(folder, "status", "--porcelain")
    return {
        "commit": commit.strip() if commit and commit.strip() else "unknown",
        "dirty": None if status is None else bool(status.strip()),
    }


def _git(folder: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def build_manifest(
    *,
    run_id: str,
    created_at: str,
    config: RunConfig,
    data_fingerprints: list[dict[str, Any]],
    feature_set_hash: str,
    seeds: dict[str, int],
    artifacts: dict[str, str],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the run manifest as plain, YAML/JSON-safe data with secrets removed.

    Parameters
    ----------
    run_id : str
        Run identifier (the run directory name).
    created_at : str
        Run start time, ISO 8601 in IST.
    config : RunConfig
        The effective run configuration (stored in full, with its fingerprint).
    data_fingerprints : list of dict
        One entry per (symbol, interval) used: ``symbol, interval, first, last, bars, sha256``.
    feature_set_hash : str
        Hash of the feature-set definition the models were trained on.
    seeds : dict of str to int
        Every random seed used (global, bootstrap, models ...).
    artifacts : dict of str to str
        Run-directory relative path -> SHA-256 hex digest of that file.
    extra : dict, optional
        Anything else to record (e.g. the trading-calendar end date). Secret-looking keys are
        redacted like everywhere else.

    Returns
    -------
    dict
        Keys ``schema_version, run_id, created_at, config_name, config_fingerprint, config,
        data, feature_set_hash, seeds, packages, git, artifacts, extra``. Dates become ISO
        strings, NaN becomes None, and :func:`scrub_secrets` has been applied.
    """
    manifest: dict[str, Any] = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "run_id": run_id,
        "created_at": created_at,
        "config_name": config.name,
        "config_fingerprint": config.fingerprint(),
        "config": config.model_dump(mode="json"),
        "data": [dict(fp) for fp in data_fingerprints],
        "feature_set_hash": feature_set_hash,
        "seeds": dict(seeds),
        "packages": package_versions(),
        "git": git_revision(Path(__file__).resolve().parent),
        "artifacts": dict(sorted(artifacts.items())),
        "extra": dict(extra) if extra else {},
    }
    return scrub_secrets(to_plain(manifest))
