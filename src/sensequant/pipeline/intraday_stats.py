"""Statistics of the intraday backtest phase on session returns (see :mod:`.intraday_evidence`).

The same estimators as the daily path (:mod:`sensequant.pipeline.evidence`), fed with
session returns: bootstrap CI of the Sharpe ratio, PSR, the deflated Sharpe ratio over every
trial of the run (and of the ledger), and the briefing's further evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sensequant.evaluation.metrics import sharpe
from sensequant.evaluation.stats import (
    BootstrapCI,
    DSRResult,
    bootstrap_sharpe_ci,
    deflated_sharpe_ratio,
    probabilistic_sharpe_ratio,
)
from sensequant.pipeline.statistics import compute_evidence, guarded
from sensequant.release.evidence_types import OOSEvidence, TrialSharpe
from sensequant.settings import RunConfig

__all__ = ["TrialStatistics", "session_ic", "trial_statistics"]


@dataclass(frozen=True)
class TrialStatistics:
    """What :func:`trial_statistics` computed."""

    bootstrap: BootstrapCI | None
    psr: float | None
    dsr: DSRResult | None
    trials: tuple[TrialSharpe, ...]
    evidence: OOSEvidence


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


def trial_statistics(
    config: RunConfig,
    returns: pd.DataFrame,
    trial_returns: pd.DataFrame,
    student_pred: pd.DataFrame,
    panel: pd.DataFrame,
    ic_frame: pd.DataFrame,
    ledger_sr: Sequence[float],
    ledger_returns: Callable[[pd.DatetimeIndex], pd.DataFrame] | None,
    notes: list[str],
) -> TrialStatistics:
    """Bootstrap, PSR, DSR over the trials, and the briefing's evidence (session returns).

    Parameters
    ----------
    config : RunConfig
    returns, trial_returns : pandas.DataFrame
        Session returns (as :class:`sensequant.pipeline.evidence.Evaluation` holds them).
    student_pred, panel, ic_frame : pandas.DataFrame
        Student predictions, the panel (forward returns), the per-bar IC frame.
    ledger_sr, ledger_returns
        Earlier ledger trials (as for :func:`sensequant.pipeline.evidence.evaluate`).
    notes : list of str
        Appended to: every statistic that could not be computed, with why.

    Returns
    -------
    TrialStatistics
    """
    st = config.stats
    rf, periods = st.risk_free_rate, st.periods_per_year
    r = returns["student_net"]
    boot = guarded(
        notes,
        "bootstrap CI of the Sharpe ratio",
        lambda: bootstrap_sharpe_ci(
            r,
            reps=st.bootstrap_reps,
            confidence=st.confidence,
            seed=config.seed,
            periods=periods,
            rf=rf,
        ),
    )
    trials: list[TrialSharpe] = []
    finite: list[float] = []
    for name in trial_returns.columns:
        sr = sharpe(trial_returns[name], rf=rf, periods=periods)
        sr_pp = sr / np.sqrt(periods)
        trials.append(TrialSharpe(name=name, sharpe=sr, sr_per_period=sr_pp))
        if np.isfinite(sr_pp):
            finite.append(sr_pp)
    finite += [x for x in ledger_sr if np.isfinite(x)]
    dsr = guarded(notes, "deflated Sharpe ratio", lambda: deflated_sharpe_ratio(r, finite))
    psr = guarded(notes, "PSR", lambda: probabilistic_sharpe_ratio(r, 0.0))
    evidence, ev_notes = compute_evidence(
        config,
        returns,
        trial_returns,
        student_pred,
        panel,
        ic_frame,
        plain_student_net=trial_returns.get("plain student (no reward weighting)"),
        ledger_returns=ledger_returns(pd.DatetimeIndex(trial_returns.index))
        if ledger_returns is not None
        else None,
    )
    notes.extend(ev_notes)
    if evidence.zero_trades:
        notes.append("the student portfolio never traded out of sample")
    return TrialStatistics(boot, psr, dsr, tuple(trials), evidence)
