"""Vectorised, weights-based daily backtest with effective-dated NSE costs.

Timing (no look-ahead)
----------------------
``weights`` row ``t`` is decided from information up to bar ``t``'s close. It is filled at bar
``t+1``: at its open (``fill="next_open"``) or its close (``fill="next_close"``). Nothing is
ever traded at the decision bar's own prices.

Day ``t+1`` with ``next_open``::

    holdings carried from t earn close_t -> open_{t+1}          (g1 = 1 + h . r_overnight)
    at the open, drifted weights are traded to the target      (costs c, fraction of equity)
    the new book earns open_{t+1} -> close_{t+1}                (g2 = 1 + w . r_intraday)
    net return = g1 * (1 - c) * g2 - 1,  gross return = g1 * g2 - 1

With ``next_close`` the carried book earns close_t -> close_{t+1}, then trades at that close:
net = g * (1 - c) - 1. Equity compounds; cash earns 0 (no interest on idle cash -- an honest
understatement for a portfolio that is often partly in cash).

Costs on a rebalance: buys x (buy_bps + slippage_bps) + sells x (sell_bps + slippage_bps) as
fractions of equity (buy/sell bps from :meth:`FeeSchedule.daily_rates`, GST included,
brokerage at its uncapped rate; slippage bps from a
:class:`~sensequant.evaluation.slippage.SlippageModel`, by default
``FixedBps(cfg.slippage_bps)``), plus the DP charge (rupees, GST included) for every symbol
sold that day, divided by the equity in rupees (``capital_inr`` compounded). Traded notional
is measured at the pre-trade equity; the costs are then taken from the book pro rata (so the
target weights hold for the post-cost equity) -- the usual vectorised approximation.

Missing prices
--------------
* A symbol without a price at the fill (not yet listed, suspended, delisted) cannot be traded
  that day: a symbol not held gets target 0 (its weight stays in cash); a held one keeps its
  drifted weight (it can be neither bought nor sold). If such frozen weights would push the
  book above 100 %, the tradable targets are scaled down to fit.
* A held symbol whose price is missing is carried at its last known price (zero return until
  it trades again; the gap's move is then earned in one step).

Short positions (``allow_short=True``, intraday segment only)
--------------------------------------------------------------
NSE cash-equity delivery cannot be sold short (a delivery sell needs the shares in the demat
account; overnight shorts go through SLB or futures, which this backtest does not model), so a
short book is accepted only with ``cost_segment="intraday"`` and raises :class:`DataError` on
delivery. A negative weight is a short position worth ``|w|`` of equity; its proceeds stay in
cash and it earns ``w * r``. Gross exposure ``sum |w|`` must stay <= 1 (no leverage). Costs
follow the side of each order from the fee schedule: opening (or adding to) a short is a SELL
(intraday STT on sells), covering it is a BUY (stamp duty on buys). NOTE: the daily backtest
does not force the intraday square-off at the close: a short held over several sessions is
charged intraday rates but carried overnight (a real MIS position is squared off the same
day), an approximation any report of such a book must state.

Input checks and price arrays: :mod:`sensequant.evaluation.backtest_inputs`; the trade ledger:
:mod:`sensequant.evaluation.backtest_ledger`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from sensequant.errors import DataError
from sensequant.evaluation.backtest_inputs import (
    _carried_prices,
    _check_inputs,
    _ratio,
    _slippage_bps,
)
from sensequant.evaluation.backtest_ledger import LEDGER_COLUMNS, _ledger
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.slippage import FixedBps, SlippageModel
from sensequant.settings import BacktestConfig

__all__ = [
    "LEDGER_COLUMNS",
    "BacktestResult",
    "equal_weight_returns",
    "index_returns",
    "run_backtest",
]

_EPS = 1e-12


@dataclass(frozen=True)
class BacktestResult:
    """Everything a backtest produced; daily series are indexed by session timestamp.

    Attributes
    ----------
    returns_gross, returns_net : pandas.Series
        Daily simple returns (fractions) before / after costs, from the first fill session.
    costs : pandas.Series
        Costs paid each day as a fraction of the pre-trade equity.
    turnover : pandas.Series
        Traded notional / pre-trade equity per day: ``sum_i |target_i - drifted_i|`` (buys
        plus sells, each trade counted once; switching the whole book = 2.0).
    equity : pandas.Series
        Net equity as a multiple of ``capital_inr``; first point = 1.0 at the first decision
        date, then one point per return.
    exposure : pandas.Series
        Gross weight held at each day's close (0..1).
    holdings : pandas.DataFrame
        End-of-day weights (session x symbol, fractions of that day's equity).
    ledger : pandas.DataFrame
        One row per trade: ``date`` (fill session), ``symbol``, ``side`` ('buy'/'sell'),
        ``weight_traded`` (fraction of pre-trade equity), ``notional_inr``, ``price`` (fill
        price), ``cost_inr`` (fees + slippage + DP charge on sells), ``equity_inr`` (pre-trade
        equity in rupees).
    fill, segment : str
    capital_inr : float
    """

    returns_gross: pd.Series
    returns_net: pd.Series
    costs: pd.Series
    turnover: pd.Series
    equity: pd.Series
    exposure: pd.Series
    holdings: pd.DataFrame
    ledger: pd.DataFrame
    fill: str
    segment: str
    capital_inr: float


def run_backtest(
    weights: pd.DataFrame,
    open_px: pd.DataFrame,
    close_px: pd.DataFrame,
    *,
    fees: FeeSchedule,
    cfg: BacktestConfig,
    tolerance: float = 0.0,
    allow_short: bool = False,
    slippage: SlippageModel | None = None,
) -> BacktestResult:
    """Simulate target weights with next-bar fills, NSE costs and compounding.

    Parameters
    ----------
    weights : pandas.DataFrame
        Target weights (decision timestamp x symbol, fractions of equity, rows with
        ``sum |w| <= 1``), e.g. from :func:`~sensequant.evaluation.portfolio.target_weights`.
        Long-only (>= 0) unless ``allow_short``. The book is rebalanced only after dates
        present here; an all-zero row closes everything.
    open_px, close_px : pandas.DataFrame
        Session x symbol prices (same index, a superset of ``weights``' dates and columns);
        NaN = no price that session.
    fees : FeeSchedule
    cfg : BacktestConfig
        ``fill``, ``capital_inr``, ``slippage_bps`` (per side; used when ``slippage`` is None),
        ``cost_segment``.
    tolerance : float, default 0.0
        No-trade band (fraction of equity): a symbol held before and after a rebalance on the
        same side whose drifted weight is within ``tolerance`` of its target is not traded.
        0 = always trade back to the exact targets (every small trim then pays a DP charge).
    allow_short : bool, default False
        Accept negative weights (short positions). Only with ``cfg.cost_segment ==
        "intraday"``: NSE delivery cannot be shorted (see the module notes). Opening a short is
        charged as a sell, covering it as a buy.
    slippage : SlippageModel, optional
        Slippage per side in basis points, per fill session and symbol (see
        :mod:`sensequant.evaluation.slippage`). None = ``FixedBps(cfg.slippage_bps)``, the
        same for every trade.

    Returns
    -------
    BacktestResult
        Daily series from the first session after the first decision date up to the
        session after the last decision date (or the last price session). ``exposure`` is the
        gross exposure ``sum |h|``.

    Raises
    ------
    DataError
        Unsorted/misaligned calendars, decision dates that are not sessions, NaN, negative
        (without ``allow_short``) or levered weights, ``allow_short`` on the delivery segment,
        a slippage model returning a bad array, or no session after the first decision date.

    Examples
    --------
    Buy two names half-and-half on the first session, close everything two sessions later;
    fills happen at the NEXT session's open, with the effective-dated NSE delivery charges:

    >>> import pandas as pd
    >>> from sensequant.evaluation.costs import FeeSchedule
    >>> from sensequant.settings import BacktestConfig
    >>> dates = pd.bdate_range("2024-11-04", periods=5, tz="Asia/Kolkata")
    >>> px = pd.DataFrame({"A": [100.0, 101.0, 102.0, 103.0, 104.0], "B": [50.0] * 5}, dates)
    >>> weights = pd.DataFrame({"A": [0.5, 0.0], "B": [0.5, 0.0]}, index=dates[[0, 2]])
    >>> res = run_backtest(
    ...     weights, px, px, fees=FeeSchedule.load(), cfg=BacktestConfig(slippage_bps=0.0)
    ... )
    >>> res.returns_net.round(4).tolist()
    [-0.0012, 0.005, 0.0039]
    >>> res.ledger[["symbol", "side"]].to_numpy().tolist()
    [['A', 'buy'], ['B', 'buy'], ['A', 'sell'], ['B', 'sell']]
    >>> round(float(res.ledger["cost_inr"].iloc[0]), 2)  # STT, exchange, SEBI, IPFT, stamp, GST
    593.61
    """
    _check_inputs(weights, open_px, close_px, allow_short=allow_short, segment=cfg.cost_segment)
    weights = weights.sort_index()
    idx = close_px.index
    symbols = list(weights.columns)
    open_ = open_px[symbols].to_numpy(dtype=float)
    close = close_px[symbols].to_numpy(dtype=float)
    pos = idx.get_indexer(weights.index)
    j0, j_end = int(pos[0]) + 1, min(int(pos[-1]) + 1, len(idx) - 1)
    if j0 >= len(idx):
        raise DataError(
            f"no price session after the first decision date {weights.index[0]}",
            hint="extend the prices past the decisions (a decision fills on the next session)",
        )
    n_days, n_sym = j_end - j0 + 1, len(symbols)
    open_c, close_c = _carried_prices(open_, close)
    prev_close = np.vstack([close_c[:1], close_c[:-1]])
    r_on, r_id, r_cc = (
        _ratio(open_c, prev_close),
        _ratio(close_c, open_c),
        _ratio(close_c, prev_close),
    )
    fill_px = open_ if cfg.fill == "next_open" else close
    ok = pos + 1 < len(idx)
    targets = np.zeros((len(idx), n_sym))
    targets[pos[ok] + 1] = weights.to_numpy(dtype=float)[ok]
    rebalance = np.zeros(len(idx), dtype=bool)
    rebalance[pos[ok] + 1] = True
    dates = idx[j0 : j_end + 1]
    rates = fees.daily_rates(dates, cfg.cost_segment)
    model = slippage if slippage is not None else FixedBps(cfg.slippage_bps)
    slip, uniform = _slippage_bps(model, cast(pd.DatetimeIndex, dates), symbols)
    # (n_days, n_sym) cost fractions per side; with uniform slippage only column 0 is used in
    # the loop, which keeps the arithmetic of the fixed-bps backtest exactly as before
    buy_cost = (rates["buy_bps"].to_numpy()[:, None] + slip) / 1e4
    sell_cost = (rates["sell_bps"].to_numpy()[:, None] + slip) / 1e4
    dp_inr = rates["dp_sell_inr"].to_numpy()

    r_net, r_gross = np.zeros(n_days), np.zeros(n_days)
    costs, turnover = np.zeros(n_days), np.zeros(n_days)
    held = np.zeros((n_days, n_sym))
    trades: list[tuple[int, np.ndarray, np.ndarray, float]] = []
    h, equity, ruined = np.zeros(n_sym), 1.0, False
    for k in range(n_days):
        if ruined:
            break  # nothing left: later returns, costs and holdings stay 0
        j = j0 + k
        ret_pre = r_on[j] if cfg.fill == "next_open" else r_cc[j]
        g1 = 1.0 + float(h @ ret_pre)
        if g1 <= 0.0:  # the carried book lost all the equity (shorts, or prices at zero)
            r_net[k] = r_gross[k] = -1.0
            break
        h = h * (1.0 + ret_pre) / g1
        equity *= g1
        c = 0.0
        if rebalance[j]:
            tgt = targets[j].copy()
            frozen = np.isnan(fill_px[j])
            if tolerance > 0:
                same_side = ((h > _EPS) & (tgt > _EPS)) | ((h < -_EPS) & (tgt < -_EPS))
                frozen |= same_side & (np.abs(tgt - h) <= tolerance)
            tgt[frozen] = h[frozen]
            free_sum, frozen_sum = np.abs(tgt[~frozen]).sum(), np.abs(tgt[frozen]).sum()
            if free_sum + frozen_sum > 1.0 + _EPS and free_sum > 0:
                tgt[~frozen] *= max(0.0, 1.0 - frozen_sum) / free_sum
            delta = tgt - h
            delta[np.abs(delta) < _EPS] = 0.0
            buys, sells = np.clip(delta, 0, None), np.clip(-delta, 0, None)
            n_sold = int((sells > 0).sum())
            if uniform:
                c = buys.sum() * buy_cost[k, 0] + sells.sum() * sell_cost[k, 0]
            else:
                c = float(buys @ buy_cost[k] + sells @ sell_cost[k])
            c += n_sold * dp_inr[k] / (equity * cfg.capital_inr)
            if c >= 1.0:  # costs beyond the equity: the account is ruined
                c, ruined = 1.0, True
            turnover[k] = buys.sum() + sells.sum()
            traded = np.flatnonzero(delta)
            if traded.size:
                trades.append((j, traded, delta[traded], equity))
            h = tgt
        costs[k] = c
        if cfg.fill == "next_open":
            g2 = 1.0 + float(h @ r_id[j])
            if g2 <= 0.0:  # lost everything during the session (only possible with shorts)
                g2, ruined = 0.0, True
            h = h * (1.0 + r_id[j]) / g2 if g2 > 0 else h
        else:
            g2 = 1.0
        if ruined:
            h = np.zeros(n_sym)
        r_gross[k] = g1 * g2 - 1.0
        r_net[k] = g1 * (1.0 - c) * g2 - 1.0
        equity *= (1.0 - c) * g2
        held[k] = h

    ledger = _ledger(trades, idx, symbols, fill_px, buy_cost, sell_cost, dp_inr, j0, cfg)
    equity_series = pd.Series(
        np.concatenate([[1.0], np.cumprod(1.0 + r_net)]), index=idx[j0 - 1 : j_end + 1]
    )
    holdings = pd.DataFrame(held, index=dates, columns=weights.columns)
    return BacktestResult(
        returns_gross=pd.Series(r_gross, index=dates, name="returns_gross"),
        returns_net=pd.Series(r_net, index=dates, name="returns_net"),
        costs=pd.Series(costs, index=dates, name="costs"),
        turnover=pd.Series(turnover, index=dates, name="turnover"),
        equity=equity_series.rename("equity"),
        exposure=holdings.abs().sum(axis=1).rename("exposure"),
        holdings=holdings,
        ledger=ledger,
        fill=cfg.fill,
        segment=cfg.cost_segment,
        capital_inr=cfg.capital_inr,
    )


def index_returns(close: pd.Series) -> pd.Series:
    """Close-to-close simple returns of an index (e.g. the NIFTY 50 PRICE index).

    Parameters
    ----------
    close : pandas.Series
        Closing levels indexed by session; NaN sessions are dropped first.

    Returns
    -------
    pandas.Series
        ``close_t / close_{t-1} - 1`` (fractions), from the second valid session. A price
        index excludes dividends (state that when it serves as the benchmark).
    """
    levels = close.dropna().astype(float)
    out = (levels / levels.shift(1) - 1.0).iloc[1:]
    out.name = close.name if close.name is not None else "index"
    return out


def equal_weight_returns(close_px: pd.DataFrame) -> pd.Series:
    """Equal-weight, daily-rebalanced basket of the symbols with prices (no costs).

    This is a no-skill reference, NOT buy-and-hold: each day it holds every symbol with a
    close on both the previous and the current session in equal weight, i.e. its return is
    the cross-sectional mean of close-to-close returns. Costs of the daily rebalancing are
    ignored. On a list of today's index members it inherits their survivorship bias.

    Parameters
    ----------
    close_px : pandas.DataFrame
        Session x symbol closes; NaN = no price.

    Returns
    -------
    pandas.Series
        Daily simple returns; sessions where no symbol has two consecutive closes are dropped.
    """
    px = close_px.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rets = px / px.shift(1) - 1.0
    out = rets.mean(axis=1, skipna=True).iloc[1:]
    return out.dropna().rename("equal_weight")
