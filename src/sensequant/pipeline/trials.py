"""This run's trials in the ledger: what the deflated Sharpe ratio counts.

Every configuration evaluated (each portfolio rule, each model variant, teacher-direct) is
appended to :class:`sensequant.release.ledger.TrialLedger` after the release phase, with a hash
of the run configuration and the trial's name, so later runs on the same universe, interval and
overlapping OOS span count it.
"""

from __future__ import annotations

import hashlib

from sensequant.pipeline.evidence import Evaluation
from sensequant.pipeline.phase_results import StudentPhaseResult
from sensequant.release.ledger import TrialLedger, TrialSpec
from sensequant.settings import RunConfig

__all__ = ["last_blend", "record_trials"]


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
