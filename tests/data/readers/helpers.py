"""Small file helpers shared by the reader tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sensequant.data.readers import read_bar_file
from sensequant.errors import InputFileError
from sensequant.types import IST

__all__ = ["YAHOO", "_problem", "_ts", "_write"]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _ts(value: str) -> pd.Timestamp:
    return pd.Timestamp(value, tz=IST)


def _problem(path: Path, **kwargs: Any) -> str:
    with pytest.raises(InputFileError) as info:
        read_bar_file(path, **kwargs)
    assert info.value.hint
    assert info.value.path == path
    return info.value.problem


YAHOO = """Date,Open,High,Low,Close,Adj Close,Volume
2024-01-02,100.0,102.0,99.0,101.0,95.0,1000
2024-01-03,101.0,103.0,100.0,102.5,96.4,1200
2024-01-04,102.5,104.0,101.0,103.0,96.9,0
"""
