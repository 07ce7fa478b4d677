"""This run's trials in the ledger: what the deflated Sharpe ratio counts.

Every configuration evaluated (each portfolio rule, each model variant, teacher-direct) is
appended to :class:`sensequant.release.ledger.TrialLedger` after the release phase, with a hash
of the run configuration and the trial's name, so later runs on the same universe, interval and
overlapping OOS span count it. The deflated Sharpe ratio counts DISTINCT trials: rows with the
same returns fingerprint (the same configuration run again on the same data) count once
(:func:`distinct_trials`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from sensequant.evaluation import deflated_sharpe_ratio
from sensequant.pipeline.evidence import Evaluation
from sensequant.pipeline.phase_results import StudentPhaseResult
from sensequant.release.ledger import LedgerTrial, TrialLedger, TrialSpec
from sensequant.settings import RunConfig

__all__ = ["distinct_trials", "last_blend", "record_trials"]


def last_blend(sp: StudentPhaseResult) -> float | None:
    """The soft-target weight of the last walk-forward period (score students), else None."""
    choice = sp.blend_choice
    if choice is None or choice.empty:
        return None
    return float(choice["blend"].iloc[-1])


def record_trials(ledger: TrialLedger, run_id: str, config: RunConfig, ev: Evaluation) -> None:
    """Append every configuration this run evaluated to the trial ledger."""
    fingerprint = config.fingerprint()
    specs = []
    for name in ev.trial_returns.columns:
        kind = "model" if name.startswith(("variant", "teacher-direct")) else "portfolio"
        digest = hashlib.sha256(f"{fingerprint}|{name}".encode()).hexdigest()[:16]
        specs.append(TrialSpec(str(name), kind, digest, ev.trial_returns[name].dropna()))
    ledger.append(run_id, config.data.universe, config.data.interval, specs)


def distinct_trials(ev: Evaluation, earlier: Sequence[LedgerTrial]) -> Evaluation:
    """``ev`` with its deflated Sharpe ratio counting each distinct trial once.

    A trial's identity is its returns fingerprint (:meth:`TrialLedger.returns_fingerprint`,
    the ``returns_sha256`` the ledger records): this run's trials whose returns equal an
    earlier ledger row's (a re-run of the same configuration on the same data) or another of
    its own trials' are not counted again. The DSR is recomputed only when that changes N.

    Parameters
    ----------
    ev : Evaluation
        From :func:`sensequant.pipeline.evidence.evaluate` (or the intraday one), given the
        SRs of ``TrialLedger.distinct(earlier)``.
    earlier : sequence of LedgerTrial
        The ledger rows matching the run (:meth:`TrialLedger.matching`), duplicates included.

    Returns
    -------
    Evaluation
        ``dsr`` over the distinct trials; ``ledger_trials`` the distinct earlier trials it
        counts; ``trials_recorded`` every trial with a Sharpe ratio, duplicates included.
    """
    own: dict[str, float] = {}
    n_own = 0
    for t in ev.trials:
        if np.isfinite(t.sr_per_period) and t.name in ev.trial_returns.columns:
            n_own += 1
            fp = TrialLedger.returns_fingerprint(ev.trial_returns[t.name])
            own.setdefault(fp, float(t.sr_per_period))
    past = [t for t in TrialLedger.distinct(earlier, exclude=own) if t.sr_per_period is not None]
    total = n_own + sum(t.sr_per_period is not None for t in earlier)
    out = replace(ev, ledger_trials=len(past), trials_recorded=total)
    srs = [*own.values(), *(float(t.sr_per_period or 0.0) for t in past)]
    if ev.dsr is None or not srs or len(srs) == ev.dsr.n_trials:
        return out
    return replace(out, dsr=deflated_sharpe_ratio(ev.returns["student_net"], srs))
