"""Self-contained HTML report of one run (``<run_dir>/report.html``), readable offline.

:func:`write_report` reads ONLY the run directory's artifacts: ``promotion_briefing.json`` is
the source of every summary number (formatted as in the Markdown briefing: ``12.3 %``, Sharpe
with 2 decimals); plotted series come from ``returns/daily.parquet``, ``returns/ic_daily.
parquet`` and ``returns/trials.parquet`` through the :mod:`sensequant.evaluation.metrics`
definitions (see :mod:`sensequant.release.figures`); feature importance from
``models/student.txt``. Images are base64 PNG data URIs, so the file needs nothing else: no
script, font, stylesheet or network access.

A value the run did not produce shows ``n/a (not computed in this run)``; a null value shows
``n/a (reason)`` with the reason from the briefing's ``na_reasons`` (or "the strategy never
traded" when the student portfolio made no trade). No number is made up. A section that cannot
be drawn (a malformed artifact) says why, and the rest of the report is still written.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import yaml

from sensequant.errors import PipelineError
from sensequant.evaluation.metrics import PERIODS_PER_YEAR
from sensequant.release import figures as fg
from sensequant.release.briefing import (
    BENCHMARK,
    DEFAULT_BENCHMARK_NOTE,
    DEFAULT_SURVIVORSHIP_NOTE,
    EQUAL_WEIGHT,
    JSON_NAME,
    MD_NAME,
    STUDENT,
    TEACHER,
)
from sensequant.release.briefing_md import PERFORMANCE_COLUMNS, SIGNAL_COLUMNS
from sensequant.release.manifest import write_text_atomic

logger = logging.getLogger(__name__)

REPORT_NAME: Final = "report.html"
NOT_COMPUTED: Final = "not computed in this run"
NEVER_TRADED: Final = "the strategy never traded"
ROLLING_WINDOW: Final = 252
IC_WINDOW: Final = 63
TOP_FEATURES: Final = 20
DAILY_SERIES: Final[dict[str, str]] = {
    "student_net": STUDENT,
    "teacher_direct_net": TEACHER,
    "nifty50": BENCHMARK,
    "equal_weight": EQUAL_WEIGHT,
}
SECTIONS: Final[tuple[tuple[str, str], ...]] = (
    ("summary", "Summary"),
    ("gates", "Decision and gates"),
    ("equity", "Equity curves (growth of 1)"),
    ("underwater", "Drawdown (underwater)"),
    ("monthly", "Monthly returns of the student (net)"),
    ("rolling", "Rolling Sharpe and beta"),
    ("ic", "Signal quality over time (daily IC)"),
    ("deciles", "Forward return by prediction decile"),
    ("importance", "Feature importance of the release student"),
    ("teacher-student", "Student vs teacher-direct vs baselines"),
    ("trials", "Every configuration tried (data snooping)"),
    ("stress", "Stress periods"),
    ("statistics", "Statistics"),
    ("data-notes", "Data notes"),
)
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
_CSS: Final = """
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--bg:#fff;--soft:#f4f6f9}
*{box-sizing:border-box}
body{margin:0;background:var(--soft);color:var(--fg);line-height:1.45;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 20px 48px;background:var(--bg)}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.25rem;margin:0 0 12px;
border-bottom:2px solid var(--line);padding-bottom:4px}h3{font-size:1.02rem;margin:18px 0 6px}
section{margin:28px 0}p.meta,figcaption,.note{color:var(--muted);font-size:.9rem}
nav{font-size:.88rem;margin:10px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px}
a{color:#1f5fa8}figure{margin:10px 0}img,svg{width:100%;height:auto;display:block}
table{border-collapse:collapse;margin:8px 0 12px;font-size:.88rem;width:auto;max-width:100%}
.scroll{overflow-x:auto}th,td{border-bottom:1px solid var(--line);padding:4px 8px;
text-align:left;vertical-align:top}th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.heat td.num{padding:3px 6px;font-size:.8rem}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;
font-size:.82rem;color:#fff}.pass{background:#2e8b3a}.fail{background:#c0392b}
.na{color:var(--muted);font-style:italic;white-space:normal;font-size:.85em}
td:first-child{min-width:9em}.nw{white-space:nowrap}.decision{font-size:1.05rem}
.alert{border-left:5px solid #c0392b;background:#fdecea;padding:10px 14px;font-weight:600}
code{font-size:.85rem;background:var(--soft);padding:0 3px}
"""


# --------------------------------------------------------------------------- formatting


def fmt_number(value: float, kind: str) -> str:
    """Format a finite number as the briefing does.

    Parameters
    ----------
    value : float
    kind : str
        ``pct`` (``12.3 %``), ``pct2`` (``0.12 %``), ``ratio`` (2 decimals), ``prob``
        (3 decimals), ``ic`` (4 decimals), ``int``, ``multiple`` (``3.1x``), ``sci`` (3
        significant digits), ``num`` (integer if whole, else 3 significant digits), ``growth``
        (3 decimals), ``gain`` (thousands separator), ``score`` (1 decimal).

    Returns
    -------
    str
    """
    formats: dict[str, Callable[[float], str]] = {
        "pct": lambda x: f"{x * 100:.1f} %",
        "pct2": lambda x: f"{x * 100:.2f} %",
        "ratio": lambda x: f"{x:.2f}",
        "prob": lambda x: f"{x:.3f}",
        "ic": lambda x: f"{x:.4f}",
        "int": lambda x: f"{round(x):d}",
        "multiple": lambda x: f"{x:.1f}x",
        "sci": lambda x: f"{x:.3g}",
        "num": lambda x: f"{x:.0f}" if x == round(x) and abs(x) >= 1 else f"{x:.3g}",
        "growth": lambda x: f"{x:.3f}",
        "gain": lambda x: f"{x:,.1f}",
        "score": lambda x: f"{x:.1f}",
    }
    return formats[kind](float(value))


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _na(reason: str) -> str:
    return f'<span class="na">n/a ({_esc(reason)})</span>'


def _p(text: str, cls: str = "") -> str:
    return f'<p class="{cls}">{text}</p>' if cls else f"<p>{text}</p>"


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str | tuple[str, str]]],
    *,
    align: str = "",
    cls: str = "",
) -> str:
    """HTML table. Cells are HTML, or ``(html, css)`` for a styled cell; ``align[i] == "r"``
    right-aligns column ``i`` (numbers)."""

    def td(i: int, cell: str | tuple[str, str], tag: str = "td") -> str:
        text, css = (cell, "") if isinstance(cell, str) else cell
        klass = ' class="num"' if i < len(align) and align[i] == "r" else ""
        style = f' style="{css}"' if css else ""
        return f"<{tag}{klass}{style}>{text}</{tag}>"

    head = "".join(td(i, _esc(h), "th") for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(td(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<div class="scroll"><table{klass}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _figure(img: str, caption: str) -> str:
    return f"<figure>{img}<figcaption>{caption}</figcaption></figure>"


def _badge(passed: bool, text: str | None = None) -> str:
    label = text or ("PASS" if passed else "FAIL")
    return f'<span class="badge {"pass" if passed else "fail"}">{_esc(label)}</span>'


# --------------------------------------------------------------------------- run context

_DEFAULT_REASONS: Final[dict[str, str]] = {
    f"performance.{BENCHMARK}.turnover": "not measured for benchmarks",
    f"performance.{EQUAL_WEIGHT}.turnover": "not measured for benchmarks",
}
"""Reasons for nulls the pipeline leaves by design, used when ``na_reasons`` has none."""
_FIELD: Final = re.compile(r"\{(\w+):(\w+)\}")
Cols = Sequence[tuple[str, str, str]]
"""Table columns: (field, header, format kind of :func:`fmt_number` or ``"text"``)."""


@dataclass
class _Run:
    """What the report reads from one run directory."""

    run_dir: Path
    b: dict[str, Any]
    daily: pd.DataFrame | None
    daily_reason: str
    periods: int
    rf: float
    zero_trades: bool

    def explicit_reason(self, key: str) -> str | None:
        """The most specific ``na_reasons`` entry for dotted ``key``, or None."""
        reasons = self.b.get("na_reasons")
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            found = reasons.get(".".join(parts[:n])) if isinstance(reasons, dict) else None
            if found:
                return str(found)
        return None

    def reason(self, key: str) -> str:
        """Why the null value at dotted ``key`` is missing."""
        found = self.explicit_reason(key) or _DEFAULT_REASONS.get(key)
        if found:
            return found
        baseline = not key.endswith((f".{STUDENT}.precision", f".{STUDENT}.recall"))
        if key.startswith("stress.") and key.endswith((".precision", ".recall")) and baseline:
            return "a baseline makes no predictions"
        return NEVER_TRADED if self.zero_trades else "not computable in this run"

    def absent(self, key: str) -> str:
        """n/a for briefing key ``key`` that is missing (never computed) or null/empty."""
        return _na(NOT_COMPUTED if key not in self.b else self.reason(key))

    def v(self, mapping: Any, key: str, kind: str, where: str) -> str:
        """``mapping[key]`` formatted; n/a (reason of ``where.key``) when absent or null."""
        if not isinstance(mapping, dict) or key not in mapping:
            return _na(NOT_COMPUTED)
        value = mapping[key]
        if kind == "text":
            if value in (None, ""):
                return _na(self.reason(f"{where}.{key}"))
            short = len(str(value)) <= 12  # dates, ids: never break at a hyphen
            return f'<span class="nw">{_esc(value)}</span>' if short else _esc(value)
        return fmt_number(value, kind) if _finite(value) else _na(self.reason(f"{where}.{key}"))

    def fill(self, mapping: Any, where: str, template: str) -> str:
        """``template`` with each ``{key:kind}`` replaced by ``v(mapping, key, kind, where)``."""
        return _FIELD.sub(lambda m: self.v(mapping, m[1], m[2], where), template)

    def records(self, records: Any, cols: Cols, where: str, label: str = "name") -> str:
        """Table of a list of dicts: a ``label`` column then ``cols``; n/a when empty.

        ``label`` other than ``"name"`` is also the first column's header."""
        if not isinstance(records, list) or not records:
            return self.absent(where)
        rows = [
            [_esc(r.get(label))]
            + [self.v(r, k, kind, f"{where}.{r.get(label)}") for k, _, kind in cols]
            for r in records
            if isinstance(r, dict)
        ]
        first = "" if label == "name" else label
        align = "l" + "".join("l" if kind == "text" else "r" for _, _, kind in cols)
        return _table([first, *(h for _, h, _ in cols)], rows, align=align)

    def perf(self, name: str) -> dict[str, Any] | None:
        rows = self.b.get("performance") or []
        return next((r for r in rows if isinstance(r, dict) and r.get("name") == name), None)

    def series(self, column: str) -> pd.Series:
        if self.daily is None:
            raise KeyError(column)
        return self.daily[column].astype(float)


def _frame(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    return frame.set_index(pd.DatetimeIndex(frame.pop("timestamp"))).sort_index()


def _load_run(run_dir: Path) -> _Run:
    path = run_dir / JSON_NAME
    try:
        briefing = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PipelineError(
            f"{path} not found: the report is built from the briefing",
            hint="write the promotion briefing (write_briefing) before write_report",
        ) from None
    except (OSError, ValueError) as exc:
        raise PipelineError(f"cannot read {path}: {exc}", hint="re-run the release phase") from exc
    periods, rf = PERIODS_PER_YEAR, 0.0
    try:
        stats = (yaml.safe_load((run_dir / "config.yaml").read_text()) or {}).get("stats") or {}
        periods, rf = (
            int(stats.get("periods_per_year", periods)),
            float(stats.get("risk_free_rate", rf)),
        )
    except (OSError, yaml.YAMLError, AttributeError, TypeError, ValueError):
        logger.warning("no readable config.yaml in %s: rolling metrics use 252/yr, rf 0", run_dir)
    daily_path = run_dir / "returns" / "daily.parquet"
    daily = _frame(daily_path) if daily_path.is_file() else None
    turnover = daily.get("student_turnover") if daily is not None else None
    never_traded = turnover is not None and bool((turnover.fillna(0.0) == 0.0).all())
    return _Run(
        run_dir,
        briefing,
        daily,
        "" if daily is not None else "returns/daily.parquet not in the run directory",
        periods,
        rf,
        briefing.get("zero_trades") is True or never_traded,
    )


# --------------------------------------------------------------------------- sections

_HEADLINE: Final[tuple[tuple[str, str, str], ...]] = (
    ("cagr", "CAGR", "pct"),
    ("sharpe", "Sharpe", "ratio"),
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
    names = (STUDENT, BENCHMARK, EQUAL_WEIGHT)
    rows = [
        [_esc(label)] + [run.v(run.perf(n), key, kind, f"performance.{n}") for n in names]
        for key, label, kind in _HEADLINE
    ]
    out.append(_table(["", "student (net)", BENCHMARK, EQUAL_WEIGHT], rows, align="lrrr"))
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
            _badge(bool(g.get("passed"))),
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
    curves = {name: fg.growth_of_one(run.series(c)) for c, name in DAILY_SERIES.items()}
    img = fg.lines_figure(
        [
            fg.LinePanel(curves, "growth of 1", "linear scale"),
            fg.LinePanel(curves, "growth of 1 (log)", "log scale", log=True),
        ],
        "Growth of 1 of the student, teacher-direct, NIFTY 50 and the equal-weight universe",
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
    dd = {STUDENT: fg.underwater(run.series("student_net"))}
    dd[BENCHMARK] = fg.underwater(run.series("nifty50"))
    img = fg.lines_figure(
        [fg.LinePanel(dd, "drawdown", percent=True, hline=0.0, fill_first=True)],
        "Drawdown of the student and of NIFTY 50",
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
    table = fg.monthly_returns(run.series("student_net"))
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
    for col, name in DAILY_SERIES.items():
        if col != "teacher_direct_net":  # three lines stay readable; teacher is in its table
            sharpe[name] = fg.rolling_sharpe(run.series(col), w, rf=run.rf, periods=run.periods)
        if col in ("student_net", "teacher_direct_net"):
            beta[name] = fg.rolling_beta(run.series(col), nifty, w, rf=run.rf, periods=run.periods)
    img = fg.lines_figure(
        [
            fg.LinePanel(sharpe, "Sharpe (annualised)", f"rolling {w}-session Sharpe", hline=0.0),
            fg.LinePanel(beta, "beta vs NIFTY 50", f"rolling {w}-session beta", hline=1.0),
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
        "NIFTY 50 price-index returns."
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


def _trials(run: _Run) -> str:
    b = run.b
    snoop = b.get("snooping") if isinstance(b.get("snooping"), dict) else None
    stepm = (snoop or {}).get("stepm")
    superior = set(stepm.get("superior") or []) if isinstance(stepm, dict) else None
    trials = b.get("trials")
    if isinstance(trials, list) and superior is not None:
        trials = [t | {"stepm": "yes" if t.get("name") in superior else "no"} for t in trials]
    cols: Cols = (("sharpe", "Sharpe", "ratio"), ("sr_per_period", "SR per session", "ic"))
    if superior is not None:
        cols = (*cols, ("stepm", "StepM: beats the benchmark", "text"))
    out = [run.records(trials, cols, "trials")]
    path = run.run_dir / "returns" / "trials.parquet"
    if path.is_file():
        frame = _frame(path)
        curves = {str(c): fg.growth_of_one(frame[c]) for c in frame.columns}
        if curves:
            img = fg.lines_figure(
                [fg.LinePanel(curves, "growth of 1 (log)", log=True)],
                "Growth of 1 of every configuration tried",
            )
            out.append(
                _figure(img, "Daily net returns of every configuration (returns/trials.parquet).")
            )
    out.append(
        _p(
            run.fill(
                b.get("dsr"),
                "dsr",
                "Deflated Sharpe ratio {dsr:prob} with N = {n_trials:int} trials;",
            )
            + run.fill(b, "psr", " PSR {psr:prob}.")
        )
    )
    if snoop is None:
        return "".join(out) + _p(f"SPA, StepM and PBO: {run.absent('snooping')}")
    spa, pbo = snoop.get("spa"), snoop.get("pbo")
    if isinstance(spa, dict):
        spa_text = f"Hansen SPA vs {_esc(spa.get('benchmark', '?'))}: " + run.fill(
            spa,
            "snooping.spa",
            "p-value (consistent) {pvalue_consistent:prob}, lower {pvalue_lower:prob}, upper "
            "{pvalue_upper:prob}; {n_models:int} models, {reps:int} reps, mean block "
            "{block_length:ratio} sessions, seed {seed:int}.",
        )
    else:
        spa_text = "Hansen SPA: " + _na(
            NOT_COMPUTED if "spa" not in snoop else run.reason("snooping.spa")
        )
    out.append(_p(spa_text))
    names = ", ".join(sorted(superior)) if superior else "none"
    out.append(
        _p(
            "StepM (family-wise error controlled) configurations beating the benchmark: "
            + (_esc(names) if superior is not None else _na(NOT_COMPUTED))
            + "."
        )
    )
    spa_ew, stepm_ew = snoop.get("spa_equal_weight"), snoop.get("stepm_equal_weight")
    if isinstance(spa_ew, dict):
        beat = (stepm_ew or {}).get("superior") if isinstance(stepm_ew, dict) else None
        out.append(
            _p(
                "Hansen SPA vs the equal-weight universe: "
                + run.fill(
                    spa_ew,
                    "snooping.spa_equal_weight",
                    "p-value (consistent) {pvalue_consistent:prob}, lower {pvalue_lower:prob},"
                    " upper {pvalue_upper:prob}.",
                )
                + " StepM configurations beating it: "
                + (_esc(", ".join(beat)) if beat else "none" if beat is not None else "n/a")
                + "."
            )
        )
    if isinstance(pbo, dict):
        text = run.fill(
            pbo,
            "snooping.pbo",
            "Probability of backtest overfitting (CSCV) {pbo:prob} over {n_combinations:int} "
            "combinations of {n_splits:int} blocks; median logit {lambda_median:ratio}; ties: "
            "{tie_rule:text}.",
        )
    else:  # null by contract when fewer than 2 trials
        why = run.explicit_reason("snooping.pbo") or "fewer than 2 trials"
        text = "PBO: " + _na(why if "pbo" in snoop else NOT_COMPUTED)
    out.append(_p(text))
    return "".join(out)


_STRESS_COLS: Final[tuple[tuple[str, str, str], ...]] = (
    ("total_return", "total return", "pct"),
    ("max_drawdown", "max DD", "pct"),
    ("sharpe", "Sharpe", "ratio"),
    ("sortino", "Sortino", "ratio"),
    ("hit_rate", "hit rate", "pct"),
    ("precision", "precision", "prob"),
    ("recall", "recall", "prob"),
)


def _stress_total(period: dict[str, Any], name: str) -> float:
    row = next((r for r in period.get("rows") or [] if r.get("name") == name), None) or {}
    value: Any = row.get("total_return")
    return float(value) if _finite(value) else float("nan")


def _stress(run: _Run) -> str:
    stress = run.b.get("stress")
    if not isinstance(stress, dict):
        path = run.run_dir / "stress" / "stress.json"
        if not path.is_file():
            why = "no stress results in promotion_briefing.json nor stress/stress.json"
            return _p("Not run: " + _na(run.explicit_reason("stress") or why))
        stress = json.loads(path.read_text(encoding="utf-8"))
    periods = [p for p in stress.get("periods") or [] if isinstance(p, dict)]
    out = [
        _p(run.fill(stress, "stress", "Entry and measurement: {timing:text}."), "note")
        if "timing" in stress
        else ""
    ]
    names = list(dict.fromkeys(str(r.get("name")) for p in periods for r in p.get("rows") or []))
    if periods:
        chart = {n: [_stress_total(p, n) for p in periods] for n in names}
        img = fg.grouped_bar_figure(
            [str(p.get("name")) for p in periods],
            chart,
            "Total return per stress period",
            ylabel="total return",
        )
        out.append(
            _figure(img, "Total return over each period; models trained strictly before it.")
        )
        rows = [
            [
                _esc(p.get("name")),
                run.fill(p, f"stress.{p.get('name')}", "{kind:text}"),
                run.fill(p, f"stress.{p.get('name')}", "{start:text} to {end:text}"),
                *(
                    fmt_number(v, "pct") if math.isfinite(v) else _na(run.reason("stress"))
                    for v in (_stress_total(p, STUDENT), _stress_total(p, BENCHMARK))
                ),
                run.v(p, "resilience_score", "score", f"stress.{p.get('name')}"),
                run.v(p, "failure_mode", "text", f"stress.{p.get('name')}"),
            ]
            for p in periods
        ]
        headers = ["period", "kind", "dates", "student", BENCHMARK, "resilience", "failure mode"]
        out.append(_table(headers, rows, align="lllrrrl"))
    else:
        out.append(_p(_na("no stress period inside the OOS range")))
    out.append(
        _p(
            run.fill(
                stress,
                "stress",
                "Resilience score (0-100): {resilience_formula:text}. Worst "
                "historical-period total return of the student: {worst_period_loss:pct}.",
            )
        )
    )
    rules = stress.get("failure_rules")
    if isinstance(rules, dict) and rules:
        items = "".join(f"<li><b>{_esc(k)}</b>: {_esc(v)}</li>" for k, v in rules.items())
        out.append(
            f"<p>Failure-mode rules (the first that matches is reported):</p><ul>{items}</ul>"
        )
    for p in periods:
        where = f"stress.{p.get('name')}"
        out.append(f"<h3>{_esc(p.get('name'))}</h3>")
        text = run.fill(
            p,
            where,
            "{start:text} to {end:text} ({kind:text}); model of walk-forward period "
            "{model_period_id:text} trained to {model_train_end:text}; failure mode "
            "{failure_mode:text}: {failure_rule:text}.",
        )
        if p.get("description"):
            text = f"{_esc(p['description'])}. {text}"
        out.append(_p(text, "meta"))
        out.append(run.records(p.get("rows"), _STRESS_COLS, where))
    for skipped in stress.get("skipped") or []:
        out.append(
            _p(f"Skipped {_esc(skipped.get('name'))}: {_esc(skipped.get('reason'))}.", "note")
        )
    for note in stress.get("notes") or []:
        out.append(_p(_esc(note), "note"))
    return "".join(out)


def _statistics(run: _Run) -> str:
    b = run.b
    extra: dict[str, Any] = b.get("bootstrap_extra") or {}
    extra = extra if isinstance(extra, dict) else {}
    ci_cols: Cols = (
        ("estimate", "estimate", ""),
        ("lower", "lower", ""),
        ("upper", "upper", ""),
        ("confidence", "confidence", "pct"),
        ("reps", "reps", "int"),
        ("block_length", "block", "ratio"),
        ("seed", "seed", "int"),
    )
    stats = (
        ("Sharpe (annualised)", b.get("bootstrap"), "ratio", "bootstrap"),
        (
            "mean excess return over NIFTY 50 (annualised)",
            extra.get("mean_excess_return"),
            "pct",
            "bootstrap_extra.mean_excess_return",
        ),
        ("mean IC", extra.get("mean_ic"), "ic", "bootstrap_extra.mean_ic"),
    )
    rows = [
        [_esc(label)] + [run.v(d, k, kind or fmt, where) for k, _, kind in ci_cols]
        for label, d, fmt, where in stats
        if isinstance(d, dict)
    ]
    missing = []
    for label, d, _, where in stats:
        top, _, sub = where.partition(".")
        parent = b if not sub else b.get(top)
        if not isinstance(d, dict):
            present = isinstance(parent, dict) and (sub or top) in parent
            missing.append(
                _p(f"{_esc(label)}: {_na(run.reason(where) if present else NOT_COMPUTED)}")
            )
    out = [
        "<h3>Bootstrap confidence intervals (stationary bootstrap)</h3>",
        _table(["statistic", *(h for _, h, _ in ci_cols)], rows, align="lrrrrrrr") if rows else "",
        *missing,
        "<h3>Probabilistic and deflated Sharpe ratio</h3>",
        _p(
            run.fill(b, "psr", "PSR (probability the true Sharpe exceeds zero) {psr:prob}; ")
            + run.fill(
                b.get("dsr"),
                "dsr",
                "DSR {dsr:prob} with N = {n_trials:int} trials (variance of the trials' "
                "per-session Sharpe {trial_sr_variance:sci}, SR0 {sr0:ic} per session).",
            )
        ),
    ]
    mtrl = b.get("min_track_record_length")
    track = (
        run.fill(mtrl, "min_track_record_length", "{sessions:gain} sessions ({years:ratio} years)")
        if isinstance(mtrl, dict)
        else run.absent("min_track_record_length")
    )
    out.append(_p(f"Minimum track record length for a Sharpe above zero: {track}."))
    out.append("<h3>Alpha and beta vs NIFTY 50 (price index)</h3>")
    out.append(
        _p(
            run.fill(
                b.get("alpha_beta"),
                "alpha_beta",
                "alpha {alpha:pct} per year, beta {beta:ratio}; convention: {convention:text}.",
            )
        )
    )
    return "".join(out)


def _data_notes(run: _Run) -> str:
    b = run.b
    uni, notes = b.get("universe") or {}, b.get("notes") or {}
    win = (b.get("windows") or {}).get("counts")
    symbols = ", ".join(str(s) for s in uni.get("symbols") or [])
    links = [
        f'<a href="{n}">{n}</a>'
        for n in ("manifest.yaml", MD_NAME, JSON_NAME)
        if (run.run_dir / n).is_file()
    ]
    items = [
        f"Run <code>{_esc(b.get('run_id', run.run_dir.name))}</code>, created "
        f"{run.v(b, 'created_at', 'text', 'created_at')}, config "
        f"<code>{_esc(b.get('config_name', ''))}</code>.",
        run.fill(uni, "universe", "Universe {name:text} ({n_symbols:int} symbols): ")
        + _esc(symbols)
        + ".",
        run.fill(b.get("oos"), "oos", "OOS range {start:text} to {end:text}; ")
        + run.fill(b, "data_range", "bars used {data_range:text}."),
        run.fill(
            win,
            "windows",
            "Windows: planned {planned:int}, trained {trained:int}, skipped {skipped:int}, failed "
            "{failed:int}.",
        ),
        run.fill(notes, "notes", "Costs: {costs:text}."),
        _esc(notes.get("benchmark") or DEFAULT_BENCHMARK_NOTE),
        _esc(notes.get("survivorship") or DEFAULT_SURVIVORSHIP_NOTE),
        f"Ratios annualised with {run.periods} sessions per year; risk-free rate "
        f"{run.rf * 100:.2f} %/yr.",
        "Files: " + (", ".join(links) if links else _na("not in the run directory")) + ".",
    ]
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


_BUILDERS: Final[dict[str, Callable[[_Run], str]]] = {
    "summary": _summary,
    "gates": _gates,
    "equity": _equity,
    "underwater": _underwater,
    "monthly": _monthly,
    "rolling": _rolling,
    "ic": _ic,
    "deciles": _deciles,
    "importance": _importance,
    "teacher-student": _teacher_student,
    "trials": _trials,
    "stress": _stress,
    "statistics": _statistics,
    "data-notes": _data_notes,
}


def render_report(run_dir: Path) -> str:
    """The report HTML of ``run_dir`` (see the module docstring); writes nothing.

    Parameters
    ----------
    run_dir : pathlib.Path
        A run directory holding at least ``promotion_briefing.json``.

    Returns
    -------
    str
        A complete HTML5 document with one ``<section id=...>`` per entry of ``SECTIONS``.

    Raises
    ------
    PipelineError
        If ``promotion_briefing.json`` is missing or not valid JSON.
    """
    run = _load_run(run_dir)
    parts = []
    for sid, title in SECTIONS:
        try:
            body = _BUILDERS[sid](run)
        except Exception as exc:  # one malformed artifact must not lose the whole report
            logger.exception("report section %r of %s failed", sid, run_dir)
            body = _p(_na(f"could not render: {type(exc).__name__}: {exc}"))
        parts.append(f'<section id="{sid}"><h2>{_esc(title)}</h2>{body}</section>')
    run_id = _esc(run.b.get("run_id", run_dir.name))
    nav = "".join(f'<a href="#{sid}">{_esc(title)}</a>' for sid, title in SECTIONS)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>SenseQuant run report {run_id}</title><style>{_CSS}</style></head>"
        f'<body><main><header><h1>SenseQuant run report</h1><p class="meta">Run '
        f"<code>{run_id}</code>. Every number comes from this run's artifacts "
        "(promotion_briefing.json, returns/*.parquet, models/student.txt); nothing here needs "
        f"a network connection.</p><nav>{nav}</nav></header>{''.join(parts)}</main></body></html>\n"
    )


def write_report(run_dir: Path) -> Path:
    """Write ``<run_dir>/report.html`` atomically and return its path.

    Parameters
    ----------
    run_dir : pathlib.Path
        A finished run directory (``promotion_briefing.json`` written).

    Returns
    -------
    pathlib.Path
        ``run_dir / "report.html"``.

    Raises
    ------
    PipelineError
        If the briefing JSON is missing or unreadable.
    StoreError
        If the file cannot be written.
    """
    path = run_dir / REPORT_NAME
    write_text_atomic(path, render_report(run_dir))
    return path
