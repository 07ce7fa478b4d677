"""Issue 10: value checks, symbols from file names, extra columns and delimiters of the readers
(crafted files in tmp, and the real shared files where they show the case)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.readers import read_bar_file
from sensequant.data.readers.symbols import filename_symbol
from sensequant.errors import InputFileError, UsageError
from tests.data.readers.helpers import YAHOO, _problem, _write

HEADER = YAHOO.splitlines()[0]


def _yahoo(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


# ---------------------------------------------------------------------- symbols (bullet 3)
@pytest.mark.parametrize(
    ("stem", "symbol"),
    [
        ("INFY_2020-10-01_to_2025-09-30", "INFY"),
        ("RELIANCE_5minute", "RELIANCE"),
        ("NSE_TCS", "TCS"),
        ("NSE-TCS", "TCS"),
        ("NSE:SBIN", "SBIN"),
        ("INFY.NS", "INFY"),
        ("BAJAJ-AUTO_daily", "BAJAJ-AUTO"),
        ("MM_2015_2024", "M&M"),
        ("HDFCBANK_1minute_20210712", "HDFCBANK"),
        ("nifty50_2007_2024_yf", "NIFTY 50"),
        ("A_B_C", "A_B_C"),  # a tail that is not dates/intervals: the name is read whole
    ],
)
def test_symbol_from_file_name(stem: str, symbol: str) -> None:
    assert filename_symbol(stem)[0] == symbol


def test_dated_file_name_is_stored_under_its_symbol_with_a_note(tmp_path: Path) -> None:
    parsed = read_bar_file(_write(tmp_path, "INFY_2020-10-01_to_2025-09-30.csv", YAHOO))
    assert parsed.symbol == "INFY"
    assert "INFY_2020-10-01_to_2025-09-30 stored as INFY (symbol from the file name)" in (
        parsed.notes
    )
    plain = read_bar_file(_write(tmp_path, "INFY.csv", YAHOO))
    assert plain.symbol == "INFY" and plain.notes == ()


def test_symbol_column_wins_over_the_file_name(tmp_path: Path) -> None:
    text = "date,symbol,open,high,low,close,volume\n2024-01-02,NSE:TCS,1,1,1,1,1\n"
    assert read_bar_file(_write(tmp_path, "NSE_INFY_daily.csv", text)).symbol == "TCS"


# ------------------------------------------------------------------- values (bullet 4)
def test_price_bound_inf_and_spikes_name_the_line(tmp_path: Path) -> None:
    rows = ["2024-01-02,100,102,99,101,1,1", "2024-01-03,100,102,99,101,1,1"]
    huge = _problem(
        _write(tmp_path, "A.csv", _yahoo(*rows, "2024-01-04,1.5e8,1.5e8,1.5e8,1.5e8,1,1"))
    )
    assert "implausible prices above 1e+08 rupees (10 crore) at line 4" in huge
    inf = _problem(_write(tmp_path, "B.csv", _yahoo(rows[0], "2024-01-03,inf,1,1,1,1,1")))
    assert "infinite prices at line 3" in inf
    spike = _yahoo(rows[0], "2024-01-03,100,2500,99,2100,1,1", "2024-01-04,100,102,99,101,1,1")
    problem = _problem(_write(tmp_path, "C.csv", spike))
    assert "more than 20x away from both neighbouring rows' closes at line 3" in problem
    assert "(first: high 2500 between closes 101 and 101)" in problem


def test_a_level_change_is_not_a_spike(tmp_path: Path) -> None:
    # an unadjusted 1:50 split: the new level holds, one neighbour agrees
    text = _yahoo(
        "2024-01-02,5000,5050,4950,5000,1,1",
        "2024-01-03,100,102,99,101,1,1",
        "2024-01-04,100,102,99,101,1,1",
    )
    assert len(read_bar_file(_write(tmp_path, "A.csv", text)).bars) == 3


def test_inconsistent_ohlc_refused_or_kept_for_repair(tmp_path: Path) -> None:
    path = _write(tmp_path, "A.csv", _yahoo("2024-01-02,100,98,99,99,1,1"))
    assert "inconsistent OHLC (high < low, or open/close outside [low, high]) at line 2" in (
        _problem(path)
    )
    parsed = read_bar_file(path, repair_ohlc=True)
    assert any("1 rows with inconsistent OHLC (line 2)" in n for n in parsed.notes)
    assert parsed.bars["high"].iloc[0] == 98.0  # repaired by clean_bars, not here


@pytest.mark.realdata
def test_real_yahoo_file_with_1996_ohlc_errors(shared_data: Path) -> None:
    path = shared_data / "nse_daily_yf" / "BPCL.csv"
    with pytest.raises(InputFileError) as info:
        read_bar_file(path)
    assert "inconsistent OHLC" in info.value.problem and "lines 2, 6, 9, 21, 27" in (
        info.value.problem
    )
    assert "--repair-ohlc" in str(info.value.hint)
    assert len(read_bar_file(path, repair_ohlc=True).bars) == 7202


def test_conflicting_rows_fail_naming_both_lines_or_follow_the_policy(tmp_path: Path) -> None:
    text = _yahoo(
        "2024-01-02,1,1,1,1,1,1",
        "2024-01-03,2,2,2,2,2,2",
        "2024-01-03,3,3,3,3,3,3",
        "2024-01-03,2,2,2,2,2,2",  # an exact copy of line 3
    )
    path = _write(tmp_path, "A.csv", text)
    problem = _problem(path)
    assert "conflicting rows for one timestamp" in problem
    assert "2024-01-03 at lines 3 and 4 (open 2 vs 3, high 2 vs 3)" in problem
    keep = read_bar_file(path, on_conflict="keep")
    assert keep.bars["close"].tolist() == [1.0, 2.0, 2.0]  # the exact copy stays for clean_bars
    assert "dropped line 4" in keep.notes[-1]
    replace = read_bar_file(path, on_conflict="replace")
    assert replace.bars["close"].tolist() == [1.0, 3.0]
    with pytest.raises(UsageError):
        read_bar_file(path, on_conflict="newest")


# ------------------------------------------------------- columns and delimiters (bullet 4)
def test_unknown_extra_column_is_ignored_with_a_note(tmp_path: Path) -> None:
    lines = YAHOO.splitlines()
    text = "\n".join([lines[0] + ",Dividends", *(x + ",0" for x in lines[1:])]) + "\n"
    parsed = read_bar_file(_write(tmp_path, "A.csv", text))
    assert parsed.layout == "yahoo_daily"
    assert "columns ['Dividends'] ignored (not bar columns; layout yahoo_daily)" in parsed.notes


@pytest.mark.realdata
def test_real_yahoo_file_with_an_extra_column(shared_data: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(shared_data / "nse_daily_yf" / "TCS.csv")
    frame["Stock Splits"] = 0
    path = tmp_path / "TCS.csv"
    frame.to_csv(path, index=False)
    parsed = read_bar_file(path)
    assert (parsed.layout, parsed.symbol, len(parsed.bars)) == ("yahoo_daily", "TCS", len(frame))
    assert any("['Stock Splits'] ignored" in n for n in parsed.notes)


def test_semicolon_tab_and_utf16_files_are_read(tmp_path: Path) -> None:
    semi = read_bar_file(_write(tmp_path, "A.csv", YAHOO.replace(",", ";")))
    tab = read_bar_file(_write(tmp_path, "B.csv", YAHOO.replace(",", "\t")))
    path = tmp_path / "C.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + YAHOO.encode("utf-16-le"))
    utf16 = read_bar_file(path)
    for parsed in (semi, tab, utf16):
        assert parsed.bars["close"].tolist() == [101.0, 102.5, 103.0]
    assert "semicolon-separated file (read with ';' as the delimiter)" in semi.notes
    decimal = YAHOO.replace(",", ";").replace("100.0", "100,0")
    problem = _problem(_write(tmp_path, "D.csv", decimal))
    assert "non-numeric open at line 2 (first value '100,0')" in problem


def test_dates_before_1677_are_named(tmp_path: Path) -> None:
    problem = _problem(_write(tmp_path, "A.csv", _yahoo("1500-01-02,1,1,1,1,1,1")))
    assert "outside the dates pandas can hold (1677-09-22..2262-04-11) at line 2" in problem
