"""Tests of sensequant.data.quality.clean: one test per finding kind, plus the real-data quirks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.market import SESSION_OVERRIDES, is_session
from sensequant.data.quality import FINDING_KINDS, CleanResult, Finding, clean_bars
from sensequant.data.readers import read_bar_file
from sensequant.errors import DataError
from sensequant.types import BAR_COLUMNS, IST
from tests.conftest import make_daily_bars


def _bars(rows: Sequence[tuple[str, float, float, float, float, float]]) -> pd.DataFrame:
    """Bars from (timestamp, open, high, low, close, volume) with _line = 2, 3, ..."""
    frame = pd.DataFrame(rows, columns=list(BAR_COLUMNS))
    frame["timestamp"] = pd.DatetimeIndex(frame["timestamp"]).tz_localize(IST)
    frame["_line"] = np.arange(2, len(frame) + 2)
    return frame


def _by_kind(result: CleanResult) -> dict[str, Finding]:
    return {f.kind: f for f in result.findings}


def _clean(frame: pd.DataFrame, interval: str = "1day", is_index: bool = False) -> CleanResult:
    return clean_bars(frame, symbol="TEST", interval=interval, is_index=is_index)


def test_clean_synthetic_series_has_no_findings() -> None:
    bars = make_daily_bars(n=200, seed=3, start="2018-01-01")
    bars = bars[is_session(bars["timestamp"])].reset_index(drop=True)
    result = _clean(bars)
    assert result.findings == ()
    assert result.rows_in == result.rows_out == len(bars)
    assert list(result.bars.columns) == list(BAR_COLUMNS)


def test_empty_input() -> None:
    result = _clean(_bars([]))
    assert (result.rows_in, result.rows_out, result.findings) == (0, 0, ())
    assert list(result.bars.columns) == list(BAR_COLUMNS)


def test_exact_duplicates_removed_with_lines() -> None:
    frame = _bars(
        [
            ("2024-01-02", 10, 11, 9, 10, 100),
            ("2024-01-03", 10, 11, 9, 10, 100),
            ("2024-01-02", 10, 11, 9, 10, 100),
        ]
    )
    result = _clean(frame)
    finding = _by_kind(result)["exact_duplicate_removed"]
    assert finding.count == 1
    assert finding.lines == (4,)
    assert finding.first_timestamp == pd.Timestamp("2024-01-02", tz=IST)
    assert result.rows_out == 2
    assert "_line" not in result.bars.columns


def test_conflicting_duplicate_keeps_last_in_file_order() -> None:
    frame = _bars(
        [
            ("2024-01-02", 10, 11, 9, 10, 100),
            ("2024-01-03", 10, 11, 9, 10, 100),
            ("2024-01-02", 10, 12, 9, 11, 150),
        ]
    )
    result = _clean(frame)
    finding = _by_kind(result)["conflicting_duplicate"]
    assert finding.count == 1
    assert finding.lines == (2,)
    assert result.bars["close"].tolist() == [11.0, 10.0]
    assert result.bars["timestamp"].is_unique


def test_whole_intraday_day_duplicated() -> None:
    day = pd.date_range("2024-01-02 09:15", periods=75, freq="5min")
    rows = [(str(t), 10.0, 11.0, 9.0, 10.0, 100.0) for t in day]
    result = _clean(_bars(rows + rows), interval="5minute")
    finding = _by_kind(result)["exact_duplicate_removed"]
    assert finding.count == 75
    assert "1 days: 2024-01-02" in finding.detail
    assert result.rows_out == 75


def test_negative_volume_clipped() -> None:
    frame = _bars([("2024-01-02", 10, 11, 9, 10, -5), ("2024-01-03", 10, 11, 9, 10, 7)])
    result = _clean(frame)
    assert _by_kind(result)["negative_volume_clipped"].lines == (2,)
    assert result.bars["volume"].tolist() == [0.0, 7.0]
    assert "zero_volume_session" in _by_kind(result)


def test_holiday_and_weekend_rows_without_trading_dropped() -> None:
    frame = _bars(
        [
            ("2008-11-26", 240, 262, 240, 260, 100),
            ("2008-11-27", 260, 260, 260, 260, 0),  # Mumbai attacks closure: stale row
            ("2008-11-28", 256, 267, 249, 259, 100),
            ("2008-11-29", 259, 259, 259, 259, 0),  # Saturday
            ("2008-12-01", 259, 262, 250, 255, 100),
        ]
    )
    result = _clean(frame)
    found = _by_kind(result)
    assert found["holiday_row_dropped"].lines == (3,)
    assert found["weekend_row_dropped"].lines == (5,)
    assert "2008-11-27" in found["holiday_row_dropped"].detail
    assert result.rows_out == 3


def test_off_calendar_rows_with_trading_dropped() -> None:
    frame = _bars(
        [
            ("2008-11-26", 240, 262, 240, 260, 100),
            ("2008-11-27", 255, 262, 250, 258, 50),
            ("2008-11-30", 255, 262, 250, 258, 50),  # Sunday with volume
        ]
    )
    result = _clean(frame)
    assert _by_kind(result)["off_calendar_row_dropped"].count == 2
    assert "add it to the calendar overrides" in _by_kind(result)["off_calendar_row_dropped"].detail
    assert result.rows_out == 1


def test_override_sessions_are_sessions() -> None:
    assert pd.Timestamp("2024-05-18").date() in SESSION_OVERRIDES
    frame = _bars([("2024-05-17", 10, 11, 9, 10, 5), ("2024-05-18", 10, 11, 9, 10, 5)])
    assert _clean(frame).findings == ()


def test_outside_calendar_range_flagged_once_and_kept() -> None:
    frame = _bars(
        [
            ("1996-01-26", 10, 11, 9, 10, 0),
            ("1996-01-27", 10, 11, 9, 10, 0),
            ("1997-01-02", 10, 11, 9, 10, 5),
        ]
    )
    result = _clean(frame)
    assert [f.kind for f in result.findings] == ["outside_calendar_range"]
    assert result.findings[0].count == 2
    assert result.rows_out == 3


def test_stale_one_price_zero_volume_session_row_dropped() -> None:
    frame = _bars(
        [
            ("2010-07-27", 99.0, 100.7, 98.5, 99.8, 5e7),
            ("2010-07-28", 218.3, 218.3, 218.3, 218.3, 0),
            ("2010-07-29", 99.7, 101.7, 99.0, 100.4, 5e7),
        ]
    )
    result = _clean(frame)
    assert _by_kind(result)["stale_row_dropped"].lines == (3,)
    assert result.rows_out == 2
    # an index has no volume to judge by, and intraday flat zero-volume bars are normal
    assert _clean(frame, is_index=True).rows_out == 3


def test_zero_and_missing_volume_flagged() -> None:
    frame = _bars([("2024-01-02", 10, 11, 9, 10, 0), ("2024-01-03", 10, 11, 9, 10, np.nan)])
    found = _by_kind(_clean(frame))
    assert found["zero_volume_session"].lines == (2,)
    assert found["missing_volume"].lines == (3,)


def test_ohlc_inconsistent_flagged_not_changed() -> None:
    frame = _bars(
        [
            ("2024-01-02", 10, 9.5, 9, 10, 5),  # high < open
            ("2024-01-03", 10, 11, 10.5, 10.2, 5),  # low > min(open, close)
            ("2024-01-04", 10, 11, 9, 10 * (1 + 1e-12), 5),  # float noise only
        ]
    )
    result = _clean(frame)
    assert _by_kind(result)["ohlc_inconsistent"].lines == (2, 3)
    assert result.bars["high"].iloc[0] == 9.5


def test_index_skips_volume_checks_and_judges_trading_by_price() -> None:
    frame = _bars(
        [
            ("2008-11-26", 240, 262, 240, 260, 0),
            ("2008-11-27", 260, 260, 260, 260, 0),  # stale: dropped
            ("2008-11-28", 256, 267, 249, 259, -1),
            ("2008-11-30", 255, 262, 250, 258, 0),  # moving prices on a Sunday: dropped too
        ]
    )
    result = _clean(frame, is_index=True)
    found = _by_kind(result)
    assert set(found) == {"holiday_row_dropped", "off_calendar_row_dropped"}
    assert found["off_calendar_row_dropped"].lines == (5,)
    assert result.rows_out == 2


def test_intraday_uses_session_date() -> None:
    rows = [
        ("2024-05-17 15:25", 10, 11, 9, 10, 5),
        ("2024-05-18 09:15", 10, 11, 9, 10, 5),  # special Saturday session
        ("2024-05-19 09:15", 10, 10, 10, 10, 0),  # Sunday, no trading
    ]
    result = _clean(_bars(rows), interval="5minute")
    assert [f.kind for f in result.findings] == ["weekend_row_dropped"]
    assert result.rows_out == 2


def test_findings_in_documented_order_and_known_kinds() -> None:
    frame = _bars(
        [
            ("2008-11-26", 240, 230, 240, 260, 100),
            ("2008-11-27", 260, 260, 260, 260, 0),
            ("2008-11-26", 240, 230, 240, 260, 100),
        ]
    )
    kinds = [f.kind for f in _clean(frame).findings]
    assert kinds == sorted(kinds, key=FINDING_KINDS.index)
    assert kinds == ["exact_duplicate_removed", "holiday_row_dropped", "ohlc_inconsistent"]


def test_bars_without_line_column() -> None:
    frame = _bars([("2024-01-02", 10, 11, 9, 10, 0)]).drop(columns="_line")
    finding = _by_kind(_clean(frame))["zero_volume_session"]
    assert finding.lines == ()
    assert "2024-01-02" in finding.detail


@pytest.mark.parametrize(
    ("column", "value"), [("close", 0.0), ("low", -1.0), ("open", np.nan), ("high", np.inf)]
)
def test_bad_prices_are_hard_errors(column: str, value: float) -> None:
    frame = _bars([("2024-01-02", 10, 11, 9, 10, 5)])
    frame[column] = value
    with pytest.raises(DataError, match="TEST 1day"):
        _clean(frame)


def test_naive_timestamps_and_missing_columns_are_errors() -> None:
    frame = _bars([("2024-01-02", 10, 11, 9, 10, 5)])
    with pytest.raises(DataError, match="tz-aware"):
        _clean(frame.assign(timestamp=frame["timestamp"].dt.tz_localize(None)))
    with pytest.raises(DataError, match="volume"):
        _clean(frame.drop(columns="volume"))


def test_optional_columns_kept_and_input_untouched() -> None:
    frame = _bars([("2024-01-02", 10, 11, 9, 10, -5)]).assign(oi=[3], vwap=[10.1])
    before = frame.copy()
    result = _clean(frame)
    assert list(result.bars.columns) == [*BAR_COLUMNS, "oi", "vwap"]
    assert result.bars["oi"].dtype == np.float64
    pd.testing.assert_frame_equal(frame, before)


# ------------------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_reliance_daily_cleaning(shared_data: Path) -> None:
    parsed = read_bar_file(shared_data / "nse_daily_yf" / "RELIANCE.csv")
    result = clean_bars(parsed.bars, symbol="RELIANCE", interval="1day")
    found = _by_kind(result)
    # Measured (exchange_calendars 4.13): of RELIANCE's 115 zero-volume rows, 83 fall on
    # non-session days from 1997 on (holiday rows, 2005-07-28 among them); the other 32 are
    # stale one-price quotes in 1996 or on days XBOM's incomplete pre-2000 list counts as
    # sessions.
    assert 70 <= found["holiday_row_dropped"].count <= 100
    dropped = parsed.bars["timestamp"][~parsed.bars["timestamp"].isin(result.bars["timestamp"])]
    assert pd.Timestamp("2008-11-27", tz=IST) in set(dropped)
    assert found["outside_calendar_range"].count == 262  # 1996
    assert "weekend_row_dropped" not in found
    # every zero-volume row goes: holiday rows by the calendar, the rest (1996 and the days
    # XBOM wrongly counts as sessions) as stale quotes (one price, no trade)
    stale = found["stale_row_dropped"]
    # 218.31 between closes of 99.80 and 100.45: an unadjusted quote on a closure (floods)
    assert pd.Timestamp("2005-07-28", tz=IST) in set(dropped)
    removed = result.rows_in - result.rows_out
    assert removed == found["holiday_row_dropped"].count + stale.count
    assert removed == int((parsed.bars["volume"] == 0).sum())
    assert not (result.bars["volume"] == 0).any()
    # the file's weekend rows are Muhurat sessions (2019-10-27, 2020-11-14): kept, no flag
    weekend = result.bars.loc[result.bars["timestamp"].dt.dayofweek >= 5, "timestamp"]
    assert {t.date() for t in weekend} <= set(SESSION_OVERRIDES)
    assert len(weekend) == 2
    assert result.bars["timestamp"].is_unique and result.bars["timestamp"].is_monotonic_increasing


@pytest.mark.realdata
def test_hcltech_weekend_row_dropped(shared_data: Path) -> None:
    parsed = read_bar_file(shared_data / "nse_daily_yf" / "HCLTECH.csv")
    found = _by_kind(clean_bars(parsed.bars, symbol="HCLTECH", interval="1day"))
    assert found["weekend_row_dropped"].count == 1
    assert "2010-02-06" in found["weekend_row_dropped"].detail


@pytest.mark.realdata
def test_reliance_5min_duplicated_days_removed(shared_data: Path) -> None:
    parsed = read_bar_file(shared_data / "nse_5min" / "RELIANCE.csv")
    days = parsed.bars["timestamp"].dt.strftime("%Y-%m-%d")
    twice = ["2023-10-09", "2024-01-17", "2024-04-26"]
    assert all((days == d).sum() == 150 for d in twice)
    result = clean_bars(parsed.bars, symbol="RELIANCE", interval="5minute")
    found = _by_kind(result)
    assert found["exact_duplicate_removed"].count == 225
    assert all(d in found["exact_duplicate_removed"].detail for d in twice)
    out_days = result.bars["timestamp"].dt.strftime("%Y-%m-%d")
    assert all((out_days == d).sum() == 75 for d in twice)
    # short and special sessions are sessions: nothing dropped for the calendar
    assert "weekend_row_dropped" not in found and "off_calendar_row_dropped" not in found
    assert (out_days == "2024-05-18").sum() == 21
    assert (out_days == "2023-11-12").sum() == 12


@pytest.mark.realdata
def test_index_files_clean_without_volume_findings(shared_data: Path) -> None:
    for name in ("nifty50_2000_2019.csv", "nifty50_2007_2024_yf.csv"):
        parsed = read_bar_file(shared_data / "nifty50_index" / name)
        result = clean_bars(parsed.bars, symbol="NIFTY 50", interval="1day", is_index=True)
        kinds = {f.kind for f in result.findings}
        assert not kinds & {"zero_volume_session", "missing_volume", "negative_volume_clipped"}
        # no stale rows in the index files; NSE's old history holds 18 Saturday rows of
        # 2003-2004 that no stock file has: not sessions, dropped and flagged
        off = {f.kind: f.count for f in result.findings}.get("off_calendar_row_dropped", 0)
        assert off == (18 if "2000" in name else 0)
        assert result.rows_out == result.rows_in - off


# ------------------------------------------------------------------ issue 3: new kinds
def _intraday(
    day: str, times: Sequence[str]
) -> list[tuple[str, float, float, float, float, float]]:
    return [(f"{day} {t}", 10.0, 11.0, 9.0, 10.0, 100.0) for t in times]


def _grid(day: str, n: int = 75, start: str = "09:15") -> list[str]:
    first = pd.Timestamp(f"{day} {start}")
    return [(first + pd.Timedelta(minutes=5 * i)).strftime("%H:%M") for i in range(n)]


def test_duplicated_day_lists_the_days() -> None:
    rows = _intraday("2024-01-02", _grid("2024-01-02")) + _intraday(
        "2024-01-03", _grid("2024-01-03")
    )
    twice = rows + _intraday("2024-01-02", _grid("2024-01-02"))
    found = _by_kind(_clean(_bars(twice), interval="5minute"))
    assert found["duplicated_day"].count == 75
    assert found["duplicated_day"].detail.endswith(": 2024-01-02")
    assert found["exact_duplicate_removed"].count == 75
    # a few repeated bars are duplicates, not a duplicated day
    some = rows + _intraday("2024-01-02", _grid("2024-01-02", n=5))
    assert "duplicated_day" not in _by_kind(_clean(_bars(some), interval="5minute"))
    # daily rows: a repeated day is an ordinary duplicate
    daily = _bars([("2024-01-02", 10, 11, 9, 10, 5), ("2024-01-02", 10, 11, 9, 10, 5)])
    assert "duplicated_day" not in _by_kind(_clean(daily))


def test_off_session_bars_flagged_and_kept() -> None:
    rows = _intraday("2024-01-02", [*_grid("2024-01-02"), "09:07", "15:30", "10:02", "03:45"])
    rows += _intraday("2024-03-02", ["09:15", "10:30"])  # DR Saturday: 10:30 is in the break
    rows += _intraday("2015-11-11", ["18:00", "18:03"])  # Muhurat, hours unknown: not judged
    result = _clean(_bars(rows), interval="5minute")
    found = _by_kind(result)
    # 09:07 (pre-open auction) and 15:30 (post-close) are dropped, not kept as off-session
    assert found["extended_hours_bar_dropped"].count == 2
    assert found["extended_hours_bar_dropped"].lines == (77, 78)
    assert found["off_session_bar"].count == 3
    assert found["off_session_bar"].lines == (79, 80, 82)
    assert result.rows_out == len(rows) - 2


def test_pre_open_and_post_close_prints_dropped_with_times() -> None:
    day = [(pd.Timestamp("2024-01-02 09:15") + pd.Timedelta(minutes=i)).strftime("%H:%M")
           for i in range(375)]  # fmt: skip
    rows = _intraday("2024-01-02", ["09:07", *day, "15:30", "15:40"])
    rows += _intraday("2024-01-03", ["09:08", *day, "15:41"])
    rows += _intraday("2024-03-02", ["09:07", "09:15"])  # DR Saturday: special hours, kept
    result = _clean(_bars(rows), interval="1minute")
    found = _by_kind(result)
    dropped = found["extended_hours_bar_dropped"]
    assert dropped.count == 5
    assert dropped.detail.endswith("09:07 x1, 09:08 x1, 15:30 x1, 15:40 x1, 15:41 x1")
    assert "on 2 days" in dropped.detail
    assert dropped.first_timestamp == pd.Timestamp("2024-01-02 09:07", tz=IST)
    assert found["off_session_bar"].count == 1  # the DR Saturday's 09:07
    assert result.rows_out == len(rows) - 5
    kept = result.bars["timestamp"].dt.strftime("%H:%M")
    assert kept.iloc[0] == "09:15" and "15:40" not in set(kept)
    # daily bars are never judged by time of day
    assert "extended_hours_bar_dropped" not in _by_kind(_clean(_bars(rows[:3])))


def test_outlier_jump_flagged_not_changed() -> None:
    bars = make_daily_bars(n=200, seed=3, start="2018-01-01")
    bars = bars[is_session(bars["timestamp"])].reset_index(drop=True)
    bars.loc[100, ["open", "high", "low", "close"]] *= 1.6  # one bad print, 60 % up
    result = _clean(bars)
    found = _by_kind(result)
    assert found["outlier_jump"].count == 2  # the jump up and the fall back
    assert found["outlier_jump"].first_timestamp == bars["timestamp"].iloc[100]
    assert "suspected_corporate_action" not in found
    pd.testing.assert_series_equal(result.bars["close"], bars["close"])


def test_suspected_corporate_action_flagged_bars_kept_raw() -> None:
    bars = make_daily_bars(n=240, seed=4, start="2018-01-01")
    bars = bars[is_session(bars["timestamp"])].reset_index(drop=True)
    before = np.arange(len(bars)) < 120
    for col in ("open", "high", "low", "close"):
        bars.loc[before, col] = bars.loc[before, col] * 2.0  # unadjusted 1:2 split
    bars.loc[before, "volume"] = bars.loc[before, "volume"] / 2.0
    result = _clean(bars)
    found = _by_kind(result)
    assert found["suspected_corporate_action"].count == 1
    assert found["suspected_corporate_action"].first_timestamp == bars["timestamp"].iloc[120]
    assert "split 1:2" in found["suspected_corporate_action"].detail
    assert "outlier_jump" not in found  # the ex-date is not also an outlier
    pd.testing.assert_series_equal(result.bars["close"], bars["close"])
    assert "suspected_corporate_action" not in _by_kind(_clean(bars, is_index=True))


@pytest.mark.realdata
def test_reliance_5min_duplicated_days_finding(shared_data: Path) -> None:
    parsed = read_bar_file(shared_data / "nse_5min" / "RELIANCE.csv")
    found = _by_kind(clean_bars(parsed.bars, symbol="RELIANCE", interval="5minute"))
    dup = found["duplicated_day"]
    assert dup.count == 225
    assert dup.detail.endswith(": 2023-10-09, 2024-01-17, 2024-04-26")
    # the vendor's bars sit on the session grid, special sessions included
    assert "off_session_bar" not in found and "outlier_jump" not in found
