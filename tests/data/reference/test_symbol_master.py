"""Tests of the symbol master view (sensequant.data.reference.symbol_master)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sensequant.data.catalog import Catalog, SymbolInfo
from sensequant.data.reference import (
    MASTER_COLUMNS,
    effective_first_bar,
    series_extent,
    symbol_master,
)
from sensequant.data.store import BarStore
from sensequant.types import IST
from tests.conftest import make_daily_bars


@pytest.fixture()
def filled(tmp_path: Path) -> tuple[Catalog, BarStore]:
    store, catalog = BarStore(tmp_path / "store"), Catalog(tmp_path / "catalog.sqlite")
    store.write("TCS", "1day", make_daily_bars(300, seed=1, start="2019-01-01"))
    store.write("TCS", "5minute", make_daily_bars(20, seed=2, start="2024-01-01"))
    store.write("M&M", "1day", make_daily_bars(40, seed=3, start="2020-01-01"))
    catalog.upsert_symbols(
        [
            SymbolInfo(
                "TCS",
                isec_code="TCS",
                isin="INE467B01029",
                industry="Information Technology",
                listing_date=dt.date(2004, 8, 25),
            ),
            SymbolInfo("IDEA", data_unavailable_reason="breeze: no bars for ISEC code IDECEL"),
        ]
    )
    return catalog, store


def test_series_extent_matches_the_bars(filled: tuple[Catalog, BarStore]) -> None:
    _, store = filled
    bars = store.read("TCS", "1day")
    extent = series_extent(store, "TCS", "1day")
    assert extent is not None
    first, last, n = extent
    assert (first, last, n) == (bars["timestamp"].iloc[0], bars["timestamp"].iloc[-1], len(bars))
    assert str(first.tz) == IST
    assert series_extent(store, "TCS", "1minute") is None


def test_series_extent_across_row_groups(tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    bars = make_daily_bars(500, seed=5)
    store.write("AAA", "1day", bars)
    path = store.path("AAA", "1day")
    table = pq.read_table(path)
    pq.write_table(table, path, row_group_size=64)  # several row groups
    assert pq.ParquetFile(path).metadata.num_row_groups > 1
    extent = series_extent(store, "AAA", "1day")
    assert extent == (bars["timestamp"].iloc[0], bars["timestamp"].iloc[-1], 500)


def test_symbol_master_rows(filled: tuple[Catalog, BarStore]) -> None:
    catalog, store = filled
    frame = symbol_master(catalog, store)
    assert tuple(frame.columns) == MASTER_COLUMNS
    assert list(zip(frame["symbol"], frame["interval"], strict=True)) == [
        ("M&M", "1day"),
        ("TCS", "1day"),
        ("TCS", "5minute"),
    ]
    tcs = frame[frame["symbol"] == "TCS"].iloc[0]
    assert tcs["isin"] == "INE467B01029" and tcs["isec_code"] == "TCS"
    assert tcs["industry"] == "Information Technology"
    assert tcs["listing_date"] == dt.date(2004, 8, 25) and tcs["bars"] == 300
    assert frame.loc[frame["symbol"] == "M&M", "isin"].isna().all()  # unknown to the catalog


def test_symbol_without_bars_shows_its_reason(filled: tuple[Catalog, BarStore]) -> None:
    catalog, store = filled
    frame = symbol_master(catalog, store, ["IDEA", "TCS"], intervals=["1day"])
    idea = frame[frame["symbol"] == "IDEA"].iloc[0]
    assert idea["interval"] is None and idea["bars"] == 0 and pd.isna(idea["first"])
    assert "IDECEL" in idea["data_unavailable_reason"]
    assert frame["symbol"].tolist() == ["IDEA", "TCS"]


def test_effective_first_bar() -> None:
    first = pd.Timestamp("2015-01-02", tz=IST)
    assert effective_first_bar(first, None) == first
    assert effective_first_bar(first, dt.date(2010, 1, 1)) == first
    assert effective_first_bar(first, dt.date(2018, 3, 5)) == pd.Timestamp("2018-03-05", tz=IST)
    naive = effective_first_bar(pd.Timestamp("2015-01-02 09:15"), None)
    assert naive == pd.Timestamp("2015-01-02 09:15", tz=IST)
