"""Issue 10 at the importer: symbols unknown to the symbol master, --repair-ohlc, series left
empty, and the real ETF files (erroneous opening prints flagged, special sessions kept)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.types import IST

YAHOO = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "2024-01-02,100,102,99,101,95,1000\n"
    "2024-01-03,101,103,100,102.5,96,1200\n"
    "2024-01-04,102.5,102,101,103,97,900\n"  # high 102 < close 103
)


def _file(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_symbol_warns_and_strict_refuses(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    good = YAHOO.replace("102.5,102,101,103", "102.5,104,101,103")
    path = _file(tmp_path / "in", "ZZTOP_daily.csv", good)
    strict = import_paths([path], store, catalog, strict=True)
    assert strict.n_failed == 1 and not store.exists("ZZTOP", "1day")
    error = strict.files[0].error or ""
    assert "symbol ZZTOP is not in the symbol master" in error and "(--strict)" in error
    report = import_paths([path], store, catalog)
    assert report.n_ok == 1 and store.exists("ZZTOP", "1day")
    assert any(
        "symbol ZZTOP is not in the symbol master" in w and "--strict refuses" in w
        for w in report.warnings
    )
    known = import_paths([_file(tmp_path / "in2", "TCS.csv", good)], store, catalog, strict=True)
    assert known.n_ok == 1 and not any("TCS" in w for w in known.warnings)


def test_repair_ohlc_widens_high_and_records_it(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    path = _file(tmp_path / "in", "INFY.csv", YAHOO)
    refused = import_paths([path], store, catalog)
    assert refused.n_failed == 1 and "inconsistent OHLC" in (refused.files[0].error or "")
    assert not store.exists("INFY", "1day")
    report = import_paths([path], store, catalog, repair_ohlc=True)
    assert report.n_ok == 1
    assert store.read("INFY", "1day")["high"].tolist() == [102.0, 103.0, 103.0]
    finding = next(f for f in report.files[0].findings if f.kind == "ohlc_repaired")
    assert finding.lines == (4,)
    assert any("ohlc_repaired" in w and "source lines 4" in w for w in report.warnings)
    kinds = set(catalog.findings("INFY", "1day")["kind"])
    assert "ohlc_repaired" in kinds


def test_weekend_only_file_says_nothing_is_left(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    text = "Date,Open,High,Low,Close,Adj Close,Volume\n" + "".join(
        f"{d},100,102,99,101,95,1000\n" for d in ("2024-01-06", "2024-01-07", "2024-01-13")
    )
    report = import_paths([_file(tmp_path / "in", "TCS.csv", text)], store, catalog)
    error = report.files[0].error or ""
    assert "no rows left to import: all 3 rows were dropped" in error
    assert "3 rows on non-session days WITH trading dropped" in error
    assert not store.exists("TCS", "1day")


@pytest.mark.realdata
def test_real_etf_files_flag_opening_prints_and_keep_special_sessions(
    shared_data: Path, store: BarStore, catalog: Catalog
) -> None:
    report = import_paths([shared_data / "etf_daily"], store, catalog)
    assert report.n_failed == 0 and report.n_ok == 2
    outcomes = {o.symbol: o for o in report.files}
    expected = {"GOLDBEES": (1220, 7, "2020-08-27"), "SILVERBEES": (588, 4, "2022-06-01")}
    for symbol, (rows, weekend, bad_day) in expected.items():
        stored = store.read(symbol, "1day")
        assert len(stored) == rows  # nothing dropped: the weekend rows are special sessions
        assert int((stored["timestamp"].dt.dayofweek >= 5).sum()) == weekend
        assert stored["volume"].isna().all()  # no volume column: absent, never 0
        finding = next(f for f in outcomes[symbol].findings if f.kind == "bad_print")
        assert bad_day in finding.detail
        day = stored.loc[stored["timestamp"] == pd.Timestamp(bad_day, tz=IST)].iloc[0]
        assert abs(day["open"] / day["close"] - 1) > 0.05  # flagged, not altered
    gold = next(f for f in outcomes["GOLDBEES"].findings if f.kind == "bad_print")
    silver = next(f for f in outcomes["SILVERBEES"].findings if f.kind == "bad_print")
    # README: about 61 and 6 opens more than 5 % from the close; the bad-print rule (the
    # pre-flight break detection's) flags 50 and 6 (tests/data/quality/test_breaks.py)
    assert (gold.count, silver.count) == (50, 6)
    assert set(catalog.findings("GOLDBEES", "1day")["kind"]) >= {"bad_print"}


@pytest.mark.realdata
def test_real_file_under_a_dated_name(shared_data: Path, tmp_path: Path, store: BarStore,
                                      catalog: Catalog) -> None:  # fmt: skip
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(shared_data / "nse_daily_yf" / "TCS.csv", folder / "TCS_2002-08-12_to_2024.csv")
    report = import_paths([folder], store, catalog)
    assert report.n_ok == 1 and report.series[0][0] == "TCS"
    assert store.symbols("1day") == ["TCS"]
    assert np.isfinite(store.read("TCS", "1day")["close"]).all()
