"""Intraday stress: what the intraday run reports in place of the daily crisis replay.

The daily replay (:mod:`sensequant.pipeline.stress_phase`) re-scores the walk-forward students
over named multi-week crises with daily bars; it does not apply to intraday bars. Here the
stress section lists the intraday events the run's data cover, each marked as not replayed
with the reason, so the briefing says plainly what was and was not stress-tested.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from sensequant.data.store import BarStore
from sensequant.evaluation.stress_report import Skipped, StressReport, StressRules

__all__ = ["INTRADAY_EVENTS", "intraday_stress"]

INTRADAY_EVENTS: Final[dict[str, str]] = {
    "2024-06-04 election-result session": "2024-06-04",
    "synthetic: -5 % gap at the open": "",
    "synthetic: -3 % fall inside ten minutes": "",
}
"""Named intraday events (date, or '' for a synthetic shock)."""


def intraday_stress(source: object, store: BarStore) -> StressReport:
    """The stress report of an intraday run (see the module docstring).

    Parameters
    ----------
    source : StressSource
        The run in memory (its config and OOS predictions are read).
    store : BarStore
        Unused (kept for the daily replay's signature).

    Returns
    -------
    StressReport
        No replayed period; every intraday event skipped with its reason.
    """
    config = source.config  # type: ignore[attr-defined]
    oos = pd.DatetimeIndex(source.student_oos["timestamp"])  # type: ignore[attr-defined]
    days = set(oos.normalize().date)
    skipped = []
    for name, day in INTRADAY_EVENTS.items():
        if day and pd.Timestamp(day).date() not in days:
            reason = f"{day} is outside the out-of-sample bars"
        else:
            reason = "intraday stress replay is not implemented yet (issue 12 item 6)"
        skipped.append(Skipped(name=name, reason=reason))
    rules = StressRules(
        cash_rate=config.stress.cash_rate,
        periods_per_year=config.stats.periods_per_year,
        risk_free_rate=config.stats.risk_free_rate,
    )
    return StressReport(
        periods=[],
        skipped=skipped,
        rules=rules,
        notes=["intraday run: the daily crisis periods do not apply to bars"],
    )
