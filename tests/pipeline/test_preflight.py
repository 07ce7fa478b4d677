"""Pre-flight: coverage problems are found and explained before any training."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.catalog import Catalog, SymbolInfo
from sensequant.data.market import is_session
from sensequant.data.store import BarStore
from sensequant.errors import NoDataError, UnknownUniverseError, UsageError
from sensequant.pipeline.messages import report_preflight
from sensequant.pipeline.preflight import preflight, top_k_warnings
from sensequant.progress import NullReporter
from sensequant.settings import RunConfig
from tests.conftest import make_daily_bars


def _sessions(n: int, seed: int, start: str) -> pd.DataFrame:
    bars = make_daily_bars(n=n, seed=seed, start=start)
    return bars[is_session(bars["timestamp"])].reset_index(drop=True)


@pytest.fixture()
def stores(tmp_path: Path) -> tuple[BarStore, Catalog]:
    store, catalog = BarStore(tmp_path / "store"), Catalog(tmp_path / "catalog.sqlite")
    store.write("AAA", "1day", _sessions(1500, 1, "2015-01-01"))
    late = _sessions(900, 2, "2017-06-01")
    store.write("BBB", "1day", late.drop(index=[100, 101, 102]).reset_index(drop=True))
    store.write("CCC", "1day", _sessions(150, 3, "2020-01-01"))
    store.write("NIFTY 50", "1day", _sessions(1500, 4, "2015-01-01"))
    catalog.upsert_symbols([SymbolInfo("DDD", name="known to the symbol master, no bars")])
    return store, catalog


def _cfg(universe: str, **data: object) -> RunConfig:
    return RunConfig().with_overrides(universe=universe, **data)


def test_exclusions_gaps_and_unservable_windows(stores: tuple[BarStore, Catalog]) -> None:
    store, catalog = stores
    pf = preflight(_cfg("AAA,BBB,CCC,DDD", start=dt.date(2015, 1, 1)), store, catalog)
    assert pf.symbols == ["AAA", "BBB"]
    assert pf.excluded["DDD"] == "no bars stored"
    assert "only" in pf.excluded["CCC"] and "need 300" in pf.excluded["CCC"]
    bbb = next(c for c in pf.coverage if c.symbol == "BBB")
    assert bbb.missing_sessions >= 3  # the three removed sessions are found
    # BBB lists in mid-2017: its earlier windows are known unservable before training
    before = [w for w, r in pf.unservable.items() if w.startswith("BBB@")]
    assert before and all(pf.unservable[w].startswith("before listing") for w in before)
    assert pf.unservable_counts()["before listing"] == len(before)
    assert not any(
        w.startswith("AAA@") and r.startswith("before") for w, r in pf.unservable.items()
    )
    assert pf.to_dict()["windows_planned"] == sum(len(v) for v in pf.windows.values())


def test_missing_benchmark_and_empty_store(tmp_path: Path, stores: tuple) -> None:
    store, catalog = stores
    empty = BarStore(tmp_path / "empty")
    with pytest.raises(NoDataError, match="none of the"):
        preflight(_cfg("DDD"), empty, catalog)
    with pytest.raises(NoDataError, match="none of the 50"):
        preflight(_cfg("nifty50"), empty, catalog)
    with pytest.raises(NoDataError, match="benchmark"):
        preflight(
            RunConfig().with_overrides(universe="AAA", benchmark="NIFTY BANK"), store, catalog
        )


def test_range_without_data_and_unknown_universe(stores: tuple) -> None:
    store, catalog = stores
    with pytest.raises(UsageError, match="holds no stored bars"):
        preflight(_cfg("AAA", start=dt.date(2030, 1, 1), end=dt.date(2031, 1, 1)), store, catalog)
    with pytest.raises(UnknownUniverseError):
        preflight(_cfg("nifty51"), store, catalog)
    with pytest.raises(UnknownUniverseError, match="NOPE"):
        preflight(_cfg("AAA,NOPE"), store, catalog)


def test_top_k_at_or_above_the_universe_warns_and_industries_are_kept(
    stores: tuple[BarStore, Catalog],
) -> None:
    store, catalog = stores
    catalog.upsert_symbols([SymbolInfo("AAA", industry="Financial Services")])
    pf = preflight(_cfg("AAA,BBB", start=dt.date(2015, 1, 1)), store, catalog)
    assert pf.industries == {"AAA": "Financial Services", "BBB": None}
    assert pf.to_dict()["symbols"][0]["industry"] == "Financial Services"
    primary = pf.warnings[0]
    assert "portfolio.top_k 10 >= 2 usable symbols" in primary
    assert "at most 20% invested" in primary and "lower portfolio.top_k" in primary
    assert "portfolio trial(s) with top_k >= 2" in pf.warnings[1]
    assert pf.to_dict()["warnings"] == pf.warnings
    rep = NullReporter()
    report_preflight(pf, rep)  # what `sensequant run` prints before training
    assert f"warning: {primary}" in rep.lines


def test_no_top_k_warning_when_the_universe_is_large_enough() -> None:
    cfg = RunConfig()
    assert top_k_warnings(cfg, 50) == []
    threshold = cfg.model_copy(
        update={"portfolio": cfg.portfolio.model_copy(update={"sizing": "threshold"})}
    )
    assert not any("portfolio.top_k" in w for w in top_k_warnings(threshold, 3))
    assert top_k_warnings(cfg, 0) == []


def test_intraday_breaks_are_found_on_the_sessions_and_said(tmp_path: Path) -> None:
    from sensequant.data.adjusted import AdjustedBarStore
    from sensequant.testing.synthetic import synthetic_bars

    raw, catalog = BarStore(tmp_path / "store"), Catalog(tmp_path / "catalog.sqlite")
    bars = synthetic_bars("AAA", "5minute", "2023-01-02", "2023-09-29")
    day = bars["timestamp"].dt.date
    spike = sorted(set(day))[120]
    prices = ["open", "high", "low", "close"]
    bars.loc[day == spike, prices] *= 4.0  # one session four times too high, then back
    raw.write("AAA", "5minute", bars)
    raw.write(
        "NIFTY 50", "5minute", synthetic_bars("NIFTY 50", "5minute", "2023-01-02", "2023-09-29")
    )
    store = AdjustedBarStore(tmp_path / "store", catalog)
    cfg = _cfg("AAA", interval="5minute", min_history_sessions=50, start=None)
    pf = preflight(cfg, store, catalog)
    assert [(b["session_date"], b["kind"]) for b in pf.breaks] == [(spike.isoformat(), "spike")]
    assert any("checked on the sessions of the 5minute bars" in n for n in pf.notes)
    kept = store.read("AAA", "5minute", columns=["timestamp"])["timestamp"].dt.date
    assert spike not in set(kept) and len(kept) == len(bars) - int((day == spike).sum())
    raw.write("AAA", "1day", _sessions(400, 1, "2015-01-01"))
    raw.write("NIFTY 50", "1day", _sessions(400, 4, "2015-01-01"))
    daily = preflight(
        _cfg("AAA", start=dt.date(2015, 1, 1), min_history_sessions=50),
        AdjustedBarStore(tmp_path / "store", catalog),
        catalog,
    )
    assert not any("sessions of the" in n for n in daily.notes)
