"""Tests of sensequant.data.readers.layouts: every layout, symbols, intervals, time zones and
the real files (hard errors and encodings: test_layout_errors.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.readers import LAYOUTS, read_bar_file
from sensequant.errors import InvalidSymbolError
from sensequant.types import IST
from tests.data.readers.helpers import YAHOO, _problem, _ts, _write


# ------------------------------------------------------------------------------ layouts
def test_yahoo_daily(tmp_path: Path) -> None:
    parsed = read_bar_file(_write(tmp_path, "MM.csv", YAHOO))
    assert parsed.layout == "yahoo_daily"
    assert parsed.symbol == "M&M"
    assert parsed.interval == "1day"
    bars = parsed.bars
    assert list(bars.columns) == ["timestamp", "open", "high", "low", "close", "volume", "_line"]
    assert bars["close"].tolist() == [101.0, 102.5, 103.0]  # Close, not Adj Close
    assert bars["timestamp"].iloc[0] == _ts("2024-01-02")
    assert str(bars["timestamp"].dt.tz) == IST
    assert bars["_line"].tolist() == [2, 3, 4]
    assert all(bars[c].dtype == np.float64 for c in ("open", "close", "volume"))


def test_yfinance_v2_column_order(tmp_path: Path) -> None:
    text = "Date,Adj Close,Close,High,Low,Open,Volume\n2024-01-02,95.0,101.0,102.0,99.0,100.0,10\n"
    parsed = read_bar_file(_write(tmp_path, "INFY.csv", text))
    assert parsed.layout == "yfinance_v2"
    row = parsed.bars.iloc[0]
    assert (row["open"], row["high"], row["low"], row["close"]) == (100.0, 102.0, 99.0, 101.0)


def test_index_pandas(tmp_path: Path) -> None:
    text = (
        ",Date,Open,High,Low,Close,Volume\n"
        "0,2000-01-03,1482.15,1592.9,1482.15,1592.2,25358322.0\n"
        "1,2000-01-04,1594.4,1641.95,1594.4,1638.7,38787872.0\n"
    )
    parsed = read_bar_file(_write(tmp_path, "nifty50_2000_2019.csv", text))
    assert parsed.layout == "index_pandas"
    assert parsed.symbol == "NIFTY 50"
    assert parsed.bars["close"].tolist() == [1592.2, 1638.7]
    assert "Unnamed: 0" not in parsed.bars.columns


def test_index_yf_lower_keeps_volume_as_read(tmp_path: Path) -> None:
    text = (
        "date,close,high,low,open,volume\n"
        "2007-09-17,4494.6,4549.0,4482.8,4518.4,0\n"
        "2007-09-18,4546.2,4551.8,4481.5,4494.1,0\n"
    )
    parsed = read_bar_file(_write(tmp_path, "nifty50_2007_2024_yf.csv", text))
    assert parsed.layout == "index_yf_lower"
    assert parsed.symbol == "NIFTY 50"
    row = parsed.bars.iloc[0]
    assert (row["open"], row["close"], row["volume"]) == (4518.4, 4494.6, 0.0)


def test_ohlcv_lower_five_minute(tmp_path: Path) -> None:
    text = (
        "date,open,high,low,close,volume\n"
        "2023-07-03 09:15:00+05:30,2438.35,2443.3,2435.75,2442.25,105325\n"
        "2023-07-03 09:20:00+05:30,2441.7,2443.05,2440.2,2442.05,41613\n"
        "2023-07-03 09:25:00+05:30,2442.0,2444.0,2441.0,2443.0,30000\n"
    )
    parsed = read_bar_file(_write(tmp_path, "RELIANCE.csv", text))
    assert parsed.layout == "ohlcv_lower"
    assert parsed.interval == "5minute"
    assert parsed.bars["timestamp"].iloc[1] == _ts("2023-07-03 09:20")


def test_generic_layout_any_order_case_and_blanks(tmp_path: Path) -> None:
    text = " Volume , CLOSE,low,High,open,Date\n10,101,99,102,100,2024-01-02\n"
    parsed = read_bar_file(_write(tmp_path, "TCS.csv", text))
    assert parsed.layout == "ohlcv_lower"
    row = parsed.bars.iloc[0]
    assert (row["open"], row["high"], row["low"], row["close"], row["volume"]) == (
        100,
        102,
        99,
        101,
        10,
    )


def test_broker_oi_daily_midnight(tmp_path: Path) -> None:
    text = (
        "timestamp,open,high,low,close,volume,oi\n"
        "2020-10-01 00:00:00+05:30,100,101,99,100.5,500,7000\n"
        "2020-10-05 00:00:00+05:30,100.5,102,100,101,600,7100\n"
    )
    parsed = read_bar_file(_write(tmp_path, "NIFTYFUT.csv", text))
    assert parsed.layout == "broker_oi"
    assert parsed.interval == "1day"
    assert parsed.bars["oi"].tolist() == [7000.0, 7100.0]
    assert parsed.bars["timestamp"].iloc[0] == _ts("2020-10-01")


KAGGLE_HEADER = (
    "Date,Symbol,Series,Prev Close,Open,High,Low,Last,Close,VWAP,Volume,Turnover,Trades,"
    "Deliverable Volume,%Deliverble\n"
)


def test_kaggle_nse_filters_eq_maps_columns_and_takes_latest_symbol(tmp_path: Path) -> None:
    text = KAGGLE_HEADER + (
        "2007-07-27,UTIBANK,EQ,500,501,510,495,505,506,503.2,1000,5.03e10,,400,0.4\n"
        "2007-07-27,UTIBANK,BE,500,501,510,495,505,999,503.2,1000,5.03e10,,400,0.4\n"
        "2007-07-30,AXISBANK,EQ,506,507,512,500,508,509,507.1,1100,5.5e10,55,500,0.45\n"
    )
    parsed = read_bar_file(_write(tmp_path, "AXISBANK.csv", text))
    assert parsed.layout == "kaggle_nse"
    assert parsed.symbol == "AXISBANK"
    bars = parsed.bars
    assert bars["close"].tolist() == [506.0, 509.0]  # the BE row is gone
    assert bars["_line"].tolist() == [2, 4]
    assert bars["vwap"].tolist() == [503.2, 507.1]
    assert np.isnan(bars["trades"].iloc[0])
    assert bars["trades"].iloc[1] == 55
    assert bars["delivery_volume"].tolist() == [400.0, 500.0]
    assert "turnover" not in bars.columns


def test_kaggle_file_with_several_symbols_at_once_is_refused(tmp_path: Path) -> None:
    text = KAGGLE_HEADER + (
        "2007-07-27,TCS,EQ,1,1,1,1,1,1,1,1,1,1,1,1\n2007-07-27,INFY,EQ,1,1,1,1,1,1,1,1,1,1,1,1\n"
    )
    assert "2 symbols" in _problem(_write(tmp_path, "NIFTY50_all.csv", text))


def test_kaggle_without_eq_rows(tmp_path: Path) -> None:
    text = KAGGLE_HEADER + "2007-07-27,TCS,BE,1,1,1,1,1,1,1,1,1,1,1,1\n"
    assert "EQ" in _problem(_write(tmp_path, "TCS.csv", text))


def test_parquet_with_store_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "timestamp": pd.DatetimeIndex(["2024-01-03", "2024-01-02"], tz=IST),
            "open": [2.0, 1.0],
            "high": [2.5, 1.5],
            "low": [1.5, 0.5],
            "close": [2.2, 1.2],
            "volume": [10, 20],
            "vwap": [2.1, 1.1],
        }
    )
    path = tmp_path / "M%26M.parquet"
    frame.to_parquet(path)
    parsed = read_bar_file(path)
    assert parsed.layout == "parquet"
    assert parsed.symbol == "M&M"
    assert parsed.bars["close"].tolist() == [1.2, 2.2]  # sorted
    assert parsed.bars["_line"].tolist() == [2, 1]  # 1-based row numbers
    assert "vwap" in parsed.bars.columns


def test_all_layouts_named() -> None:
    assert set(LAYOUTS) >= {"yahoo_daily", "kaggle_nse", "broker_oi", "parquet"}


# -------------------------------------------------------------------------- symbol rules
def test_symbol_argument_wins_and_is_validated(tmp_path: Path) -> None:
    path = _write(tmp_path, "whatever.csv", YAHOO)
    assert read_bar_file(path, symbol="tcs").symbol == "TCS"
    with pytest.raises(InvalidSymbolError):
        read_bar_file(path, symbol="../x")


def test_unusable_file_name_gives_no_symbol(tmp_path: Path) -> None:
    assert read_bar_file(_write(tmp_path, "my data!.csv", YAHOO)).symbol is None


# ------------------------------------------------------------------- intervals and zones
def _intraday(stamps: list[str]) -> str:
    rows = "".join(f"{s},10,11,9,10.5,100\n" for s in stamps)
    return "date,open,high,low,close,volume\n" + rows


@pytest.mark.parametrize(
    ("step", "interval"), [("1min", "1minute"), ("5min", "5minute"), ("30min", "30minute")]
)
def test_interval_detection(tmp_path: Path, step: str, interval: str) -> None:
    stamps = pd.date_range("2024-01-02 09:15", periods=6, freq=step)
    text = _intraday([s.strftime("%Y-%m-%d %H:%M:%S") for s in stamps])
    parsed = read_bar_file(_write(tmp_path, "X.csv", text))
    assert parsed.interval == interval
    # naive times are IST
    assert parsed.bars["timestamp"].iloc[0] == _ts("2024-01-02 09:15")


def test_modal_spacing_ignores_gaps_and_overnight(tmp_path: Path) -> None:
    stamps = ["2024-01-02 09:15", "2024-01-02 09:20", "2024-01-02 09:35", "2024-01-02 09:40"]
    stamps += ["2024-01-03 09:15", "2024-01-03 09:20"]
    assert read_bar_file(_write(tmp_path, "X.csv", _intraday(stamps))).interval == "5minute"


def test_unsupported_spacing(tmp_path: Path) -> None:
    stamps = ["2024-01-02 09:15", "2024-01-02 09:30", "2024-01-02 09:45"]
    problem = _problem(_write(tmp_path, "X.csv", _intraday(stamps)))
    assert "900 s" in problem


def test_weekly_bars_rejected(tmp_path: Path) -> None:
    rows = "".join(
        f"{d:%Y-%m-%d},1,1,1,1,1,1\n" for d in pd.date_range("2024-01-01", periods=5, freq="W-MON")
    )
    assert "weekly or monthly" in _problem(
        _write(tmp_path, "X.csv", YAHOO.splitlines()[0] + "\n" + rows)
    )


def test_given_interval_must_match(tmp_path: Path) -> None:
    path = _write(tmp_path, "X.csv", YAHOO)
    assert read_bar_file(path, interval="1day").interval == "1day"
    assert "look like '1day'" in _problem(path, interval="5minute")
    stamps = ["2024-01-02 09:15", "2024-01-02 09:20"]
    intraday = _write(tmp_path, "Y.csv", _intraday(stamps))
    assert "'1day'" in _problem(intraday, interval="1day")
    assert "unknown interval" in _problem(path, interval="1week")


def test_utc_stamps_converted_to_ist(tmp_path: Path) -> None:
    text = _intraday(["2023-07-03T03:45:00Z", "2023-07-03T03:50:00Z"])
    bars = read_bar_file(_write(tmp_path, "X.csv", text)).bars
    assert bars["timestamp"].iloc[0] == _ts("2023-07-03 09:15")
    text = _intraday(["2023-07-03 03:45:00+00:00", "2023-07-03 03:50:00+00:00"])
    assert read_bar_file(_write(tmp_path, "Y.csv", text)).bars["timestamp"].iloc[1] == _ts(
        "2023-07-03 09:20"
    )


def test_daily_bars_stamped_off_midnight_are_normalised(tmp_path: Path) -> None:
    text = _intraday(["2020-10-01 00:00:00+00:00", "2020-10-05 00:00:00+00:00"])
    parsed = read_bar_file(_write(tmp_path, "X.csv", text))
    assert parsed.interval == "1day"
    assert parsed.bars["timestamp"].tolist() == [_ts("2020-10-01"), _ts("2020-10-05")]


@pytest.mark.parametrize(
    "stamps",
    [
        ["2023-07-03 09:15:00+05:30", "2023-07-03 09:20:00", "2023-07-03 09:25:00+05:30"],
        ["2023-07-03 09:20:00", "2023-07-03 09:15:00+05:30", "2023-07-03 09:25:00"],
        ["2023-07-03 09:15:00+05:30", "2023-07-03 03:50:00+00:00", "2023-07-03 09:25:00+05:30"],
    ],
)
def test_mixed_time_zones_rejected_with_line(tmp_path: Path, stamps: list[str]) -> None:
    problem = _problem(_write(tmp_path, "X.csv", _intraday(stamps)))
    assert "mixed time zones" in problem
    assert "line 3" in problem


def test_rows_sorted_but_lines_kept(tmp_path: Path) -> None:
    text = (
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-01-03,1,1,1,1,1,1\n"
        "2024-01-02,2,2,2,2,2,2\n"
        "2024-01-03,1,1,1,1,1,1\n"
    )
    bars = read_bar_file(_write(tmp_path, "X.csv", text)).bars
    assert bars["_line"].tolist() == [3, 2, 4]  # stable: exact repeats stay in file order
    assert bars["close"].tolist() == [2.0, 1.0, 1.0]


def test_blank_lines_skipped_line_numbers_exact(tmp_path: Path) -> None:
    text = YAHOO.replace("2024-01-03", "\n2024-01-03") + "\n\n"
    bars = read_bar_file(_write(tmp_path, "X.csv", text)).bars
    assert bars["_line"].tolist() == [2, 4, 5]


def test_missing_volume_is_kept_as_nan(tmp_path: Path) -> None:
    text = YAHOO.replace("102.5,96.4,1200", "102.5,96.4,")
    assert np.isnan(read_bar_file(_write(tmp_path, "X.csv", text)).bars["volume"].iloc[1])


# ---------------------------------------------------------------- kaggle series, bhavcopy
def test_kaggle_series_option_and_bad_symbol_value(tmp_path: Path) -> None:
    text = KAGGLE_HEADER + (
        "2007-07-27,TCS,EQ,500,501,510,495,505,506,503.2,1000,5.03e10,,400,0.4\n"
        "2007-07-30,TCS,BE,506,507,512,500,508,509,507.1,1100,5.5e10,55,500,0.45\n"
    )
    path = _write(tmp_path, "TCS.csv", text)
    assert len(read_bar_file(path).bars) == 1
    assert len(read_bar_file(path, series=("EQ", "BE")).bars) == 2
    bad = _write(tmp_path, "B.csv", text.replace("2007-07-30,TCS", "2007-07-30,T\\CS"))
    assert "bad value in the Symbol column" in (problem := _problem(bad, series=("EQ", "BE")))
    assert "line 3" in problem


def test_bhavcopy_detected_by_header(tmp_path: Path) -> None:
    text = (
        "SYMBOL,SERIES,OPEN,HIGH,LOW,CLOSE,LAST,PREVCLOSE,TOTTRDQTY,TOTTRDVAL,TIMESTAMP,"
        "TOTALTRADES,ISIN,\nTCS,EQ,1,2,1,2,2,1,10,20,02-JAN-2024,3,INE467B01029,\n"
    )
    parsed = read_bar_file(_write(tmp_path, "whatever.csv", text))
    assert (parsed.layout, parsed.symbol) == ("bhavcopy_legacy", None)
    assert parsed.bars["symbol"].tolist() == ["TCS"]
    assert "bhavcopy_udiff" in LAYOUTS


# ------------------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_every_shared_file_parses(shared_data: Path) -> None:
    expected = {
        "nse_daily_yf": ("yahoo_daily", "1day", 50),
        "nse_5min": ("ohlcv_lower", "5minute", 16),
    }
    for folder, (layout, interval, count) in expected.items():
        files = sorted((shared_data / folder).glob("*.csv"))
        assert len(files) == count
        for path in files:
            # 1996 Yahoo rows (and one 5-minute bar) have high/low not bounding open/close
            parsed = read_bar_file(path, repair_ohlc=True)
            assert (parsed.layout, parsed.interval) == (layout, interval), path
            assert parsed.symbol == ("M&M" if path.stem == "MM" else path.stem)
            assert parsed.bars["timestamp"].is_monotonic_increasing
    index = shared_data / "nifty50_index"
    old = read_bar_file(index / "nifty50_2000_2019.csv")
    new = read_bar_file(index / "nifty50_2007_2024_yf.csv")
    assert (old.layout, old.interval, old.symbol) == ("index_pandas", "1day", "NIFTY 50")
    assert (new.layout, new.interval, new.symbol) == ("index_yf_lower", "1day", "NIFTY 50")
    # closes agree where the two index files overlap (README)
    a = old.bars.set_index("timestamp")["close"]
    b = new.bars.set_index("timestamp")["close"]
    both = a.index.intersection(b.index)
    assert len(both) > 2000
    assert np.allclose(a[both], b[both], rtol=1e-3)
