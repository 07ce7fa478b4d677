"""Stress tests: replay named market periods with a student trained strictly before each one.

Model choice
------------
A period starting on date S is predicted by ONE frozen model: the walk-forward student with the
latest ``train_end`` strictly before S (ties: the highest ``period_id``), never a later one,
even where a later walk-forward fit covered part of the period.

Timing (every row measured from the same price)
-----------------------------------------------
The book starts flat. The first decision is taken at the close of the last session before the
period (``first_decision``: features up to that close, a model whose labels all ended by then)
and filled like every backtest decision (:mod:`sensequant.evaluation.backtest`): at the first
session's OPEN with ``fill="next_open"``, so the book is in the market on day 1. Later
decisions follow ``PortfolioConfig.rebalance_every`` counted from ``first_decision``; the last
session's decision is not filled. Every baseline enters at the same moment: day 1 earns the
first session's ``close / open - 1`` (0 with ``fill="next_close"``), then close to close. An
overnight gap INTO day 1 is thus earned by nobody: period files start such periods a session
earlier.

Rows
----
* ``student``: NET returns of :func:`~sensequant.evaluation.backtest.run_backtest` with the
  run's fees and ``BacktestConfig``, weights from
  :func:`~sensequant.evaluation.sizing.portfolio_weights` with the run's ``PortfolioConfig``
  (as in the run's evaluation; idle cash earns 0).
* ``NIFTY 50 (price index)``: buy and hold of the price index (no dividends).
* ``equal-weight universe``: daily-rebalanced mean return of the symbols priced at both ends of
  the day (as in the run's evaluation; no costs).
* ``60/40 NIFTY/cash``: ``0.6 r_nifty + 0.4 c`` each session (rebalanced daily, no costs),
  ``c = (1 + cash_rate) ** (1 / periods_per_year) - 1``; ``cash``: ``c`` every session.

Metrics: total return ``prod(1 + r) - 1``; max drawdown (positive fraction), annualised Sharpe
and Sortino and hit rate as in :mod:`sensequant.evaluation.metrics`; Sharpe/Sortino are None
(with the reason in ``na_reasons``) below ``StressRules.min_sessions`` sessions. For the student
also precision and recall of its 'up' calls (argmax class is up; for a score model, a score
above its date's median score: ranking objectives have no zero point) against the realised
labels (``label == 2``) of its predictions dated inside the period.

Score models (one-output regression students, see
:func:`~sensequant.models.lgbm.is_score_model`) predict a ``score`` column instead
of class probabilities; the run's ``PortfolioConfig`` then has ``score="score"``.

Resilience score and failure modes: see
:class:`~sensequant.evaluation.stress_scoring.StressRules`.

Modules: inputs, model choice and predictions in :mod:`sensequant.evaluation.stress_inputs`;
period files and the report in :mod:`sensequant.evaluation.stress_report`; row metrics,
baselines, scoring and the synthetic shock in :mod:`sensequant.evaluation.stress_scoring`; all
re-exported here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sensequant.errors import DataError
from sensequant.evaluation.backtest import run_backtest
from sensequant.evaluation.sizing import portfolio_weights
from sensequant.evaluation.stress_inputs import (
    StressInputs,
    _pre_period_scores,
    _up_scores,
    is_score_model,
    predict_span,
    select_model,
    walk_forward_predictions,
)
from sensequant.evaluation.stress_report import (
    PeriodResult,
    Skipped,
    StressPeriod,
    StressReport,
    parse_stress_periods,
)
from sensequant.evaluation.stress_scoring import (
    CASH,
    EQUAL,
    NIFTY,
    RESILIENCE_FORMULA,
    ROW_NAMES,
    SIXTY_FORTY,
    STUDENT,
    StressRow,
    StressRules,
    baseline_returns,
    classify_failure,
    inject_gap_down,
    resilience_score,
    row_metrics,
    shock_bars,
)
from sensequant.parallel import parallel_map
from sensequant.settings import ExecutorConfig
from sensequant.types import IST

__all__ = [
    "CASH",
    "EQUAL",
    "NIFTY",
    "RESILIENCE_FORMULA",
    "ROW_NAMES",
    "SIXTY_FORTY",
    "STUDENT",
    "PeriodResult",
    "Skipped",
    "StressInputs",
    "StressPeriod",
    "StressReport",
    "StressRow",
    "StressRules",
    "baseline_returns",
    "classify_failure",
    "inject_gap_down",
    "is_score_model",
    "parse_stress_periods",
    "predict_span",
    "replay_period",
    "resilience_score",
    "row_metrics",
    "run_stress_tests",
    "select_model",
    "shock_bars",
    "synthetic_period",
    "walk_forward_predictions",
]


def _day(d: dt.date) -> pd.Timestamp:
    return pd.Timestamp(d).tz_localize(IST)


def _skip(period: StressPeriod, reason: str) -> Skipped:
    return Skipped(period.name, reason)


def replay_period(
    period: StressPeriod, inputs: StressInputs, rules: StressRules | None = None
) -> PeriodResult | Skipped:
    """Replay one stress period with the student trained strictly before it, and baselines.

    Parameters
    ----------
    period : StressPeriod
    inputs : StressInputs
    rules : StressRules, optional
        Default :class:`StressRules`.

    Returns
    -------
    PeriodResult or Skipped
        Skipped (with the reason) when the prices do not cover the whole period, it starts
        before the first out-of-sample date, it has no session, there is no session (or no
        features) before it to decide on, or no student was trained before its start.
    """
    rules = rules or StressRules()
    cal = pd.DatetimeIndex(inputs.close_px.index)
    start, end = _day(period.start), _day(period.end)
    if start > cal[-1]:
        return _skip(period, f"starts after the run's last session {cal[-1].date()}")
    if end > cal[-1]:
        return _skip(period, f"ends after the run's last session {cal[-1].date()} (partly covered)")
    oos_start = inputs.models["test_start"].min()
    if start < oos_start:
        return _skip(period, f"starts before the first out-of-sample date {oos_start.date()}")
    if start < cal[0]:
        return _skip(period, f"starts before the first loaded session {cal[0].date()}")
    sessions = cal[(cal >= start) & (cal <= end)]
    if sessions.empty:
        return _skip(period, "no trading session in the period")
    pos0 = int(cal.searchsorted(sessions[0]))
    if pos0 == 0:
        return _skip(period, "no session before the period to take the first decision")
    decision0 = cal[pos0 - 1]
    chosen = select_model(inputs.models, start)
    if chosen is None:
        return _skip(period, f"no walk-forward student was trained before {start.date()}")
    pid, train_end = int(chosen["period_id"]), pd.Timestamp(chosen["train_end"])
    pred = predict_span(inputs, pid, decision0, sessions[-1] + pd.Timedelta(1, "ns"))
    if not (pred["timestamp"] == decision0).any():
        return _skip(period, f"no features on the decision session {decision0.date()}")
    weights = portfolio_weights(pred.loc[pred["timestamp"] < sessions[-1]], inputs.portfolio)
    weights.loc[sessions[-1]] = 0.0  # extends the backtest to the last session; never filled
    span = cal[pos0 - 1 : pos0 + len(sessions)]
    open_px = inputs.open_px.reindex(index=span, columns=weights.columns)
    close_px = inputs.close_px.reindex(index=span, columns=weights.columns)
    bt = run_backtest(
        weights,
        open_px,
        close_px,
        fees=inputs.fees,
        cfg=inputs.backtest,
        tolerance=inputs.backtest.rebalance_tolerance,
    )
    daily = baseline_returns(
        inputs.open_px.loc[span],
        inputs.close_px.loc[span],
        inputs.bench_open,
        inputs.bench_close,
        fill=inputs.backtest.fill,
        rules=rules,
    )
    daily.insert(0, STUDENT, bt.returns_net.reindex(daily.index).fillna(0.0))
    in_period = pred.loc[pred["timestamp"] >= sessions[0]]
    scores = _up_scores(in_period)
    out_rows = tuple(
        row_metrics(n, daily[n], rules, scores=scores if n == STUDENT else None) for n in ROW_NAMES
    )
    diag = _diagnostics(inputs, cal, pos0, sessions, rules, scores, start)
    diag["mean_exposure"] = float(bt.exposure.mean())
    score = resilience_score(out_rows[0], out_rows[1])
    mode, rule = classify_failure(score, daily[STUDENT], diag, rules)
    diag["tail_days"] = ", ".join(str(d.date()) for d in diag["tail_days"])
    return PeriodResult(
        period, decision0, sessions, pid, train_end, out_rows, score, mode, rule, diag, daily
    )


def _diagnostics(
    inputs: StressInputs,
    cal: pd.DatetimeIndex,
    pos0: int,
    sessions: pd.DatetimeIndex,
    rules: StressRules,
    scores: dict[str, float],
    start: pd.Timestamp,
) -> dict[str, Any]:
    nifty = inputs.bench_close.dropna()
    r = nifty / nifty.shift(1) - 1.0
    in_p = r.loc[(r.index >= sessions[0]) & (r.index <= sessions[-1])].dropna()
    before = r.loc[r.index < sessions[0]].dropna().iloc[-rules.trailing_sessions :]
    ann = math.sqrt(rules.periods_per_year)
    pre = _pre_period_scores(inputs, cal[max(0, pos0 - rules.trailing_sessions) : pos0], start)
    worst_day = pd.DatetimeIndex(in_p.index)[int(np.argmin(in_p.to_numpy()))] if len(in_p) else None
    return {
        "nifty_worst_day": str(worst_day.date()) if worst_day is not None else None,
        "nifty_worst_return": float(in_p.min()) if len(in_p) else math.nan,
        "tail_days": list(in_p.index[in_p <= rules.tail_day_return]),
        "vol_period": float(in_p.std(ddof=1) * ann) if len(in_p) >= 2 else math.nan,
        "vol_trailing": float(before.std(ddof=1) * ann) if len(before) >= 2 else math.nan,
        "pre_precision": pre["precision"],
        "pre_base_rate": pre["base_rate"],
        "pre_precision_lift": pre["precision"] - pre["base_rate"],
        "pre_labelled_rows": pre["n"],
        "period_base_rate": scores["base_rate"],
        "period_precision_lift": scores["precision"] - scores["base_rate"],
    }


def synthetic_period(
    sessions: pd.DatetimeIndex,
    *,
    n_sessions: int = 60,
    offset: int = 20,
    shock: float = -0.10,
) -> tuple[StressPeriod, pd.Timestamp]:
    """The synthetic gap-down period over the last ``n_sessions`` of ``sessions``.

    Parameters
    ----------
    sessions : pandas.DatetimeIndex
        Sessions of the out-of-sample range, sorted.
    n_sessions : int, default 60
    offset : int, default 20
        The gap hits the open of the ``offset``-th session (0-based) of the period, so the
        student already holds its book.
    shock : float, default -0.10

    Returns
    -------
    (period, day) : tuple of StressPeriod and pandas.Timestamp

    Raises
    ------
    DataError
        Fewer than ``n_sessions`` sessions or ``offset`` outside the period.
    """
    cal = pd.DatetimeIndex(sessions)
    if len(cal) < n_sessions or not 0 < offset < n_sessions:
        raise DataError(
            f"synthetic period needs {n_sessions} sessions and 0 < offset {offset} < {n_sessions}"
            f"; got {len(cal)} sessions",
            hint="use a longer out-of-sample range or a shorter synthetic period",
        )
    span = cal[-n_sessions:]
    day = span[offset]
    period = StressPeriod(
        name=f"synthetic {shock:.0%} gap-down",
        start=span[0].date(),
        end=span[-1].date(),
        kind="synthetic",
        description=(
            f"Every stock and the NIFTY gap {shock:.0%} at the open of {day.date()} (all later "
            f"prices scaled by {1 + shock:g}; features and labels rebuilt from the shocked "
            f"bars), over the last {n_sessions} sessions of the out-of-sample range."
        ),
        source="synthetic (sensequant.evaluation.stress.inject_gap_down)",
    )
    return period, day


def _replay_job(
    job: tuple[StressPeriod, StressInputs], rules: StressRules
) -> PeriodResult | Skipped:
    return replay_period(job[0], job[1], rules)


def run_stress_tests(
    periods: Sequence[StressPeriod],
    inputs: StressInputs,
    *,
    rules: StressRules | None = None,
    synthetic: tuple[StressPeriod, StressInputs] | None = None,
    notes: Sequence[str] = (),
    executor: ExecutorConfig | None = None,
) -> StressReport:
    """Replay every period (and optionally the synthetic one) into a :class:`StressReport`.

    Parameters
    ----------
    periods : sequence of StressPeriod
        Historical periods.
    inputs : StressInputs
    rules : StressRules, optional
    synthetic : (StressPeriod, StressInputs), optional
        The synthetic period and the shocked inputs (see :func:`inject_gap_down`).
    notes : sequence of str
        Extra notes for the report.
    executor : ExecutorConfig, optional
        ``kind: joblib`` (default): one period after another in this process; ``kind: dask``:
        the periods go to a ``dask.distributed`` scheduler (:func:`sensequant.parallel.
        parallel_map`).

    Returns
    -------
    StressReport
    """
    rules = rules or StressRules()
    done: list[PeriodResult] = []
    skipped: list[Skipped] = []
    jobs = [(p, inputs) for p in periods] + ([synthetic] if synthetic else [])
    ex = executor or ExecutorConfig()
    n_jobs = -1 if ex.kind == "dask" else 1  # in-process unless a cluster is asked for
    results = parallel_map(
        _replay_job, jobs, n_jobs=n_jobs, extra_args=(rules,), executor=ex.kind, address=ex.address
    )
    for res in results:
        if isinstance(res, PeriodResult):
            done.append(res)
        else:
            skipped.append(res)
    return StressReport(done, skipped, rules, list(notes), fill=inputs.backtest.fill)
