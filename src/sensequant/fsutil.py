"""File-system and serialisation helpers shared by every layer (foundation layer).

Atomic writes use one mechanism, :func:`atomic_write`: write a temp file in the destination's
folder, fsync it, rename it over the destination (atomic on POSIX), fsync the folder. A crash
leaves either the old file or the new one, never a torn one; a killed writer can leave a
``.<name>.*.tmp`` file next to it, which :meth:`sensequant.data.store.BarStore.lock` sweeps
away for the store. Text, YAML, JSON and Parquet writers build on it.

Data written as YAML/JSON (manifest, telemetry, briefing, registry) goes through ONE
conversion, :func:`to_plain`; anything that may carry credentials (the manifest, error texts
in telemetry and in the registry) goes through :func:`scrub_secrets`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import numpy as np
import yaml
from pydantic import BaseModel, SecretBytes, SecretStr

from sensequant.errors import StoreError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "REDACTED",
    "SECRET_KEY_PATTERNS",
    "atomic_write",
    "fsync_dir",
    "make_default_mode",
    "scrub_secrets",
    "secret_env_values",
    "sha256_file",
    "to_plain",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_parquet_atomic",
    "write_text_atomic",
    "write_yaml_atomic",
]

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


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_default_mode(fd: int) -> None:
    """Give a ``tempfile.mkstemp`` file the mode a plain ``open(..., "w")`` would have.

    ``mkstemp`` creates files readable by the owner only (0600); after the atomic rename
    the artifact (store file, model, report) would stay private, which surprises users who
    share a run directory or a store. Applies ``0o666 & ~umask``.
    """
    os.fchmod(fd, 0o666 & ~_current_umask())


def fsync_dir(folder: Path) -> None:
    """Persist a rename in ``folder`` (best effort: not every platform can fsync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(
    path: Path, write: Callable[[BinaryIO], object], *, hint: str | None = None
) -> None:
    """Create or replace ``path`` atomically with what ``write`` writes to a binary handle.

    Parameters
    ----------
    path : pathlib.Path
        Destination; its parent folder is created if needed.
    write : callable
        Called once with the open temp file (binary); e.g. ``lambda h: h.write(data)`` or
        ``lambda h: pyarrow.parquet.write_table(table, h)``.
    hint : str, optional
        Fix shown when the write fails (default: disk space and permissions).

    Raises
    ------
    StoreError
        If the folder or file cannot be written (the temp file is removed; ``path`` keeps
        its previous content). Other exceptions from ``write`` propagate unchanged, also
        after removing the temp file.
    """
    hint = hint or "check free disk space and folder permissions"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc}", hint=hint) from exc
    make_default_mode(fd)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)  # os.replace: atomic on POSIX and Windows
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {exc}", hint=hint) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_bytes_atomic(path: Path, payload: bytes, *, hint: str | None = None) -> None:
    """Write ``payload`` to ``path`` atomically (see :func:`atomic_write`).

    Raises
    ------
    StoreError
        If the folder or file cannot be written.
    """
    atomic_write(path, lambda handle: handle.write(payload), hint=hint)


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`write_bytes_atomic`).

    Raises
    ------
    StoreError
        If the folder or file cannot be written.
    """
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


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` as zstd-compressed Parquet without its index, atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any frame pandas can write with pyarrow; the index is dropped.
    path : pathlib.Path
        Destination; its parent folder is created if needed.

    Raises
    ------
    StoreError
        If the folder or file cannot be written (see :func:`atomic_write`).
    """
    atomic_write(path, lambda handle: frame.to_parquet(handle, compression="zstd", index=False))


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
