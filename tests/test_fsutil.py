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


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    import pytest

    from sensequant.fsutil import atomic_write, write_bytes_atomic

    path = tmp_path / "bars.parquet"
    write_bytes_atomic(path, b"old")

    def half_then_crash(handle: object) -> None:
        handle.write(b"half")  # type: ignore[attr-defined]
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="mid-write"):
        atomic_write(path, half_then_crash)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["bars.parquet"]


def test_unwritable_folder_is_a_store_error_naming_the_path(tmp_path: Path) -> None:
    import pytest

    from sensequant.errors import StoreError
    from sensequant.fsutil import write_bytes_atomic

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot write"):
        write_bytes_atomic(blocker / "sub" / "out.json", b"{}")
