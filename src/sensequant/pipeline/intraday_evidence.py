"""The intraday conventions of the backtest phase: :func:`intraday_mode`.

:func:`sensequant.pipeline.evidence.evaluate` computes the same evidence for every interval;
this module supplies what intraday bars change (an
:class:`~sensequant.pipeline.evaluation_mode.EvaluationMode`).

Conventions (stated in the briefing's notes):

* Execution: :func:`sensequant.evaluation.run_intraday_backtest` -- decided at a bar's close,
  filled at the next bar's open, NSE intraday (MIS) costs per order, every position squared off
  at the session's last bar, no new entries in the last ``intraday.no_entry_minutes``.
* Statistics: bar returns are compounded per SESSION and every statistic (Sharpe, volatility,
  CAGR, drawdown, bootstrap, DSR, PBO...) is computed on those session returns, annualised with
  ``stats.periods_per_year`` (252) sessions; turnover is per session (traded notional /
  equity summed over the session's bars).
* IC: per bar (the cross-section of one bar) -- ``ic_daily`` holds one row per decision bar --
  and per session (the mean of the session's bar ICs), reported in the notes.
* Baselines: the equal-weight basket of the universe over the same bars (bought at the second
  bar's open, squared off at the last bar, MIS costs), the equal-weight buy-and-hold (held
  overnight, bought once with delivery costs), and the benchmark at the same interval: the
  NIFTY 50 index where the store has it, else the run's equal-weight basket (the briefing
  says the index is absent).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sensequant.data.store import BarStore
from sensequant.evaluation.backtest import BacktestResult
from sensequant.evaluation.baseline_scores import reversal_scores
from sensequant.evaluation.baselines import BaselineSeries, buy_and_hold_baseline
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.intraday_backtest import run_intraday_backtest
from sensequant.evaluation.sizing import portfolio_weights
from sensequant.pipeline.comparison import model_score
from sensequant.pipeline.evaluation_mode import (
    BUY_HOLD,
    EQUAL,
    NIFTY,
    EvaluationMode,
    price_matrices,
)
from sensequant.settings import PortfolioConfig, RunConfig
from sensequant.time_units import BAR_MINUTES

__all__ = ["intraday_mode", "intraday_weights", "session_ic"]


def intraday_weights(pred: pd.DataFrame, pcfg: PortfolioConfig, config: RunConfig) -> pd.DataFrame:
    """Target weights per decision bar: the portfolio rule, or long-short top/bottom k.

    With ``intraday.long_short`` the ``top_k`` best scores are held long and the ``top_k``
    worst short, each at ``max_gross / (2 top_k)``, every ``rebalance_every`` bars;
    otherwise :func:`sensequant.evaluation.sizing.portfolio_weights` (long only), scaled to
    ``max_gross``.
    """
    ic = config.intraday
    if not ic.long_short:
        return portfolio_weights(pred, pcfg) * ic.max_gross
    scored = model_score(pred)[["symbol", "timestamp", "score"]]
    wide = scored.pivot(index="timestamp", columns="symbol", values="score").sort_index()
    wide = wide.iloc[:: pcfg.rebalance_every]
    k = max(1, min(pcfg.top_k, wide.shape[1] // 2))
    rank = wide.rank(axis=1, ascending=False, method="first")
    rank_low = wide.rank(axis=1, ascending=True, method="first")
    each = ic.max_gross / (2 * k)
    weights = (rank <= k).astype(float) * each - (rank_low <= k).astype(float) * each
    return weights.where(wide.notna(), 0.0).fillna(0.0)


def _basket(close_px: pd.DataFrame, open_px: pd.DataFrame, config: RunConfig) -> pd.DataFrame:
    """Equal weights of every symbol with a price, decided at each session's first bar."""
    idx = pd.DatetimeIndex(close_px.index)
    first = np.concatenate(([True], idx.normalize().asi8[1:] != idx.normalize().asi8[:-1]))
    live = close_px.loc[first].notna() & open_px.loc[first].notna()
    return live.div(live.sum(axis=1).clip(lower=1), axis=0) * config.intraday.max_gross


def _session_prices(
    open_px: pd.DataFrame, close_px: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    key = pd.DatetimeIndex(close_px.index).normalize()
    return open_px.groupby(key).first(), close_px.groupby(key).last()


def _series(name: str, label: str, bt: BacktestResult) -> BaselineSeries:
    return BaselineSeries(
        name=name,
        label=label,
        returns=bt.returns_net,
        exposure=bt.exposure,
        costs=bt.costs,
        turnover=bt.turnover,
        backtest=bt,
    )


def session_ic(name: str, per_bar: pd.DataFrame) -> str:
    """One note line: the mean IC per bar and per session (mean of each session's bar ICs).

    Parameters
    ----------
    name : str
        The model ("student", "teacher-direct").
    per_bar : pandas.DataFrame
        :func:`sensequant.evaluation.daily_ic` on intraday bars (index = bar, ``ic``,
        ``rank_ic``).

    Returns
    -------
    str
    """
    if per_bar.empty:
        return f"{name}: no IC (no bar with scores and forward returns)"
    key = pd.DatetimeIndex(per_bar.index).normalize()
    by_session = per_bar["rank_ic"].groupby(key).mean().dropna()
    mean_bar = float(per_bar["rank_ic"].mean())
    t_stat = (
        float(by_session.mean() / by_session.std(ddof=1) * np.sqrt(len(by_session)))
        if len(by_session) > 2 and by_session.std(ddof=1) > 0
        else float("nan")
    )
    return (
        f"{name} rank IC: {mean_bar:.4f} per bar over {per_bar['rank_ic'].notna().sum():,} "
        f"bars; {by_session.mean():.4f} per session (mean of the session's bar ICs) over "
        f"{len(by_session)} sessions, t = {t_stat:.2f}"
    )


def intraday_mode(
    config: RunConfig,
    store: BarStore,
    symbols: Sequence[str],
    student_pred: pd.DataFrame,
    range_end: pd.Timestamp,
) -> EvaluationMode:
    """The intraday conventions (module docstring) over the student's OOS bars.

    Parameters are those of :func:`sensequant.pipeline.evaluation_mode.daily_mode`, at the
    run's intraday interval: ``config.intraday`` gives the execution rules, the store holds
    the bars of the universe and of ``config.data.benchmark`` at ``config.data.interval`` (the
    buy-and-hold uses session prices built from them), ``student_pred``'s timestamps are
    decision bars and ``range_end`` is the run's last bar.

    Returns
    -------
    EvaluationMode
        Backtests return per-session results (bar returns compounded per session).
    """
    interval = config.data.interval
    start = pd.Timestamp(student_pred["timestamp"].min())
    open_px, close_px = price_matrices(store, symbols, start, range_end, interval=interval)
    fees = FeeSchedule.load()
    bt_cfg = config.backtest.model_copy(update={"cost_segment": "intraday"})
    minutes = BAR_MINUTES[interval]

    def execute(weights: pd.DataFrame) -> BacktestResult:
        return run_intraday_backtest(
            weights, open_px, close_px, fees=fees, cfg=bt_cfg, rules=config.intraday,
            bar_minutes=minutes,
        ).sessions  # fmt: skip

    def backtest(pred: pd.DataFrame, pcfg: PortfolioConfig) -> BacktestResult:
        return execute(intraday_weights(pred, pcfg, config))

    equal = _series(
        "ew_intraday",
        "equal-weight basket of the universe over the same bars: decided at each session's "
        "first bar, bought at the second bar's open, squared off at the last bar's open, "
        "NSE intraday (MIS) costs + slippage",
        execute(_basket(close_px, open_px, config)),
    )
    s_open, s_close = _session_prices(open_px, close_px)
    hold_start = s_close.index[0]
    buy_hold = buy_and_hold_baseline(
        s_open, s_close, hold_start, fees=fees, cfg=config.backtest, name=BUY_HOLD
    )
    # from a few sessions before the OOS start: the first OOS session's close-to-close return
    # needs the previous session's close (else that session drops out of every statistic)
    lead = start.normalize() - pd.Timedelta(days=10)
    bench = store.read(config.data.benchmark, interval, start=lead, end=range_end)
    bench_close = pd.Series(
        bench["close"].to_numpy(dtype=np.float64), index=pd.DatetimeIndex(bench["timestamp"])
    )
    bench_session = bench_close.groupby(pd.DatetimeIndex(bench_close.index).normalize()).last()
    index_ret = (bench_session / bench_session.shift(1) - 1.0).iloc[1:]
    index_ret = index_ret[index_ret.index >= start.normalize()]
    index = BaselineSeries(
        name="benchmark",
        label=f"{config.data.benchmark} at {interval}, last close of each session, no costs",
        returns=index_ret,
        exposure=pd.Series(1.0, index=index_ret.index),
    )
    dates = pd.DatetimeIndex(sorted(student_pred["timestamp"].unique()))
    notes = (
        "intraday conventions: bar returns compounded per session; Sharpe, volatility and "
        f"every statistic from session returns x {config.stats.periods_per_year} a year; "
        "turnover per session; IC per bar (the IC rows) and per session (below); fills at "
        "the next bar's open with NSE intraday (MIS) costs; square-off at the session's "
        f"last bar; no new entries in the last {config.intraday.no_entry_minutes} minutes",
    )
    return EvaluationMode(
        name="intraday",
        backtest=backtest,
        benchmark=index_ret,
        equal_weight=equal,
        baselines={NIFTY: index, BUY_HOLD: buy_hold, EQUAL: equal},
        score_baselines={"reversal (minus 6-bar return)": reversal_scores(close_px, dates, 6)},
        notes=notes,
        ic_note=session_ic,
    )
