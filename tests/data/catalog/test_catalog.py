"""Tests of the SQLite catalog (sensequant.data.catalog.catalog)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.catalog import SCHEMA_VERSION, Catalog, IngestRecord, SymbolInfo
from sensequant.errors import InvalidSymbolError, StoreError
from sensequant.types import IST


@dataclass(frozen=True)
class _Finding:
    kind: str
    count: int
    detail: str
    first_timestamp: pd.Timestamp | None
    lines: tuple[int, ...]


@pytest.fixture()
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / "home" / "catalog.sqlite")


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    return {r[0] for r in rows}


def test_schema_created_with_wal_and_version(catalog: Catalog) -> None:
    assert {
        "schema_version",
        "symbols",
        "universe_members",
        "imports",
        "quality_findings",
        "ingest_log",
        "corporate_actions",
        "api_calls",
        "symbol_aliases",
        "structural_breaks",
    } <= _tables(catalog.path)
    with sqlite3.connect(catalog.path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert (
            con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        )
    Catalog(catalog.path)  # reopening is fine and does not duplicate the version rows
    with sqlite3.connect(catalog.path) as con:
        assert con.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_version_1_catalog_is_migrated_in_place(tmp_path: Path) -> None:
    from sensequant.data.catalog import SCHEMA_V1

    path = tmp_path / "v1.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(SCHEMA_V1)
        con.execute("INSERT INTO schema_version VALUES (1, '2024-01-01T00:00:00+05:30')")
        con.execute("INSERT INTO symbols (symbol, updated_at) VALUES ('RELIANCE', '2024-01-01')")
    catalog = Catalog(path)
    assert catalog.get_symbol("RELIANCE") is not None  # data kept
    assert {
        "corporate_actions", "api_calls", "symbol_aliases", "action_reviews", "structural_breaks"
    } <= _tables(path)  # fmt: skip
    with sqlite3.connect(path) as con:
        assert (
            con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        )


def test_newer_schema_refused(catalog: Catalog) -> None:
    with sqlite3.connect(catalog.path) as con:
        con.execute("INSERT INTO schema_version VALUES (?, 'x')", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="schema version"):
        Catalog(catalog.path)


def test_not_a_database_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"catalog\.sqlite"):
        Catalog(path)


def test_symbol_round_trip_and_partial_update(catalog: Catalog) -> None:
    info = SymbolInfo(
        "M&M",
        name="Mahindra & Mahindra Ltd.",
        industry="Automobile and Auto Components",
        isin="INE101A01026",
        series="EQ",
        listing_date=dt.date(1995, 11, 8),
    )
    assert catalog.upsert_symbols([info]) == 1
    assert catalog.get_symbol("M&M") == info
    catalog.upsert_symbols([SymbolInfo("M&M", isec_code="MAHMAH", status="active")])
    got = catalog.get_symbol("M&M")
    assert got is not None
    assert got.isec_code == "MAHMAH" and got.name == info.name and got.isin == info.isin
    assert catalog.get_symbol("TCS") is None


def test_failed_transaction_leaves_nothing(catalog: Catalog) -> None:
    def rows() -> Iterator[SymbolInfo]:
        yield SymbolInfo("TCS", name="Tata Consultancy Services Ltd.")
        yield SymbolInfo("INFY")
        raise RuntimeError("source broke mid-way")

    with pytest.raises(RuntimeError):
        catalog.upsert_symbols(rows())
    assert catalog.get_symbol("TCS") is None
    with pytest.raises(InvalidSymbolError):
        catalog.upsert_symbols([SymbolInfo("TCS"), SymbolInfo("../x")])
    assert catalog.get_symbol("TCS") is None


def test_findings_for_unknown_import_fail_atomically(catalog: Catalog) -> None:
    finding = _Finding("duplicate_timestamp", 2, "2 repeated rows", None, (5, 6))
    with pytest.raises(StoreError, match="rolled back"):
        catalog.record_findings(999, "TCS", "1day", [finding, finding])
    assert catalog.findings().empty


def test_universe_replace_and_counts(catalog: Catalog) -> None:
    assert (
        catalog.set_universe("NIFTY100", ["TCS", "INFY", "TCS"], "x.csv", dt.date(2025, 9, 1)) == 2
    )
    assert catalog.universe("nifty100") == ["INFY", "TCS"]
    catalog.set_universe("nifty100", ["SBIN"], "y.csv", "2025-10-01")
    assert catalog.universe("nifty100") == ["SBIN"]
    catalog.set_universe("banks", ["HDFCBANK", "SBIN"], "z.csv", None)
    assert catalog.universes() == {"banks": 2, "nifty100": 1}
    assert catalog.universe("unknown") == []
    with pytest.raises(InvalidSymbolError):
        catalog.set_universe("nifty100", ["OK", "a/b"], "bad.csv", None)
    assert catalog.universe("nifty100") == ["SBIN"]


def test_import_with_findings_round_trip(catalog: Catalog) -> None:
    first = pd.Timestamp("2008-11-27", tz=IST)
    findings = [
        _Finding("stale_holiday_row", 3, "rows on NSE holidays with volume 0", first, (10, 20, 30)),
        _Finding("weekend_row", 1, "Saturday row", None, ()),
    ]
    import_id = catalog.record_import(
        source="/data/RELIANCE.csv",
        status="ok",
        symbol="RELIANCE",
        interval="1day",
        layout="yahoo_daily",
        rows_in=100,
        rows_out=96,
        added=96,
        replaced=0,
        content_sha256="ab" * 32,
        findings=findings,
    )
    failed_id = catalog.record_import(source="/data/BAD.csv", status="failed", error="boom")
    assert failed_id > import_id
    imports = catalog.imports()
    assert list(imports["id"]) == [failed_id, import_id]
    assert imports.loc[1, "rows_out"] == 96
    assert imports.loc[0, "status"] == "failed"
    assert str(imports.loc[1, "started_at"]).endswith("+05:30")
    got = catalog.findings(symbol="RELIANCE", interval="1day")
    assert list(got["kind"]) == ["stale_holiday_row", "weekend_row"]
    assert got.loc[0, "lines"] == [10, 20, 30]
    assert got.loc[0, "first_timestamp"] == "2008-11-27T00:00:00+05:30"
    assert got.loc[0, "source"] == "/data/RELIANCE.csv"
    assert catalog.findings(symbol="TCS").empty
    assert len(catalog.imports(limit=1)) == 1
    with pytest.raises(StoreError):
        catalog.record_import(source="x", status="maybe")  # type: ignore[arg-type]


def test_ingest_log_round_trip(catalog: Catalog) -> None:
    row_id = catalog.record_ingest(
        provider="breeze",
        symbol="TCS",
        interval="5minute",
        start=dt.date(2024, 1, 1),
        end=pd.Timestamp("2024-01-31 15:30", tz=IST),
        rows=1500,
        status="ok",
        content_sha256="cd" * 32,
    )
    catalog.record_ingest(
        provider="yfinance",
        symbol="TCS",
        interval="1day",
        start="2024-01-01",
        end="2024-01-31",
        rows=0,
        status="failed",
        error="HTTP 429",
    )
    log = catalog.ingest_log(provider="breeze")
    assert list(log["id"]) == [row_id]
    assert log.loc[0, "start"] == "2024-01-01"
    assert log.loc[0, "end"] == "2024-01-31T15:30:00+05:30"
    assert len(catalog.ingest_log(symbol="TCS")) == 2


def test_symbols_in_bulk_in_the_order_asked(catalog: Catalog) -> None:
    catalog.upsert_symbols(
        [
            SymbolInfo("TCS", isec_code="TCS", listing_date=dt.date(2004, 8, 25)),
            SymbolInfo("INFY", name="Infosys Ltd."),
            SymbolInfo("M&M", isin="INE101A01026"),
        ]
    )
    assert [i.symbol for i in catalog.symbols()] == ["INFY", "M&M", "TCS"]
    got = catalog.symbols(["TCS", "UNKNOWN", "M&M", "TCS"])
    assert [i.symbol for i in got] == ["TCS", "M&M"]  # unknown left out, repeats once
    assert got[0] == catalog.get_symbol("TCS")
    assert got[0].listing_date == dt.date(2004, 8, 25) and got[1].isin == "INE101A01026"
    assert catalog.symbols([]) == []


def test_symbols_beyond_one_parameter_batch(catalog: Catalog) -> None:
    names = [f"S{i:04d}" for i in range(1000)]
    catalog.upsert_symbols(SymbolInfo(s, series="EQ") for s in names)
    wanted = [*reversed(names), "NOPE"]
    got = catalog.symbols(wanted)
    assert [i.symbol for i in got] == wanted[:-1]
    assert {i.series for i in got} == {"EQ"}


def test_clear_unavailable_removes_only_the_reason(catalog: Catalog) -> None:
    catalog.upsert_symbols(
        [SymbolInfo("IDEA", name="Vodafone Idea", data_unavailable_reason="no 1day bars")]
    )
    catalog.upsert_symbols([SymbolInfo("IDEA", isec_code="IDECEL")])  # None keeps the reason
    assert (catalog.get_symbol("IDEA") or SymbolInfo("?")).data_unavailable_reason
    assert catalog.clear_unavailable("IDEA") is True
    got = catalog.get_symbol("IDEA")
    assert got == SymbolInfo("IDEA", name="Vodafone Idea", isec_code="IDECEL")
    assert catalog.clear_unavailable("IDEA") is False  # nothing left to clear
    assert catalog.clear_unavailable("TCS") is False  # unknown symbol
    with pytest.raises(InvalidSymbolError):
        catalog.clear_unavailable("../IDEA")


def test_record_ingest_many_is_one_all_or_nothing_write(catalog: Catalog) -> None:
    days = pd.date_range("2024-01-01", periods=3, freq="7D", tz=IST)
    records = [
        IngestRecord("breeze", "TCS", "5minute", d, d + pd.Timedelta(days=6), 75 * i, "ok")
        for i, d in enumerate(days, start=1)
    ]
    ids = catalog.record_ingest_many(records)
    assert len(ids) == 3 and ids == sorted(ids)
    log = catalog.ingest_log("breeze", "TCS", "5minute")
    assert list(log["id"]) == ids and list(log["rows"]) == [75, 150, 225]
    assert log["start"].iloc[0] == "2024-01-01T00:00:00+05:30"
    assert log["fetched_at"].str.endswith("+05:30").all()
    assert catalog.record_ingest_many([]) == []

    def broken() -> Iterator[IngestRecord]:
        yield records[0]
        raise RuntimeError("the process dies mid-batch")

    with pytest.raises(RuntimeError):
        catalog.record_ingest_many(broken())
    assert len(catalog.ingest_log("breeze")) == 3  # the partial batch was rolled back


def test_industries_in_one_query_with_none_for_unknown(catalog: Catalog) -> None:
    catalog.upsert_symbols(
        [SymbolInfo("TCS", industry="Information Technology"), SymbolInfo("ITC", name="ITC Ltd.")]
    )
    assert catalog.industries(["TCS", "ITC", "NOPE"]) == {
        "TCS": "Information Technology",
        "ITC": None,
        "NOPE": None,
    }
