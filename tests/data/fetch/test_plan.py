"""Fetch planning: session-grid chunks under the bar cap, holidays, coverage, clamps."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.fetch import Chunk, last_closed_session, plan_fetch
from sensequant.data.market import nse_sessions, session_bar_starts
from sensequant.data.providers.base import ProviderInfo
from sensequant.errors import UsageError
from sensequant.types import INTERVALS, IST

NOW = "2024-09-09 18:00"  # a Monday evening, after the close
BREEZE_LIKE = ProviderInfo(
    name="fake", intervals=INTERVALS, max_bars_per_call=1000, calls_per_minute=90
)


@pytest.fixture()
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / "catalog.sqlite")


def _log(
    catalog: Catalog, symbol: str, first: str, last: str, status: str, provider: str = "fake"
) -> None:
    catalog.record_ingest(
        provider=provider,
        symbol=symbol,
        interval="5minute",
        start=pd.Timestamp(first, tz=IST),
        end=pd.Timestamp(last, tz=IST) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1),
        rows=1,
        status=status,
    )


def _check_chunks(chunks: list[Chunk], start: str, end: str, cap: int) -> None:
    sessions = nse_sessions(start, end)
    assert sum(c.sessions for c in chunks) == len(sessions)
    for a, b in itertools.pairwise(chunks):
        assert a.end < b.start  # ordered, disjoint
    for c in chunks:
        grid = session_bar_starts(c.interval, c.first_day, c.last_day)
        assert c.expected_bars == len(grid) <= cap  # independent count on the session grid
        assert c.start == c.start.normalize() and c.start.tz is not None
        assert c.end == c.start.normalize() + pd.Timedelta(
            days=(c.last_day - c.first_day).days + 1
        ) - pd.Timedelta(seconds=1)
        inside = nse_sessions(c.first_day, c.last_day)
        assert inside[0].date() == c.first_day and inside[-1].date() == c.last_day
        assert len(inside) == c.sessions


@pytest.mark.parametrize(
    ("interval", "start", "end", "most_sessions"),
    [
        ("1day", "2005-01-01", "2024-08-30", 1000),
        ("30minute", "2023-01-01", "2024-08-30", 76),
        ("5minute", "2021-09-01", "2024-08-30", 13),
        ("1minute", "2024-05-01", "2024-08-30", 2),
    ],
)
def test_no_chunk_exceeds_the_bar_cap(
    catalog: Catalog, interval: str, start: str, end: str, most_sessions: int
) -> None:
    plan = plan_fetch(catalog, BREEZE_LIKE, ["RELIANCE"], interval, start, end, now=NOW)
    chunks = plan.chunks
    _check_chunks(chunks, start, end, 1000)
    # packed, not tiny: a typical chunk holds as many regular sessions as fit under the cap
    assert most_sessions <= statistics.median(c.sessions for c in chunks) <= most_sessions + 1
    assert plan.expected_calls == len(chunks)


def test_holidays_are_never_requested(catalog: Catalog) -> None:
    # 2024-01-26 Republic Day (Fri) and the weekend: only Thursday and Monday are sessions.
    plan = plan_fetch(catalog, BREEZE_LIKE, ["TCS"], "5minute", "2024-01-25", "2024-01-29", now=NOW)
    (chunk,) = plan.chunks
    assert (chunk.first_day, chunk.last_day) == (dt.date(2024, 1, 25), dt.date(2024, 1, 29))
    assert chunk.sessions == 2 and chunk.expected_bars == 150
    only_holidays = plan_fetch(
        catalog, BREEZE_LIKE, ["TCS"], "5minute", "2024-01-26", "2024-01-28", now=NOW
    )
    assert only_holidays.chunks == []


def test_muhurat_session_counts_its_short_hours(catalog: Catalog) -> None:
    # Sunday 2023-11-12: Muhurat trading 18:15-19:15 (12 five-minute bars).
    plan = plan_fetch(catalog, BREEZE_LIKE, ["TCS"], "5minute", "2023-11-12", "2023-11-12", now=NOW)
    (chunk,) = plan.chunks
    assert chunk.sessions == 1 and chunk.expected_bars == 12


def test_covered_sessions_are_skipped_and_force_replans(catalog: Catalog) -> None:
    _log(catalog, "INFY", "2024-03-01", "2024-03-31", "ok")
    _log(catalog, "INFY", "2024-04-15", "2024-04-19", "empty")
    _log(catalog, "INFY", "2024-05-01", "2024-05-10", "failed")  # failed: fetched again
    _log(catalog, "INFY", "2024-01-01", "2024-06-28", "ok", provider="other")  # other provider
    start, end = "2024-01-01", "2024-06-28"
    plan = plan_fetch(catalog, BREEZE_LIKE, ["INFY"], "5minute", start, end, now=NOW)
    days = {d.date() for c in plan.chunks for d in nse_sessions(c.first_day, c.last_day)}
    march = {d.date() for d in nse_sessions("2024-03-01", "2024-03-31")}
    mid_april = {d.date() for d in nse_sessions("2024-04-15", "2024-04-19")}
    may = {d.date() for d in nse_sessions("2024-05-01", "2024-05-10")}
    assert not days & march and not days & mid_april
    assert may <= days
    (sp,) = plan.symbols
    assert sp.chunks_cached == 2
    assert sp.sessions_cached == len(march) + len(mid_april)
    assert len(days) == len(nse_sessions(start, end)) - sp.sessions_cached
    # runs break at covered sessions: some chunk ends on the last session before March
    assert dt.date(2024, 2, 29) in {c.last_day for c in plan.chunks}
    forced = plan_fetch(catalog, BREEZE_LIKE, ["INFY"], "5minute", start, end, force=True, now=NOW)
    assert sum(c.sessions for c in forced.chunks) == len(nse_sessions(start, end))
    assert forced.symbols[0].chunks_cached == 0


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2024-09-06 10:00", dt.date(2024, 9, 5)),  # Friday, still trading
        ("2024-09-06 15:45", dt.date(2024, 9, 5)),  # closed, but bars not settled yet
        ("2024-09-06 16:30", dt.date(2024, 9, 6)),
        ("2024-09-08 12:00", dt.date(2024, 9, 6)),  # Sunday
    ],
)
def test_last_closed_session(now: str, expected: dt.date) -> None:
    assert last_closed_session(now) == expected


def test_end_is_clamped_to_the_last_closed_session(catalog: Catalog) -> None:
    plan = plan_fetch(
        catalog, BREEZE_LIKE, ["SBIN"], "1day", "2024-09-02", "2024-12-31", now="2024-09-06 11:00"
    )
    assert plan.end == dt.date(2024, 9, 5)
    assert plan.chunks[-1].last_day == dt.date(2024, 9, 5)
    assert any("not closed yet" in w for w in plan.warnings)
    default = plan_fetch(catalog, BREEZE_LIKE, ["SBIN"], "1day", "2024-09-02", now=NOW)
    assert default.end == dt.date(2024, 9, 9) and not default.warnings


def test_history_limit_clamps_the_start(catalog: Catalog) -> None:
    info = ProviderInfo(name="yahooish", intervals=("5minute",), history_days={"5minute": 60})
    plan = plan_fetch(catalog, info, ["SBIN"], "5minute", "2020-01-01", now=NOW)
    earliest = dt.date(2024, 9, 9) - dt.timedelta(days=59)
    assert plan.start == earliest
    assert plan.chunks[0].first_day >= earliest
    assert any("last 60 days" in w for w in plan.warnings)
    no_start = plan_fetch(catalog, info, ["SBIN"], "5minute", now=NOW)
    assert no_start.start == earliest and not no_start.warnings
    with pytest.raises(UsageError, match="start date is needed"):
        plan_fetch(catalog, BREEZE_LIKE, ["SBIN"], "1day", now=NOW)


def test_days_per_call_cap(catalog: Catalog) -> None:
    info = ProviderInfo(name="f", intervals=("1day",), max_days_per_call={"1day": 100})
    plan = plan_fetch(catalog, info, ["SBIN"], "1day", "2019-01-01", "2024-08-30", now=NOW)
    assert all((c.last_day - c.first_day).days + 1 <= 100 for c in plan.chunks)
    _check_chunks(plan.chunks, "2019-01-01", "2024-08-30", 10**9)


def test_unknown_interval_is_a_usage_error(catalog: Catalog) -> None:
    info = ProviderInfo(name="f", intervals=("1day",))
    with pytest.raises(UsageError, match="does not serve '5minute'"):
        plan_fetch(catalog, info, ["SBIN"], "5minute", "2024-01-01", now=NOW)


def test_session_larger_than_the_cap_gives_one_day_chunks(catalog: Catalog) -> None:
    info = ProviderInfo(name="f", intervals=("1minute",), max_bars_per_call=100)
    plan = plan_fetch(catalog, info, ["SBIN"], "1minute", "2024-08-01", "2024-08-09", now=NOW)
    assert all(c.sessions == 1 and c.expected_bars == 375 for c in plan.chunks)
    assert any("truncated" in w for w in plan.warnings)


def test_dry_run_numbers_and_daily_budget(catalog: Catalog) -> None:
    info = ProviderInfo(
        name="fake",
        intervals=("5minute",),
        max_bars_per_call=1000,
        calls_per_minute=90,
        calls_per_day=10,
    )
    catalog.add_api_calls("fake", dt.date(2024, 9, 9), 5)
    plan = plan_fetch(catalog, info, ["A", "B"], "5minute", "2023-09-01", "2024-08-30", now=NOW)
    n = plan.n_chunks
    assert n == plan.expected_calls == len(plan.chunks) > 30
    assert plan.seconds_at_rate_limit == pytest.approx(n * 60 / 90)
    assert plan.calls_used_today == 5
    assert plan.days_at_daily_limit == 1 + -(-(n - 5) // 10)
    assert any("budget" in w for w in plan.warnings)
    data = plan.to_dict()
    assert data["chunks"] == n and data["symbols"][0]["symbol"] == "A"
    assert data["expected_bars"] == sum(c.expected_bars for c in plan.chunks)


def test_chunk_key_is_stable(catalog: Catalog) -> None:
    a = plan_fetch(catalog, BREEZE_LIKE, ["M&M"], "1day", "2024-01-01", "2024-08-30", now=NOW)
    b = plan_fetch(catalog, BREEZE_LIKE, ["M&M"], "1day", "2024-01-01", "2024-08-30", now=NOW)
    assert [c.key for c in a.chunks] == [c.key for c in b.chunks]
    assert a.chunks[0].key.startswith("M&M|1day|2024-01-01T00:00:00+05:30|")


def test_nothing_is_planned_before_the_listing_date(catalog: Catalog) -> None:
    from sensequant.data.catalog import SymbolInfo

    catalog.upsert_symbols([SymbolInfo(symbol="NEWCO", listing_date=dt.date(2024, 3, 12))])
    plan = plan_fetch(
        catalog, BREEZE_LIKE, ["NEWCO", "TCS"], "1day", "2024-01-01", "2024-03-31", now=NOW
    )
    newco, tcs = plan.symbols
    assert min(c.first_day for c in newco.chunks) == dt.date(2024, 3, 12)
    assert newco.sessions_wanted == len(nse_sessions("2024-03-12", "2024-03-31"))
    assert min(c.first_day for c in tcs.chunks) == dt.date(2024, 1, 1)
