"""OOS statistics for the briefing and the gates, for every interval (on session returns).

:func:`trial_statistics`: bootstrap CI of the Sharpe ratio, PSR, the deflated Sharpe ratio over
every trial of the run and of the ledger; :func:`compute_evidence`: paired bootstrap
comparisons, SPA and StepM over every configuration tried, PBO, minimum track record length,
IC by year, deciles.

Every statistic is guarded: when one cannot be computed (zero trades, too few sessions, no
variance) it is left out with the reason in ``notes``, never replaced by a number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import numpy as np
import pandas as pd

from sensequant.errors import DataError
from sensequant.evaluation.bootstrap import (
    bootstrap_difference_ci,
    mean_excess_return_ci,
    mean_ic_ci,
)
from sensequant.evaluation.metrics import sharpe
from sensequant.evaluation.signal import decile_returns, decile_spread, ic_by_year
from sensequant.evaluation.snooping import PBOResult, pbo_cscv, spa_test, stepm
from sensequant.evaluation.stats import (
    BootstrapCI,
    DSRResult,
    bootstrap_sharpe_ci,
    deflated_sharpe_ratio,
    min_track_record_length,
    probabilistic_sharpe_ratio,
)
from sensequant.pipeline.series_labels import series_labels
from sensequant.release.evidence_types import (
    BootstrapExtra,
    Comparison,
    DecileReturn,
    ICYear,
    OOSEvidence,
    Snooping,
    SPATest,
    StepMTest,
    TrackRecord,
    TrialSharpe,
)
from sensequant.settings import RunConfig

T = TypeVar("T")

PLAIN = "plain student (no reward weighting)"
"""The trial name of the plain student's net returns (when the student is reward-weighted)."""


def guarded(notes: list[str], what: str, fn: Callable[[], T]) -> T | None:
    """Run ``fn``; on bad or degenerate input record why in ``notes`` and return None."""
    try:
        return fn()
    except (DataError, ValueError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
        notes.append(f"{what}: not computable ({exc})")
        return None


@dataclass(frozen=True)
class TrialStatistics:
    """What :func:`trial_statistics` computed (None: not computable, the reason in notes)."""

    bootstrap: BootstrapCI | None
    psr: float | None
    dsr: DSRResult | None
    trials: tuple[TrialSharpe, ...]
    """Sharpe ratio of every configuration tried (the trials of the DSR)."""
    evidence: OOSEvidence


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
    """Bootstrap CI, PSR, DSR over the trials, and the briefing's evidence.

    Parameters
    ----------
    config : RunConfig
        ``stats`` (reps, confidence, periods a year, risk-free rate) and ``seed``.
    returns, trial_returns : pandas.DataFrame
        Period (session) returns as :class:`sensequant.pipeline.evidence.Evaluation` holds
        them; the plain student's trial, if any, is named :data:`PLAIN`.
    student_pred, panel, ic_frame : pandas.DataFrame
        Student predictions, the panel (forward returns), the IC frame (``student_ic``,
        ``student_rank_ic`` per decision time).
    ledger_sr : sequence of float
        Per-period Sharpe ratios of the earlier ledger trials (counted by the DSR).
    ledger_returns : callable, optional
        ``ledger_returns(dates)``: their net returns on ``dates`` (for PBO over the ledger).
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
            r, reps=st.bootstrap_reps, confidence=st.confidence, seed=config.seed,
            periods=periods, rf=rf,
        ),
    )  # fmt: skip
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
        plain_student_net=trial_returns.get(PLAIN),
        ledger_returns=ledger_returns(pd.DatetimeIndex(trial_returns.index))
        if ledger_returns is not None
        else None,
    )
    notes.extend(ev_notes)
    if evidence.zero_trades:
        notes.append("the student portfolio never traded out of sample")
    return TrialStatistics(boot, psr, dsr, tuple(trials), evidence)


def _diff_ci(a: pd.Series, b: pd.Series, config: RunConfig) -> Callable[[], BootstrapCI]:
    st = config.stats

    def run() -> BootstrapCI:
        return bootstrap_difference_ci(
            a,
            b,
            statistic="sharpe",
            periods=st.periods_per_year,
            rf=st.risk_free_rate,
            reps=st.bootstrap_reps,
            confidence=st.confidence,
            seed=config.seed,
        )

    return run


def compute_evidence(
    config: RunConfig,
    returns: pd.DataFrame,
    trial_returns: pd.DataFrame,
    student_pred: pd.DataFrame,
    panel: pd.DataFrame,
    ic_daily: pd.DataFrame,
    *,
    plain_student_net: pd.Series | None = None,
    ledger_returns: pd.DataFrame | None = None,
) -> tuple[OOSEvidence, list[str]]:
    """Compute the evidence keys of the briefing (see ``release.briefing_evidence``).

    Parameters
    ----------
    config : RunConfig
        ``stats`` (reps, confidence, SPA/StepM/PBO settings) and ``seed``.
    returns : pandas.DataFrame
        Daily OOS returns on common dates (``student_net``, ``teacher_direct_net``,
        ``nifty50``, ``equal_weight``, ``student_turnover``).
    trial_returns : pandas.DataFrame
        Daily net returns of every configuration tried (same dates).
    student_pred : pandas.DataFrame
        Student OOS predictions (symbol, timestamp, p_down, p_flat, p_up).
    panel : pandas.DataFrame
        (symbol, timestamp, fwd_return) for decile returns.
    ic_daily : pandas.DataFrame
        Daily IC frame with ``student_ic`` and ``student_rank_ic`` columns.
    plain_student_net : pandas.Series, optional
        Net returns of the plain (not reward-weighted) student when the reward loop is on.
    ledger_returns : pandas.DataFrame, optional
        Daily net returns of the earlier ledger trials on the same universe, interval and
        OOS span (:meth:`sensequant.release.TrialLedger.returns_matrix`); PBO by CSCV is
        computed a second time over them together with this run's trials, on the sessions
        every one of them has (identical series counted once).

    Returns
    -------
    evidence : OOSEvidence
        Comparisons, bootstrap extras, snooping tests, minimum track record length, IC by
        year, deciles and decile spread, and whether the student never traded.
    notes : list of str
        What could not be computed, and why.
    """
    st = config.stats
    seed = config.seed
    notes: list[str] = []
    r = returns["student_net"]
    zero_trades = bool(returns["student_turnover"].abs().sum() == 0)
    reps, conf = st.bootstrap_reps, st.confidence
    names = series_labels(config)  # what the nifty50 and equal_weight columns are

    pairs = [
        ("student - teacher-direct", returns["teacher_direct_net"]),
        (f"student - {names.benchmark}", returns["nifty50"]),
        (f"student - {names.equal_weight}", returns["equal_weight"]),
    ]
    if plain_student_net is not None:
        pairs.append(("reward-weighted - plain student", plain_student_net.reindex(r.index)))
    comparisons = []
    for name, other in pairs:
        ci = guarded(notes, f"bootstrap CI of {name}", _diff_ci(r, other, config))
        if ci is not None:
            comparisons.append(Comparison(name=name, metric="sharpe", ci=ci))

    ic_col = ic_daily["student_ic"] if "student_ic" in ic_daily else pd.Series(dtype=float)
    extra = BootstrapExtra(
        mean_excess_return=guarded(
            notes,
            "bootstrap CI of the mean excess return",
            lambda: mean_excess_return_ci(
                r,
                returns["nifty50"],
                periods=st.periods_per_year,
                reps=reps,
                confidence=conf,
                seed=seed,
            ),
        ),
        mean_ic=guarded(
            notes,
            "bootstrap CI of the mean IC",
            lambda: mean_ic_ci(ic_col, reps=reps, confidence=conf, seed=seed),
        ),
    )

    spa_tests: list[SPATest | None] = []
    stepm_tests: list[StepMTest | None] = []
    for label, bench in (
        (names.benchmark, returns["nifty50"]),
        (names.equal_weight, returns["equal_weight"]),
    ):
        spa = guarded(
            notes,
            f"SPA test vs {label}",
            partial(spa_test, bench, trial_returns, reps=st.spa_reps, seed=seed),
        )
        superior = guarded(
            notes,
            f"StepM vs {label}",
            partial(stepm, bench, trial_returns, reps=st.spa_reps, seed=seed, size=st.stepm_size),
        )
        spa_tests.append(SPATest(spa, label) if spa else None)
        stepm_tests.append(
            StepMTest(tuple(superior), st.stepm_size) if superior is not None else None
        )
    pbo = None
    if trial_returns.shape[1] >= 2:
        pbo = guarded(notes, "PBO", lambda: pbo_cscv(trial_returns, n_splits=st.pbo_splits))
    else:
        notes.append("PBO: not computable (a single configuration was tried)")
    pbo_ledger, n_ledger = _ledger_pbo(trial_returns, ledger_returns, st.pbo_splits, notes)
    snooping = Snooping(
        spa=spa_tests[0],
        stepm=stepm_tests[0],
        spa_equal_weight=spa_tests[1],
        stepm_equal_weight=stepm_tests[1],
        pbo=pbo,
        pbo_ledger=pbo_ledger,
        pbo_ledger_trials=n_ledger,
    )

    mtrl = guarded(notes, "minimum track record length", lambda: min_track_record_length(r))
    track = (
        TrackRecord(sessions=mtrl, years=mtrl / st.periods_per_year)
        if mtrl is not None and math.isfinite(mtrl)
        else None
    )

    by_year = guarded(
        notes,
        "IC by year",
        lambda: ic_by_year(
            ic_daily.rename_axis("timestamp"), ic_col="student_ic", rank_col="student_rank_ic"
        ),
    )
    years = (
        tuple(
            ICYear(
                year=y["year"],
                mean_ic=y["mean_ic"],
                mean_rank_ic=y["mean_rank_ic"],
                n_days=y["n_days"],
            )
            for y in by_year.to_dict("records")
        )
        if by_year is not None
        else ()
    )

    scored = (
        student_pred
        if "score" in student_pred.columns
        else student_pred.assign(score=student_pred["p_up"] - student_pred["p_down"])
    )
    forward = panel[["symbol", "timestamp", "fwd_return"]]
    deciles = guarded(notes, "decile returns", lambda: decile_returns(scored, "score", forward))
    rows: tuple[DecileReturn, ...] = ()
    spread = None
    if deciles is not None and len(deciles):
        rows = tuple(
            DecileReturn(decile=d["decile"], mean_fwd_return=d["mean_fwd_return"])
            for d in deciles[["decile", "mean_fwd_return"]].to_dict("records")
        )
        spread = decile_spread(deciles)
    evidence = OOSEvidence(
        zero_trades=zero_trades,
        comparisons=tuple(comparisons),
        bootstrap_extra=extra,
        snooping=snooping,
        min_track_record_length=track,
        ic_by_year=years,
        deciles=rows,
        decile_spread=spread,
    )
    return evidence, notes


def _ledger_pbo(
    trial_returns: pd.DataFrame,
    ledger_returns: pd.DataFrame | None,
    n_splits: int,
    notes: list[str],
) -> tuple[PBOResult | None, int]:
    """PBO by CSCV over this run's trials and the earlier ledger trials (model configurations).

    Returns the result (None when there is no earlier distinct trial or too few common
    sessions) and the number of trials it ranked.
    """
    if ledger_returns is None or ledger_returns.shape[1] == 0:
        return None, 0
    combined = pd.concat([trial_returns, ledger_returns.reindex(trial_returns.index)], axis=1)
    combined = combined.dropna()
    combined = combined.loc[:, ~combined.T.duplicated().to_numpy()]
    if combined.shape[1] <= trial_returns.shape[1]:
        return None, 0  # every earlier trial repeats one of this run's series
    pbo = guarded(
        notes,
        "PBO over the ledger's trials",
        lambda: pbo_cscv(combined, n_splits=n_splits),
    )
    return pbo, int(combined.shape[1]) if pbo is not None else 0
