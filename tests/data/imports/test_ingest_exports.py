"""Importing vendor exports (sensequant.data.imports.ingest): 1-minute broker bars with
``NSE:`` symbols and pre-open / post-close prints, and daily files without a volume column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.imports import coverage, import_paths
from sensequant.data.quality import audit_store
from sensequant.data.store import BarStore
from sensequant.types import IST


def _minute_file(path: Path, symbol: str, days: list[str]) -> Path:
    """A broker export: 09:07 auction print, 375 regular bars, 15:30 and 15:40 prints a day."""
    regular = pd.date_range("09:15", periods=375, freq="1min").strftime("%H:%M").tolist()
    lines = ["datetime,symbol,open,high,low,close,volume"]
    for day in days:
        for t in ["09:07", *regular, "15:30", "15:40"]:
            lines.append(f"{day} {t}:00,{symbol},100.0,100.5,99.5,100.2,7111.0")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_one_minute_export_imported_without_extended_hours(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    path = _minute_file(tmp_path / "src" / "RELIANCE.csv", "NSE:RELIANCE", ["2021-08-02"])
    report = import_paths([path], store, catalog)
    assert report.n_failed == 0
    [outcome] = report.files
    assert (outcome.symbol, outcome.interval) == ("RELIANCE", "1minute")
    assert (outcome.rows_in, outcome.rows_out) == (378, 375)
    assert "NSE:RELIANCE stored as RELIANCE (exchange prefix)" in outcome.notes
    stored = store.read("RELIANCE", "1minute")
    times = stored["timestamp"].dt.strftime("%H:%M")
    assert len(stored) == 375 and times.iloc[0] == "09:15" and times.iloc[-1] == "15:29"
    found = catalog.findings(symbol="RELIANCE", interval="1minute").set_index("kind")
    dropped = found.loc["extended_hours_bar_dropped"]
    assert dropped["count"] == 3 and dropped["detail"].endswith("09:07 x1, 15:30 x1, 15:40 x1")
    assert dropped["lines"] == [2, 378, 379]
    assert "off_session_bar" not in found.index
    assert any("extended_hours_bar_dropped" in w for w in report.warnings)


def test_other_exchange_file_fails_clearly(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    path = _minute_file(tmp_path / "src" / "TCS.csv", "BSE:TCS", ["2021-08-02"])
    report = import_paths([path], store, catalog)
    assert report.n_failed == 1
    error = report.files[0].error or ""
    assert "TCS.csv" in error and "another exchange than NSE" in error and "'BSE:TCS'" in error
    assert store.symbols("1minute") == []


def test_daily_file_without_volume_stored_with_absent_volume(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "GOLDBEES.csv").write_text(
        "date,open,high,low,close\n"
        "31-01-2020,35.0,35.5,34.8,35.2\n"
        "01-02-2020,35.2,35.4,34.9,35.0\n"  # Union Budget Saturday: a genuine session
        "03-02-2020,35.0,35.6,34.9,35.5\n",
        encoding="utf-8",
    )
    report = import_paths([src], store, catalog)
    assert report.n_failed == 0 and report.files[0].layout == "ohlc_lower"
    stored = store.read("GOLDBEES", "1day")
    assert len(stored) == 3 and stored["volume"].isna().all()  # absent, never 0
    assert stored["timestamp"].iloc[1] == pd.Timestamp("2020-02-01", tz=IST)
    kinds = set(catalog.findings(symbol="GOLDBEES")["kind"])
    assert "missing_volume" in kinds and not kinds & {"weekend_row_dropped", "zero_volume_session"}
    assert coverage(store, "1day").iloc[0]["bars"] == 3
    audit = audit_store(store, catalog, None, "1day", write=False)  # NaN volume: no crash
    assert [s.symbol for s in audit.symbols] == ["GOLDBEES"]
    again = import_paths([src], store, catalog)
    assert again.n_skipped == 1 and again.rows_written == 0


@pytest.mark.realdata
def test_new_shared_folders_import(shared_data: Path, store: BarStore, catalog: Catalog) -> None:
    folders = [shared_data / "etf_daily", shared_data / "nse_1min"]
    if not all(f.is_dir() for f in folders):
        pytest.skip("etf_daily/ or nse_1min/ missing from the shared data")
    report = import_paths(folders, store, catalog)
    assert report.n_failed == 0, [o.error for o in report.files if o.error]
    assert report.n_ok == 7
    assert store.symbols("1minute") == ["HDFCBANK", "ICICIBANK", "INFY", "RELIANCE", "TCS"]
    gold = store.read("GOLDBEES", "1day")
    assert len(gold) == 1220 and gold["volume"].isna().all()
    assert len(store.read("SILVERBEES", "1day")) == 588  # its 4 weekend sessions kept
    reliance = store.read("RELIANCE", "1minute")
    # PROVENANCE.txt: 8,779 rows, 69 outside 09:15-15:29 (09:07/09:08, 15:30, 15:40)
    assert len(reliance) == 8779 - 69
    times = set(reliance["timestamp"].dt.strftime("%H:%M"))
    assert min(times) == "09:15" and max(times) == "15:29"
    found = catalog.findings(symbol="RELIANCE", interval="1minute").set_index("kind")
    assert found.loc["extended_hours_bar_dropped", "count"] == 69
    assert found.loc["extended_hours_bar_dropped", "detail"].endswith(
        "09:07 x21, 09:08 x2, 15:30 x22, 15:40 x24"
    )
