"""What a fetch writes into the catalog besides the ingest log: the symbol master's
data-unavailable reasons and suspected corporate actions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sensequant.data.fetch.fetcher as fetcher
from sensequant.data.catalog import Catalog, SymbolInfo
from sensequant.data.fetch import FetchPolicy, FetchReport, fetch_bars_to_store
from sensequant.data.providers.base import empty_bars
from sensequant.data.quality import SuspectedAction, derived
from sensequant.data.store import BarStore
from sensequant.testing.fake_provider import FakeClock, FakeProvider, cached_synthetic_bars
from sensequant.types import IST

NOW = "2024-09-09 18:00"
EX_DATE = pd.Timestamp("2024-03-01", tz=IST)


class Home:
    def __init__(self, root: Path) -> None:
        self.store = BarStore(root / "store")
        self.catalog = Catalog(root / "catalog.sqlite")
        self.clock = FakeClock(NOW)

    def fetch(
        self, provider: FakeProvider, symbols: list[str], *args: str, **kw: Any
    ) -> FetchReport:
        return fetch_bars_to_store(
            provider,
            self.store,
            self.catalog,
            symbols,
            *args,
            sleep=self.clock.sleep,
            monotonic=self.clock.monotonic,
            now=self.clock.now,
            **kw,
        )

    def reason(self, symbol: str) -> str | None:
        info = self.catalog.get_symbol(symbol)
        return None if info is None else info.data_unavailable_reason


@pytest.fixture()
def home(tmp_path: Path) -> Home:
    return Home(tmp_path)


def _split_on_ex_date(code: str, interval: str, s: pd.Timestamp, e: pd.Timestamp) -> pd.DataFrame:
    """Raw (unadjusted) bars of a 1:2 split on EX_DATE: half the price, twice the shares."""
    bars = cached_synthetic_bars(code, interval, s, e).copy()
    after = bars["timestamp"] >= EX_DATE
    for col in ("open", "high", "low", "close"):
        bars.loc[after, col] *= 0.5
    bars.loc[after, "volume"] *= 2.0
    return bars


def test_reason_is_cleared_when_bars_arrive(home: Home) -> None:
    def nothing(code: str, interval: str, s: pd.Timestamp, e: pd.Timestamp) -> pd.DataFrame:
        return empty_bars()

    args = ("1day", "2024-01-01", "2024-08-30")
    home.fetch(FakeProvider(bars_fn=nothing), ["IDEA"], *args)
    assert "no 1day bars" in (home.reason("IDEA") or "")
    home.catalog.upsert_symbols([SymbolInfo("IDEA", isec_code="IDECEL")])
    report = home.fetch(FakeProvider(), ["IDEA"], *args, force=True)
    assert report.symbols[0].status == "ok" and report.rows_written > 0
    assert home.reason("IDEA") is None
    assert (home.catalog.get_symbol("IDEA") or SymbolInfo("?")).isec_code == "IDECEL"


def test_reason_from_elsewhere_is_cleared_but_kept_without_bars(home: Home) -> None:
    home.catalog.upsert_symbols(
        [
            SymbolInfo("DIXON", data_unavailable_reason="breeze returned no bars"),
            SymbolInfo("APLAPOLLO", data_unavailable_reason="breeze returned no bars"),
        ]
    )

    def only_dixon(code: str, interval: str, s: pd.Timestamp, e: pd.Timestamp) -> pd.DataFrame:
        return cached_synthetic_bars(code, interval, s, e) if code == "DIXON" else empty_bars()

    home.fetch(
        FakeProvider(bars_fn=only_dixon), ["DIXON", "APLAPOLLO"], "1day", "2024-06-03", "2024-08-30"
    )
    assert home.reason("DIXON") is None
    assert home.reason("APLAPOLLO") is not None


def test_split_in_fetched_bars_is_recorded_once_per_symbol(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, int]] = []
    original = derived.detect_corporate_actions

    def counting(bars: pd.DataFrame, symbol: str) -> list[SuspectedAction]:
        calls.append((symbol, len(bars)))
        return original(bars, symbol)

    monkeypatch.setattr(derived, "detect_corporate_actions", counting)
    monkeypatch.setattr(fetcher, "recheck_merged", lambda *_: [])  # (its own window check)
    provider = FakeProvider(bars_fn=_split_on_ex_date)
    args = ("5minute", "2024-01-01", "2024-06-28")
    report = home.fetch(provider, ["SPLIT", "NIFTY 50"], *args, flush_every=2)
    assert report.n_failed == 0 and report.chunks_fetched > 2 * 4  # several flushes each
    stored = len(home.store.read("SPLIT", "5minute"))
    assert calls == [("SPLIT", stored)]  # once, on the whole stored series; never an index
    actions = home.catalog.corporate_actions("SPLIT")
    assert list(actions["ex_date"]) == ["2024-03-01"]
    assert (actions["kind"].iloc[0], actions["price_factor"].iloc[0]) == ("split", 0.5)
    assert (actions["source"].iloc[0], actions["status"].iloc[0]) == ("detected", "suspected")
    assert home.catalog.corporate_actions("NIFTY 50").empty
    again = home.fetch(FakeProvider(bars_fn=_split_on_ex_date), ["SPLIT"], *args)
    assert again.requests == 0 and len(calls) == 1  # a no-op fetch detects nothing again


def test_reviewed_action_keeps_its_status_on_a_later_fetch(home: Home) -> None:
    provider = FakeProvider(bars_fn=_split_on_ex_date)
    home.fetch(provider, ["SPLIT"], "1day", "2023-01-02", "2024-05-31")
    home.catalog.set_corporate_action_status("SPLIT", EX_DATE.date(), "rejected")
    home.fetch(
        FakeProvider(bars_fn=_split_on_ex_date), ["SPLIT"], "1day", "2023-01-02", "2024-08-30"
    )
    actions = home.catalog.corporate_actions("SPLIT")
    assert list(actions["status"]) == ["rejected"]


def test_clean_series_records_no_action(home: Home) -> None:
    report = home.fetch(FakeProvider(), ["ITC"], "1day", "2015-01-01", "2024-08-30")
    assert report.rows_written > 2000
    assert home.catalog.corporate_actions().empty


def test_fetch_that_changes_stored_bars_is_refused_unless_asked(home: Home) -> None:
    args = ("1day", "2023-01-02", "2024-05-31")
    home.fetch(FakeProvider(bars_fn=_split_on_ex_date), ["SPLIT"], *args)
    before = home.store.fingerprint("SPLIT", "1day")
    assert list(home.catalog.corporate_actions("SPLIT")["ex_date"]) == ["2024-03-01"]
    # the vendor now serves split-adjusted history: every bar from the ex-date changes
    refused = home.fetch(FakeProvider(), ["SPLIT"], *args, force=True)
    assert home.store.fingerprint("SPLIT", "1day") == before
    (warning,) = [w for w in refused.warnings if "would change" in w]
    assert "SPLIT 1day:" in warning and "2024-03-01: open" in warning
    assert "--on-conflict replace" in warning
    log = home.catalog.ingest_log(symbol="SPLIT")
    assert (log["error"] == "refused: the bars would change stored bars (see --on-conflict)").any()
    home.fetch(
        FakeProvider(), ["SPLIT"], *args, force=True, policy=FetchPolicy(on_conflict="replace")
    )
    assert home.store.fingerprint("SPLIT", "1day") != before
    # the factor was derived from the old bars: detected again, it is gone
    assert home.catalog.corporate_actions("SPLIT").empty


def test_a_fetch_merge_rechecks_jumps_around_the_change(home: Home) -> None:
    """After a fetch's merge the jump check runs again on the merged series (as at import)."""
    args = ("1day", "2023-01-02", "2024-05-31")
    home.fetch(FakeProvider(), ["ABC"], *args)
    glitch = pd.Timestamp("2024-04-10", tz=IST)

    def glitched(code: str, interval: str, s: pd.Timestamp, e: pd.Timestamp) -> pd.DataFrame:
        bars = cached_synthetic_bars(code, interval, s, e).copy()
        bars.loc[bars["timestamp"] == glitch, ["open", "high", "low", "close"]] *= 3.0
        return bars

    policy = FetchPolicy(on_conflict="replace")
    home.fetch(FakeProvider(bars_fn=glitched), ["ABC"], *args, force=True, policy=policy)
    found = home.catalog.findings("ABC", "1day")
    merged = found.loc[found["detail"].str.startswith("after merge")]
    assert len(merged) == 1 and "2024-04-10" in merged["detail"].iloc[0]
    assert merged["kind"].iloc[0] == "outlier_jump"


def test_a_fetch_with_nothing_to_fetch_heals_a_lost_factor(home: Home) -> None:
    """Killed after its last save and before the detection, a fetch leaves the factor out;
    the next fetch has no chunk left to fetch and still brings it back."""
    args = ("1day", "2023-01-02", "2024-05-31")
    home.fetch(FakeProvider(bars_fn=_split_on_ex_date), ["SPLIT"], *args)
    home.catalog.drop_detected_actions("SPLIT", "1day")  # what the kill leaves
    assert home.catalog.corporate_actions("SPLIT").empty
    again = home.fetch(FakeProvider(bars_fn=_split_on_ex_date), ["SPLIT"], *args)
    assert again.requests == 0
    assert list(home.catalog.corporate_actions("SPLIT")["ex_date"]) == ["2024-03-01"]
