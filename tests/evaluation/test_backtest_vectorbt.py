"""Dev-only oracle: our backtest against vectorbt on identical, zero-cost orders.

vectorbt (a dev dependency, never imported from ``src/``) fills an order at the ``price`` of
the bar that carries the signal, by default that bar's close. Our backtest decides at bar t's
close and fills at bar t+1 (``fill="next_open"``: t+1's open; ``fill="next_close"``: t+1's
close; see ``evaluation.md`` "Execution timing"). To make the two simulate the same trades:

* every signal/target row is SHIFTED one bar forward before it goes to vectorbt, so the order
  decided at t sits on bar t+1;
* vectorbt's ``price`` is the open series for ``next_open`` and the close series for
  ``next_close``, so it fills at the same price we do;
* for target-percent orders ``val_price`` is that same fill price, so vectorbt sizes the order
  on the portfolio value at the moment of the fill (our pre-trade equity), and ``call_seq=
  "auto"`` sends sells before buys inside the shared-cash group;
* single-symbol entry/exit signals go in as ``from_orders`` amounts (entry = buy with all the
  cash, ``+inf``; exit = sell everything, ``-inf``), which is what ``from_signals`` does with
  its defaults; both give the same values, but ``from_signals`` costs about 15 s of numba
  compilation per test process, so the cheaper form is used;
* costs are zero on both sides (no fees, no slippage), fractional shares are allowed, and
  ``init_cash=1`` makes vectorbt's ``value()`` (marked at each close) comparable with our
  equity (a multiple of the starting capital).

With that alignment the equity curves agree to rounding (1e-9 is asserted). The test skips
when vectorbt is not installed (it is optional, in the ``dev`` extra).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sensequant.evaluation.backtest import run_backtest
from sensequant.evaluation.costs import FeeSchedule
from sensequant.settings import BacktestConfig
from sensequant.types import IST

vbt = pytest.importorskip("vectorbt")

START = dt.date(2000, 1, 1)
ZERO = FeeSchedule.from_mapping(
    {
        "version": 1,
        "currency": "INR",
        "charges": [
            {"charge": "stt", "segment": seg, "side": "both", "rate": 0.0, "valid_from": START,
             "valid_to": None, "source": "test", "gst_applies": False}
            for seg in ("delivery", "intraday")
        ],
        "gst": [{"rate": 0.0, "valid_from": START, "valid_to": None, "source": "test"}],
    }
)  # fmt: skip
TOL = 1e-9


def _prices(n: int, symbols: list[str], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2023-01-02", periods=n, tz=IST)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (n, len(symbols))), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.01, (n, len(symbols))))
    return (
        pd.DataFrame(open_, index=idx, columns=symbols),
        pd.DataFrame(close, index=idx, columns=symbols),
    )


def _assert_same_equity(ours: pd.Series, theirs: pd.Series) -> None:
    theirs = theirs.reindex(ours.index)
    assert not theirs.isna().any()
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=0, atol=TOL)
    assert ours.iloc[-1] != pytest.approx(1.0, abs=1e-3)  # the book really moved


def test_single_symbol_signals_filled_at_the_next_open() -> None:
    open_, close = _prices(250, ["A"], seed=41)
    fast, slow = close["A"].rolling(5).mean(), close["A"].rolling(20).mean()
    in_market = (fast > slow).to_numpy()
    prev = np.concatenate([[False], in_market[:-1]])
    entries = pd.Series(in_market & ~prev, index=close.index)
    exits = pd.Series(~in_market & prev, index=close.index)
    assert entries.sum() >= 3 and exits.sum() >= 3

    weights = pd.DataFrame({"A": in_market.astype(float)}, index=close.index)
    ours = run_backtest(
        weights, open_, close, fees=ZERO, cfg=BacktestConfig(fill="next_open", slippage_bps=0)
    )
    # the order form of from_signals: an entry buys with all the cash (+inf shares), an exit
    # sells the whole position (-inf); NaN = no order
    orders = pd.Series(np.nan, index=close.index)
    orders[entries], orders[exits] = np.inf, -np.inf
    pf = vbt.Portfolio.from_orders(
        close["A"],
        size=orders.shift(1),  # decided at t's close -> order on t+1 ...
        size_type="amount",
        direction="longonly",
        price=open_["A"],  # ... filled at t+1's open
        init_cash=1.0,
        fees=0.0,
        freq="1D",
    )
    _assert_same_equity(ours.equity, pf.value())
    assert len(ours.ledger) == pf.orders.count()


@pytest.mark.parametrize("fill", ["next_close", "next_open"])
def test_three_symbol_equal_weight_book_with_target_percent_orders(fill: str) -> None:
    symbols = ["A", "B", "C"]
    open_, close = _prices(250, symbols, seed=43)
    momentum = close / close.shift(10) - 1.0
    weights = (momentum > 0).astype(float) / 3.0  # 1/3 in each name with positive momentum
    cfg = BacktestConfig(fill=fill, slippage_bps=0)
    ours = run_backtest(weights, open_, close, fees=ZERO, cfg=cfg)
    price = close if fill == "next_close" else open_
    pf = vbt.Portfolio.from_orders(
        close,
        size=weights.shift(1),  # decided at t's close -> order on t+1 (NaN on bar 0: no order)
        size_type="targetpercent",
        price=price,
        val_price=price,  # size on the portfolio value at the fill price
        init_cash=1.0,
        cash_sharing=True,
        group_by=True,
        call_seq="auto",  # sells first, then buys, inside the shared cash
        fees=0.0,
        freq="1D",
    )
    _assert_same_equity(ours.equity, pf.value())
    assert ours.turnover.gt(0).sum() > 10  # the book was rebalanced many times


def test_dollar_neutral_long_short_book_matches_vectorbt() -> None:
    symbols = ["A", "B", "C", "D"]
    open_, close = _prices(200, symbols, seed=47)
    momentum = (close / close.shift(5) - 1.0).fillna(0.0)
    rank = momentum.rank(axis=1, method="first")
    weights = (rank == 4).astype(float) * 0.5 - (rank == 1).astype(float) * 0.5
    cfg = BacktestConfig(fill="next_open", cost_segment="intraday", slippage_bps=0)
    ours = run_backtest(weights, open_, close, fees=ZERO, cfg=cfg, allow_short=True)
    pf = vbt.Portfolio.from_orders(
        close,
        size=weights.shift(1),
        size_type="targetpercent",
        direction="both",
        price=open_,
        val_price=open_,
        init_cash=1.0,
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        fees=0.0,
        freq="1D",
    )
    _assert_same_equity(ours.equity, pf.value())
