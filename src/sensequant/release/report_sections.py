"""Chart and performance section builders of the HTML run report (summary to
student-vs-teacher); see :mod:`sensequant.release.report`."""

from __future__ import annotations

from typing import Final

import numpy as np

from sensequant.evaluation import series_metrics as sm
from sensequant.release import figures as fg
from sensequant.release.briefing import (
    BENCHMARK,
    DEFAULT_BENCHMARK_NOTE,
    DEFAULT_SURVIVORSHIP_NOTE,
    EQUAL_WEIGHT,
    STUDENT,
    TEACHER,
)
from sensequant.release.briefing_md import PERFORMANCE_COLUMNS, SIGNAL_COLUMNS
from sensequant.release.report_common import (
    NEVER_TRADED,
    _badge,
    _esc,
    _figure,
    _finite,
    _frame,
    _gate_badge,
    _na,
    _p,
    _Run,
    _table,
    fmt_number,
)

ROLLING_WINDOW: Final = 252
IC_WINDOW: Final = 63
TOP_FEATURES: Final = 20
DAILY_SERIES: Final[dict[str, str]] = {  # a daily NIFTY 50 run; others: _Run.daily_names
    "student_net": STUDENT,
    "teacher_direct_net": TEACHER,
    "nifty50": BENCHMARK,
    "equal_weight": EQUAL_WEIGHT,
}
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


# --------------------------------------------------------------------------- sections

_HEADLINE: Final[tuple[tuple[str, str, str], ...]] = (
    ("cagr", "CAGR", "pct"),
    ("sharpe", "Sharpe", "ratio"),
    ("exposure", "Mean exposure", "pct"),
    ("time_in_market", "Time in market", "pct"),
    ("sortino", "Sortino", "ratio"),
    ("max_drawdown", "Max drawdown", "pct"),
    ("volatility", "Volatility", "pct"),
    ("total_return", "Total return", "pct"),
    ("hit_rate", "Hit rate", "pct"),
)


def _summary(run: _Run) -> str:
    b = run.b
    decision = str(b.get("decision", "unknown"))
    out = [
        _p(
            f"Decision {_badge(decision == 'ready-for-review', decision)} "
            f"{_esc(b.get('decision_reason', ''))}",
            "decision",
        )
    ]
    if run.zero_trades:
        out.append(
            _p(
                "The strategy never traded: the student portfolio made no trade out of sample, "
                "so its risk-adjusted metrics are undefined and shown as n/a.",
                "alert",
            )
        )
    n_days = f"; {len(run.daily)} sessions" if run.daily is not None else ""
    oos = run.fill(b.get("oos"), "oos", "{start:text} to {end:text}")
    out.append(
        _p(f"Out of sample {oos}{n_days}; net of costs; same dates in every column.", "meta")
    )
    labels = run.labels
    names = (STUDENT, labels.benchmark, labels.equal_weight)
    rows = [
        [_esc(label)] + [run.v(run.perf(n), key, kind, f"performance.{n}") for n in names]
        for key, label, kind in _HEADLINE
    ]
    out.append(_table(["", "student (net)", *names[1:]], rows, align="lrrr"))
    h = b.get("headline")
    out.append(
        _p(
            run.fill(
                h,
                "headline",
                "Student mean IC {mean_ic:ic}; deflated Sharpe ratio {dsr:prob} over "
                "{n_trials:int} trials;",
            )
            + run.fill(b, "psr", " PSR {psr:prob}.")
        )
    )
    notes = b.get("notes") or {}
    out.append(_p(_esc(notes.get("benchmark") or DEFAULT_BENCHMARK_NOTE), "note"))
    out.append(_p(_esc(notes.get("survivorship") or DEFAULT_SURVIVORSHIP_NOTE), "note"))
    return "".join(out)


def _gates(run: _Run) -> str:
    gates = run.b.get("gates")
    if not isinstance(gates, list) or not gates:
        return run.absent("gates")
    rows = [
        [
            f"<code>{_esc(g.get('name'))}</code>",
            _gate_badge(g),
            run.v(g, "value", "num", f"gates.{g.get('name')}"),
            run.fill(g, "gates", f"{_esc(g.get('comparison', ''))} {{threshold:num}}"),
            _esc(g.get("explanation", "")),
        ]
        for g in gates
    ]
    headers = ["gate", "result", "value", "must be", "explanation"]
    return _p(_esc(run.b.get("decision_reason", ""))) + _table(headers, rows, align="llrrl")


def _equity(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    curves = {name: sm.growth_of_one(run.series(c)) for c, name in run.daily_names().items()}
    img = fg.lines_figure(
        [
            fg.LinePanel(curves, "growth of 1", "linear scale"),
            fg.LinePanel(curves, "growth of 1 (log)", "log scale", log=True),
        ],
        "Growth of 1 of the student, teacher-direct, the benchmark and the equal weight",
    )
    rows = [
        [
            _esc(name),
            fmt_number(float(w.iloc[-1]), "growth"),
            fmt_number(float(w.iloc[-1]) - 1.0, "pct"),
            run.v(run.perf(name), "cagr", "pct", f"performance.{name}"),
        ]
        for name, w in curves.items()
    ]
    headers = ["series", "final growth of 1", "total return", "CAGR (briefing)"]
    caption = "Compounded daily net returns (returns/daily.parquet), same sessions for all."
    return _figure(img, caption) + _table(headers, rows, align="lrrr")


def _underwater(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    dd = {STUDENT: sm.underwater(run.series("student_net"))}
    dd[run.labels.benchmark] = sm.underwater(run.series("nifty50"))
    img = fg.lines_figure(
        [fg.LinePanel(dd, "drawdown", percent=True, hline=0.0, fill_first=True)],
        f"Drawdown of the student and of {run.labels.benchmark_short}",
    )
    rows = []
    for name, s in dd.items():
        below = np.concatenate([[False], (s < 0).to_numpy(), [False]]).astype(int)
        edges = np.flatnonzero(np.diff(below))  # starts and ends of runs under water
        longest = int((edges[1::2] - edges[::2]).max()) if edges.size else 0
        where = f"performance.{name}"
        perf = run.perf(name)
        rows.append(
            [
                _esc(name),
                run.v(perf, "max_drawdown", "pct", where),
                run.fill(perf, where, "{max_dd_peak:text} to {max_dd_trough:text}"),
                fmt_number(float(s.iloc[-1]), "pct"),
                str(longest),
            ]
        )
    headers = ["series", "max drawdown", "peak to trough", "at OOS end", "longest under water"]
    caption = "Drawdown = P_t / running peak - 1 (the starting capital counts as a peak)."
    return (
        _figure(img, caption)
        + _table(headers, rows, align="lrrrr")
        + _p("Longest under water: consecutive sessions below the running peak.", "note")
    )


def _monthly(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    table = sm.monthly_returns(run.series("student_net"))
    values = table.to_numpy(dtype=float)
    months = np.abs(values[:, :12])
    finite = months[np.isfinite(months)]
    scale = max(0.02, float(np.percentile(finite, 95))) if finite.size else 0.05
    colors = fg.heat_colors(values, scale)
    width = values.shape[1]
    rows: list[list[str | tuple[str, str]]] = []
    for i, year in enumerate(table.index):
        cells: list[str | tuple[str, str]] = [f"<b>{year}</b>"]
        for j, v in enumerate(values[i]):
            color = colors[i * width + j]
            cells.append((fmt_number(v, "pct"), f"background:{color}") if color else "")
        rows.append(cells)
    return _table(["year", *_MONTHS, "year"], rows, align="l" + "r" * 13, cls="heat") + _p(
        "Compounded daily net returns of the student within each calendar month (IST) and "
        f"year; colour saturates at ±{scale * 100:.1f} % (green gain, red loss); blank = no "
        "sessions.",
        "note",
    )


def _rolling(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    n, w = len(run.daily), ROLLING_WINDOW
    if n < w:
        return _na(f"only {n} OOS sessions, fewer than the {w}-session window")
    nifty = run.series("nifty50")
    sharpe, beta = {}, {}
    for col, name in run.daily_names().items():
        if col != "teacher_direct_net":  # three lines stay readable; teacher is in its table
            sharpe[name] = sm.rolling_sharpe(run.series(col), w, rf=run.rf, periods=run.periods)
        if col in ("student_net", "teacher_direct_net"):
            beta[name] = sm.rolling_beta(run.series(col), nifty, w, rf=run.rf, periods=run.periods)
    img = fg.lines_figure(
        [
            fg.LinePanel(sharpe, "Sharpe (annualised)", f"rolling {w}-session Sharpe", hline=0.0),
            fg.LinePanel(
                beta,
                f"beta vs {run.labels.benchmark_short}",
                f"rolling {w}-session beta",
                hline=1.0,
            ),
        ],
        f"Rolling {w}-session Sharpe ratio and beta",
    )
    rows = []
    for label, group in (("Sharpe", sharpe), ("beta", beta)):
        for name, s in group.items():
            c = s.dropna()
            stats = (c.min(), c.median(), c.max(), s.iloc[-1])
            why = NEVER_TRADED if run.zero_trades else "zero variance in every window"
            cells = [fmt_number(x, "ratio") if _finite(x) else _na(why) for x in stats]
            rows.append([_esc(f"{label}: {name}"), *cells])
    caption = (
        f"Sharpe = mean / std (ddof 1) x sqrt({run.periods}) of the returns minus the risk-free "
        f"rate ({run.rf * 100:.2f} %/yr) over the trailing {w} sessions; beta = OLS slope on "
        f"{run.labels.benchmark} returns."
    )
    table = _table(["rolling", "min", "median", "max", "at OOS end"], rows, align="lrrrr")
    return _figure(img, caption) + table


def _ic(run: _Run) -> str:
    out = []
    path = run.run_dir / "returns" / "ic_daily.parquet"
    if path.is_file():
        frame = _frame(path)
        labels = {
            "student_ic": "student",
            "student_rank_ic": "student (Rank IC)",
            "teacher-direct_ic": TEACHER,
        }
        series = {
            label: frame[col].astype(float).rolling(IC_WINDOW, min_periods=IC_WINDOW // 3).mean()
            for col, label in labels.items()
            if col in frame
        }
        img = fg.lines_figure(
            [fg.LinePanel(series, "IC", f"rolling {IC_WINDOW}-session mean", hline=0.0)],
            "Rolling mean of the daily information coefficient",
        )
        caption = (
            "Daily cross-sectional IC (Pearson) and Rank IC (Spearman) of the score "
            "p_up - p_down with the realised forward return (returns/ic_daily.parquet)."
        )
        out.append(_figure(img, caption))
    else:
        out.append(_p(_na("returns/ic_daily.parquet not in the run directory")))
    sig = (run.b.get("signal") or {}).get(STUDENT)
    out.append(
        _p(
            run.fill(
                sig,
                "signal.student",
                "Student mean IC over the OOS range {mean_ic:ic}, Rank IC {mean_rank_ic:ic}, ICIR "
                "{icir:ratio}.",
            )
        )
    )
    cols = (
        ("mean_ic", "mean IC", "ic"),
        ("mean_rank_ic", "mean Rank IC", "ic"),
        ("n_days", "days", "int"),
    )
    return (
        "".join(out)
        + "<h3>IC by year</h3>"
        + run.records(run.b.get("ic_by_year"), cols, "ic_by_year", "year")
    )


def _deciles(run: _Run) -> str:
    deciles = run.b.get("deciles")
    if not isinstance(deciles, list) or not deciles:
        return run.absent("deciles")
    vals = [d.get("mean_fwd_return") for d in deciles]
    img = fg.bar_figure(
        [str(d.get("decile")) for d in deciles],
        [float(v) if _finite(v) else float("nan") for v in vals],
        "Mean forward return by prediction decile",
        xlabel="prediction decile (1 = lowest score)",
        ylabel="mean forward return",
        percent=True,
    )
    caption = (
        "OOS predictions sorted into deciles by score each session; mean realised forward return."
    )
    table = run.records(
        deciles, (("mean_fwd_return", "mean forward return", "pct2"),), "deciles", "decile"
    )
    spread = run.v(run.b, "decile_spread", "pct2", "deciles")
    return _figure(img, caption) + table + _p(f"Top minus bottom decile spread: {spread}.")


def _importance(run: _Run) -> str:
    path = run.run_dir / "models" / "student.txt"
    if path.is_file():
        import lightgbm

        booster = lightgbm.Booster(model_file=str(path))
        pairs = list(zip(booster.feature_name(), booster.feature_importance("gain"), strict=True))
        source = "models/student.txt, LightGBM gain summed over all trees and classes"
    elif isinstance(run.b.get("feature_importance"), list):
        pairs = [(f.get("feature"), f.get("gain")) for f in run.b["feature_importance"]]
        source = "promotion_briefing.json (models/student.txt absent)"
    else:
        return _na("models/student.txt not in the run directory")
    gains = [(str(n), float(g)) for n, g in pairs if _finite(g)]
    total = sum(g for _, g in gains)
    top = sorted(gains, key=lambda p: -p[1])[:TOP_FEATURES]
    if total <= 0:
        return _na("the release student has no split (zero total gain)")
    img = fg.bar_figure(
        [n for n, _ in top],
        [g for _, g in top],
        f"Top {len(top)} features by gain",
        xlabel="gain",
        horizontal=True,
    )
    rows = [
        [str(i + 1), _esc(n), fmt_number(g, "gain"), fmt_number(g / total, "pct")]
        for i, (n, g) in enumerate(top)
    ]
    table = _table(["rank", "feature", "gain", "share of total gain"], rows, align="rlrr")
    return _figure(img, f"Source: {_esc(source)}; {len(gains)} features in the model.") + table


def _teacher_student(run: _Run) -> str:
    b = run.b
    signal = b.get("signal")
    signal_rows = (
        [{"name": k} | v for k, v in signal.items()] if isinstance(signal, dict) else signal
    )
    comp_cols = (
        ("metric", "metric", "text"),
        ("estimate", "estimate", "ratio"),
        ("lower", "CI lower", "ratio"),
        ("upper", "CI upper", "ratio"),
        ("confidence", "confidence", "pct"),
        ("reps", "reps", "int"),
        ("block_length", "block", "ratio"),
        ("seed", "seed", "int"),
    )
    return (
        "<h3>Performance (OOS, same dates, net of costs)</h3>"
        + run.records(b.get("performance"), PERFORMANCE_COLUMNS, "performance")
        + "<h3>Signal quality (daily cross-sectional IC)</h3>"
        + (
            run.records(signal_rows, SIGNAL_COLUMNS, "signal")
            if signal_rows
            else run.absent("signal")
        )
        + "<h3>Paired comparisons (difference in annualised Sharpe, stationary-bootstrap CI)</h3>"
        + run.records(b.get("comparisons"), comp_cols, "comparisons")
    )
