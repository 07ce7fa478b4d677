"""The fetch engine against the in-process FakeProvider: faults, limits, truncation, resume."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.fetch import FetchPolicy, FetchReport, fetch_bars_to_store
from sensequant.data.providers.base import ProviderInfo, empty_bars
from sensequant.data.store import BarStore
from sensequant.errors import TransientProviderError
from sensequant.testing.fake_provider import FakeClock, FakeProvider, cached_synthetic_bars
from sensequant.types import INTERVALS, IST

NOW = "2024-09-09 18:00"
UNLIMITED = ProviderInfo(name="fake", intervals=INTERVALS)  # one call per symbol


@pytest.fixture()
def home(tmp_path: Path) -> Iterator[Path]:
    """A scratch folder; on tmpfs when there is one (the catalog fsyncs every transaction)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="sq-fetch-", dir=shm))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path


@dataclass
class Env:
    root: Path
    clock: FakeClock

    def store(self, name: str = "a") -> BarStore:
        return BarStore(self.root / name / "store")

    def catalog(self, name: str = "a") -> Catalog:
        return Catalog(self.root / name / "catalog.sqlite")

    def fetch(
        self,
        provider: FakeProvider,
        symbols: list[str],
        interval: str,
        start: str,
        end: str,
        name: str = "a",
        **kw: Any,
    ) -> FetchReport:
        return fetch_bars_to_store(
            provider,
            self.store(name),
            self.catalog(name),
            symbols,
            interval,
            start,
            end,
            sleep=self.clock.sleep,
            monotonic=self.clock.monotonic,
            now=self.clock.now,
            **kw,
        )


@pytest.fixture()
def env(home: Path) -> Env:
    return Env(home, FakeClock(NOW))


def _fingerprints(store: BarStore, symbols: list[str], interval: str) -> dict[str, str]:
    return {s: store.fingerprint(s, interval).sha256 for s in symbols}


def _expected(
    provider: FakeProvider, symbol: str, interval: str, start: str, end: str
) -> pd.DataFrame:
    lo = pd.Timestamp(start, tz=IST)
    hi = pd.Timestamp(end, tz=IST) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    return cached_synthetic_bars(provider.code(symbol), interval, lo, hi)


def test_fetch_stores_the_provider_bars_and_logs_each_chunk(env: Env) -> None:
    provider = FakeProvider()
    report = env.fetch(provider, ["RELIANCE", "M&M"], "1day", "2019-01-01", "2024-08-30")
    store, catalog = env.store(), env.catalog()
    for sym in ("RELIANCE", "M&M"):
        got = store.read(sym, "1day")
        want = _expected(provider, sym, "1day", "2019-01-01", "2024-08-30")
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
        log = catalog.ingest_log("fake", sym, "1day")
        assert set(log["status"]) == {"ok"} and log["rows"].sum() == len(want)
        assert log["content_sha256"].str.len().eq(64).all()
    assert report.n_failed == 0 and report.stopped_reason is None
    assert report.chunks_fetched == report.chunks_planned == 4  # 1,420 sessions: 2 per symbol
    assert report.requests == 4 == len(provider.fetch_calls)
    assert report.rows_written == sum(len(store.read(s, "1day")) for s in ("RELIANCE", "M&M"))
    assert catalog.api_calls("fake", env.clock.today()) == 4
    assert {o.status for o in report.symbols} == {"ok"}
    imports = catalog.imports()
    assert set(imports["layout"]) == {"fetch:fake"}


def test_fault_equivalence_and_noop(env: Env) -> None:
    """10 symbols x 3 years of 5-minute bars with 20 % transient faults (plus rate-limit
    answers) end with the same store as a fault-free fetch; a second fetch calls nothing."""
    symbols = [f"SYM{i}" for i in range(10)]
    args = ("5minute", "2021-09-01", "2024-08-30")
    faulty = FakeProvider(fault_rate=0.2, rate_limit_rate=0.05, seed=11)
    report = env.fetch(faulty, symbols, *args, policy=FetchPolicy(max_attempts=12))
    assert report.n_failed == 0, report.warnings[:5]
    assert report.retries > 0.2 * report.chunks_planned
    assert report.chunks_planned > 500
    assert 61.0 in env.clock.slept  # rate-limit answers waited their retry_after_s
    reference = FakeProvider(info=UNLIMITED)  # fault-free, and chunked differently
    env.fetch(reference, symbols, *args, name="ref")
    assert len(reference.fetch_calls) == 10
    assert _fingerprints(env.store(), symbols, "5minute") == _fingerprints(
        env.store("ref"), symbols, "5minute"
    )
    again = FakeProvider()
    second = env.fetch(again, symbols, *args)
    assert again.calls == []  # not even check_symbol
    assert second.requests == 0 and second.chunks_cached == report.chunks_planned
    assert {o.status for o in second.symbols} == {"cached"}


def test_truncated_answers_are_continued(env: Env) -> None:
    info = ProviderInfo(name="fake", intervals=INTERVALS, max_bars_per_call=100)
    provider = FakeProvider(info=info)  # answers at most 100 rows; a session has 375
    report = env.fetch(provider, ["TCS"], "1minute", "2024-08-01", "2024-08-05")
    got = env.store().read("TCS", "1minute")
    want = _expected(provider, "TCS", "1minute", "2024-08-01", "2024-08-05")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert len(got) == 3 * 375
    assert report.requests == 3 * 4  # 100 + 100 + 100 + 75 per session


def test_continuation_overlap_and_stray_rows_are_dropped(env: Env) -> None:
    info = ProviderInfo(name="fake", intervals=INTERVALS, max_bars_per_call=100)

    def sloppy(code: str, interval: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        # rounds the start down a minute (repeats the last bar), adds a row from days
        # before and repeats a row
        bars = cached_synthetic_bars(code, interval, start - pd.Timedelta(minutes=1), end)
        before = cached_synthetic_bars(code, interval, start - pd.Timedelta(days=3), start)
        parts = [before.iloc[:1], bars.iloc[:50], bars.iloc[49:50], bars.iloc[50:98]]
        return pd.concat(parts, ignore_index=True)  # 100 rows: a full answer

    provider = FakeProvider(info=info, bars_fn=sloppy)
    report = env.fetch(provider, ["TCS"], "1minute", "2024-08-01", "2024-08-01")
    got = env.store().read("TCS", "1minute")
    want = _expected(provider, "TCS", "1minute", "2024-08-01", "2024-08-01")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert any("outside the requested" in w for w in report.warnings)
    assert "exact_duplicate_removed" in set(env.catalog().findings("TCS", "1minute")["kind"])


def test_unknown_symbol_is_listed_not_failed(env: Env) -> None:
    provider = FakeProvider(unknown={"ADANIGREEN"})
    report = env.fetch(provider, ["ADANIGREEN", "SBIN"], "1day", "2024-01-01", "2024-08-30")
    assert report.n_failed == 0
    assert "no instrument" in report.unavailable["ADANIGREEN"]
    info = env.catalog().get_symbol("ADANIGREEN")
    assert info is not None and "no instrument" in (info.data_unavailable_reason or "")
    assert {c.symbol for c in provider.fetch_calls} == {"SBIN"}
    assert env.store().exists("SBIN", "1day") and not env.store().exists("ADANIGREEN", "1day")
    assert [o.status for o in report.symbols] == ["unavailable", "ok"]


def test_symbol_without_bars_gets_a_reason_and_is_not_asked_again(env: Env) -> None:
    def nothing_for_idea(
        code: str, interval: str, s: pd.Timestamp, e: pd.Timestamp
    ) -> pd.DataFrame:
        return empty_bars() if code == "IDEA" else cached_synthetic_bars(code, interval, s, e)

    report = env.fetch(
        FakeProvider(bars_fn=nothing_for_idea), ["IDEA"], "1day", "2020-01-01", "2024-08-30"
    )
    assert report.n_failed == 0 and report.symbols[0].status == "empty"
    assert report.chunks_empty == report.chunks_planned == 2
    info = env.catalog().get_symbol("IDEA")
    assert info is not None and "no 1day bars" in (info.data_unavailable_reason or "")
    assert set(env.catalog().ingest_log("fake", "IDEA")["status"]) == {"empty"}
    again = FakeProvider()
    env.fetch(again, ["IDEA"], "1day", "2020-01-01", "2024-08-30")
    assert again.calls == []


def _fails_in_march(code: str, interval: str, s: pd.Timestamp, e: pd.Timestamp) -> pd.DataFrame:
    if s <= pd.Timestamp("2024-03-15", tz=IST) <= e:
        raise TransientProviderError("HTTP 503 <html>maintenance</html>", provider="fake")
    return cached_synthetic_bars(code, interval, s, e)


def test_a_chunk_failing_after_retries_is_logged_and_the_rest_goes_on(env: Env) -> None:
    policy = FetchPolicy(max_attempts=4)
    args = ("5minute", "2024-01-01", "2024-06-28")
    report = env.fetch(FakeProvider(bars_fn=_fails_in_march), ["INFY"], *args, policy=policy)
    assert report.chunks_failed == 1 == report.n_failed
    assert report.symbols[0].status == "partial"
    assert report.chunks_fetched == report.chunks_planned - 1
    log = env.catalog().ingest_log("fake", "INFY", "5minute")
    failed = log[log["status"] == "failed"]
    assert len(failed) == 1 and "maintenance" in failed["error"].iloc[0]
    assert report.requests == report.chunks_planned - 1 + 4  # 4 attempts for the bad chunk
    # backoff: exponential with jitter, capped (fake clock, nothing waited for real)
    assert len(env.clock.slept) == 3 and all(0 < s <= 60 for s in env.clock.slept)
    healed = FakeProvider()
    env.fetch(healed, ["INFY"], *args)
    assert len(healed.fetch_calls) == 1  # only the failed chunk is fetched again
    env.fetch(FakeProvider(info=UNLIMITED), ["INFY"], *args, name="ref")
    assert _fingerprints(env.store(), ["INFY"], "5minute") == _fingerprints(
        env.store("ref"), ["INFY"], "5minute"
    )


def test_provider_down_stops_after_consecutive_failures(env: Env) -> None:
    def down(code: str, interval: str, s: pd.Timestamp, e: pd.Timestamp) -> pd.DataFrame:
        raise TransientProviderError("Error while calling service (T2:155)", provider="fake")

    policy = FetchPolicy(max_attempts=2, max_consecutive_failures=3)
    report = env.fetch(
        FakeProvider(bars_fn=down), ["A", "B"], "5minute", "2024-01-01", "2024-06-28", policy=policy
    )
    assert "3 chunks in a row failed" in (report.stopped_reason or "")
    assert "re-run" in (report.stop_hint or "")
    assert report.chunks_failed == 3 and report.requests == 6
    assert report.n_failed == report.chunks_planned - 0  # everything failed or left undone
    assert [o.status for o in report.symbols] == ["stopped", "not started"]


def test_daily_limit_stops_cleanly_and_saves_what_was_fetched(env: Env) -> None:
    args = ("5minute", "2023-09-01", "2024-08-30")
    report = env.fetch(FakeProvider(daily_after=7), ["HDFCBANK"], *args)
    assert "per day" in (report.stopped_reason or "")
    assert "re-running the same command resumes" in (report.stop_hint or "")
    assert "7 chunks" in (report.stop_hint or "")
    log = env.catalog().ingest_log("fake", "HDFCBANK", "5minute")
    assert list(log["status"]) == ["ok"] * 7  # the buffer (< flush_every) was saved
    assert len(env.store().read("HDFCBANK", "5minute")) == log["rows"].sum()
    rest = FakeProvider()
    final = env.fetch(rest, ["HDFCBANK"], *args)
    assert len(rest.fetch_calls) == report.chunks_planned - 7 and final.n_failed == 0
    env.fetch(FakeProvider(info=UNLIMITED), ["HDFCBANK"], *args, name="ref")
    assert _fingerprints(env.store(), ["HDFCBANK"], "5minute") == _fingerprints(
        env.store("ref"), ["HDFCBANK"], "5minute"
    )


def test_client_side_daily_budget_stops_before_the_broker_does(env: Env) -> None:
    info = ProviderInfo(name="fake", intervals=INTERVALS, max_bars_per_call=1000, calls_per_day=5)
    provider = FakeProvider(info=info)
    report = env.fetch(provider, ["ITC"], "5minute", "2024-01-01", "2024-08-30")
    assert "daily budget of 5 calls" in (report.stopped_reason or "")
    assert len(provider.fetch_calls) == 5
    assert env.catalog().api_calls("fake", env.clock.today()) == 5


def test_expired_session_stops_with_a_hint(env: Env) -> None:
    report = env.fetch(FakeProvider(expire_after=3), ["LT"], "5minute", "2024-01-01", "2024-08-30")
    assert "session expired" in (report.stopped_reason or "")
    assert "new session token" in (report.stop_hint or "")
    assert report.chunks_fetched == 3 and report.n_failed == report.chunks_planned - 3


def test_ctrl_c_saves_complete_chunks_then_reraises(env: Env) -> None:
    args = ("5minute", "2024-01-01", "2024-08-30")
    with pytest.raises(KeyboardInterrupt):
        env.fetch(FakeProvider(interrupt_at=5), ["TITAN"], *args)
    log = env.catalog().ingest_log("fake", "TITAN", "5minute")
    assert list(log["status"]) == ["ok"] * 5
    assert len(env.store().read("TITAN", "5minute")) == log["rows"].sum()
    resumed = FakeProvider()
    env.fetch(resumed, ["TITAN"], *args)
    env.fetch(FakeProvider(info=UNLIMITED), ["TITAN"], *args, name="ref")
    assert _fingerprints(env.store(), ["TITAN"], "5minute") == _fingerprints(
        env.store("ref"), ["TITAN"], "5minute"
    )
    first = min(c.start for c in resumed.fetch_calls if c.start is not None)
    assert first > log["start"].map(pd.Timestamp).max()  # nothing saved is fetched again


class _Crash(BaseException):
    """Stands for the process dying (nothing in the engine handles it)."""


def test_crash_between_merge_and_log_refetches_the_same_bars(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("5minute", "2024-01-01", "2024-04-30")
    original = Catalog.record_ingest_many
    calls = {"n": 0}

    def crash_on_second(self: Catalog, records: Any) -> list[int]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise _Crash  # the process dies after the second merge, before its log
        return original(self, records)

    monkeypatch.setattr(Catalog, "record_ingest_many", crash_on_second)
    with pytest.raises(_Crash):
        env.fetch(FakeProvider(), ["ONGC"], *args, flush_every=4)
    monkeypatch.setattr(Catalog, "record_ingest_many", original)
    assert len(env.catalog().ingest_log("fake", "ONGC")) == 4  # the first flush only
    assert len(env.store().read("ONGC", "5minute")) > env.catalog().ingest_log()["rows"].sum()
    env.fetch(FakeProvider(), ["ONGC"], *args)
    env.fetch(FakeProvider(info=UNLIMITED), ["ONGC"], *args, name="ref")
    assert _fingerprints(env.store(), ["ONGC"], "5minute") == _fingerprints(
        env.store("ref"), ["ONGC"], "5minute"
    )


def test_per_minute_budget_is_honoured(env: Env) -> None:
    info = ProviderInfo(
        name="fake", intervals=INTERVALS, max_bars_per_call=1000, calls_per_minute=4
    )
    stamps: list[float] = []

    def timed(code: str, interval: str, s: pd.Timestamp, e: pd.Timestamp) -> pd.DataFrame:
        stamps.append(env.clock.monotonic())
        return cached_synthetic_bars(code, interval, s, e)

    report = env.fetch(
        FakeProvider(info=info, bars_fn=timed), ["ITC"], "5minute", "2024-01-01", "2024-06-28"
    )
    assert report.n_failed == 0 and len(stamps) == report.requests > 8
    t = np.array(stamps)
    assert (t[4:] - t[:-4] >= 60.0).all()


def test_rate_limit_answers_wait_and_retry(env: Env) -> None:
    provider = FakeProvider(rate_limit_rate=0.5, retry_after_s=42.0, seed=3)
    report = env.fetch(provider, ["ITC"], "5minute", "2024-01-01", "2024-03-28")
    assert report.n_failed == 0 and report.retries > 0
    assert env.clock.slept.count(42.0) == report.retries


def test_a_call_past_its_deadline_is_retried(env: Env) -> None:
    provider = FakeProvider(slow_calls={0}, slow_s=0.5)
    policy = FetchPolicy(deadline_s=0.05)
    report = env.fetch(provider, ["ITC"], "1day", "2024-01-01", "2024-08-30", policy=policy)
    assert report.n_failed == 0 and report.retries == 1 and report.requests == 2


def test_store_lock_held_elsewhere_stops_clearly(env: Env) -> None:
    store = BarStore(env.root / "a" / "store", lock_timeout=0.2)
    other = BarStore(env.root / "a" / "store")
    with other.lock():
        report = fetch_bars_to_store(
            FakeProvider(),
            store,
            env.catalog(),
            ["ITC"],
            "1day",
            "2024-01-01",
            "2024-08-30",
            sleep=env.clock.sleep,
            monotonic=env.clock.monotonic,
            now=env.clock.now,
        )
    assert "another import is running" in (report.stopped_reason or "")
    assert report.n_failed == 1
    assert env.catalog().ingest_log("fake").empty and not store.exists("ITC", "1day")


def test_force_fetches_again_without_changing_the_store(env: Env) -> None:
    args = ("1day", "2015-01-01", "2024-08-30")
    env.fetch(FakeProvider(), ["ITC"], *args)
    before = env.store().fingerprint("ITC", "1day")
    provider = FakeProvider()
    report = env.fetch(provider, ["ITC"], *args, force=True)
    assert len(provider.fetch_calls) == report.chunks_planned == 3
    assert report.rows_written == 0 and env.store().fingerprint("ITC", "1day") == before


def test_errors_recorded_are_redacted(env: Env) -> None:
    def leaky(code: str, interval: str, s: pd.Timestamp, e: pd.Timestamp) -> pd.DataFrame:
        raise TransientProviderError("bad token SECRET-9f8e7d", provider="fake")

    report = env.fetch(
        FakeProvider(bars_fn=leaky),
        ["ITC"],
        "1day",
        "2024-01-01",
        "2024-08-30",
        policy=FetchPolicy(max_attempts=1),
        redact=lambda text: text.replace("SECRET-9f8e7d", "***"),
    )
    log = env.catalog().ingest_log("fake")
    assert "***" in log["error"].iloc[0]
    assert "SECRET" not in repr(report.to_dict()) + log.to_string()
