"""Atomically written artifacts get the usual file mode, not mkstemp's private 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sensequant.fsutil import write_text_atomic


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


def test_parquet_atomic_writes_the_same_bytes_as_pandas(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    from sensequant.fsutil import write_parquet_atomic

    frame = pd.DataFrame({"a": np.arange(5.0), "b": list("vwxyz")}, index=[9, 8, 7, 6, 5])
    direct = tmp_path / "direct.parquet"
    frame.to_parquet(direct, compression="zstd", index=False)
    path = tmp_path / "sub" / "frame.parquet"
    write_parquet_atomic(frame, path)
    assert path.read_bytes() == direct.read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(path), frame.reset_index(drop=True))
    assert sorted(p.name for p in path.parent.iterdir()) == ["frame.parquet"]  # no temp file


def test_to_plain_is_json_safe() -> None:
    import datetime as dt
    import json

    import numpy as np
    from pydantic import SecretStr

    from sensequant.fsutil import REDACTED, to_plain

    plain = to_plain(
        {
            1: np.float64("nan"),
            "n": np.int64(3),
            "when": dt.date(2024, 1, 2),
            "p": Path("a/b"),
            "s": {"y", "x"},
            "t": (np.bool_(True), float("inf")),
            "k": SecretStr("hidden"),
        }
    )
    assert plain == {
        "1": None,
        "n": 3,
        "when": "2024-01-02",
        "p": "a/b",
        "s": ["x", "y"],
        "t": [True, None],
        "k": REDACTED,
    }
    json.dumps(plain, allow_nan=False)


def test_scrub_secrets_hides_secret_keys_and_env_values() -> None:
    from sensequant.fsutil import REDACTED, scrub_secrets

    env = {"SENSEQUANT_BREEZE_API_SECRET": "abcdefgh1234", "HOME": "/home/x"}
    text = "login abcdefgh1234 refused"
    assert scrub_secrets(text, environ=env) == f"login {REDACTED} refused"
    assert scrub_secrets({"api_key": "k", "home": "/home/x"}, environ=env) == {
        "api_key": REDACTED,
        "home": "/home/x",
    }
