"""Honest baselines: naive scores and investable reference portfolios, each labelled as it is.

Score baselines (prediction series like a model's, long ``symbol, timestamp, score``), from
closes known at the decision bar's close (no look-ahead):

* :func:`reversal_scores` -- short-term reversal, ``-(close_t / close_{t-L} - 1)``, L = 5;
* :func:`momentum_scores` -- 12-1 month momentum (Jegadeesh & Titman, 1993),
  ``close_{t-21} / close_{t-252} - 1``.

Rank them with the strategy's own rule (``PortfolioConfig(score="score")``: top-k, no
probability floor) for a calibration-free comparison.

Return baselines (:class:`BaselineSeries`):

* :func:`index_baseline` -- the benchmark PRICE index (e.g. NIFTY 50), no costs, exposure 1;
  not investable as is.
* :func:`buy_and_hold_baseline` -- equal weight of the universe bought once at the first
  out-of-sample fill, never rebalanced; the purchase pays the NSE costs, nothing after.
* :func:`monthly_rebalanced_baseline` -- equal weight, traded at the first session of every
  month with NSE costs and slippage.

Both portfolios go through :func:`~sensequant.evaluation.backtest.run_backtest` with the
strategy's :class:`~sensequant.settings.BacktestConfig`, so fills (next open), costs and
accounting are exactly the strategy's. On a list of today's index members they inherit its
survivorship bias, as the strategy does. The score baselines live in
:mod:`sensequant.evaluation.baseline_scores` (re-exported here);
:func:`~sensequant.evaluation.comparison.comparison_table` puts any series side by side.
Pure computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sensequant.errors import DataError
from sensequant.evaluation.backtest import BacktestResult, index_returns, run_backtest
from sensequant.evaluation.baseline_scores import momentum_scores, reversal_scores
from sensequant.evaluation.costs import FeeSchedule
from sensequant.settings import BacktestConfig

__all__ = [
    "BaselineSeries",
    "buy_and_hold_baseline",
    "index_baseline",
    "momentum_scores",
    "month_start_decisions",
    "monthly_rebalanced_baseline",
    "reversal_scores",
]


@dataclass(frozen=True)
class BaselineSeries:
    """One reference return series and the exact description of what it is.

    Attributes
    ----------
    name : str
        Short key (``"nifty50_price"``, ``"ew_buy_hold"``, ``"ew_monthly"``).
    label : str
        What the series is, in words fit for a report (costs, rebalancing, investability).
    returns : pandas.Series
        Daily simple returns (fractions) indexed by session; net of costs where costed.
    exposure : pandas.Series
        Gross exposure at each session's close (fraction of equity invested, 0..1).
    costs, turnover : pandas.Series or None
        Daily costs (fraction of pre-trade equity) and turnover (traded notional / equity);
        None for a series that trades nothing (the index).
    backtest : BacktestResult or None
        The full backtest (ledger, holdings) of a costed series; None for the index.
    """

    name: str
    label: str
    returns: pd.Series
    exposure: pd.Series
    costs: pd.Series | None = None
    turnover: pd.Series | None = None
    backtest: BacktestResult | None = None

    def as_comparison(
        self,
    ) -> tuple[pd.Series, pd.Series, pd.DataFrame | None, pd.Series | None]:
        """``(returns, exposure, None, turnover)``: an entry of :func:`comparison_table`."""
        return self.returns, self.exposure, None, self.turnover


# ------------------------------------------------------------------------ return baselines


def _window(close_px: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp | None) -> pd.Index:
    """Sessions of ``close_px`` from ``start`` (a session) to ``end`` (inclusive)."""
    idx = close_px.index
    if start not in idx:
        raise DataError(
            f"start {start} is not a price session",
            hint="start at the first out-of-sample decision date (a session of the prices)",
        )
    sessions = idx[idx >= start]
    return sessions[sessions <= end] if end is not None else sessions


def _equal_weights(
    close_px: pd.DataFrame, decisions: pd.Index, horizon: pd.Timestamp
) -> pd.DataFrame:
    """1/n on the symbols with a close at each decision date; a zero row at ``horizon``.

    The last row is at the window's last session: it is never filled (no next session in the
    window of the backtest's output) and only makes the backtest run to that session.
    """
    known = close_px.loc[decisions].notna().to_numpy()
    n = known.sum(axis=1, keepdims=True)
    values = np.where(known, 1.0 / np.maximum(n, 1), 0.0)
    weights = pd.DataFrame(values, index=decisions, columns=close_px.columns)
    if horizon not in weights.index:
        weights.loc[horizon] = 0.0
    return weights.sort_index()


def _costed(
    name: str,
    label: str,
    weights: pd.DataFrame,
    open_px: pd.DataFrame,
    close_px: pd.DataFrame,
    *,
    fees: FeeSchedule,
    cfg: BacktestConfig,
    tolerance: float,
    end: pd.Timestamp,
) -> BaselineSeries:
    # prices cut at the window's end: the horizon row's fill would fall outside, so never trades
    cut = close_px.index <= end
    bt = run_backtest(
        weights, open_px.loc[cut], close_px.loc[cut], fees=fees, cfg=cfg, tolerance=tolerance
    )
    return BaselineSeries(
        name=name, label=label, returns=bt.returns_net.rename(name), exposure=bt.exposure,
        costs=bt.costs, turnover=bt.turnover, backtest=bt,
    )  # fmt: skip


def _cost_words(cfg: BacktestConfig) -> str:
    return f"NSE {cfg.cost_segment} charges + {cfg.slippage_bps:g} bp slippage per side"


def index_baseline(
    bench_close: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp | None = None,
    *,
    name: str = "nifty50_price",
    index_name: str = "NIFTY 50",
    label: str | None = None,
) -> BaselineSeries:
    """The benchmark price index's daily returns after ``start``, exposure 1.0, no costs.

    Parameters
    ----------
    bench_close : pandas.Series
        Index closing levels by session (NaN sessions dropped).
    start : pandas.Timestamp
        First out-of-sample decision date: returns are kept for sessions after it (the
        strategy's first return is the session after its first decision).
    end : pandas.Timestamp, optional
        Last session kept (inclusive); None = all.
    name, index_name : str
        Key of the series and the index's name in the label.
    label : str, optional
        What the series is, when it is not a price index (e.g. an equal-weight basket
        served as the benchmark: ``"... rebalanced daily, no costs"``); None = the price-index
        label.

    Returns
    -------
    BaselineSeries
        ``costs``/``turnover``/``backtest`` None.

    Raises
    ------
    DataError
        No index return in the window.
    """
    rets = index_returns(bench_close)
    keep = rets.index > start
    if end is not None:
        keep &= rets.index <= end
    rets = rets.loc[keep]
    if rets.empty:
        raise DataError(
            f"the index has no return after {start}", hint="extend the benchmark closes"
        )
    if label is None:
        label = (
            f"{index_name} PRICE index, close-to-close (dividends excluded); no costs; not "
            "investable as is (an index fund or ETF pays fees and tracking error)"
        )
    exposure = pd.Series(1.0, index=rets.index, name="exposure")
    return BaselineSeries(name=name, label=label, returns=rets.rename(name), exposure=exposure)


def buy_and_hold_baseline(
    open_px: pd.DataFrame,
    close_px: pd.DataFrame,
    start: pd.Timestamp,
    *,
    fees: FeeSchedule,
    cfg: BacktestConfig,
    end: pd.Timestamp | None = None,
    name: str = "ew_buy_hold",
) -> BaselineSeries:
    """Equal-weight buy-and-hold of the universe, bought once, never rebalanced.

    Decided at ``start``'s close over the symbols with a close that day (1/n each), bought
    at the next session's open (``cfg.fill``) paying the NSE costs and slippage of ``cfg``;
    then the weights drift and nothing is traded again (symbols listed later are never
    bought; a symbol that stops trading is carried at its last price).

    Parameters
    ----------
    open_px, close_px : pandas.DataFrame
        Session x symbol prices (rupees) as for
        :func:`~sensequant.evaluation.backtest.run_backtest`.
    start : pandas.Timestamp
        First out-of-sample decision date (a session).
    fees : FeeSchedule
    cfg : BacktestConfig
        The strategy's backtest settings (fill, capital, slippage, segment).
    end : pandas.Timestamp, optional
        Last session (inclusive); None = the last price session.
    name : str

    Returns
    -------
    BaselineSeries
        Net returns from the session after ``start`` to ``end``; costs on the first day only.

    Raises
    ------
    DataError
        ``start`` not a session, or no session after it (from the backtest).
    """
    sessions = _window(close_px, start, end)
    weights = _equal_weights(close_px, pd.Index([start]), sessions[-1])
    n = int(np.count_nonzero(weights.loc[start].to_numpy() > 0))
    label = (
        f"equal-weight buy-and-hold of the universe ({n} symbols with a close on "
        f"{start:%Y-%m-%d}), bought at the next session's {cfg.fill.removeprefix('next_')}, "
        "never rebalanced (weights drift; symbols listed later are not bought), no costs "
        f"after the purchase cost ({_cost_words(cfg)})"
    )
    return _costed(
        name, label, weights, open_px, close_px,
        fees=fees, cfg=cfg, tolerance=0.0, end=sessions[-1],
    )  # fmt: skip


def month_start_decisions(sessions: pd.Index) -> pd.Index:
    """The first session and every session whose NEXT session opens a new calendar month.

    Decided at those closes, the trades fill on the first session of each month (plus the
    initial purchase after the first session). Months are read in the index's time zone.
    """
    idx = pd.DatetimeIndex(sessions)
    if len(idx) == 0:
        return pd.Index(idx)
    period = idx.year * 12 + idx.month
    last_of_month = np.append(period[1:] != period[:-1], False)
    last_of_month[0] = True
    return pd.Index(idx[last_of_month])


def monthly_rebalanced_baseline(
    open_px: pd.DataFrame,
    close_px: pd.DataFrame,
    start: pd.Timestamp,
    *,
    fees: FeeSchedule,
    cfg: BacktestConfig,
    end: pd.Timestamp | None = None,
    tolerance: float | None = None,
    name: str = "ew_monthly",
) -> BaselineSeries:
    """Equal weight of the universe, rebalanced on the first session of each month, costed.

    Decisions (:func:`month_start_decisions`): ``start`` and the last session of every month
    (closes known then; 1/n on the symbols with a close that day), filled at the next
    session, i.e. the first session of the next month, through
    :func:`~sensequant.evaluation.backtest.run_backtest` with the strategy's ``cfg`` (NSE
    costs, slippage, DP charges on sells): the costs are exactly those the strategy would pay
    on the same trades.

    Parameters
    ----------
    open_px, close_px : pandas.DataFrame
        Session x symbol prices (rupees).
    start : pandas.Timestamp
        First out-of-sample decision date (a session).
    fees : FeeSchedule
    cfg : BacktestConfig
    end : pandas.Timestamp, optional
        Last session (inclusive); None = the last price session.
    tolerance : float, optional
        No-trade band (fraction of equity); None = ``cfg.rebalance_tolerance``, the
        strategy's.
    name : str

    Returns
    -------
    BaselineSeries

    Raises
    ------
    DataError
        ``start`` not a session, or no session after it (from the backtest).
    """
    band = cfg.rebalance_tolerance if tolerance is None else tolerance
    sessions = _window(close_px, start, end)
    decisions = month_start_decisions(sessions)
    weights = _equal_weights(close_px, decisions, sessions[-1])
    label = (
        "equal-weight universe rebalanced monthly (decided at each month's last close, "
        f"traded at the first session's {cfg.fill.removeprefix('next_')} of the next month) "
        f"with {_cost_words(cfg)} and "
        + (f"a {band:g} no-trade band" if band > 0 else "every position reset to 1/n")
        + ", the strategy's backtest"
    )
    return _costed(
        name, label, weights, open_px, close_px,
        fees=fees, cfg=cfg, tolerance=band, end=sessions[-1],
    )  # fmt: skip
