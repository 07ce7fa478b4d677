"""Tests of the readers on vendor exports: ``NSE:``-prefixed symbol columns, files without a
volume column (``ohlc_lower``) and numeric DD-MM-YYYY / MM-DD-YYYY dates; with the real
``nse_1min`` and ``etf_daily`` files of the shared data when present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.readers import LAYOUTS, read_bar_file
from sensequant.errors import InputFileError
from sensequant.types import IST


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problem(path: Path) -> str:
    with pytest.raises(InputFileError) as info:
        read_bar_file(path)
    assert info.value.hint and info.value.path == path
    return info.value.problem


def _minute_rows(symbol: str, times: list[str], day: str = "2021-07-13") -> str:
    head = "datetime,symbol,open,high,low,close,volume\n"
    return head + "".join(f"{day} {t}:00,{symbol},10.0,10.5,9.5,10.2,7111.0\n" for t in times)


# ------------------------------------------------------------------ exchange prefix
def test_nse_prefix_in_symbol_column_is_stripped_and_noted(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", _minute_rows("NSE:RELIANCE", ["09:15", "09:16", "09:17"]))
    parsed = read_bar_file(path)
    assert parsed.symbol == "RELIANCE"
    assert parsed.interval == "1minute" and parsed.layout == "ohlcv_lower"
    assert parsed.notes == ("NSE:RELIANCE stored as RELIANCE (exchange prefix)",)
    assert parsed.bars["volume"].tolist() == [7111.0] * 3
    assert parsed.bars["timestamp"].iloc[0] == pd.Timestamp("2021-07-13 09:15", tz=IST)


def test_prefixed_and_plain_symbols_are_one_series(tmp_path: Path) -> None:
    text = _minute_rows("NSE:TCS", ["09:15", "09:16"]) + "2021-07-13 09:17:00,TCS,1,1,1,1,1\n"
    assert read_bar_file(_write(tmp_path, "x.csv", text)).symbol == "TCS"


def test_other_exchange_prefix_refused_naming_lines(tmp_path: Path) -> None:
    text = _minute_rows("NSE:TCS", ["09:15", "09:16"])
    text += "2021-07-13 09:17:00,BSE:TCS,1,1,1,1,1\n"
    problem = _problem(_write(tmp_path, "TCS.csv", text))
    assert "another exchange than NSE" in problem
    assert "'BSE:TCS'" in problem and problem.endswith("at line 4")


def test_nse_underscore_is_not_a_prefix(tmp_path: Path) -> None:
    parsed = read_bar_file(_write(tmp_path, "x.csv", _minute_rows("NSE_TCS", ["09:15", "09:16"])))
    assert parsed.symbol == "NSE_TCS" and parsed.notes == ()


# ------------------------------------------------------------------ no volume column
ETF = """date,open,high,low,close
22-07-2019,31.05,31.15,30.85,30.85
23-07-2019,30.85,31.2,30.7,30.8
"""


def test_file_without_volume_keeps_volume_absent(tmp_path: Path) -> None:
    parsed = read_bar_file(_write(tmp_path, "GOLDBEES.csv", ETF))
    assert "ohlc_lower" in LAYOUTS and parsed.layout == "ohlc_lower"
    assert parsed.symbol == "GOLDBEES" and parsed.interval == "1day"
    assert parsed.bars["volume"].isna().all()  # absent, never 0
    assert parsed.bars["volume"].dtype == np.float64
    assert parsed.bars["timestamp"].tolist() == [
        pd.Timestamp("2019-07-22", tz=IST),
        pd.Timestamp("2019-07-23", tz=IST),
    ]
    assert parsed.notes[0] == "no volume column: volume stored as absent (NaN), never 0"
    assert "DD-MM-YYYY (day first)" in parsed.notes[1] and "line 2" in parsed.notes[1]


def test_missing_price_column_still_names_volume(tmp_path: Path) -> None:
    problem = _problem(_write(tmp_path, "X.csv", "date,open,high,close\n2024-01-02,1,1,1\n"))
    assert "['low', 'volume']" in problem and "ohlcv_lower" in problem


# ------------------------------------------------------------------ numeric dates
def _daily(dates: list[str]) -> str:
    return "date,open,high,low,close,volume\n" + "".join(f"{d},10,11,9,10,5\n" for d in dates)


def test_day_first_decided_by_a_field_above_12(tmp_path: Path) -> None:
    parsed = read_bar_file(_write(tmp_path, "X.csv", _daily(["05/03/2024", "13/03/2024"])))
    days = parsed.bars["timestamp"].dt.strftime("%Y-%m-%d").tolist()
    assert days == ["2024-03-05", "2024-03-13"]
    assert "DD-MM-YYYY" in parsed.notes[0] and "line 3" in parsed.notes[0]


def test_month_first_decided_by_a_field_above_12(tmp_path: Path) -> None:
    parsed = read_bar_file(_write(tmp_path, "X.csv", _daily(["03-05-2024", "03-13-2024"])))
    days = parsed.bars["timestamp"].dt.strftime("%Y-%m-%d").tolist()
    assert days == ["2024-03-05", "2024-03-13"]
    assert "MM-DD-YYYY (month first)" in parsed.notes[0]


def test_ambiguous_numeric_dates_refused(tmp_path: Path) -> None:
    problem = _problem(_write(tmp_path, "X.csv", _daily(["05-03-2024", "06-03-2024"])))
    assert "ambiguous dates like '05-03-2024'" in problem


def test_both_orders_in_one_file_refused(tmp_path: Path) -> None:
    text = _daily(["13-03-2024", "14-03-2024", "03-15-2024"])
    problem = _problem(_write(tmp_path, "X.csv", text))
    assert "both DD-MM-YYYY order" in problem and "line 2" in problem
    assert problem.endswith("at line 4")


def test_impossible_and_mixed_separator_dates_refused(tmp_path: Path) -> None:
    problem = _problem(_write(tmp_path, "X.csv", _daily(["13-03-2024", "31-02-2024"])))
    assert problem.startswith("impossible dates at line 3")
    problem = _problem(
        _write(tmp_path, "Y.csv", _daily(["13-03-2024", "14-03-2024", "15/03/2024"]))
    )
    assert problem.startswith("dates with mixed separators at line 4")


def test_iso_dates_unchanged(tmp_path: Path) -> None:
    parsed = read_bar_file(_write(tmp_path, "X.csv", _daily(["2024-03-05", "2024-03-06"])))
    assert parsed.notes == ()


# ------------------------------------------------------------------ real files
def _folder(shared_data: Path, name: str) -> Path:
    folder = shared_data / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not found (older copy of the shared data)")
    return folder


@pytest.mark.realdata
def test_real_etf_files(shared_data: Path) -> None:
    folder = _folder(shared_data, "etf_daily")
    for name, rows, weekend in (("GOLDBEES", 1220, 7), ("SILVERBEES", 588, 4)):
        parsed = read_bar_file(folder / f"{name}.csv")
        assert (parsed.symbol, parsed.layout, parsed.interval) == (name, "ohlc_lower", "1day")
        assert len(parsed.bars) == rows and parsed.bars["volume"].isna().all()
        ts = parsed.bars["timestamp"]
        assert ts.is_monotonic_increasing and ts.iloc[-1] == pd.Timestamp("2024-06-21", tz=IST)
        assert int((ts.dt.dayofweek >= 5).sum()) == weekend
    gold = read_bar_file(folder / "GOLDBEES.csv").bars.set_index("timestamp")
    assert gold.loc[pd.Timestamp("2020-08-27", tz=IST), ["open", "close"]].tolist() == [51.5, 45.05]


@pytest.mark.realdata
def test_real_one_minute_files(shared_data: Path) -> None:
    folder = _folder(shared_data, "nse_1min")
    for name, rows in (("RELIANCE", 8779), ("TCS", 8776), ("HDFCBANK", 8778)):
        parsed = read_bar_file(folder / f"{name}.csv")
        assert (parsed.symbol, parsed.interval) == (name, "1minute")
        assert len(parsed.bars) == rows  # the reader keeps every row; clean_bars drops prints
        assert parsed.notes == (f"NSE:{name} stored as {name} (exchange prefix)",)
