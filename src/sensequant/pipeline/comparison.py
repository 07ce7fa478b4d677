"""The model-versus-baselines comparison of one run, on identical out-of-sample dates.

Series compared (each labelled as exactly what it is):

* the released model's walk-forward predictions (the student), teacher-direct (each symbol's
  latest teacher), and -- for score models -- every blend weight of the student, ``0`` being
  the *direct* pooled model that ignores the teachers;
* score baselines ranked with the SAME portfolio rule as the model (rank-only top-k for score
  models): short-term reversal (minus the 5-session return) and 12-1 month momentum;
* return baselines: the NIFTY 50 price index, the equal-weight universe bought at the first
  OOS open and never rebalanced, and the equal-weight universe rebalanced monthly with NSE
  costs (:mod:`sensequant.evaluation.baselines`).

Every strategy series is backtested by :func:`sensequant.evaluation.backtest.run_backtest`
with the run's costs; IC and Rank IC use the run's own forward return (the label's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sensequant.evaluation.backtest import BacktestResult
from sensequant.evaluation.baselines import BaselineSeries
from sensequant.evaluation.comparison import comparison_table
from sensequant.evaluation.signal import daily_ic
from sensequant.pipeline.series_labels import series_labels
from sensequant.release.briefing import BENCHMARK, EQUAL_WEIGHT
from sensequant.run_config import PortfolioConfig, RunConfig

__all__ = ["Comparison", "build_comparison", "daily_ic_memo", "model_score", "verdict"]

RELEASED = "released model (student)"
DIRECT = "direct model (blend 0, no teachers)"


def model_score(pred: pd.DataFrame) -> pd.DataFrame:
    """``pred`` with a ``score`` column: the model's own, or ``p_up - p_down`` for classes."""
    if "score" in pred.columns:
        return pred
    return pred.assign(score=pred["p_up"] - pred["p_down"])


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`build_comparison`.

    Attributes
    ----------
    table : pandas.DataFrame
        Index = series name; :data:`~sensequant.evaluation.comparison.COMPARISON_COLUMNS`
        plus ``label`` (what the series is).
    verdict : str
        Plain-language summary: does the model beat its baselines, does distillation beat the
        direct model.
    extra_trials : dict of str to pandas.Series
        Daily net returns of the model variants (blend weights) -- trials of this run.
    """

    table: pd.DataFrame
    verdict: str
    extra_trials: dict[str, pd.Series]


def daily_ic_memo(forward: pd.DataFrame) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """A ``daily_ic_of(predictions)`` that computes each frame's daily IC once.

    :func:`build_comparison` and its caller both need the student's and teacher-direct's
    daily IC against ``forward`` (``symbol, timestamp, fwd_return``); frames are keyed by
    identity, so the caller must keep them alive while it uses the function (one
    evaluation).

    Returns
    -------
    callable
        ``daily_ic_of(pred)`` -> :func:`sensequant.evaluation.daily_ic` of :func:`model_score`.
    """
    memo: dict[int, pd.DataFrame] = {}

    def daily_ic_of(pred: pd.DataFrame) -> pd.DataFrame:
        if id(pred) not in memo:
            memo[id(pred)] = daily_ic(model_score(pred), "score", forward)
        return memo[id(pred)]

    return daily_ic_of


def build_comparison(
    config: RunConfig,
    *,
    student_pred: pd.DataFrame,
    student_bt: BacktestResult,
    teacher_pred: pd.DataFrame,
    teacher_bt: BacktestResult,
    variants: Mapping[float, pd.DataFrame],
    forward: pd.DataFrame,
    backtest: Callable[[pd.DataFrame, PortfolioConfig], BacktestResult],
    baselines: Mapping[str, BaselineSeries],
    score_baselines: Mapping[str, pd.DataFrame],
    alternatives: Mapping[str, pd.DataFrame] | None = None,
    daily_ic_of: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> Comparison:
    """Backtest the variants and score baselines, and tabulate every series on one calendar.

    Parameters
    ----------
    config : RunConfig
    student_pred, teacher_pred : pandas.DataFrame
        OOS predictions (``score`` or class probabilities).
    student_bt, teacher_bt : BacktestResult
        Their backtests with the primary portfolio rule.
    variants : mapping of float to pandas.DataFrame
        Score student: OOS predictions per blend weight (empty for class students).
    forward : pandas.DataFrame
        ``symbol, timestamp, fwd_return`` (the label's forward return) for IC.
    backtest : callable
        ``backtest(predictions, portfolio_config) -> BacktestResult`` with the run's costs.
    baselines : mapping of str to BaselineSeries
        Return baselines (index, buy-and-hold, monthly costed), keyed by display name; the
        benchmark and equal-weight rows keyed ``BENCHMARK`` / ``EQUAL_WEIGHT`` of
        :mod:`sensequant.release.briefing` are shown under the run's
        :func:`~sensequant.pipeline.series_labels.series_labels`.
    score_baselines : mapping of str to pandas.DataFrame
        Score baselines (``symbol, timestamp, score``) on the model's decision dates.
    alternatives : mapping of str to pandas.DataFrame, optional
        Other model designs on the same periods (the stacked alternative), by display name:
        backtested with the primary rule like the variants; trials of this run.
    daily_ic_of : callable, optional
        ``daily_ic_of(predictions)``: their daily IC frame against ``forward``
        (:func:`sensequant.evaluation.daily_ic` of :func:`model_score`); pass a memoised one
        to share the student's and teacher-direct's with the caller.

    Returns
    -------
    Comparison
    """
    rank_rule = config.portfolio
    if rank_rule.score != "score":  # class models: baselines need the rank-only variant
        rank_rule = PortfolioConfig(
            sizing="top_k",
            top_k=config.portfolio.top_k,
            score="score",
            rebalance_every=config.portfolio.rebalance_every,
            hold_buffer=config.portfolio.hold_buffer,
            max_weight_per_symbol=config.portfolio.max_weight_per_symbol,
        )

    ic = daily_ic_of or daily_ic_memo(forward)

    entries: dict[str, tuple[object, ...]] = {
        RELEASED: (
            student_bt.returns_net,
            student_bt.exposure,
            ic(student_pred),
            student_bt.turnover,
        ),
        "teacher-direct": (
            teacher_bt.returns_net,
            teacher_bt.exposure,
            ic(teacher_pred),
            teacher_bt.turnover,
        ),
    }
    extra: dict[str, pd.Series] = {}
    for w, pred in sorted(variants.items()):
        name = DIRECT if w == 0.0 else f"student blend {w:g} (soft weight)"
        if w == 1.0:
            name = "pure distillation (blend 1)"
        bt = backtest(pred, config.portfolio)
        entries[name] = (bt.returns_net, bt.exposure, ic(pred), bt.turnover)
        extra[name] = bt.returns_net
    for name, pred in (alternatives or {}).items():
        bt = backtest(pred, config.portfolio)
        entries[name] = (bt.returns_net, bt.exposure, ic(pred), bt.turnover)
        extra[name] = bt.returns_net
    for name, scores in score_baselines.items():
        bt = backtest(scores, rank_rule)
        entries[name] = (bt.returns_net, bt.exposure, ic(scores), bt.turnover)
    names = series_labels(config)
    shown = {BENCHMARK: names.benchmark, EQUAL_WEIGHT: names.equal_weight}
    baselines = {shown.get(n, n): b for n, b in baselines.items()}
    for name, series in baselines.items():
        entries[name] = series.as_comparison()
    st = config.stats
    table = comparison_table(entries, rf=st.risk_free_rate, periods=st.periods_per_year)
    labels = {
        RELEASED: "the released model's walk-forward OOS predictions, primary portfolio rule, "
        "NSE costs",
        "teacher-direct": "each symbol's latest teacher (window ended before the test period) "
        "predicts it; primary portfolio rule, NSE costs",
        **{n: b.label for n, b in baselines.items()},
    }
    daily = config.data.interval == "1day"
    every = f"{rank_rule.rebalance_every} {'sessions' if daily else config.data.interval + ' bars'}"
    costs = "NSE costs" if daily else "NSE intraday (MIS) costs, squared off each session"
    for name in score_baselines:
        labels[name] = (
            f"untrained score ranked with the rank-only top-{rank_rule.top_k} rule every "
            f"{every}, {costs}"
        )
    for name in extra:
        labels[name] = "score student variant fitted on the same rows every period; primary "
        labels[name] += "portfolio rule, NSE costs"
    for name in alternatives or {}:
        labels[name] = (
            "direct model (hard target) with the row's latest finished teacher score as one "
            "more feature, same periods and rows; primary portfolio rule, NSE costs"
        )
    table["label"] = [labels.get(n, "") for n in table.index]
    return Comparison(table=table, verdict=verdict(table, names.equal_weight), extra_trials=extra)


def verdict(table: pd.DataFrame, equal_weight: str | None = None) -> str:
    """Plain sentences: the model against the best baseline, and distillation against direct.

    ``equal_weight`` names the costed equal-weight row the net Sharpe is compared with (None:
    the first row whose name says ``monthly``)."""
    if RELEASED not in table.index:
        return "no comparison computed in this run"

    def v(row: str, col: str) -> float:
        return float(np.asarray(table.loc[row, col], dtype=np.float64))

    rows = [str(n) for n in table.index if n != RELEASED]
    out = []
    with_ic = [n for n in rows if np.isfinite(v(n, "rank_ic"))]
    if with_ic:
        best = max(with_ic, key=lambda n: v(n, "rank_ic"))
        b = v(best, "rank_ic")
        word = "beats" if v(RELEASED, "rank_ic") > b else "does NOT beat"
        out.append(
            f"The released model's Rank IC {v(RELEASED, 'rank_ic'):.4f} {word} the best other "
            f"signal, {best} ({b:.4f})."
        )
    costed = [equal_weight] if equal_weight in rows else [n for n in rows if "monthly" in n]
    if costed:
        e = v(costed[0], "sharpe")
        word = "above" if v(RELEASED, "sharpe") > e else "BELOW"
        out.append(
            f"Its net Sharpe {v(RELEASED, 'sharpe'):.2f} is {word} the {costed[0]} "
            f"({e:.2f}), at a mean exposure of {v(RELEASED, 'mean_exposure'):.0%}."
        )
    if DIRECT in table.index and "pure distillation (blend 1)" in table.index:
        d = v(DIRECT, "rank_ic")
        p = v("pure distillation (blend 1)", "rank_ic")
        word = "lost to" if p < d else "beat"
        out.append(
            f"Distillation {word} the direct model: pure distillation Rank IC {p:.4f} vs "
            f"direct {d:.4f}."
        )
    return " ".join(out) if out else "no signal comparison possible in this run"
