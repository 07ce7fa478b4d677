"""File-system helpers shared by every layer that writes atomically.

One mechanism, :func:`atomic_write`: write a temp file in the destination's folder, fsync it,
rename it over the destination (atomic on POSIX), fsync the folder. A crash leaves either the
old file or the new one, never a torn one; a killed writer can leave a ``.<name>.*.tmp`` file
next to it, which :meth:`sensequant.data.store.BarStore.lock` sweeps away for the store.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sensequant.errors import StoreError

__all__ = ["atomic_write", "fsync_dir", "make_default_mode", "write_bytes_atomic"]


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
