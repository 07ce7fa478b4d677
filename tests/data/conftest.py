"""Fixtures shared by the data-layer tests: an empty store and catalog under a tmp home."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore


@pytest.fixture()
def store(tmp_path: Path) -> BarStore:
    """An empty bar store (short lock timeout, so lock tests fail fast)."""
    return BarStore(tmp_path / "home" / "store", lock_timeout=0.5)


@pytest.fixture()
def catalog(tmp_path: Path) -> Catalog:
    """An empty catalog beside the store."""
    return Catalog(tmp_path / "home" / "catalog.sqlite")
