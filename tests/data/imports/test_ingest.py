"""Tests of file import and coverage (sensequant.data.imports.ingest)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.imports import FileOutcome, coverage, import_paths, ingest
from sensequant.data.market import nse_sessions
from sensequant.data.store import BarStore
from sensequant.errors import InputFileError, StoreError, UsageError
from sensequant.types import IST
from tests.conftest import make_daily_bars

NSE_LIST = (
    "Company Name,Industry,Symbol,Series,ISIN Code\n"
    "Tata Consultancy Services Ltd.,Information Technology,TCS,EQ,INE467B01029\n"
    "Infosys Ltd.,Information Technology,INFY,EQ,INE009A01021\n"
)


def _session_bars(n: int, start: str = "2019-01-01", seed: int = 3) -> pd.DataFrame:
    """n seeded daily bars stamped on real NSE sessions (so cleaning drops nothing)."""
    bars = make_daily_bars(n, seed=seed)
    bars["timestamp"] = nse_sessions(start, "2024-12-31")[:n]
    return bars


def _yahoo_csv(path: Path, bars: pd.DataFrame) -> Path:
    """Write bars in the Yahoo daily layout ``Date,Open,High,Low,Close,Adj Close,Volume``."""
    out = pd.DataFrame(
        {
            "Date": bars["timestamp"].dt.strftime("%Y-%m-%d"),
            "Open": bars["open"],
            "High": bars["high"],
            "Low": bars["low"],
            "Close": bars["close"],
            "Adj Close": bars["close"] * 0.98,
            "Volume": bars["volume"].astype(int),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)
    return path


def _index_csvs(folder: Path, bars: pd.DataFrame, split: int, overlap: int) -> tuple[Path, Path]:
    """The two NIFTY 50 index layouts: rows [0, split + overlap) and [split, n)."""
    folder.mkdir(parents=True, exist_ok=True)
    early = bars.iloc[: split + overlap]
    late = bars.iloc[split:]
    a = folder / "nifty50_2000_2019.csv"
    pd.DataFrame(
        {
            "Date": early["timestamp"].dt.strftime("%Y-%m-%d"),
            "Open": early["open"],
            "High": early["high"],
            "Low": early["low"],
            "Close": early["close"],
            "Volume": early["volume"],
        }
    ).to_csv(a, index=True)
    b = folder / "nifty50_2007_2024_yf.csv"
    pd.DataFrame(
        {
            "date": late["timestamp"].dt.strftime("%Y-%m-%d"),
            "close": late["close"],
            "high": late["high"],
            "low": late["low"],
            "open": late["open"],
            "volume": 0,
        }
    ).to_csv(b, index=False)
    return a, b


def test_bad_file_among_good_ones(tmp_path: Path, store: BarStore, catalog: Catalog) -> None:
    src = tmp_path / "src"
    _yahoo_csv(src / "TCS.csv", _session_bars(50, seed=1))
    _yahoo_csv(src / "MM.csv", _session_bars(40, seed=2))
    (src / "BROKEN.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    seen: list[FileOutcome] = []
    report = import_paths([src], store, catalog, on_file=seen.append)
    assert (report.n_ok, report.n_failed) == (2, 1)
    assert seen == report.files
    failed = next(o for o in report.files if o.status == "failed")
    assert failed.path.name == "BROKEN.csv" and "BROKEN.csv" in (failed.error or "")
    assert store.symbols("1day") == ["M&M", "TCS"]
    ok = {o.symbol: o for o in report.files if o.status == "ok"}
    assert ok["TCS"].added == 50 and ok["M&M"].rows_out == 40
    assert report.rows_written == 90
    assert sorted(report.series) == [("M&M", "1day", 40), ("TCS", "1day", 50)]
    as_json = json.loads(json.dumps(report.to_dict()))
    assert as_json["n_failed"] == 1 and as_json["rows_written"] == 90
    assert {f["path"] for f in as_json["files"]} == {
        str(src / n) for n in ("TCS.csv", "MM.csv", "BROKEN.csv")
    }
    imports = catalog.imports()
    assert sorted(imports["status"]) == ["failed", "ok", "ok"]
    assert imports.loc[imports["status"] == "ok", "content_sha256"].str.len().eq(64).all()


def test_reimport_is_a_no_op(tmp_path: Path, store: BarStore, catalog: Catalog) -> None:
    path = _yahoo_csv(tmp_path / "src" / "INFY.csv", _session_bars(60))
    import_paths([path], store, catalog)
    before = store.path("INFY", "1day").read_bytes()
    again = import_paths([path], store, catalog)
    assert [(o.status, o.added, o.replaced) for o in again.files] == [("skipped", 0, 0)]
    assert "unchanged" in again.files[0].notes[0]
    assert again.rows_written == 0
    assert store.path("INFY", "1day").read_bytes() == before
    forced = import_paths([path], store, catalog, force=True)  # read again: merge adds nothing
    assert [(o.status, o.added, o.replaced) for o in forced.files] == [("ok", 0, 0)]
    assert store.path("INFY", "1day").read_bytes() == before


def test_incremental_file_adds_only_new_bars(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    bars = _session_bars(80)
    import_paths([_yahoo_csv(tmp_path / "a" / "SBIN.csv", bars.iloc[:50])], store, catalog)
    report = import_paths([_yahoo_csv(tmp_path / "b" / "SBIN.csv", bars.iloc[40:])], store, catalog)
    assert (report.files[0].added, report.files[0].replaced) == (30, 0)
    assert report.series == [("SBIN", "1day", 80)]


def test_index_files_spliced_later_start_wins_with_warning(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    bars = _session_bars(120)
    _, b = _index_csvs(tmp_path / "idx", bars, split=70, overlap=20)
    late = pd.read_csv(b)
    late.loc[[2, 5, 9], ["close", "high"]] *= 1.02  # 3 of 20 overlapping closes differ by 2 %
    late.to_csv(b, index=False)
    report = import_paths([tmp_path / "idx"], store, catalog)
    assert report.n_failed == 0
    assert [o.layout for o in report.files] == ["index_pandas", "index_yf_lower"]
    assert len(report.warnings) == 1
    warning = report.warnings[0]
    assert "NIFTY 50" in warning and "3 of 20" in warning
    assert bars["timestamp"].iloc[72].strftime("%Y-%m-%d") in warning
    stored = store.read("NIFTY 50", "1day")
    assert len(stored) == 120
    np.testing.assert_allclose(stored["close"].iloc[70:], late["close"])  # later file won
    np.testing.assert_allclose(stored["close"].iloc[:70], bars["close"].iloc[:70])
    assert report.series == [("NIFTY 50", "1day", 120)]
    assert report.rows_written == 120  # counted once for the spliced series


def test_agreeing_index_overlap_gives_no_warning(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    _index_csvs(tmp_path / "idx", _session_bars(60), split=30, overlap=10)
    report = import_paths([tmp_path / "idx"], store, catalog)
    assert report.warnings == []
    assert store.read("NIFTY 50", "1day")["timestamp"].is_unique


def test_bad_file_for_stored_symbol_changes_nothing(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    import_paths([_yahoo_csv(tmp_path / "a" / "TCS.csv", _session_bars(30))], store, catalog)
    path = store.path("TCS", "1day")
    before = path.read_bytes()
    bad = _session_bars(40, seed=9)
    bad.loc[35, "close"] = -5.0  # hard error: non-positive price
    report = import_paths([_yahoo_csv(tmp_path / "b" / "TCS.csv", bad)], store, catalog)
    assert report.n_failed == 1 and "TCS.csv" in (report.files[0].error or "")
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["TCS.parquet"]


def test_group_failure_is_all_or_nothing(
    tmp_path: Path, store: BarStore, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    bars = _session_bars(60)
    _index_csvs(tmp_path / "idx", bars.iloc[:30], split=15, overlap=5)
    import_paths([tmp_path / "idx"], store, catalog)
    before = store.path("NIFTY 50", "1day").read_bytes()
    _index_csvs(tmp_path / "idx2", bars, split=30, overlap=5)

    def broken(*args: object, **kwargs: object) -> None:
        raise InputFileError("nifty50_2007_2024_yf.csv", "cleaning blew up")

    monkeypatch.setattr(ingest, "clean_bars", broken)
    report = import_paths([tmp_path / "idx2"], store, catalog)
    assert report.n_failed == 2 and report.n_ok == 0
    assert all("cleaning blew up" in (o.error or "") for o in report.files)
    assert store.path("NIFTY 50", "1day").read_bytes() == before
    assert report.series == []


def test_nse_list_routed_to_symbol_master(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "ind_nifty100list.csv").write_text(NSE_LIST, encoding="utf-8")
    (src / "ind_niftyitlist.csv").write_text(NSE_LIST, encoding="utf-8")
    _yahoo_csv(src / "TCS.csv", _session_bars(10))
    report = import_paths([src], store, catalog)
    assert report.n_failed == 0
    assert catalog.universes() == {"ind_niftyitlist": 2, "nifty100": 2}
    info = catalog.get_symbol("INFY")
    assert info is not None and info.isin == "INE009A01021"
    lists = [o for o in report.files if o.layout == "nse_index_list"]
    assert len(lists) == 2 and all(o.symbol is None for o in lists)


def test_symbol_override_and_hidden_files_skipped(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    src = tmp_path / "src"
    _yahoo_csv(src / "export_2024.csv", _session_bars(10))
    _yahoo_csv(src / ".cache" / "TCS.csv", _session_bars(10))
    report = import_paths([src], store, catalog, symbol="reliance")
    assert [o.symbol for o in report.files] == ["RELIANCE"]
    assert store.symbols("1day") == ["RELIANCE"]


def test_missing_path_and_store_folder(tmp_path: Path, store: BarStore, catalog: Catalog) -> None:
    import_paths([_yahoo_csv(tmp_path / "s" / "TCS.csv", _session_bars(5))], store, catalog)
    report = import_paths([tmp_path / "nope.csv", store.root], store, catalog)
    assert report.n_failed == 1 and "nope.csv" in (report.files[0].error or "")
    assert any("inside the bar store" in w for w in report.warnings)


def test_import_refused_while_locked(tmp_path: Path, store: BarStore, catalog: Catalog) -> None:
    other = BarStore(store.root, lock_timeout=0.2)
    path = _yahoo_csv(tmp_path / "s" / "TCS.csv", _session_bars(5))
    with store.lock(), pytest.raises(StoreError, match="another import is running"):
        import_paths([path], other, catalog)


def test_coverage_counts_missing_sessions(store: BarStore) -> None:
    bars = _session_bars(100)
    store.write("TCS", "1day", bars.drop(index=[10, 11, 50]))
    sessions = nse_sessions("2024-01-01", "2024-01-31")
    minutes = pd.timedelta_range("09:15:00", "15:25:00", freq="5min")
    stamps = pd.DatetimeIndex([d + m for d in sessions.delete(3) for m in minutes])
    n = len(stamps)
    store.write(
        "INFY",
        "5minute",
        pd.DataFrame(
            {
                "timestamp": stamps,
                "open": 1.0,
                "high": 1.0,
                "low": 1.0,
                "close": 1.0,
                "volume": np.ones(n),
            }
        ),
    )
    daily = coverage(store, "1day", ["TCS", "WIPRO"])
    assert list(daily.columns) == [
        "symbol",
        "interval",
        "first",
        "last",
        "bars",
        "missing_sessions",
        "calendar_end",
    ]
    tcs = daily.iloc[0]
    assert (tcs["bars"], tcs["missing_sessions"]) == (97, 3)
    assert tcs["first"] == bars["timestamp"].iloc[0]
    assert daily.iloc[1]["bars"] == 0 and pd.isna(daily.iloc[1]["missing_sessions"])
    intraday = coverage(store, "5minute")
    assert intraday.iloc[0]["missing_sessions"] == 1
    assert intraday.iloc[0]["calendar_end"] >= pd.Timestamp("2026-01-01", tz=IST)


@pytest.mark.realdata
def test_import_whole_shared_data_tree(
    shared_data: Path, tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    started = time.perf_counter()
    # 1996 Yahoo rows and three 5-minute bars have high/low not bounding open/close
    report = import_paths([shared_data], store, catalog, repair_ohlc=True)
    elapsed = time.perf_counter() - started
    print(f"imported {len(report.files)} files in {elapsed:.1f} s")  # shown with pytest -s
    assert report.n_failed == 0, [o.error for o in report.files if o.error]
    # 50 stocks + 2 index files + 16 five-minute + 1 list + 2 ETFs (etf_daily/) + 5 one-minute
    assert json.loads(json.dumps(report.to_dict()))["n_ok"] == 76
    daily = store.symbols("1day")
    assert len(daily) == 53 and "NIFTY 50" in daily and "M&M" in daily and "GOLDBEES" in daily
    assert len(store.symbols("5minute")) == 16
    assert len(store.symbols("1minute")) == 5
    cov = coverage(store, "1day").set_index("symbol")
    nifty = cov.loc["NIFTY 50"]
    assert nifty["first"].year == 2000 and nifty["last"].year == 2024
    stocks = cov.drop(index=["GOLDBEES", "SILVERBEES"])  # the ETF files end 2024-06-21
    assert (stocks["last"] >= pd.Timestamp("2024-09-06", tz=IST)).all()
    assert catalog.universes()["nifty100"] == 100
    info = catalog.get_symbol("RELIANCE")
    assert info is not None and info.isin is not None and info.isin.startswith("INE")
    five = store.read("TCS", "5minute")
    assert five["timestamp"].is_unique  # the three duplicated days were deduplicated
    assert not catalog.findings(symbol="RELIANCE", interval="1day").empty
    tcs = shared_data / "nse_daily_yf" / "TCS.csv"
    again = import_paths([tcs], store, catalog, repair_ohlc=True)  # the same options: skipped
    assert again.rows_written == 0 and again.n_skipped == 1
    n_imports = len(catalog.imports(limit=None))
    noop = import_paths([shared_data], store, catalog, repair_ohlc=True)  # unchanged: skipped
    assert (noop.n_skipped, noop.n_ok, noop.rows_written) == (76, 0, 0)
    assert len(catalog.imports(limit=None)) == n_imports
    other = import_paths([tcs], store, catalog)  # another --repair-ohlc: read again, no change
    assert other.rows_written == 0 and other.n_skipped == 0 and other.n_ok == 1


# ------------------------------------------------------------------ no-op re-import
def test_changed_file_is_read_again(tmp_path: Path, store: BarStore, catalog: Catalog) -> None:
    bars = _session_bars(40)
    path = _yahoo_csv(tmp_path / "src" / "TCS.csv", bars.iloc[:30])
    import_paths([path], store, catalog)
    _yahoo_csv(path, bars)
    report = import_paths([path], store, catalog)
    assert [(o.status, o.added) for o in report.files] == [("ok", 10)]
    assert import_paths([path], store, catalog).n_skipped == 1


def test_deleted_series_is_restored(tmp_path: Path, store: BarStore, catalog: Catalog) -> None:
    path = _yahoo_csv(tmp_path / "src" / "TCS.csv", _session_bars(20))
    import_paths([path], store, catalog)
    before = store.fingerprint("TCS", "1day")
    store.path("TCS", "1day").unlink()
    report = import_paths([path], store, catalog)
    assert [o.status for o in report.files] == ["ok"]
    assert store.fingerprint("TCS", "1day") == before


def test_spliced_pair_with_one_changed_file_reads_both(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    bars = _session_bars(80)
    a, _ = _index_csvs(tmp_path / "idx", bars, split=40, overlap=10)
    import_paths([tmp_path / "idx"], store, catalog)
    assert import_paths([tmp_path / "idx"], store, catalog).n_skipped == 2
    early = pd.read_csv(a, index_col=0)
    factor = np.ones(len(early))
    factor[45] = 1.5  # in the overlap: the later-starting file must still win
    factor[5] = 1.01  # outside it: this change is taken
    early["Close"] = early["Close"] * factor
    early["High"] = early["High"] * factor  # high still bounds the close
    early.to_csv(a, index=True)
    refused = import_paths([tmp_path / "idx"], store, catalog)  # row 5 changes a stored bar
    assert [o.status for o in refused.files] == ["failed", "failed"]
    assert "1 stored bar(s) would change" in (refused.files[0].error or "")
    report = import_paths([tmp_path / "idx"], store, catalog, on_conflict="replace")
    assert [o.status for o in report.files] == ["ok", "ok"]  # the unchanged file was re-read
    stored = store.read("NIFTY 50", "1day")
    assert stored["close"].iloc[45] == pytest.approx(bars["close"].iloc[45])
    assert stored["close"].iloc[5] == pytest.approx(bars["close"].iloc[5] * 1.01)


def test_unchanged_constituent_list_is_skipped(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    path = tmp_path / "ind_nifty100list.csv"
    path.write_text(NSE_LIST, encoding="utf-8")
    assert import_paths([path], store, catalog).n_ok == 1
    again = import_paths([path], store, catalog)
    assert [(o.status, o.layout) for o in again.files] == [("skipped", "nse_index_list")]


def test_symbols_filter_on_ordinary_files(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    src = tmp_path / "src"
    _yahoo_csv(src / "TCS.csv", _session_bars(10))
    _yahoo_csv(src / "MM.csv", _session_bars(10))
    report = import_paths([src], store, catalog, symbols=["tcs"])
    status = {o.symbol: (o.status, o.notes) for o in report.files}
    assert status["TCS"][0] == "ok"
    assert status["M&M"] == ("skipped", ("M&M is not among the symbols asked for, skipped",))
    assert store.symbols("1day") == ["TCS"]
    wider = import_paths([src], store, catalog)  # other options: nothing is skipped
    assert [o.status for o in wider.files] == ["ok", "ok"]
    assert wider.to_dict()["n_skipped"] == 0
    with pytest.raises(UsageError):
        import_paths([src], store, catalog, symbols=[])
