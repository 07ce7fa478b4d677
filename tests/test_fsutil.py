"""Atomically written artifacts get the usual file mode, not mkstemp's private 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sensequant.release.manifest import write_text_atomic


def test_atomic_write_uses_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "report.html"
        write_text_atomic(path, "<html></html>")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    finally:
        os.umask(old)
