"""Tests of sensequant.data.quality.audit: coverage, completeness, findings, files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.catalog import Catalog, SymbolInfo
from sensequant.data.imports import import_paths
from sensequant.data.quality import REPORT_FILE, SUMMARY_FILE, Finding, audit_store
from sensequant.data.store import BarStore
from sensequant.testing.synthetic import synthetic_bars
from sensequant.types import IST


@pytest.fixture()
def home(tmp_path: Path) -> tuple[BarStore, Catalog]:
    return BarStore(tmp_path / "store"), Catalog(tmp_path / "catalog.sqlite")


def _drop_days(bars: pd.DataFrame, *days: str) -> pd.DataFrame:
    keep = ~bars["timestamp"].dt.strftime("%Y-%m-%d").isin(days)
    return bars.loc[keep].reset_index(drop=True)


def _finding(kind: str, count: int, detail: str = "") -> Finding:
    return Finding(kind, count, detail or kind, pd.Timestamp("2024-01-02", tz=IST), ())


def test_daily_gaps_findings_actions_and_errors(
    home: tuple[BarStore, Catalog], tmp_path: Path
) -> None:
    store, catalog = home
    full = synthetic_bars("AAA", "1day", "2024-01-01", "2024-03-31")
    store.write(
        "AAA", "1day", _drop_days(full, "2024-02-05", "2024-02-06", "2024-02-07", "2024-03-11")
    )
    store.write("BBB", "1day", synthetic_bars("BBB", "1day", "2024-01-01", "2024-03-31"))
    findings = [_finding("holiday_row_dropped", 3), _finding("outlier_jump", 2)]
    for _ in range(2):  # the same file imported twice: counted once
        catalog.record_import(
            source="a.csv", status="ok", symbol="AAA", interval="1day", findings=findings
        )
    catalog.upsert_corporate_actions(
        [
            {
                "symbol": "AAA",
                "ex_date": "2024-02-01",
                "kind": "split",
                "price_factor": 0.5,
                "source": "detected",
                "status": "suspected",
            }
        ]
    )
    catalog.upsert_symbols([SymbolInfo("DIXON", data_unavailable_reason="Breeze returns no bars")])
    report = audit_store(store, catalog, ["AAA", "BBB", "DIXON"], "1day", out_dir=tmp_path / "out")
    a, b, c = report.symbols
    assert (a.missing_sessions, a.sessions_present, a.bars) == (
        4,
        a.sessions_expected - 4,
        len(full) - 4,
    )
    assert a.missing_examples == (
        dt.date(2024, 2, 5),
        dt.date(2024, 2, 6),
        dt.date(2024, 2, 7),
        dt.date(2024, 3, 11),
    )
    assert a.longest_gap is not None
    assert (a.longest_gap.first, a.longest_gap.last, a.longest_gap.sessions) == (
        dt.date(2024, 2, 5),
        dt.date(2024, 2, 7),
        3,
    )
    assert a.findings == {"holiday_row_dropped": 3, "outlier_jump": 2}
    assert a.corporate_actions == {"suspected": 1}
    assert a.status == "warn"
    assert any("outlier_jump 2" in p for p in a.problems)
    assert any("suspected corporate actions" in p for p in a.problems)
    assert a.first == pd.Timestamp("2024-01-01", tz=IST)
    assert (b.status, b.problems, b.missing_sessions) == ("ok", (), 0)
    assert c.status == "error"
    assert c.data_unavailable_reason == "Breeze returns no bars"
    assert "not stored" in c.problems[0] and "Breeze returns no bars" in c.problems[0]
    summary = report.summary()
    assert summary["status"] == {"ok": 1, "warn": 1, "error": 1}
    assert summary["total_bars"] == a.bars + b.bars
    assert summary["symbols_with_gaps"] == 1
    assert summary["findings_by_kind"] == {"holiday_row_dropped": 3, "outlier_jump": 2}
    assert summary["symbols_in_error"] == ["DIXON"]
    assert summary["calendar"]["first"] == "1997-01-01"


def test_files_written_atomically(home: tuple[BarStore, Catalog], tmp_path: Path) -> None:
    store, catalog = home
    for sym in ("AAA", "M&M"):
        store.write(sym, "1day", synthetic_bars(sym, "1day", "2024-01-01", "2024-01-31"))
    out = tmp_path / "out"
    report = audit_store(store, catalog, None, "1day", out_dir=out)
    assert (report.report_path, report.summary_path) == (out / REPORT_FILE, out / SUMMARY_FILE)
    lines = [json.loads(x) for x in (out / REPORT_FILE).read_text().splitlines()]
    assert [r["symbol"] for r in lines] == ["AAA", "M&M"]
    assert lines[0]["first"] == "2024-01-01T00:00:00+05:30"
    assert json.loads((out / SUMMARY_FILE).read_text())["symbols"] == 2
    assert sorted(p.name for p in out.iterdir()) == [REPORT_FILE, SUMMARY_FILE]  # no temp files
    quiet = audit_store(store, catalog, None, "1day", out_dir=tmp_path / "none", write=False)
    assert quiet.report_path is None and not (tmp_path / "none").exists()


def test_special_sessions_missing_do_not_warn(
    home: tuple[BarStore, Catalog], tmp_path: Path
) -> None:
    store, catalog = home
    bars = synthetic_bars("AAA", "1day", "2024-02-26", "2024-03-08")
    assert pd.Timestamp("2024-03-02", tz=IST) in set(bars["timestamp"])  # DR Saturday
    store.write("AAA", "1day", _drop_days(bars, "2024-03-02"))
    (a,) = audit_store(store, catalog, None, "1day", write=False).symbols
    assert (a.missing_sessions, a.missing_special_sessions, a.status) == (1, 1, "ok")


def test_intraday_completeness(home: tuple[BarStore, Catalog]) -> None:
    store, catalog = home
    bars = synthetic_bars("AAA", "5minute", "2024-02-29", "2024-03-05")
    ts = bars["timestamp"]
    gone = (ts >= pd.Timestamp("2024-03-04 10:00", tz=IST)) & (
        ts < pd.Timestamp("2024-03-04 10:40", tz=IST)
    )  # 8 bars of one session lost
    bars = bars.loc[~gone]
    extra = bars.iloc[[0]].assign(timestamp=pd.Timestamp("2024-03-05 09:17", tz=IST))
    muhurat = bars.iloc[[0]].assign(timestamp=pd.Timestamp("2015-11-11 18:15", tz=IST))
    frame = pd.concat([muhurat, bars, extra]).sort_values("timestamp").reset_index(drop=True)
    store.write("AAA", "5minute", frame)
    (a,) = audit_store(store, catalog, None, "5minute", write=False).symbols
    assert a.incomplete_sessions == 1
    assert a.incomplete_examples == ((dt.date(2024, 3, 4), 67, 75),)
    assert a.off_grid_bars == 1
    assert (a.unknown_hours_sessions, a.unknown_hours_examples) == (1, (dt.date(2015, 11, 11),))
    assert a.sessions_present == a.sessions_expected - a.missing_sessions
    assert a.missing_sessions > 1000  # 2015-11-12 .. 2024-02-28: no bars
    assert a.status == "warn"


def test_unreadable_file_is_an_error_not_a_crash(home: tuple[BarStore, Catalog]) -> None:
    store, catalog = home
    store.write("AAA", "1day", synthetic_bars("AAA", "1day", "2024-01-01", "2024-01-31"))
    store.path("BAD", "1day").write_bytes(b"not parquet")
    report = audit_store(store, catalog, None, "1day", write=False)
    assert [(s.symbol, s.status) for s in report.symbols] == [("AAA", "ok"), ("BAD", "error")]
    assert "cannot read" in report.symbols[1].problems[0]


# ------------------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_audit_of_real_5minute_bars(shared_data: Path, tmp_path: Path) -> None:
    store, catalog = BarStore(tmp_path / "store"), Catalog(tmp_path / "catalog.sqlite")
    files = [shared_data / "nse_5min" / f"{s}.csv" for s in ("RELIANCE", "TCS", "INFY")]
    import_paths(files, store, catalog)
    report = audit_store(store, catalog, None, "5minute", out_dir=tmp_path / "out")
    twice = (dt.date(2023, 10, 9), dt.date(2024, 1, 17), dt.date(2024, 4, 26))
    by = {s.symbol: s for s in report.symbols}
    assert set(by) == {"RELIANCE", "TCS", "INFY"}
    for s in report.symbols:
        assert s.duplicated_days == twice
        assert s.missing_sessions == 0 and s.off_grid_bars == 0 and s.unknown_hours_sessions == 0
        # Muhurat (12 bars) and the DR Saturdays (21 bars) are complete sessions
        assert s.sessions_present == 247
    assert by["RELIANCE"].incomplete_examples == ((dt.date(2023, 7, 20), 66, 75),)
    assert by["RELIANCE"].status == "warn"
    assert (by["TCS"].incomplete_sessions, by["INFY"].incomplete_sessions) == (0, 0)
    assert report.summary()["incomplete_sessions"] == 1


def test_reason_shown_until_cleared(home: tuple[BarStore, Catalog]) -> None:
    store, catalog = home
    store.write("AAA", "1day", synthetic_bars("AAA", "1day", "2024-01-01", "2024-01-31"))
    catalog.upsert_symbols(
        [
            SymbolInfo("AAA", data_unavailable_reason="breeze returned no 1day bars"),
            SymbolInfo("ZZZ", data_unavailable_reason="not audited here"),
        ]
    )
    (a,) = audit_store(store, catalog, None, "1day", write=False).symbols
    assert a.data_unavailable_reason == "breeze returned no 1day bars" and a.status == "warn"
    assert catalog.clear_unavailable("AAA")
    (a,) = audit_store(store, catalog, None, "1day", write=False).symbols
    assert (a.data_unavailable_reason, a.status) == (None, "ok")
