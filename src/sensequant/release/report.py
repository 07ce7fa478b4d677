"""Self-contained HTML report of one run (``<run_dir>/report.html``), readable offline.

:func:`write_report` reads ONLY the run directory's artifacts: ``promotion_briefing.json`` is
the source of every summary number (formatted as in the Markdown briefing: ``12.3 %``, Sharpe
with 2 decimals); plotted series come from ``returns/daily.parquet``, ``returns/ic_daily.
parquet`` and ``returns/trials.parquet`` through the :mod:`sensequant.evaluation.metrics`
definitions (see :mod:`sensequant.evaluation.series_metrics`); feature importance from
``models/student.txt``. Images are base64 PNG data URIs, so the file needs nothing else: no
script, font, stylesheet or network access.

A value the run did not produce shows ``n/a (not computed in this run)``; a null value shows
``n/a (reason)`` with the reason from the briefing's ``na_reasons`` (or "the strategy never
traded" when the student portfolio made no trade). No number is made up. A section that cannot
be drawn (a malformed artifact) says why, and the rest of the report is still written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Final

from sensequant.fsutil import write_text_atomic
from sensequant.release.charts import plotly_bundle
from sensequant.release.report_card import _strategy
from sensequant.release.report_common import NEVER_TRADED as NEVER_TRADED
from sensequant.release.report_common import NOT_COMPUTED as NOT_COMPUTED
from sensequant.release.report_common import _esc, _load_run, _na, _p, _Run
from sensequant.release.report_common import fmt_number as fmt_number
from sensequant.release.report_costs import _costs
from sensequant.release.report_portfolio import _exposure, _holdings, _turnover
from sensequant.release.report_sections import DAILY_SERIES as DAILY_SERIES
from sensequant.release.report_sections import IC_WINDOW as IC_WINDOW
from sensequant.release.report_sections import ROLLING_WINDOW as ROLLING_WINDOW
from sensequant.release.report_sections import TOP_FEATURES as TOP_FEATURES
from sensequant.release.report_sections import (
    _deciles,
    _equity,
    _gates,
    _ic,
    _importance,
    _monthly,
    _rolling,
    _summary,
    _teacher_student,
    _underwater,
)
from sensequant.release.report_tables import (
    _comparison,
    _data_notes,
    _statistics,
    _stress,
    _trials,
)
from sensequant.release.report_tearsheet import _distribution, _drawdowns, _excess, _yearly

logger = logging.getLogger(__name__)

REPORT_NAME: Final = "report.html"
SECTIONS: Final[tuple[tuple[str, str], ...]] = (
    ("strategy", "Strategy card"),
    ("summary", "Summary"),
    ("comparison", "Model and baselines"),
    ("gates", "Decision and gates"),
    ("exposure", "Exposure and time in market"),
    ("costs", "Gross vs net returns and costs paid"),
    ("equity", "Equity curves (growth of 1)"),
    ("excess", "Excess return over each benchmark"),
    ("underwater", "Drawdown (underwater)"),
    ("drawdowns", "Worst drawdowns"),
    ("yearly", "Yearly returns against the benchmarks"),
    ("monthly", "Monthly returns of the student (net)"),
    ("distribution", "Return distribution and tearsheet statistics"),
    ("holdings", "Holdings over time"),
    ("turnover", "Turnover over time"),
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
.warn{color:#c0392b}.plotly-graph-div{width:100%}
"""


_BUILDERS: Final[dict[str, Callable[[_Run], str]]] = {
    "strategy": _strategy,
    "summary": _summary,
    "comparison": _comparison,
    "gates": _gates,
    "exposure": _exposure,
    "costs": _costs,
    "equity": _equity,
    "excess": _excess,
    "underwater": _underwater,
    "drawdowns": _drawdowns,
    "yearly": _yearly,
    "monthly": _monthly,
    "distribution": _distribution,
    "holdings": _holdings,
    "turnover": _turnover,
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
    body = "".join(parts)
    # plotly.js once, inline, only when a chart uses it: the file still opens offline
    script = plotly_bundle() if 'class="plotly-graph-div"' in body else ""
    nav = "".join(f'<a href="#{sid}">{_esc(title)}</a>' for sid, title in SECTIONS)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>SenseQuant run report {run_id}</title><style>{_CSS}</style>{script}</head>"
        f'<body><main><header><h1>SenseQuant run report</h1><p class="meta">Run '
        f"<code>{run_id}</code>. Every number comes from this run's artifacts "
        "(config.yaml, promotion_briefing.json, returns/*.parquet, models/student.txt); nothing "
        "here needs a network connection (interactive charts: plotly.js is embedded).</p>"
        f"<nav>{nav}</nav></header>{body}</main></body></html>\n"
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
