"""Backtest phase: backtests of every configuration tried, benchmarks, statistics and evidence.

All statistics are computed on out-of-sample NET returns over the dates every series shares.
Every configuration evaluated here is a *trial* for the deflated Sharpe ratio.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from sensequant.data.store import BarStore
from sensequant.evaluation.backtest import BacktestResult, index_returns, run_backtest
from sensequant.evaluation.baseline_scores import momentum_scores, reversal_scores
from sensequant.evaluation.baselines import (
    buy_and_hold_baseline,
    index_baseline,
    monthly_rebalanced_baseline,
)
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.metrics import PerformanceSummary, alpha_beta, sharpe, summarize
from sensequant.evaluation.signal import ICSummary, ic_summary
from sensequant.evaluation.sizing import portfolio_weights
from sensequant.evaluation.stats import (
    BootstrapCI,
    DSRResult,
    bootstrap_sharpe_ci,
    deflated_sharpe_ratio,
    probabilistic_sharpe_ratio,
)
from sensequant.pipeline.comparison import build_comparison, daily_ic_memo
from sensequant.pipeline.series_labels import BASKET, series_labels
from sensequant.pipeline.statistics import compute_evidence, guarded
from sensequant.pipeline.universe_rules import single_symbol_holds
from sensequant.release.briefing import EQUAL_WEIGHT, SeriesLabels
from sensequant.release.evidence_types import OOSEvidence, TrialSharpe
from sensequant.settings import PortfolioConfig, RunConfig

STUDENT = "student"
TEACHER = "teacher-direct"
NIFTY = "NIFTY 50 (price index)"
"""Key of the benchmark row in ``Evaluation.summaries`` (its name: ``Evaluation.labels``)."""
EQUAL = EQUAL_WEIGHT
"""Key of the gates' equal-weight row in ``Evaluation.summaries`` (daily: monthly, costed;
intraday: the MIS-costed basket; its name: ``Evaluation.labels``)."""
BUY_HOLD = "equal-weight universe, bought once, never rebalanced"
_PLAIN = "plain student (no reward weighting)"


def price_matrices(
    store: BarStore, symbols: Sequence[str], start: pd.Timestamp, end: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide open and close prices (session x symbol) from the store, NaN where no bar."""
    opens, closes = {}, {}
    for s in symbols:
        bars = store.read(s, "1day", start=start, end=end, columns=["timestamp", "open", "close"])
        ix = pd.DatetimeIndex(bars["timestamp"])
        opens[s] = pd.Series(bars["open"].to_numpy(), index=ix)
        closes[s] = pd.Series(bars["close"].to_numpy(), index=ix)
    return pd.DataFrame(opens).sort_index(), pd.DataFrame(closes).sort_index()


def trial_name(cfg: PortfolioConfig) -> str:
    """Readable name of a portfolio configuration (every field that makes it a trial)."""
    rule = f"top{cfg.top_k}" if cfg.sizing == "top_k" else f"{cfg.sizing}<={cfg.top_k}"
    floor = "rank-only" if cfg.min_probability is None else f"p_up>={cfg.min_probability:.2f}"
    name = f"{rule} {floor} ({cfg.score})"
    if cfg.max_weight_per_symbol is not None:
        name += f" cap {cfg.max_weight_per_symbol:.0%}"
    return name + f" every {cfg.rebalance_every}d buffer {cfg.hold_buffer}"


def portfolio_trials(config: RunConfig) -> list[PortfolioConfig]:
    """The primary portfolio configuration first, then the distinct extra trials."""
    out = [config.portfolio]
    for c in config.backtest.trials:
        if c not in out:
            out.append(c)
    return out


@dataclass
class Evaluation:
    """Everything the release phase reports; every number computed from this run's OOS data."""

    returns: pd.DataFrame
    """Daily OOS returns on common dates: student_net, student_gross, student_costs,
    student_turnover, student_exposure, teacher_direct_net, nifty50, equal_weight."""
    trial_returns: pd.DataFrame
    """Daily net returns of every trial (column = trial name) on the same dates."""
    student_bt: BacktestResult
    teacher_bt: BacktestResult
    summaries: dict[str, PerformanceSummary]
    ic: dict[str, ICSummary | None]
    ic_daily: pd.DataFrame
    alpha: float
    beta: float
    bootstrap: BootstrapCI | None
    psr: float | None
    dsr: DSRResult | None
    trials: tuple[TrialSharpe, ...]
    """Sharpe ratio of every configuration tried (the trials of the DSR)."""
    evidence: OOSEvidence
    """Further evidence for the briefing (see :mod:`sensequant.pipeline.statistics`)."""
    notes: list[str] = field(default_factory=list)
    comparison: pd.DataFrame | None = None
    """Model, variants and baselines on identical OOS dates (:mod:`.comparison`)."""
    comparison_verdict: str = "no comparison computed in this run"
    ledger_trials: int = 0
    """Trials of earlier runs in the ledger (same universe, interval, overlapping OOS span)
    that the deflated Sharpe ratio counts besides this run's own."""
    labels: SeriesLabels = field(default_factory=SeriesLabels)
    """What the ``NIFTY`` and ``EQUAL`` rows of ``summaries`` (the ``nifty50`` and
    ``equal_weight`` columns of ``returns``) are: :func:`~sensequant.pipeline.series_labels.
    series_labels` of the run's config."""


def _align(series: dict[str, pd.Series]) -> pd.DataFrame:
    frame = pd.DataFrame(series)
    return frame.dropna(how="any")


def evaluate(
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
    alternatives: Mapping[str, pd.DataFrame] | None = None,
    ledger_sr: Sequence[float] = (),
    ledger_returns: Callable[[pd.DatetimeIndex], pd.DataFrame] | None = None,
) -> Evaluation:
    """Backtest student, teacher-direct and every trial; compute metrics and statistics.

    Parameters
    ----------
    config : RunConfig
    store : BarStore
    symbols : sequence of str
        The run's usable universe.
    student_pred, teacher_pred : pandas.DataFrame
        OOS predictions (symbol, timestamp, p_down, p_flat, p_up, period_id).
    panel : pandas.DataFrame
        (symbol, timestamp, ..., fwd_return) — realised forward returns for IC.
    range_end : pandas.Timestamp
        Last session of the run.
    plain_pred : pandas.DataFrame, optional
        OOS predictions of the plain student when the student is reward-weighted; it is
        backtested as one more trial and compared with the reward-weighted one.
    variants : mapping of float to pandas.DataFrame, optional
        Score student: OOS predictions of every blend weight; each is a trial.
    alternatives : mapping of str to pandas.DataFrame, optional
        Other model designs on the same periods (the stacked alternative), by display name;
        each is compared and is a trial.
    ledger_sr : sequence of float
        Per-period Sharpe ratios of the earlier ledger trials on the same universe, interval
        and overlapping OOS span; the deflated Sharpe ratio counts them with this run's.
    ledger_returns : callable, optional
        ``ledger_returns(dates)``: those trials' daily net returns on ``dates``
        (:meth:`sensequant.release.TrialLedger.returns_matrix`), for PBO over the ledger.

    Returns
    -------
    Evaluation
    """
    if config.data.interval != "1day":  # bars aggregated per session: the intraday path
        from sensequant.pipeline.intraday_evidence import evaluate_intraday

        intraday = evaluate_intraday(
            config, store, symbols, student_pred, teacher_pred, panel, range_end,
            plain_pred=plain_pred, variants=variants, ledger_sr=ledger_sr,
            ledger_returns=ledger_returns,
        )  # fmt: skip
        return replace(intraday, labels=series_labels(config))
    labels = series_labels(config)
    notes: list[str] = []
    start = pd.Timestamp(student_pred["timestamp"].min())
    hist_start = start - pd.Timedelta(days=400)  # 12-1 momentum needs 252 sessions behind
    open_hist, close_hist = price_matrices(store, symbols, hist_start, range_end)
    oos = close_hist.index >= start  # one read; the backtests see the OOS span only
    open_px, close_px = open_hist.loc[oos], close_hist.loc[oos]
    bench = store.read(config.data.benchmark, "1day", end=range_end, columns=["timestamp", "close"])
    bench_close = pd.Series(bench["close"].to_numpy(), index=pd.DatetimeIndex(bench["timestamp"]))
    fees = FeeSchedule.load()
    bt_cfg = config.backtest

    def backtest(pred: pd.DataFrame, pcfg: PortfolioConfig) -> BacktestResult:
        weights = portfolio_weights(pred, pcfg)
        return run_backtest(
            weights, open_px, close_px, fees=fees, cfg=bt_cfg, tolerance=bt_cfg.rebalance_tolerance
        )

    trials_cfg = portfolio_trials(config)
    student_bts = {trial_name(c): backtest(student_pred, c) for c in trials_cfg}
    primary = trial_name(config.portfolio)
    s_bt = student_bts[primary]
    t_bt = backtest(teacher_pred, config.portfolio)

    nifty = index_returns(bench_close)
    # no no-trade band: the strategy's absolute band (0.02) is the whole 1/50 position, which
    # would freeze every name and leave the basket ~84 % invested (measured on the 50 stocks)
    monthly = monthly_rebalanced_baseline(
        open_px, close_px, start, fees=fees, cfg=bt_cfg, end=range_end, name=EQUAL, tolerance=0.0
    )
    buy_hold = buy_and_hold_baseline(
        open_px, close_px, start, fees=fees, cfg=bt_cfg, end=range_end, name=BUY_HOLD
    )
    ew = monthly.returns
    returns = _align(
        {
            "student_net": s_bt.returns_net,
            "student_gross": s_bt.returns_gross,
            "student_costs": s_bt.costs,
            "student_turnover": s_bt.turnover,
            "student_exposure": s_bt.exposure,
            "teacher_direct_net": t_bt.returns_net,
            "nifty50": nifty,
            "equal_weight": ew,
        }
    )
    dropped = len(s_bt.returns_net) - len(returns)
    if dropped:
        notes.append(
            f"{dropped} OOS sessions lacked a benchmark or equal-weight return and were "
            "left out of every statistic"
        )
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
        alternatives=alternatives or {},
        forward=forward,
        backtest=backtest,
        baselines={
            NIFTY: index_baseline(
                bench_close,
                start,
                end=range_end,
                name=NIFTY,
                index_name=config.data.benchmark,
                label=labels.benchmark if config.data.benchmark == BASKET else None,
            ),
            BUY_HOLD: buy_hold,
            EQUAL: monthly,
            **single_symbol_holds(open_px, close_px, start, fees=fees, cfg=bt_cfg, end=range_end),
        },
        score_baselines={
            "reversal (minus 5-session return)": reversal_scores(close_hist, dates),
            "momentum 12-1 months": momentum_scores(close_hist, dates),
        },
        daily_ic_of=daily_ic_of,
    )
    trial_series = {f"student {name}": bt.returns_net for name, bt in student_bts.items()}
    trial_series.update({f"variant {n}": r for n, r in comp.extra_trials.items()})
    trial_series[f"teacher-direct {primary}"] = t_bt.returns_net
    if plain_pred is not None:
        trial_series[_PLAIN] = backtest(plain_pred, config.portfolio).returns_net
    trial_returns = pd.DataFrame(trial_series).reindex(returns.index)

    st = config.stats
    rf, periods = st.risk_free_rate, st.periods_per_year
    r = returns["student_net"]
    summaries = {
        STUDENT: summarize(
            r,
            benchmark=returns["nifty50"],
            turnover=returns["student_turnover"],
            exposure=returns["student_exposure"],
            rf=rf,
            periods=periods,
        ),
        TEACHER: summarize(
            returns["teacher_direct_net"],
            benchmark=returns["nifty50"],
            turnover=t_bt.turnover.reindex(returns.index),
            exposure=t_bt.exposure.reindex(returns.index),
            rf=rf,
            periods=periods,
        ),
        NIFTY: summarize(returns["nifty50"], rf=rf, periods=periods),
        EQUAL: summarize(
            returns["equal_weight"],
            benchmark=returns["nifty50"],
            turnover=monthly.turnover.reindex(returns.index)
            if monthly.turnover is not None
            else None,
            exposure=monthly.exposure.reindex(returns.index),
            rf=rf,
            periods=periods,
        ),
    }
    alpha, beta = alpha_beta(r, returns["nifty50"], rf=rf, periods=periods)

    ic: dict[str, ICSummary | None] = {}
    ic_frames = []
    for name, pred in ((STUDENT, student_pred), (TEACHER, teacher_pred)):
        daily = daily_ic_of(pred)
        ic[name] = ic_summary(daily) if len(daily) else None
        ic_frames.append(daily.add_prefix(f"{name}_"))
    ic_daily = pd.concat(ic_frames, axis=1)

    boot = guarded(
        notes,
        "bootstrap CI of the Sharpe ratio",
        lambda: bootstrap_sharpe_ci(
            r,
            reps=st.bootstrap_reps,
            confidence=st.confidence,
            seed=config.seed,
            periods=st.periods_per_year,
            rf=st.risk_free_rate,
        ),
    )
    trial_sr = []
    trials: list[TrialSharpe] = []
    for name in trial_returns.columns:
        sr = sharpe(trial_returns[name], rf=rf, periods=periods)
        sr_pp = sr / np.sqrt(st.periods_per_year)
        trial_sr.append(sr_pp)
        trials.append(TrialSharpe(name=name, sharpe=sr, sr_per_period=sr_pp))
    finite_sr = [x for x in trial_sr if np.isfinite(x)]
    finite_sr += [x for x in ledger_sr if np.isfinite(x)]
    dsr = guarded(notes, "deflated Sharpe ratio", lambda: deflated_sharpe_ratio(r, finite_sr))
    psr = guarded(notes, "PSR", lambda: probabilistic_sharpe_ratio(r, 0.0))
    evidence, ev_notes = compute_evidence(
        config,
        returns,
        trial_returns,
        student_pred,
        panel,
        ic_daily,
        plain_student_net=trial_returns.get(_PLAIN),
        ledger_returns=ledger_returns(pd.DatetimeIndex(trial_returns.index))
        if ledger_returns is not None
        else None,
    )
    notes.extend(ev_notes)
    if evidence.zero_trades:
        notes.append("the student portfolio never traded out of sample")
    return Evaluation(
        returns=returns,
        trial_returns=trial_returns,
        student_bt=s_bt,
        teacher_bt=t_bt,
        summaries=summaries,
        ic=ic,
        ic_daily=ic_daily,
        alpha=alpha,
        beta=beta,
        bootstrap=boot,
        psr=psr,
        dsr=dsr,
        trials=tuple(trials),
        evidence=evidence,
        notes=notes,
        comparison=comp.table,
        comparison_verdict=comp.verdict,
        ledger_trials=len(ledger_sr),
        labels=labels,
    )
