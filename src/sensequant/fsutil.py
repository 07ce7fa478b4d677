"""File-system helpers shared by every layer that writes atomically."""

from __future__ import annotations

import os


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
