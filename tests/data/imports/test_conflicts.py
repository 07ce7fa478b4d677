"""Two different rows for one timestamp in one file, through import_paths's on_conflict."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore

ROWS = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "2024-01-02,10,10,10,10,10,1000\n"
    "2024-01-03,11,11,11,11,11,1000\n"
    "2024-01-03,12,12,12,12,12,1000\n"
    "2024-01-04,10.5,10.5,10.5,10.5,10.5,1000\n"
)


@pytest.fixture()
def dup_file(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "TCS.csv"
    path.parent.mkdir()
    path.write_text(ROWS, encoding="utf-8")
    return path


def test_refused_by_default_naming_the_rows(
    dup_file: Path, store: BarStore, catalog: Catalog
) -> None:
    report = import_paths([dup_file], store, catalog)
    (outcome,) = report.files
    assert outcome.status == "failed" and not store.exists("TCS", "1day")
    error = outcome.error or ""
    assert str(dup_file) in error and "conflicting rows for one timestamp" in error
    assert "2024-01-03 at lines 3 and 4" in error and "open 11 vs 12" in error
    assert "--on-conflict keep" in error


@pytest.mark.parametrize(("policy", "close"), [("keep", 11.0), ("replace", 12.0)])
def test_keep_first_or_replace_with_last(
    dup_file: Path, store: BarStore, catalog: Catalog, policy: str, close: float
) -> None:
    report = import_paths([dup_file], store, catalog, on_conflict=policy)
    assert [o.status for o in report.files] == ["ok"]
    stored = store.read("TCS", "1day")
    assert list(stored["close"]) == [10.0, close, 10.5]


def test_an_unchanged_file_is_read_again_under_another_policy(
    dup_file: Path, store: BarStore, catalog: Catalog
) -> None:
    """The skip key holds --on-conflict and --repair-ohlc: keep, then replace, is not a no-op."""
    kept = import_paths([dup_file], store, catalog, on_conflict="keep")
    assert [o.status for o in kept.files] == ["ok"]
    again = import_paths([dup_file], store, catalog, on_conflict="keep")
    assert [o.status for o in again.files] == ["skipped"]  # same file, same policy
    replaced = import_paths([dup_file], store, catalog, on_conflict="replace")
    assert [o.status for o in replaced.files] == ["ok"]
    assert list(store.read("TCS", "1day")["close"]) == [10.0, 12.0, 10.5]
    repaired = import_paths([dup_file], store, catalog, on_conflict="replace", repair_ohlc=True)
    assert [o.status for o in repaired.files] == ["ok"]  # another repair policy: read again
    assert [o.status for o in import_paths([dup_file], store, catalog, on_conflict="replace",
                                           repair_ohlc=True).files] == ["skipped"]  # fmt: skip
