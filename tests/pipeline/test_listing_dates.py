"""Catalog listing dates feed the window planner: windows before a listing are skipped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.catalog import Catalog, SymbolInfo
from sensequant.data.market import is_session
from sensequant.data.store import BarStore
from sensequant.dataset import SKIP_BEFORE_LISTING, WindowStatus, plan_windows, symbol_frame
from sensequant.pipeline.preflight import preflight
from sensequant.pipeline.teachers import TeacherTask, run_teacher_task
from sensequant.settings import load_run_config
from sensequant.types import IST
from tests.conftest import make_daily_bars

LISTED = dt.date(2018, 1, 1)
# the class teachers on one symbol (a cross-sectional target needs the whole universe)
CFG = load_run_config(
    Path(__file__).resolve().parents[2] / "configs" / "class3.yaml"
).with_overrides(universe="AAA,BBB", start=dt.date(2015, 1, 1))


def _sessions(n: int, seed: int, start: str) -> pd.DataFrame:
    bars = make_daily_bars(n=n, seed=seed, start=start)
    return bars[is_session(bars["timestamp"])].reset_index(drop=True)


@pytest.fixture()
def stores(tmp_path: Path) -> tuple[BarStore, Catalog]:
    """AAA: bars from 2015 but listed 2018-01-01 (stray earlier bars); BBB: no listing date."""
    store, catalog = BarStore(tmp_path / "store"), Catalog(tmp_path / "catalog.sqlite")
    store.write("AAA", "1day", _sessions(1500, 1, "2015-01-01"))
    store.write("BBB", "1day", _sessions(1500, 2, "2015-01-01"))
    store.write("NIFTY 50", "1day", _sessions(1500, 3, "2015-01-01"))
    catalog.upsert_symbols([SymbolInfo("AAA", listing_date=LISTED), SymbolInfo("BBB")])
    return store, catalog


def test_windows_before_catalog_listing_are_skipped(stores: tuple[BarStore, Catalog]) -> None:
    store, catalog = stores
    pf = preflight(CFG, store, catalog)
    listed = pd.Timestamp(LISTED, tz=IST)
    aaa = pf.windows["AAA"]
    early = [w for w in aaa if w.start < listed]
    stored_first = store.read("AAA", "1day")["timestamp"].iloc[0]
    assert any(w.start >= stored_first for w in early)  # covered by stray pre-listing bars
    for w in aaa:
        reason = pf.unservable.get(w.window_id, "")
        assert reason.startswith(SKIP_BEFORE_LISTING) == (w.start < listed), w.window_id
    assert "listed 2018-01-01" in pf.unservable[early[0].window_id]
    # BBB has the same bars but no listing date: none of its windows is 'before listing'
    assert not any(
        w.startswith("BBB@") and r.startswith(SKIP_BEFORE_LISTING) for w, r in pf.unservable.items()
    )
    cov = {c.symbol: c for c in pf.coverage}
    assert cov["AAA"].first == store.read("AAA", "1day")["timestamp"].iloc[0]  # stored first bar
    assert cov["AAA"].first_usable == listed
    assert pf.listing_dates == {"AAA": LISTED}
    rows = pf.to_dict()["symbols"]
    assert isinstance(rows, list) and rows[0]["listing_date"] == "2018-01-01"


def test_teacher_task_skips_before_listing_not_fails(stores: tuple[BarStore, Catalog]) -> None:
    store, _ = stores
    bars = store.read("AAA", "1day")
    frame = symbol_frame("AAA", bars, CFG, listing_date=LISTED)
    assert frame.first_bar == pd.Timestamp(LISTED, tz=IST)
    start = pd.Timestamp("2015-01-01", tz=IST)
    planned = plan_windows("AAA", start, pd.Timestamp("2019-12-31", tz=IST), CFG.windows)
    windows = [w for w in planned if w.start < frame.first_bar]
    assert any(w.start >= bars["timestamp"].iloc[0] for w in windows)
    out = run_teacher_task(TeacherTask(frame, windows, {}), CFG)  # no pre-flight verdicts
    before = [o for o in out if o.window.start < frame.first_bar]
    assert len(before) == len(windows)
    assert all(o.status is WindowStatus.SKIPPED for o in before)
    assert all((o.reason or "").startswith(SKIP_BEFORE_LISTING) for o in before)
    assert not any(o.status is WindowStatus.FAILED for o in out)
    # without the listing date the stray bars make the same early windows trainable
    plain = symbol_frame("AAA", bars, CFG)
    assert plain.first_bar == bars["timestamp"].iloc[0]


def test_no_listing_dates_change_nothing(stores: tuple[BarStore, Catalog]) -> None:
    store, catalog = stores
    with_dates = preflight(CFG, store, catalog)
    catalog_plain = Catalog(store.root.parent / "plain.sqlite")
    without = preflight(CFG, store, catalog_plain)
    bbb = {w: r for w, r in with_dates.unservable.items() if w.startswith("BBB@")}
    assert bbb == {w: r for w, r in without.unservable.items() if w.startswith("BBB@")}
    assert without.listing_dates == {}
    assert not any(
        w.startswith("AAA@") and r.startswith(SKIP_BEFORE_LISTING)
        for w, r in without.unservable.items()
    )
