"""Backtest phase on intraday bars: the same evidence as the daily path, per session.

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

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from sensequant.data.store import BarStore
from sensequant.evaluation.backtest import BacktestResult
from sensequant.evaluation.baseline_scores import reversal_scores
from sensequant.evaluation.baselines import BaselineSeries, buy_and_hold_baseline
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.intraday_backtest import run_intraday_backtest
from sensequant.evaluation.metrics import alpha_beta, summarize
from sensequant.evaluation.signal import ic_summary
from sensequant.evaluation.sizing import portfolio_weights
from sensequant.pipeline.comparison import build_comparison, daily_ic_memo, model_score
from sensequant.pipeline.evidence import (
    BUY_HOLD,
    EQUAL,
    NIFTY,
    STUDENT,
    TEACHER,
    Evaluation,
    portfolio_trials,
    trial_name,
)
from sensequant.pipeline.intraday_stats import session_ic, trial_statistics
from sensequant.settings import PortfolioConfig, RunConfig
from sensequant.time_units import BAR_MINUTES

__all__ = ["evaluate_intraday", "intraday_weights"]


def bar_prices(
    store: BarStore, symbols: Sequence[str], interval: str, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide open and close prices (bar x symbol) from the store, NaN where no bar."""
    opens, closes = {}, {}
    for s in symbols:
        bars = store.read(s, interval, start=start, end=end, columns=["timestamp", "open", "close"])
        ix = pd.DatetimeIndex(bars["timestamp"])
        opens[s] = pd.Series(bars["open"].to_numpy(dtype=np.float64), index=ix)
        closes[s] = pd.Series(bars["close"].to_numpy(dtype=np.float64), index=ix)
    return pd.DataFrame(opens).sort_index(), pd.DataFrame(closes).sort_index()


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


def evaluate_intraday(
    config: RunConfig,
    store: BarStore,
    symbols: Sequence[str],
    student_pred: pd.DataFrame,
    teacher_pred: pd.DataFrame,
    panel: pd.DataFrame,
    range_end: pd.Timestamp,
    *,
    plain_pred: pd.DataFrame | None = None,
    variants: Mapping[float, pd.DataFrame] | None = None,
    ledger_sr: Sequence[float] = (),
    ledger_returns: Callable[[pd.DatetimeIndex], pd.DataFrame] | None = None,
) -> Evaluation:
    """Intraday counterpart of :func:`sensequant.pipeline.evidence.evaluate` (same inputs and
    result; the conventions in the module docstring)."""
    interval = config.data.interval
    start = pd.Timestamp(student_pred["timestamp"].min())
    open_px, close_px = bar_prices(store, symbols, interval, start, range_end)
    fees = FeeSchedule.load()
    bt_cfg = config.backtest.model_copy(update={"cost_segment": "intraday"})
    minutes = BAR_MINUTES[interval]

    def backtest(pred: pd.DataFrame, pcfg: PortfolioConfig) -> BacktestResult:
        weights = intraday_weights(pred, pcfg, config)
        return run_intraday_backtest(
            weights, open_px, close_px, fees=fees, cfg=bt_cfg, rules=config.intraday,
            bar_minutes=minutes,
        ).sessions  # fmt: skip

    trials_cfg = portfolio_trials(config)
    student_bts = {trial_name(c): backtest(student_pred, c) for c in trials_cfg}
    primary = trial_name(config.portfolio)
    s_bt, t_bt = student_bts[primary], backtest(teacher_pred, config.portfolio)
    basket_bt = run_intraday_backtest(
        _basket(close_px, open_px, config), open_px, close_px, fees=fees, cfg=bt_cfg,
        rules=config.intraday, bar_minutes=minutes,
    ).sessions  # fmt: skip
    equal = _series(
        "ew_intraday",
        "equal-weight basket of the universe over the same bars: decided at each session's "
        "first bar, bought at the second bar's open, squared off at the last bar's open, "
        "NSE intraday (MIS) costs + slippage",
        basket_bt,
    )
    s_open, s_close = _session_prices(open_px, close_px)
    hold_start = s_close.index[0]
    buy_hold = buy_and_hold_baseline(
        s_open, s_close, hold_start, fees=fees, cfg=config.backtest, name=BUY_HOLD
    )
    bench = store.read(config.data.benchmark, interval, start=start, end=range_end)
    bench_close = pd.Series(
        bench["close"].to_numpy(dtype=np.float64), index=pd.DatetimeIndex(bench["timestamp"])
    )
    bench_session = bench_close.groupby(pd.DatetimeIndex(bench_close.index).normalize()).last()
    index_ret = (bench_session / bench_session.shift(1) - 1.0).iloc[1:]
    index = BaselineSeries(
        name="benchmark",
        label=f"{config.data.benchmark} at {interval}, last close of each session, no costs",
        returns=index_ret,
        exposure=pd.Series(1.0, index=index_ret.index),
    )
    returns = pd.DataFrame(
        {
            "student_net": s_bt.returns_net,
            "student_gross": s_bt.returns_gross,
            "student_costs": s_bt.costs,
            "student_turnover": s_bt.turnover,
            "student_exposure": s_bt.exposure,
            "teacher_direct_net": t_bt.returns_net,
            "nifty50": index_ret,
            "equal_weight": equal.returns,
        }
    ).dropna(how="any")
    notes = [
        "intraday conventions: bar returns compounded per session; Sharpe, volatility and "
        f"every statistic from session returns x {config.stats.periods_per_year} a year; "
        "turnover per session; IC per bar (the IC rows) and per session (below); fills at "
        "the next bar's open with NSE intraday (MIS) costs; square-off at the session's "
        f"last bar; no new entries in the last {config.intraday.no_entry_minutes} minutes"
    ]
    dropped = len(s_bt.returns_net) - len(returns)
    if dropped:
        notes.append(f"{dropped} OOS sessions lacked a benchmark return and were left out")
    forward = panel[["symbol", "timestamp", "fwd_return"]]
    dates = pd.DatetimeIndex(sorted(student_pred["timestamp"].unique()))
    daily_ic_of = daily_ic_memo(forward)  # student's and teacher-direct's IC computed once

    comp = build_comparison(
        config,
        student_pred=student_pred,
        student_bt=s_bt,
        teacher_pred=teacher_pred,
        teacher_bt=t_bt,
        variants=variants or {},
        forward=forward,
        backtest=backtest,
        baselines={NIFTY: index, BUY_HOLD: buy_hold, EQUAL: equal},
        score_baselines={"reversal (minus 6-bar return)": reversal_scores(close_px, dates, 6)},
        daily_ic_of=daily_ic_of,
    )
    st = config.stats
    rf, periods = st.risk_free_rate, st.periods_per_year
    r = returns["student_net"]
    summaries = {
        STUDENT: summarize(
            r, benchmark=returns["nifty50"], turnover=returns["student_turnover"],
            exposure=returns["student_exposure"], rf=rf, periods=periods,
        ),
        TEACHER: summarize(
            returns["teacher_direct_net"], benchmark=returns["nifty50"],
            turnover=t_bt.turnover.reindex(returns.index),
            exposure=t_bt.exposure.reindex(returns.index), rf=rf, periods=periods,
        ),
        NIFTY: summarize(returns["nifty50"], rf=rf, periods=periods),
        EQUAL: summarize(
            returns["equal_weight"], benchmark=returns["nifty50"],
            turnover=basket_bt.turnover.reindex(returns.index),
            exposure=basket_bt.exposure.reindex(returns.index), rf=rf, periods=periods,
        ),
    }  # fmt: skip
    alpha, beta = alpha_beta(r, returns["nifty50"], rf=rf, periods=periods)
    ic, frames = {}, []
    for name, pred in ((STUDENT, student_pred), (TEACHER, teacher_pred)):
        per_bar = daily_ic_of(pred)
        ic[name] = ic_summary(per_bar) if len(per_bar) else None
        frames.append(per_bar.add_prefix(f"{name}_"))
        notes.append(session_ic(name, per_bar))
    trial_series = {f"student {n}": bt.returns_net for n, bt in student_bts.items()}
    trial_series.update({f"variant {n}": x for n, x in comp.extra_trials.items()})
    trial_series[f"teacher-direct {primary}"] = t_bt.returns_net
    if plain_pred is not None:
        trial_series["plain student (no reward weighting)"] = backtest(
            plain_pred, config.portfolio
        ).returns_net
    trial_returns = pd.DataFrame(trial_series).reindex(returns.index)
    stats = trial_statistics(
        config, returns, trial_returns, student_pred, panel, pd.concat(frames, axis=1),
        ledger_sr, ledger_returns, notes,
    )  # fmt: skip
    return Evaluation(
        returns=returns,
        trial_returns=trial_returns,
        student_bt=s_bt,
        teacher_bt=t_bt,
        summaries=summaries,
        ic=ic,
        ic_daily=pd.concat(frames, axis=1),
        alpha=alpha,
        beta=beta,
        bootstrap=stats.bootstrap,
        psr=stats.psr,
        dsr=stats.dsr,
        trials=stats.trials,
        evidence=stats.evidence,
        notes=notes,
        comparison=comp.table,
        comparison_verdict=comp.verdict,
        ledger_trials=len(ledger_sr),
    )
