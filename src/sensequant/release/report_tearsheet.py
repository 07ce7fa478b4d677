"""Standard tearsheet sections of the HTML run report: excess return over each benchmark,
worst drawdowns, yearly returns against the benchmarks and the return distribution.

The drawdown episodes and the distribution statistics come from quantstats (a well-kept
tearsheet library) applied to the run's own daily net returns (``returns/daily.parquet``);
quantstats is imported inside :func:`quantstats_module` under ``matplotlib.rc_context`` so its
plotting style never leaks into the caller's matplotlib settings. The drawdown series itself is
SenseQuant's (:func:`~sensequant.evaluation.series_metrics.underwater`, where the starting
capital counts as a peak). See :mod:`sensequant.release.report`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.evaluation import metrics
from sensequant.evaluation import series_metrics as sm
from sensequant.release import charts
from sensequant.release.briefing import BENCHMARK, EQUAL_WEIGHT, STUDENT, TEACHER
from sensequant.release.report_common import _esc, _figure, _na, _p, _Run, _table, fmt_number

WORST_DRAWDOWNS: Final = 5
HIST_BINS: Final = 41
BENCHMARKS: Final[dict[str, str]] = {"nifty50": BENCHMARK, "equal_weight": EQUAL_WEIGHT}
"""Daily-return column -> name of each benchmark the excess return is measured against."""
_YEARLY: Final[dict[str, str]] = {
    "student_net": STUDENT,
    "nifty50": BENCHMARK,
    "equal_weight": EQUAL_WEIGHT,
    "teacher_direct_net": TEACHER,
}
_SHORT: Final[dict[str, str]] = {
    STUDENT: STUDENT,
    BENCHMARK: "NIFTY 50",
    EQUAL_WEIGHT: "equal weight (monthly)",
    TEACHER: TEACHER,
}


def _short_names(run: _Run) -> dict[str, str]:
    """Series name -> column header (the run's own benchmark and equal-weight rows)."""
    names = run.labels
    short = dict(_SHORT)
    short.setdefault(names.benchmark, names.benchmark_short)
    short.setdefault(names.equal_weight, names.equal_weight_short)
    return short


def quantstats_module() -> ModuleType:
    """``quantstats``, imported without changing the caller's matplotlib ``rcParams``."""
    import matplotlib

    with matplotlib.rc_context():  # quantstats applies a seaborn style when imported
        import quantstats
    return quantstats


def _naive(s: pd.Series) -> pd.Series:
    idx = pd.DatetimeIndex(s.index)
    return s.set_axis(idx.tz_localize(None) if idx.tz is not None else idx).astype(float)


def _excess(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    student = run.series("student_net")
    wealth = sm.growth_of_one(student)
    curves, rows = {}, []
    for col in BENCHMARKS:
        name, bench = run.daily_names()[col], run.series(col)
        rel = wealth / sm.growth_of_one(bench) - 1.0
        curves[name] = rel
        diff = metrics.cagr(student, periods=run.periods) - metrics.cagr(bench, periods=run.periods)
        active = student - bench
        te = float(active.std(ddof=1) * math.sqrt(run.periods))
        ir = metrics.information_ratio(student, bench, periods=run.periods)
        rows.append(
            [
                _esc(name),
                fmt_number(float(rel.iloc[-1]), "pct"),
                fmt_number(diff, "pct") if math.isfinite(diff) else _na("undefined"),
                fmt_number(float(rel.min()), "pct"),
                fmt_number(te, "pct") if math.isfinite(te) else _na("undefined"),
                fmt_number(ir, "ratio") if math.isfinite(ir) else _na("zero tracking error"),
            ]
        )
    chart = charts.line_chart(
        curves, "chart-excess", yaxis="student wealth / benchmark wealth - 1", percent=True,
        hline=0.0,
    )  # fmt: skip
    caption = (
        "Relative wealth: growth of 1 in the student over growth of 1 in the benchmark, minus "
        "1. Rising = the student is pulling ahead; same OOS sessions, all net of costs."
    )
    headers = ["benchmark", "excess at OOS end", "CAGR difference", "worst excess",
               "tracking error", "information ratio"]  # fmt: skip
    return _figure(chart, caption) + _table(headers, rows, align="lrrrrr")


def _drawdowns(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    student = _naive(run.series("student_net"))
    dd = sm.underwater(student)
    if not (dd < 0).any():
        why = "the strategy never traded" if run.zero_trades else "never below its peak"
        return _p(_na(f"no drawdown: {why}"))
    qs = quantstats_module()
    details = qs.stats.drawdown_details(dd).sort_values("max drawdown").head(WORST_DRAWDOWNS)
    nifty = _naive(run.series("nifty50"))
    last = dd.index[-1]
    rows = []
    for i, (_, d) in enumerate(details.iterrows(), start=1):
        start, valley = pd.Timestamp(d["start"]), pd.Timestamp(d["valley"])
        end = pd.Timestamp(d["end"])
        ongoing = end >= last and dd.iloc[-1] < 0
        window = nifty[(nifty.index >= start) & (nifty.index <= valley)]
        sessions = int(((dd.index >= start) & (dd.index <= end)).sum())
        rows.append(
            [
                str(i),
                fmt_number(float(d["max drawdown"]) / 100.0, "pct"),
                start.date().isoformat(),
                valley.date().isoformat(),
                "not recovered" if ongoing else end.date().isoformat(),
                str(sessions),
                fmt_number(float(np.prod(1.0 + window.to_numpy())) - 1.0, "pct"),
            ]
        )
    short = run.labels.benchmark_short
    headers = ["#", "depth", "first session below peak", "trough", "recovered", "sessions",
               f"{short} start-trough"]  # fmt: skip
    return _table(headers, rows, align="rrllllr") + _p(
        "Episodes below the running peak (starting capital counts as a peak), deepest first; "
        "episodes from quantstats.stats.drawdown_details on SenseQuant's drawdown series. The "
        f"last column is {_esc(run.labels.benchmark)}'s return over the same start-to-trough "
        "sessions.",
        "note",
    )


def _yearly(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    names = run.daily_names()
    bench, equal = names["nifty50"], names["equal_weight"]
    short = _short_names(run)
    table = {names[c]: sm.monthly_returns(run.series(c))["year"] for c in _YEARLY}
    years = list(table[STUDENT].index)
    idx = pd.DatetimeIndex(run.daily.index)
    sessions = pd.Series(1, index=idx).groupby(idx.year).sum()
    rows = []
    for y in years:
        s, n = float(table[STUDENT][y]), float(table[bench][y])
        rows.append(
            [f"<b>{y}</b>", str(int(sessions.get(y, 0)))]
            + [fmt_number(float(table[name][y]), "pct") for name in table]
            + [fmt_number(s - n, "pct")]
        )
    headers = ["year", "sessions", *(short[n] for n in table), f"student - {short[bench]}"]
    chart = charts.bar_chart(
        [str(y) for y in years],
        {name: table[name].to_numpy() for name in (STUDENT, bench, equal)},
        "chart-yearly",
        yaxis="calendar-year return",
        percent=True,
        height=340,
    )
    beat = sum(float(table[STUDENT][y]) > float(table[bench][y]) for y in years)
    return (
        _p(f"The student beat {_esc(short[bench])} in {beat} of {len(years)} calendar years.")
        + _table(headers, rows, align="lr" + "r" * (len(table) + 1))
        + _figure(
            chart,
            "Compounded daily net returns per calendar year (IST); the first and "
            "last years are partial (see sessions).",
        )
    )


_Stat = Callable[[Any, pd.Series, int], float]
"""A distribution statistic: (quantstats module, returns, periods per year) -> value."""

_DIST_STATS: Final[tuple[tuple[str, str, _Stat], ...]] = (
    ("best session", "pct2", lambda qs, r, p: qs.stats.best(r)),
    ("worst session", "pct2", lambda qs, r, p: qs.stats.worst(r)),
    ("best month", "pct", lambda qs, r, p: qs.stats.best(r, aggregate="month")),
    ("worst month", "pct", lambda qs, r, p: qs.stats.worst(r, aggregate="month")),
    ("skew", "ratio", lambda qs, r, p: qs.stats.skew(r)),
    ("excess kurtosis", "ratio", lambda qs, r, p: qs.stats.kurtosis(r)),
    ("daily VaR 95 % (normal)", "pct2", lambda qs, r, p: qs.stats.value_at_risk(r)),
    ("daily CVaR 95 % (historical)", "pct2",
     lambda qs, r, p: qs.stats.conditional_value_at_risk(r, method="historical")),
    ("winning sessions (of non-zero ones)", "pct", lambda qs, r, p: metrics.hit_rate(r)),
    ("average win / average loss", "ratio", lambda qs, r, p: qs.stats.payoff_ratio(r)),
    ("profit factor", "ratio", lambda qs, r, p: metrics.profit_factor(r)),
    ("tail ratio (95th / 5th percentile)", "ratio", lambda qs, r, p: qs.stats.tail_ratio(r)),
    # the report's own CAGR and drawdown (quantstats' differ: its start is no peak)
    ("Calmar (CAGR / max drawdown)", "ratio", lambda qs, r, p: metrics.calmar(r, periods=p)),
    ("ulcer index", "prob", lambda qs, r, p: qs.stats.ulcer_index(r)),
    ("longest winning streak (sessions)", "int", lambda qs, r, p: qs.stats.consecutive_wins(r)),
    ("longest losing streak (sessions)", "int", lambda qs, r, p: qs.stats.consecutive_losses(r)),
)  # fmt: skip


def _stat(
    qs: ModuleType,
    fn: Callable[[Any, pd.Series, int], float],
    r: pd.Series,
    kind: str,
    periods: int,
) -> str:
    if not (r != 0).any():
        return _na("the strategy never traded")
    try:
        with warnings.catch_warnings():  # quantstats/scipy warn on degenerate series
            warnings.simplefilter("ignore")
            value = float(fn(qs, r, periods))
    except (ValueError, ZeroDivisionError, TypeError) as exc:
        return _na(f"quantstats: {type(exc).__name__}")
    return fmt_number(value, kind) if math.isfinite(value) else _na("undefined for this series")


def _distribution(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    names = run.daily_names()
    equal = names["equal_weight"]
    cols = ("student_net", "nifty50", "equal_weight")
    series = {names[c]: _naive(run.series(c)) for c in cols}
    pooled = np.concatenate([s.to_numpy() for s in series.values()])
    lo, hi = np.nanpercentile(pooled, [0.5, 99.5])
    edges = np.linspace(lo, hi, HIST_BINS + 1)
    counts = {
        name: np.histogram(np.clip(s.to_numpy(), lo, hi), bins=edges)[0] / max(len(s), 1)
        for name, s in series.items()
        if name != equal
    }
    chart = charts.histogram_chart(edges, counts, "chart-distribution", xaxis="daily net return")
    flat = float((series[STUDENT] == 0).mean())
    qs = quantstats_module()
    rows = [
        [_esc(label), *(_stat(qs, fn, s, kind, run.periods) for s in series.values())]
        for label, kind, fn in _DIST_STATS
    ]
    caption = (
        "Share of sessions per daily-return bin (returns beyond the pooled 0.5th and 99.5th "
        f"percentiles are put in the end bins). The student's return is exactly 0 on "
        f"{fmt_number(flat, 'pct')} of sessions (all in cash)."
    )
    return (
        _figure(chart, caption)
        + _table(
            ["statistic (quantstats)", *(_short_names(run)[n] for n in series)], rows, align="lrrr"
        )
        + _p(
            f"Computed by quantstats {getattr(qs, '__version__', '')} from the daily net "
            "returns (returns/daily.parquet); VaR assumes normal returns, CVaR averages the "
            "worst 5 % of sessions.",
            "note",
        )
    )
