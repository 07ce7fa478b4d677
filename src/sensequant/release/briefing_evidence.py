"""Markdown for the briefing's further evidence: paired comparisons, data-snooping tests,
stress periods, signal deciles and the HTML report link.

Every value comes from ``BriefingData.evidence`` (a typed
:class:`~sensequant.release.evidence_types.BriefingEvidence` computed in the run); a missing
value is written ``n/a``, never a number that was not computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sensequant.evaluation.stress_scoring import EQUAL as STRESS_EQUAL
from sensequant.release.evidence_types import BriefingEvidence, OOSEvidence


def _num(v: Any, kind: str = "ratio") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if kind == "pct":
        return f"{v * 100:.1f} %"
    if kind == "p":
        return f"{v:.3f}"
    if kind == "ic":
        return f"{v:.4f}"
    return f"{v:.2f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _comparisons(ev: OOSEvidence) -> list[str]:
    comps = ev.comparisons
    if not comps:
        return []
    rows = [
        [
            c.name,
            c.metric,
            _num(c.ci.estimate),
            f"[{_num(c.ci.lower)}, {_num(c.ci.upper)}]",
        ]
        for c in comps
    ]
    conf = comps[0].ci.confidence
    head = f"### Paired differences (stationary bootstrap, {_num(conf, 'pct')} CI)"
    return [head, "", *_table(["comparison", "metric", "difference", "CI"], rows), ""]


def _snooping(ev: OOSEvidence, benchmark: str) -> list[str]:
    sn = ev.snooping
    out: list[str] = []
    for spa, stepm in ((sn.spa, sn.stepm), (sn.spa_equal_weight, sn.stepm_equal_weight)):
        if spa is not None:
            res = spa.result
            out.append(
                f"- Hansen SPA over {res.n_models} configurations vs "
                f"{spa.benchmark}: p-value (consistent) "
                f"{_num(res.pvalue_consistent, 'p')}, lower "
                f"{_num(res.pvalue_lower, 'p')}, upper "
                f"{_num(res.pvalue_upper, 'p')} ({res.reps} reps, block "
                f"{_num(res.block_length)}, seed {res.seed})"
            )
        if stepm is not None:
            sup = stepm.superior
            out.append(
                "- StepM (FWER-controlled) configurations beating it: "
                + (", ".join(sup) if sup else "none")
            )
    pbo = sn.pbo
    if pbo is not None:
        out.append(
            f"- Probability of backtest overfitting (CSCV, S = {pbo.n_splits}, "
            f"{pbo.n_combinations} splits): {_num(pbo.pbo, 'p')}"
        )
    if sn.pbo_ledger is not None:
        out.append(
            f"- PBO over this run's and the ledger's earlier trials on this universe and span "
            f"({sn.pbo_ledger_trials} distinct configurations, common sessions only): "
            f"{_num(sn.pbo_ledger.pbo, 'p')}"
        )
    mtrl = ev.min_track_record_length
    if mtrl is not None:
        out.append(
            f"- Minimum track record length for Sharpe > 0 at 95 %: "
            f"{_num(mtrl.years)} years ({_num(mtrl.sessions)} sessions)"
        )
    extra = ev.bootstrap_extra
    for ci, label, kind in (
        (extra.mean_excess_return, f"Mean excess return over {benchmark} (annualised)", "pct"),
        (extra.mean_ic, "Mean daily IC", "ic"),
    ):
        if ci is not None:
            out.append(
                f"- {label}: {_num(ci.estimate, kind)}, CI "
                f"[{_num(ci.lower, kind)}, {_num(ci.upper, kind)}]"
            )
    return ["### Data snooping and robustness", "", *out, ""] if out else []


def _stress(st: Mapping[str, Any] | None) -> list[str]:
    """The stress section from ``StressReport.to_dict()`` (the briefing's ``stress`` key)."""
    if not st:
        return []
    bench = str(st.get("benchmark") or "NIFTY 50 (price index)")  # older reports: NIFTY 50
    rows = []
    for p in st.get("periods") or []:
        by = {r.get("name"): r for r in p.get("rows") or []}
        s, n = by.get("student") or {}, by.get(bench) or {}
        e = by.get(STRESS_EQUAL) or {}
        rows.append(
            [
                str(p.get("name")),
                f"{p.get('start')} .. {p.get('end')}",
                _num(s.get("total_return"), "pct"),
                _num(s.get("max_drawdown"), "pct"),
                _num(n.get("total_return"), "pct"),
                _num(e.get("total_return"), "pct"),
                _num(p.get("resilience_score")),
                str(p.get("failure_mode") or "n/a"),
            ]
        )
    out = ["## Stress tests", ""]
    if rows:
        out += _table(
            [
                "period",
                "sessions",
                "student",
                "student max DD",
                "NIFTY 50" if bench == "NIFTY 50 (price index)" else "benchmark",
                "equal-weight",
                "resilience",
                "failure mode",
            ],
            rows,
        )
        if bench != "NIFTY 50 (price index)":
            out += ["", f"benchmark = {bench}"]
        out.append("")
    out += _intraday_stress(st.get("intraday_scenarios"))
    out.append("")
    worst = (
        "Worst intraday stress loss" if st.get("intraday_scenarios") else "Worst stress-period loss"
    )
    out.append(f"{worst}: {_num(st.get('worst_period_loss'), 'pct')}. ")
    if rows and st.get("resilience_formula"):
        out.append(f"Resilience score: {st['resilience_formula']}")
    for sk in st.get("skipped") or []:
        out.append(f"- not replayed: {sk.get('name')} ({sk.get('reason')})")
    return [*out, ""]


def _intraday_stress(scenarios: Any) -> list[str]:
    """The intraday scenarios of an intraday run's stress report (none: no lines)."""
    if not isinstance(scenarios, list) or not scenarios:
        return []
    rows = [
        [
            str(x.get("name")),
            str(x.get("session")),
            str(x.get("kind")),
            _num(x.get("student_return"), "pct"),
            _num(x.get("student_drawdown"), "pct"),
            _num(x.get("basket_return"), "pct"),
            _num(x.get("basket_drawdown"), "pct"),
        ]
        for x in scenarios
        if isinstance(x, Mapping)
    ]
    head = ["scenario", "session", "kind", "student", "student intraday DD"]
    head += ["intraday equal-weight", "its intraday DD"]
    note = "Session net returns with MIS costs; `recorded` rows are for reference, not counted."
    return [*_table(head, rows), "", note]


def _deciles(ev: OOSEvidence) -> list[str]:
    dec = ev.deciles
    if not dec:
        return []
    cells = ", ".join(f"D{d.decile} {_num(d.mean_fwd_return, 'pct')}" for d in dec)
    return [
        "### Forward return by prediction decile",
        "",
        f"{cells}; top minus bottom {_num(ev.decile_spread, 'pct')}",
        "",
    ]


def evidence_md(ev: BriefingEvidence, benchmark: str = "NIFTY 50") -> list[str]:
    """Markdown lines for the evidence ``ev`` holds (empty list if none); ``benchmark`` is the
    run's benchmark (``SeriesLabels.benchmark_short``)."""
    out: list[str] = []
    oos = ev.oos
    if oos is not None and oos.zero_trades:
        out += ["**The strategy never traded out of sample:** its metrics are n/a.", ""]
    body = (
        (_comparisons(oos) + _snooping(oos, benchmark) + _deciles(oos)) if oos is not None else []
    )
    if body:
        out += ["## Further evidence", "", *body]
    out += _stress(ev.stress)
    if ev.report:
        out += [f"Full report with every chart: [{ev.report}]({ev.report})", ""]
    return out
