"""The deflated Sharpe ratio counts distinct trials: identical returns (re-runs) count once."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest

from sensequant.evaluation import deflated_sharpe_ratio, sharpe
from sensequant.pipeline.evidence import Evaluation
from sensequant.pipeline.trials import distinct_trials
from sensequant.release.evidence_types import TrialSharpe
from sensequant.release.ledger import TrialLedger, TrialSpec

PERIODS = 252


def _trial_returns() -> pd.DataFrame:
    days = pd.bdate_range("2022-01-03", periods=300, tz="Asia/Kolkata")
    rng = np.random.default_rng(7)
    a, b = rng.normal(0.0008, 0.01, 300), rng.normal(0.0002, 0.01, 300)
    # "c" is "a" again: two rules that end up trading alike give one trial
    return pd.DataFrame({"a": a, "b": b, "c": a}, index=days)


def _evaluation(trial_returns: pd.DataFrame, ledger_sr: list[float]) -> Evaluation:
    """What ``evaluate`` returns, for the fields the trial count reads (DSR as it computes)."""
    trials = []
    for name in trial_returns.columns:
        sr = sharpe(trial_returns[name], rf=0.0, periods=PERIODS)
        trials.append(TrialSharpe(name=name, sharpe=sr, sr_per_period=sr / np.sqrt(PERIODS)))
    r = trial_returns["a"]
    srs = [t.sr_per_period for t in trials] + ledger_sr
    none = cast(Any, None)
    return Evaluation(
        returns=pd.DataFrame({"student_net": r}),
        trial_returns=trial_returns,
        student_bt=none,
        teacher_bt=none,
        summaries={},
        ic={},
        ic_daily=pd.DataFrame(),
        alpha=0.0,
        beta=0.0,
        bootstrap=None,
        psr=None,
        dsr=deflated_sharpe_ratio(r, srs),
        trials=tuple(trials),
        evidence=none,
        ledger_trials=len(ledger_sr),
    )


def _sr(rows: list[Any]) -> list[float]:
    return [t.sr_per_period for t in TrialLedger.distinct(rows) if t.sr_per_period is not None]


def test_identical_reruns_do_not_inflate_the_number_of_trials(tmp_path: Path) -> None:
    ledger = TrialLedger(tmp_path / "registry.sqlite", tmp_path / "ledger")
    tr = _trial_returns()
    lo, hi = tr.index[0], tr.index[-1]

    def run(run_id: str) -> Evaluation:
        earlier = ledger.matching("nifty50", "1day", lo, hi)
        ev = distinct_trials(_evaluation(tr, _sr(earlier)), earlier)
        specs = [TrialSpec(str(c), "portfolio", f"h-{c}", tr[c]) for c in tr.columns]
        ledger.append(run_id, "nifty50", "1day", specs)
        return ev

    first = run("run-1")
    assert first.dsr is not None and first.dsr.n_trials == 2  # a, b ("c" is "a")
    assert (first.ledger_trials, first.trials_recorded) == (0, 3)
    second, third = run("run-2"), run("run-3")  # the same configuration on the same data
    for ev in (second, third):
        assert ev.dsr is not None and ev.dsr.n_trials == 2
        assert ev.dsr.dsr == pytest.approx(first.dsr.dsr)
        assert ev.ledger_trials == 0
    assert (second.trials_recorded, third.trials_recorded) == (6, 9)


def test_a_different_earlier_trial_still_counts(tmp_path: Path) -> None:
    ledger = TrialLedger(tmp_path / "registry.sqlite", tmp_path / "ledger")
    tr = _trial_returns()
    other = pd.Series(np.random.default_rng(8).normal(0.0, 0.01, len(tr)), index=tr.index)
    spec = TrialSpec("sweep point", "sweep", "h-x", other)
    ledger.append("sweep-1", "nifty50", "1day", [spec, spec])  # recorded twice
    earlier = ledger.matching("nifty50", "1day", tr.index[0], tr.index[-1])
    ev = distinct_trials(_evaluation(tr, _sr(earlier)), earlier)
    assert ev.dsr is not None and ev.dsr.n_trials == 3
    assert (ev.ledger_trials, ev.trials_recorded) == (1, 5)


def test_nothing_recomputed_when_every_trial_is_distinct(tmp_path: Path) -> None:
    ledger = TrialLedger(tmp_path / "registry.sqlite", tmp_path / "ledger")
    tr = _trial_returns().drop(columns="c")
    ev = _evaluation(tr, [])
    out = distinct_trials(ev, ledger.matching("nifty50", "1day", tr.index[0], tr.index[-1]))
    assert out.dsr is ev.dsr and out.trials_recorded == 2
