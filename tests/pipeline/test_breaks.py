"""Structural breaks in a run: pre-flight lists them and, until a reviewer rejects them, their
bars stay out of features, labels, cross-sectional targets and backtest returns and fills."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.market import is_session
from sensequant.data.store import BarStore
from sensequant.dataset import build_frames, panel_frame
from sensequant.evaluation import run_backtest
from sensequant.evaluation.costs import FeeSchedule
from sensequant.pipeline.evidence import price_matrices
from sensequant.pipeline.preflight import PreflightReport, preflight
from sensequant.settings import BacktestConfig, RunConfig
from tests.conftest import make_daily_bars

PRICES = ["open", "high", "low", "close"]
SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]
SPIKE_AT, BAD_AT, SHIFT_AT = 500, 600, 300  # AAA, BBB, CCC rows


def _sessions(seed: int) -> pd.DataFrame:
    bars = make_daily_bars(n=1000, seed=seed, start="2016-01-01")
    return bars[is_session(bars["timestamp"])].reset_index(drop=True)


@pytest.fixture()
def world(tmp_path: Path) -> tuple[Path, Catalog, dict[str, pd.DataFrame]]:
    store = BarStore(tmp_path / "store")
    raw = {s: _sessions(i + 1) for i, s in enumerate(SYMBOLS)}
    raw["AAA"].loc[SPIKE_AT, PRICES] *= 4.0  # a one-session spike
    bad = raw["BBB"].loc[BAD_AT, "close"] * 1.6
    raw["BBB"].loc[BAD_AT, ["open", "high"]] = bad  # a bad opening print
    raw["CCC"].loc[: SHIFT_AT - 1, PRICES] *= 12.0  # another company's history
    for sym, bars in raw.items():
        store.write(sym, "1day", bars)
    store.write("NIFTY 50", "1day", _sessions(99))
    return tmp_path / "store", Catalog(tmp_path / "catalog.sqlite"), raw


def _day(bars: pd.DataFrame, row: int) -> pd.Timestamp:
    return pd.Timestamp(bars["timestamp"].iloc[row])


def _run(root: Path, catalog: Catalog) -> tuple[AdjustedBarStore, PreflightReport, RunConfig]:
    raw = RunConfig().with_overrides(universe=",".join(SYMBOLS)).model_dump()
    raw["labels"]["target"] = "cs_rank"
    config = RunConfig.model_validate(raw)
    view = AdjustedBarStore(root, catalog)
    return view, preflight(config, view, catalog), config


def _panel(view: AdjustedBarStore, pf: PreflightReport, config: RunConfig) -> pd.DataFrame:
    bars = {s: view.read(s, "1day", end=pf.range_end) for s in pf.symbols}
    bench = view.read("NIFTY 50", "1day", columns=["timestamp", "close"])
    close = pd.Series(bench["close"].to_numpy(), index=pd.DatetimeIndex(bench["timestamp"]))
    frames = build_frames(bars, config, benchmark_close=close)
    return panel_frame(frames, pf.range_start, pf.range_end)


def _hold(
    view: AdjustedBarStore, sym: str, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[pd.Series, pd.DataFrame]:
    """Backtest a 100 % position in ``sym`` decided at ``start`` and closed at ``end``."""
    open_px, close_px = price_matrices(view, SYMBOLS, start, end + pd.Timedelta(days=10))
    weights = pd.DataFrame(0.0, index=[start, end], columns=SYMBOLS)
    weights.loc[start, sym] = 1.0
    cfg = BacktestConfig(slippage_bps=0.0)
    res = run_backtest(weights, open_px, close_px, fees=FeeSchedule.load(), cfg=cfg)
    return res.returns_gross, res.ledger


def test_pending_breaks_stay_out_of_labels_targets_and_returns(world: tuple) -> None:
    root, catalog, raw = world
    spike, shift = _day(raw["AAA"], SPIKE_AT), _day(raw["CCC"], SHIFT_AT)
    view, pf, config = _run(root, catalog)
    listed = {(b["symbol"], b["kind"], b["status"]) for b in pf.breaks}
    assert listed == {
        ("AAA", "spike", "pending"),
        ("BBB", "bad_print", "pending"),
        ("CCC", "level_shift", "pending"),
    }
    assert pf.to_dict()["structural_breaks"] == pf.breaks
    assert all("sensequant data breaks" in line for line in pf.break_notes())
    grouped = pf.break_notes(group_bad_prints=True)
    assert len(grouped) == 3 and grouped[-1].startswith("1 bad opening prints (pending")
    assert grouped[-1].endswith("BBB 1")
    ccc = next(c for c in pf.coverage if c.symbol == "CCC")
    assert ccc.first == shift  # the other company's history is not part of the run

    panel = _panel(view, pf, config)
    aaa = panel[panel["symbol"] == "AAA"].set_index("timestamp")
    assert spike not in aaa.index  # no feature/label/target row on the spike
    # labels and targets around it use the real prices on either side: no +300 % / -75 %
    assert aaa["fwd_return"].abs().max() < 0.3
    assert panel.loc[panel["timestamp"] == spike, "target"].notna().sum() == 5
    assert panel.loc[panel["symbol"] == "CCC", "timestamp"].min() == shift

    # the backtest holds AAA through the spike: 0 return there, the position still counted
    start, end = _day(raw["AAA"], SPIKE_AT - 3), _day(raw["AAA"], SPIKE_AT + 3)
    returns, _ = _hold(view, "AAA", start, end)
    assert returns.loc[spike] == 0.0
    assert returns.abs().max() < 0.1

    # rejected ("the data is right"): the bars come back everywhere
    catalog.set_break_status("AAA", spike.date(), "rejected", "asha")
    catalog.set_break_status("CCC", shift.date(), "rejected", "asha")
    view, pf, config = _run(root, catalog)
    assert {b["symbol"] for b in pf.breaks} == {"BBB"}
    panel = _panel(view, pf, config)
    aaa = panel[panel["symbol"] == "AAA"].set_index("timestamp")
    assert spike in aaa.index and aaa["fwd_return"].abs().max() > 2.0
    assert panel.loc[panel["symbol"] == "CCC", "timestamp"].min() < shift
    returns, _ = _hold(view, "AAA", start, end)
    jump = raw["AAA"].loc[SPIKE_AT, "close"] / raw["AAA"].loc[SPIKE_AT - 1, "close"] - 1.0
    assert returns.loc[spike] == pytest.approx(jump, rel=1e-9) and jump > 2.0


def test_a_bad_opening_print_is_never_a_fill_price(world: tuple) -> None:
    root, catalog, raw = world
    bbb = raw["BBB"]
    day, close, bad_open = _day(bbb, BAD_AT), bbb.loc[BAD_AT, "close"], bbb.loc[BAD_AT, "open"]
    view, pf, _ = _run(root, catalog)
    assert any(b["kind"] == "bad_print" for b in pf.breaks)
    # decided the session before: filled at the bad session's open -> its close instead
    _, ledger = _hold(view, "BBB", _day(bbb, BAD_AT - 1), _day(bbb, BAD_AT + 2))
    buy = ledger[(ledger["side"] == "buy") & (ledger["symbol"] == "BBB")].iloc[0]
    assert pd.Timestamp(buy["date"]) == day
    assert buy["price"] == pytest.approx(close) and buy["price"] != pytest.approx(bad_open)
    bars = view.read("BBB", "1day")
    row = bars[bars["timestamp"] == day].iloc[0]
    assert row["open"] == row["high"] == pytest.approx(close)
    catalog.set_break_status("BBB", day.date(), "rejected", "asha")
    view, _, _ = _run(root, catalog)
    _, ledger = _hold(view, "BBB", _day(bbb, BAD_AT - 1), _day(bbb, BAD_AT + 2))
    assert ledger.iloc[0]["price"] == pytest.approx(bad_open)
    assert np.isclose(bad_open / close, 1.6)


def test_confirmed_breaks_stay_out_and_a_raw_store_is_untouched(world: tuple) -> None:
    root, catalog, raw = world
    view, pf, _ = _run(root, catalog)
    spike = _day(raw["AAA"], SPIKE_AT)
    catalog.set_break_status("AAA", spike.date(), "confirmed", "asha")
    view, pf, _ = _run(root, catalog)
    row = next(b for b in pf.breaks if b["symbol"] == "AAA")
    assert (row["status"], row["reviewer"]) == ("confirmed", "asha")
    assert spike not in set(view.read("AAA", "1day")["timestamp"])
    config = RunConfig().with_overrides(universe=",".join(SYMBOLS))
    assert preflight(config, BarStore(root), catalog).breaks == []
    assert dt.date(2016, 1, 1) <= spike.date()
