"""Evidence for the briefing: computed when possible, explained (never faked) when not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sensequant.pipeline.statistics import compute_evidence
from sensequant.release.briefing import EQUAL_WEIGHT
from sensequant.settings import RunConfig
from sensequant.types import IST

CFG = RunConfig.model_validate(
    RunConfig().model_dump() | {"stats": {"bootstrap_reps": 200, "spa_reps": 200}}
)


def _inputs(student: np.ndarray, seed: int = 5) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(seed)
    n = len(student)
    idx = pd.bdate_range("2020-01-01", periods=n, tz=IST)
    returns = pd.DataFrame(
        {
            "student_net": student,
            "teacher_direct_net": rng.normal(0.0004, 0.01, n),
            "nifty50": rng.normal(0.0003, 0.01, n),
            "equal_weight": rng.normal(0.0005, 0.01, n),
            "student_turnover": np.where(student != 0, 0.1, 0.0),
        },
        index=idx,
    )
    trials = pd.DataFrame(
        {"a": student, "b": rng.normal(0.0002, 0.01, n), "c": rng.normal(0.0, 0.01, n)},
        index=idx,
    )
    symbols = [f"S{i}" for i in range(12)]
    pred = pd.DataFrame(
        [(s, t, 0.3, 0.3, 0.4 + 0.01 * i) for t in idx for i, s in enumerate(symbols)],
        columns=["symbol", "timestamp", "p_down", "p_flat", "p_up"],
    )
    panel = pred[["symbol", "timestamp"]].assign(fwd_return=rng.normal(0, 0.02, len(pred)))
    ic = pd.DataFrame(
        {"student_ic": rng.normal(0.02, 0.1, n), "student_rank_ic": rng.normal(0.02, 0.1, n)},
        index=idx,
    )
    return returns, trials, pred, panel, ic


def test_evidence_on_a_trading_strategy() -> None:
    rng = np.random.default_rng(1)
    returns, trials, pred, panel, ic = _inputs(rng.normal(0.0008, 0.01, 600))
    ev, _notes = compute_evidence(CFG, returns, trials, pred, panel, ic)
    assert not ev.zero_trades
    names = [c.name for c in ev.comparisons]
    assert names == [
        "student - teacher-direct",
        "student - NIFTY 50 (price index)",
        f"student - {EQUAL_WEIGHT}",
    ]
    assert all(c.ci.lower <= c.ci.estimate <= c.ci.upper for c in ev.comparisons)
    sn = ev.snooping
    assert sn.spa is not None and sn.spa.benchmark == "NIFTY 50 (price index)"
    assert sn.spa_equal_weight is not None
    assert sn.spa_equal_weight.benchmark == EQUAL_WEIGHT
    assert sn.pbo is not None and 0 <= sn.pbo.pbo <= 1
    assert len(ev.deciles) == 10 and ev.decile_spread is not None
    assert [row.year for row in ev.ic_by_year] == [2020, 2021, 2022]
    doc = ev.to_dict()  # the briefing's JSON entries
    assert doc["snooping"]["spa"]["benchmark"] == "NIFTY 50 (price index)"
    assert list(doc["comparisons"][0]) == [
        "name", "metric", "estimate", "lower", "upper", "confidence", "reps", "block_length",
        "seed", "method",
    ]  # fmt: skip


def test_zero_trades_are_reported_not_crashed_on() -> None:
    returns, trials, pred, panel, ic = _inputs(np.zeros(400))
    ev, notes = compute_evidence(CFG, returns, trials, pred, panel, ic)
    assert ev.zero_trades is True
    # a Sharpe difference needs variance: left out, with the reason written down
    assert not any(c.name == "student - teacher-direct" for c in ev.comparisons)
    assert any("not computable" in n for n in notes)
    assert ev.min_track_record_length is None


def test_reward_weighted_student_is_compared_with_the_plain_one() -> None:
    rng = np.random.default_rng(2)
    returns, trials, pred, panel, ic = _inputs(rng.normal(0.0008, 0.01, 500))
    plain = pd.Series(rng.normal(0.0003, 0.01, 500), index=returns.index)
    ev, _notes = compute_evidence(CFG, returns, trials, pred, panel, ic, plain_student_net=plain)
    comp = {c.name: c for c in ev.comparisons}
    assert "reward-weighted - plain student" in comp
    c = comp["reward-weighted - plain student"]
    assert c.ci.lower <= c.ci.estimate <= c.ci.upper


def test_pbo_over_the_ledger_ranks_earlier_distinct_trials_too() -> None:
    rng = np.random.default_rng(3)
    returns, trials, pred, panel, ic = _inputs(rng.normal(0.0008, 0.01, 400))
    earlier = pd.DataFrame(
        {
            "ledger 1 x": rng.normal(0.0001, 0.01, 400),
            "ledger 2 y": rng.normal(0.0002, 0.01, 400),
            "ledger 3 copy of a": trials["a"].to_numpy(),  # the same series: counted once
        },
        index=returns.index,
    )
    earlier.iloc[:10, 0] = np.nan  # sessions a trial lacks are left out of every column
    ev, _ = compute_evidence(CFG, returns, trials, pred, panel, ic, ledger_returns=earlier)
    sn = ev.snooping
    assert sn.pbo is not None and sn.pbo_ledger is not None
    assert sn.pbo_ledger_trials == 5  # a, b, c + x, y
    assert 0 <= sn.pbo_ledger.pbo <= 1
    assert ev.to_dict()["snooping"]["pbo_ledger"]["n_trials"] == 5
    # nothing new in the ledger: no second PBO
    only_copy = earlier[["ledger 3 copy of a"]]
    ev2, _ = compute_evidence(CFG, returns, trials, pred, panel, ic, ledger_returns=only_copy)
    assert ev2.snooping.pbo_ledger is None and ev2.snooping.pbo_ledger_trials == 0
