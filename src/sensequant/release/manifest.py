"""Run manifest (``manifest.yaml``) and atomic file writes for the release bundle.

The manifest records everything needed to reproduce a run: the effective configuration, a
fingerprint of every input bar file, the feature-set hash, seeds, package versions, the git
revision of the code and the SHA-256 of every artifact. It never contains secrets: keys whose
name looks secret are redacted, and so is any value equal to a secret environment variable.

Every writer here is atomic: it writes a temporary file in the destination folder, flushes and
fsyncs it, then renames it over the target with :func:`os.replace`, so a crash leaves either the
old file or the new one, never a torn file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml
from pydantic import BaseModel, SecretBytes, SecretStr

from sensequant.errors import StoreError
from sensequant.fsutil import write_bytes_atomic
from sensequant.settings import RunConfig

MANIFEST_SCHEMA_VERSION: Final = 1
REDACTED: Final = "***redacted***"
SECRET_KEY_PATTERNS: Final[tuple[str, ...]] = (
    "secret",
    "token",
    "password",
    "passwd",
    "api_key",
    "apikey",
)
"""Lower-case substrings that mark a mapping key or environment variable as secret."""

_MIN_EMBEDDED_SECRET_LEN: Final = 8
"""Secrets at least this long are also redacted where they appear INSIDE a longer string."""

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


def _is_secret_name(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return any(pattern in lowered for pattern in SECRET_KEY_PATTERNS)


def secret_env_values(environ: Mapping[str, str] | None = None) -> set[str]:
    """Values of environment variables whose NAME looks secret (see ``SECRET_KEY_PATTERNS``).

    Parameters
    ----------
    environ : mapping, optional
        Defaults to :data:`os.environ`.

    Returns
    -------
    set of str
        Non-empty values, e.g. that of ``SENSEQUANT_BREEZE_API_SECRET``.
    """
    env = os.environ if environ is None else environ
    return {value for name, value in env.items() if value and _is_secret_name(name)}


def scrub_secrets(data: Any, *, environ: Mapping[str, str] | None = None) -> Any:
    """Return a copy of ``data`` with secrets replaced by ``REDACTED``.

    Recursively (dicts, lists, tuples): the value of every key whose name contains ``secret``,
    ``token``, ``password``, ``passwd``, ``api_key`` or ``apikey`` (case-insensitive, ``-`` read
    as ``_``) is redacted; so is every string equal to the value of a secret-named environment
    variable, and such a value (8+ characters) embedded in a longer string. Pydantic
    ``SecretStr``/``SecretBytes`` values are always redacted.

    Parameters
    ----------
    data : Any
        Plain data (see :func:`to_plain`).
    environ : mapping, optional
        Environment to read secret values from; defaults to :data:`os.environ`.

    Returns
    -------
    Any
        The scrubbed copy; ``data`` itself is not modified.
    """
    secrets = secret_env_values(environ)
    return _scrub(data, secrets)


def _scrub(value: Any, secrets: set[str]) -> Any:
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _is_secret_name(str(key)) else _scrub(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if isinstance(value, str):
        if value in secrets:
            return REDACTED
        for secret in secrets:
            if len(secret) >= _MIN_EMBEDDED_SECRET_LEN and secret in value:
                value = value.replace(secret, REDACTED)
        return value
    return value


def to_plain(value: Any) -> Any:
    """Convert ``value`` to YAML/JSON-safe builtins.

    Mappings get ``str`` keys; tuples/sets/arrays become lists; numpy scalars become Python
    scalars; non-finite floats become None (JSON has no NaN); dates and datetimes become ISO
    strings; paths become POSIX strings; pydantic models are dumped in JSON mode; dataclass-like
    objects with ``__dataclass_fields__`` become dicts; secrets are redacted; anything else
    becomes ``str(value)``.

    Parameters
    ----------
    value : Any

    Returns
    -------
    Any
    """
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [to_plain(item) for item in items]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, BaseModel):
        return to_plain(value.model_dump(mode="json"))
    if hasattr(value, "__dataclass_fields__"):
        return {name: to_plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return str(value)


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_yaml_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as block-style YAML (key order kept) atomically.

    ``data`` is passed through :func:`to_plain` first, so dates and numpy scalars are fine.
    """
    text = yaml.safe_dump(to_plain(data), sort_keys=False, allow_unicode=True)
    write_text_atomic(path, text)


def write_json_atomic(path: Path, data: Any, *, indent: int = 2) -> None:
    """Write ``data`` as strict JSON (NaN/inf become null) atomically.

    ``data`` is passed through :func:`to_plain` first; the file ends with a newline.
    """
    text = json.dumps(to_plain(data), indent=indent, ensure_ascii=False, allow_nan=False)
    write_text_atomic(path, text + "\n")


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB chunks.

    Raises
    ------
    StoreError
        If the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise StoreError(f"cannot read {path} to hash it: {exc}") from exc
    return digest.hexdigest()
