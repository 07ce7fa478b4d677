"""Stress-test periods (the YAML schema) and results (what reports and the briefing show).

See :mod:`sensequant.evaluation.stress` for how a period is replayed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from sensequant.errors import ConfigError
from sensequant.evaluation.stress_scoring import (
    NIFTY,
    RESILIENCE_FORMULA,
    SIXTY_FORTY,
    STUDENT,
    StressRow,
    StressRules,
    json_number,
)


class StressPeriod(BaseModel):
    """One named stress period (a row of ``stress_periods.yaml``).

    Attributes
    ----------
    name : str
        Unique display name.
    start, end : datetime.date
        First and last session of the period (inclusive, IST dates).
    description, source : str
        What happened and where the dates come from.
    kind : {"historical", "synthetic"}
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    start: dt.date
    end: dt.date
    description: str = ""
    source: str = ""
    kind: Literal["historical", "synthetic"] = "historical"

    @model_validator(mode="after")
    def _ordered(self) -> StressPeriod:
        if self.start > self.end:
            raise ValueError(f"{self.name}: start {self.start} is after end {self.end}")
        return self


class _PeriodFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    periods: list[StressPeriod]


def parse_stress_periods(raw: Any, *, origin: str = "<memory>") -> list[StressPeriod]:
    """Validate the parsed YAML of a stress-period file.

    Parameters
    ----------
    raw : Any
        ``{"version": 1, "periods": [{name, start, end, description, source}, ...]}``.
    origin : str
        File name for error messages.

    Returns
    -------
    list of StressPeriod

    Raises
    ------
    ConfigError
        Invalid fields (the message names the row and field) or duplicate names.
    """
    hint = "see src/sensequant/resources/stress_periods.yaml for the layout"
    try:
        parsed = _PeriodFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{origin}: invalid stress periods: {problems}", hint=hint) from None
    names = [p.name for p in parsed.periods]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"{origin}: duplicate stress period name(s) {dup}", hint=hint)
    return parsed.periods


_METRICS = ("total_return", "max_drawdown", "sharpe", "sortino", "hit_rate", "precision", "recall")
TABLE_COLUMNS = (
    "period",
    "kind",
    "start",
    "end",
    "model_period_id",
    "model_train_end",
    "row",
    *_METRICS,
    "n_sessions",
    "resilience_score",
    "failure_mode",
)
"""Columns of :meth:`StressReport.table` (one row per period x strategy/baseline)."""


@dataclass(frozen=True)
class PeriodResult:
    """A replayed period: the rows, the model used, the score and the failure mode."""

    period: StressPeriod
    first_decision: pd.Timestamp
    sessions: pd.DatetimeIndex
    model_period_id: int
    model_train_end: pd.Timestamp
    rows: tuple[StressRow, ...]
    resilience_score: float
    failure_mode: str
    failure_rule: str
    diagnostics: dict[str, Any]
    daily: pd.DataFrame
    """Daily returns (session x row name)."""

    def row(self, name: str) -> StressRow:
        """The row called ``name`` (one of :data:`ROW_NAMES`)."""
        return next(r for r in self.rows if r.name == name)

    def to_dict(self) -> dict[str, Any]:
        """The period entry of ``StressReport.to_dict()['periods']``."""
        p = self.period
        return {
            "name": p.name,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "kind": p.kind,
            "description": p.description,
            "first_decision": self.first_decision.date().isoformat(),
            "first_session": self.sessions[0].date().isoformat(),
            "last_session": self.sessions[-1].date().isoformat(),
            "n_sessions": len(self.sessions),
            "model_period_id": self.model_period_id,
            "model_train_end": self.model_train_end.isoformat(),
            "rows": [r.to_dict() for r in self.rows],
            "resilience_score": json_number(self.resilience_score),
            "failure_mode": self.failure_mode,
            "failure_rule": self.failure_rule,
            "diagnostics": {k: json_number(v) for k, v in self.diagnostics.items()},
        }


@dataclass(frozen=True)
class Skipped:
    """A period that could not be replayed, with the reason."""

    name: str
    reason: str


@dataclass(frozen=True)
class IntradayScenario:
    """One intraday stress scenario replayed on a session's bars (an intraday run).

    Attributes
    ----------
    name : str
        Display name (e.g. ``"synthetic -5% gap at the open"``).
    session : str
        The session (ISO date, IST).
    kind : {"event", "synthetic", "recorded"}
        A named event inside the data, a synthetic shock, or the session as recorded (shown
        for reference; not a stress scenario, never counted by the gate).
    student_return, student_drawdown, basket_return, basket_drawdown : float
        Session net return and intraday drawdown (fractions, drawdown <= 0) of the student's
        book and of the equal-weight intraday basket, both with MIS costs.
    """

    name: str
    session: str
    kind: Literal["event", "synthetic", "recorded"]
    student_return: float
    student_drawdown: float
    basket_return: float
    basket_drawdown: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready entry of ``StressReport.to_dict()["intraday_scenarios"]``."""
        out: dict[str, Any] = {"name": self.name, "session": self.session, "kind": self.kind}
        for key in ("student_return", "student_drawdown", "basket_return", "basket_drawdown"):
            out[key] = json_number(getattr(self, key))
        return out


@dataclass
class StressReport:
    """All replayed and skipped periods of a run (``stress`` key of the briefing)."""

    periods: list[PeriodResult]
    skipped: list[Skipped]
    rules: StressRules
    notes: list[str] = field(default_factory=list)
    fill: str = "next_open"
    intraday: list[IntradayScenario] = field(default_factory=list)
    """Intraday scenarios (an intraday run; empty for a daily one)."""
    benchmark: str = NIFTY
    """What the benchmark rows of the periods are (the run's ``SeriesLabels.benchmark``)."""

    def worst_loss(self) -> tuple[float | None, list[str]]:
        """The worst student return over the stress scenarios, and their names.

        Daily runs: the total return of every replayed HISTORICAL period (the synthetic
        gap-down is not counted). Intraday runs: the session net return of every intraday
        event and synthetic shock (``kind != "recorded"``). ``(None, [])`` when none applies.
        """
        historical = [p for p in self.periods if p.period.kind == "historical"]
        if historical:
            values = [p.row(STUDENT).total_return for p in historical]
            return min(values), [p.period.name for p in historical]
        shocks = [s for s in self.intraday if s.kind != "recorded"]
        if shocks:
            return min(s.student_return for s in shocks), [s.name for s in shocks]
        return None, []

    @property
    def worst_period_loss(self) -> float | None:
        """Lowest student return over the stress scenarios (:meth:`worst_loss`; None if none
        applied)."""
        return self.worst_loss()[0]

    def _shown(self) -> dict[str, str]:
        """Row name -> the name shown, when the benchmark is not the NIFTY 50 index."""
        if self.benchmark == NIFTY:
            return {}
        return {NIFTY: self.benchmark, SIXTY_FORTY: "60/40 benchmark/cash"}

    def _text(self, text: str) -> str:
        """``text`` with the benchmark named as it is (``NIFTY`` -> ``benchmark``)."""
        if self.benchmark == NIFTY:
            return text
        mark = "\0"  # the label itself may contain "NIFTY" (another NIFTY index)
        return text.replace(NIFTY, mark).replace("NIFTY", "benchmark").replace(mark, self.benchmark)

    def _period_dict(self, p: PeriodResult) -> dict[str, Any]:
        out = p.to_dict()
        shown = self._shown()
        if shown:
            out["rows"] = [r | {"name": shown.get(r["name"], r["name"])} for r in out["rows"]]
            out["failure_rule"] = self._text(out["failure_rule"])
            out["description"] = self._text(out["description"])
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the shape of the briefing's ``stress`` key (plus rule texts).

        The benchmark rows are named ``benchmark`` (the run's benchmark label; the 60/40 row
        becomes ``60/40 benchmark/cash`` when it is not the NIFTY 50 index)."""
        entry = "open" if self.fill == "next_open" else "close"
        return {
            "periods": [self._period_dict(p) for p in self.periods],
            "resilience_formula": self._text(RESILIENCE_FORMULA),
            "worst_period_loss": self.worst_period_loss,
            "skipped": [{"name": s.name, "reason": s.reason} for s in self.skipped],
            "failure_rules": {k: self._text(v) for k, v in self.rules.rules_text().items()},
            "benchmark": self.benchmark,
            "intraday_scenarios": [x.to_dict() for x in self.intraday],
            "cash_rate": self.rules.cash_rate,
            "min_sessions": self.rules.min_sessions,
            "timing": (
                "flat at the start; first decision at the close of the session before the "
                f"period, filled at the first session's {entry} (fill={self.fill}); every row "
                "is measured from that entry to the last session's close"
            ),
            "notes": list(self.notes),
        }

    def table(self) -> pd.DataFrame:
        """One row per (period, row): the long table written to ``stress_table.parquet``.

        Columns :data:`TABLE_COLUMNS`; metric columns are float (NaN where undefined).
        """
        recs = [
            {
                "period": p.period.name,
                "kind": p.period.kind,
                "start": p.period.start.isoformat(),
                "end": p.period.end.isoformat(),
                "model_period_id": p.model_period_id,
                "model_train_end": p.model_train_end,
                "row": self._shown().get(r.name, r.name),
                **{k: getattr(r, k) for k in (*_METRICS, "n_sessions")},
                "resilience_score": p.resilience_score,
                "failure_mode": p.failure_mode,
            }
            for p in self.periods
            for r in p.rows
        ]
        table = pd.DataFrame(recs, columns=list(TABLE_COLUMNS))
        for col in (*_METRICS, "resilience_score"):
            table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
        return table
