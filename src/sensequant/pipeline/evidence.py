"""Backtest phase: backtests of every configuration tried, benchmarks, statistics and evidence.

One path for every interval: what the interval decides (execution, the benchmark, the
baselines, session aggregation) is an :class:`~sensequant.pipeline.evaluation_mode.
EvaluationMode` chosen once from ``config.data.interval`` (daily: :mod:`.evaluation_mode`;
intraday: :mod:`.intraday_evidence`). All statistics are computed on out-of-sample NET returns
per period (session) over the dates every series shares. Every configuration evaluated here is
a *trial* for the deflated Sharpe ratio.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sensequant.data.store import BarStore
from sensequant.evaluation.backtest import BacktestResult
from sensequant.evaluation.metrics import PerformanceSummary, alpha_beta, summarize
from sensequant.evaluation.signal import ICSummary, ic_summary
from sensequant.evaluation.stats import BootstrapCI, DSRResult
from sensequant.pipeline.comparison import build_comparison, daily_ic_memo
from sensequant.pipeline.evaluation_mode import (
    BUY_HOLD,
    EQUAL,
    NIFTY,
    EvaluationMode,
    daily_mode,
    price_matrices,
)
from sensequant.pipeline.intraday_evidence import intraday_mode
from sensequant.pipeline.series_labels import series_labels
from sensequant.pipeline.statistics import PLAIN, trial_statistics
from sensequant.release.briefing import SeriesLabels
from sensequant.release.evidence_types import OOSEvidence, TrialSharpe
from sensequant.settings import PortfolioConfig, RunConfig

__all__ = [
    "BUY_HOLD",
    "EQUAL",
    "NIFTY",
    "STUDENT",
    "TEACHER",
    "Evaluation",
    "evaluate",
    "portfolio_trials",
    "price_matrices",
    "trial_name",
]

STUDENT = "student"
TEACHER = "teacher-direct"


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
    """OOS returns per session on common dates: student_net, student_gross, student_costs,
    student_turnover, student_exposure, teacher_direct_net, nifty50, equal_weight."""
    trial_returns: pd.DataFrame
    """Net returns per session of every trial (column = trial name) on the same dates."""
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
    trials_recorded: int = 0
    """Trials recorded in all (this run's and the ledger's, identical re-runs included); the
    DSR's N counts distinct returns only (:func:`sensequant.pipeline.trials.distinct_trials`)."""
    labels: SeriesLabels = field(default_factory=SeriesLabels)
    """What the ``NIFTY`` and ``EQUAL`` rows of ``summaries`` (the ``nifty50`` and
    ``equal_weight`` columns of ``returns``) are: :func:`~sensequant.pipeline.series_labels.
    series_labels` of the run's config."""


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

    Daily and intraday runs share this path; an
    :class:`~sensequant.pipeline.evaluation_mode.EvaluationMode` chosen from
    ``config.data.interval`` supplies what the interval changes (daily:
    :func:`~sensequant.pipeline.evaluation_mode.daily_mode`; intraday:
    :func:`~sensequant.pipeline.intraday_evidence.intraday_mode` -- bar returns compounded
    per session, IC per bar and per session, turnover per session, the intraday baselines).

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
        Last session (bar) of the run.
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
        ``ledger_returns(dates)``: those trials' net returns on ``dates``
        (:meth:`sensequant.release.TrialLedger.returns_matrix`), for PBO over the ledger.

    Returns
    -------
    Evaluation
    """
    build = daily_mode if config.data.interval == "1day" else intraday_mode
    mode: EvaluationMode = build(config, store, symbols, student_pred, range_end)
    notes = list(mode.notes)
    backtest = mode.backtest
    student_bts = {trial_name(c): backtest(student_pred, c) for c in portfolio_trials(config)}
    primary = trial_name(config.portfolio)
    s_bt, t_bt = student_bts[primary], backtest(teacher_pred, config.portfolio)
    equal = mode.equal_weight
    returns = pd.DataFrame(
        {
            "student_net": s_bt.returns_net,
            "student_gross": s_bt.returns_gross,
            "student_costs": s_bt.costs,
            "student_turnover": s_bt.turnover,
            "student_exposure": s_bt.exposure,
            "teacher_direct_net": t_bt.returns_net,
            "nifty50": mode.benchmark,
            "equal_weight": equal.returns,
        }
    ).dropna(how="any")
    dropped = len(s_bt.returns_net) - len(returns)
    if dropped:
        notes.append(
            f"{dropped} OOS sessions lacked a benchmark or equal-weight return and were "
            "left out of every statistic"
        )
    forward = panel[["symbol", "timestamp", "fwd_return"]]
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
        baselines=mode.baselines,
        score_baselines=mode.score_baselines,
        daily_ic_of=daily_ic_of,
    )
    trial_series = {f"student {name}": bt.returns_net for name, bt in student_bts.items()}
    trial_series.update({f"variant {n}": r for n, r in comp.extra_trials.items()})
    trial_series[f"teacher-direct {primary}"] = t_bt.returns_net
    if plain_pred is not None:
        trial_series[PLAIN] = backtest(plain_pred, config.portfolio).returns_net
    trial_returns = pd.DataFrame(trial_series).reindex(returns.index)

    st = config.stats
    rf, periods = st.risk_free_rate, st.periods_per_year
    r, bench = returns["student_net"], returns["nifty50"]

    def on_dates(s: pd.Series | None) -> pd.Series | None:
        return s.reindex(returns.index) if s is not None else None

    summaries = {
        STUDENT: summarize(
            r, benchmark=bench, turnover=returns["student_turnover"],
            exposure=returns["student_exposure"], rf=rf, periods=periods,
        ),
        TEACHER: summarize(
            returns["teacher_direct_net"], benchmark=bench, turnover=on_dates(t_bt.turnover),
            exposure=on_dates(t_bt.exposure), rf=rf, periods=periods,
        ),
        NIFTY: summarize(bench, rf=rf, periods=periods),
        EQUAL: summarize(
            returns["equal_weight"], benchmark=bench, turnover=on_dates(equal.turnover),
            exposure=on_dates(equal.exposure), rf=rf, periods=periods,
        ),
    }  # fmt: skip
    alpha, beta = alpha_beta(r, bench, rf=rf, periods=periods)

    ic: dict[str, ICSummary | None] = {}
    ic_frames = []
    for name, pred in ((STUDENT, student_pred), (TEACHER, teacher_pred)):
        per_period = daily_ic_of(pred)  # one row per decision date (bar)
        ic[name] = ic_summary(per_period) if len(per_period) else None
        ic_frames.append(per_period.add_prefix(f"{name}_"))
        if mode.ic_note is not None:
            notes.append(mode.ic_note(name, per_period))
    ic_daily = pd.concat(ic_frames, axis=1)
    stats = trial_statistics(
        config, returns, trial_returns, student_pred, panel, ic_daily, ledger_sr,
        ledger_returns, notes,
    )  # fmt: skip
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
        bootstrap=stats.bootstrap,
        psr=stats.psr,
        dsr=stats.dsr,
        trials=stats.trials,
        evidence=stats.evidence,
        notes=notes,
        comparison=comp.table,
        comparison_verdict=comp.verdict,
        ledger_trials=len(ledger_sr),
        labels=series_labels(config),
    )
