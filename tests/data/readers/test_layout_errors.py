"""Tests of sensequant.data.readers.layouts: every hard error (naming the lines), encodings
and content that is not CSV data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.readers import read_bar_file
from sensequant.errors import InputFileError
from sensequant.types import IST
from tests.data.readers.helpers import YAHOO, _problem, _write


# ---------------------------------------------------------------------------- hard errors
def test_empty_and_header_only(tmp_path: Path) -> None:
    assert "empty" in _problem(_write(tmp_path, "A.csv", ""))
    assert "header only" in _problem(_write(tmp_path, "B.csv", YAHOO.splitlines()[0] + "\n"))


def test_unknown_layout_lists_columns_and_layouts(tmp_path: Path) -> None:
    path = _write(tmp_path, "X.csv", "Ticker,Price,When\nA,1,2024-01-02\n")
    with pytest.raises(InputFileError) as info:
        read_bar_file(path)
    assert "unknown layout" in info.value.problem
    assert "Ticker" in info.value.problem
    assert "yahoo_daily" in str(info.value.hint)
    assert "kaggle_nse" in str(info.value.hint)


def test_missing_required_columns_named(tmp_path: Path) -> None:
    problem = _problem(_write(tmp_path, "X.csv", "Date,Open,High,Close\n2024-01-02,1,1,1\n"))
    assert "['low', 'volume']" in problem
    problem = _problem(_write(tmp_path, "Y.csv", "open,high,low,close,volume\n1,1,1,1,1\n"))
    assert "date (or timestamp)" in problem


def test_unparseable_timestamps_name_lines(tmp_path: Path) -> None:
    text = YAHOO.replace("2024-01-03", "03/01/2024x")
    problem = _problem(_write(tmp_path, "X.csv", text))
    assert "unparseable timestamps at line 3" in problem


def test_non_numeric_prices_name_lines(tmp_path: Path) -> None:
    text = YAHOO.replace("102.5,96.4", "abc,96.4")
    assert "non-numeric close at line 3" in _problem(_write(tmp_path, "X.csv", text))


def test_nan_prices_name_lines(tmp_path: Path) -> None:
    text = YAHOO + "2024-01-05,null,null,null,null,null,null\n"
    assert "missing (NaN) prices at line 5" in _problem(_write(tmp_path, "X.csv", text))


def test_non_positive_prices_name_lines(tmp_path: Path) -> None:
    text = YAHOO.replace("101.0,103.0,100.0", "0,103.0,-1")
    assert "non-positive" in (problem := _problem(_write(tmp_path, "X.csv", text)))
    assert "line 3" in problem


def test_many_bad_lines_are_summarised(tmp_path: Path) -> None:
    rows = "".join(f"2024-01-{d:02d},1,1,1,-1,1,1\n" for d in range(1, 10))
    problem = _problem(_write(tmp_path, "X.csv", YAHOO.splitlines()[0] + "\n" + rows))
    assert "lines 2, 3, 4, 5, 6 and 4 more" in problem


def test_undecodable_bytes_name_line(tmp_path: Path) -> None:
    path = tmp_path / "X.csv"
    path.write_bytes(YAHOO.encode() + b"2024-01-05,1,1,1,1,1,\xff\xfe\n")
    assert "not UTF-8) at line 5" in _problem(path)
    binary = tmp_path / "Y.csv"
    binary.write_bytes(YAHOO.encode() + b"\x00\x00")
    assert "NUL" in _problem(binary)


def test_future_timestamps_rejected(tmp_path: Path) -> None:
    future = (pd.Timestamp.now(tz=IST) + pd.Timedelta(days=3)).strftime("%Y-%m-%d")
    text = YAHOO + f"{future},1,1,1,1,1,1\n"
    assert "future at line 5" in _problem(_write(tmp_path, "X.csv", text))


def test_ragged_row_is_reported(tmp_path: Path) -> None:
    text = YAHOO + "2024-01-05,1,1,1,1,1,1,1,1\n"
    assert "malformed CSV" in _problem(_write(tmp_path, "X.csv", text))


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in _problem(tmp_path / "nope.csv")


# ---------------------------------------------------------------- encodings and content
def test_html_page_refused(tmp_path: Path) -> None:
    html = "\n  <!DOCTYPE html><html><head><title>Login</title></head><body></body></html>"
    problem = _problem(_write(tmp_path, "X.csv", html))
    assert "HTML web page" in problem and "'Login'" in problem


def test_utf16_with_bom_is_read_without_is_refused(tmp_path: Path) -> None:
    with_bom = tmp_path / "A.csv"
    with_bom.write_bytes(YAHOO.encode("utf-16"))  # Python writes the BOM
    assert read_bar_file(with_bom).bars["close"].tolist() == [101.0, 102.5, 103.0]
    no_bom = tmp_path / "B.csv"
    no_bom.write_bytes(YAHOO.encode("utf-16-be"))
    assert "without a byte-order mark" in _problem(no_bom)


def test_binary_content_and_latin1_header(tmp_path: Path) -> None:
    garbage = tmp_path / "G.csv"
    garbage.write_bytes(bytes(range(256)) * 8)
    assert "binary content" in _problem(garbage)
    latin = tmp_path / "L.csv"
    latin.write_bytes(b"Date,Open,High,Low,Close,Volume,Cl\xf4ture\n2024-01-02,1,1,1,1,1,1\n")
    assert "column 7 of the header" in _problem(latin)


def test_first_row_longer_than_header_is_not_shifted(tmp_path: Path) -> None:
    # pandas would silently turn the extra leading fields into an index
    text = YAHOO.splitlines()[0] + "\n2024-01-02,9,100.0,102.0,99.0,101.0,95.0,1000\n"
    assert "malformed CSV: line 2 has 8 fields, the header has 7" in _problem(
        _write(tmp_path, "X.csv", text)
    )
