"""Markdown for the briefing's further evidence: paired comparisons, data-snooping tests,
stress periods, signal deciles and the HTML report link.

Every value comes from ``BriefingData.evidence`` (computed in the run); a missing value is
written ``n/a``, never a number that was not computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


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


def _comparisons(ev: Mapping[str, Any]) -> list[str]:
    comps = ev.get("comparisons") or []
    if not comps:
        return []
    rows = [
        [
            str(c.get("name")),
            str(c.get("metric", "sharpe")),
            _num(c.get("estimate")),
            f"[{_num(c.get('lower'))}, {_num(c.get('upper'))}]",
        ]
        for c in comps
    ]
    conf = comps[0].get("confidence")
    head = f"### Paired differences (stationary bootstrap, {_num(conf, 'pct')} CI)"
    return [head, "", *_table(["comparison", "metric", "difference", "CI"], rows), ""]


def _snooping(ev: Mapping[str, Any]) -> list[str]:
    sn = ev.get("snooping") or {}
    out: list[str] = []
    for spa_key, stepm_key in (("spa", "stepm"), ("spa_equal_weight", "stepm_equal_weight")):
        spa = sn.get(spa_key)
        if spa:
            out.append(
                f"- Hansen SPA over {spa.get('n_models')} configurations vs "
                f"{spa.get('benchmark')}: p-value (consistent) "
                f"{_num(spa.get('pvalue_consistent'), 'p')}, lower "
                f"{_num(spa.get('pvalue_lower'), 'p')}, upper "
                f"{_num(spa.get('pvalue_upper'), 'p')} ({spa.get('reps')} reps, block "
                f"{_num(spa.get('block_length'))}, seed {spa.get('seed')})"
            )
        stepm = sn.get(stepm_key)
        if stepm is not None:
            sup = stepm.get("superior") or []
            out.append(
                "- StepM (FWER-controlled) configurations beating it: "
                + (", ".join(sup) if sup else "none")
            )
    pbo = sn.get("pbo")
    if pbo:
        out.append(
            f"- Probability of backtest overfitting (CSCV, S = {pbo.get('n_splits')}, "
            f"{pbo.get('n_combinations')} splits): {_num(pbo.get('pbo'), 'p')}"
        )
    mtrl = ev.get("min_track_record_length")
    if mtrl:
        out.append(
            f"- Minimum track record length for Sharpe > 0 at 95 %: "
            f"{_num(mtrl.get('years'))} years ({_num(mtrl.get('sessions'))} sessions)"
        )
    extra = ev.get("bootstrap_extra") or {}
    for key, label, kind in (
        ("mean_excess_return", "Mean excess return over NIFTY 50 (annualised)", "pct"),
        ("mean_ic", "Mean daily IC", "ic"),
    ):
        ci = extra.get(key)
        if ci:
            out.append(
                f"- {label}: {_num(ci.get('estimate'), kind)}, CI "
                f"[{_num(ci.get('lower'), kind)}, {_num(ci.get('upper'), kind)}]"
            )
    return ["### Data snooping and robustness", "", *out, ""] if out else []


def _stress(ev: Mapping[str, Any]) -> list[str]:
    st = ev.get("stress")
    if not st:
        return []
    rows = []
    for p in st.get("periods") or []:
        by = {r.get("name"): r for r in p.get("rows") or []}
        s, n = by.get("student") or {}, by.get("NIFTY 50 (price index)") or {}
        e = by.get("equal-weight universe") or {}
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
                "NIFTY 50",
                "equal-weight",
                "resilience",
                "failure mode",
            ],
            rows,
        )
    out.append("")
    out.append(f"Worst stress-period loss: {_num(st.get('worst_period_loss'), 'pct')}. ")
    if st.get("resilience_formula"):
        out.append(f"Resilience score: {st['resilience_formula']}")
    for sk in st.get("skipped") or []:
        out.append(f"- not replayed: {sk.get('name')} ({sk.get('reason')})")
    return [*out, ""]


def _deciles(ev: Mapping[str, Any]) -> list[str]:
    dec = ev.get("deciles") or []
    if not dec:
        return []
    cells = ", ".join(f"D{d.get('decile')} {_num(d.get('mean_fwd_return'), 'pct')}" for d in dec)
    return [
        "### Forward return by prediction decile",
        "",
        f"{cells}; top minus bottom {_num(ev.get('decile_spread'), 'pct')}",
        "",
    ]


def evidence_md(ev: Mapping[str, Any]) -> list[str]:
    """Markdown lines for the evidence keys present in ``ev`` (empty list if none)."""
    out: list[str] = []
    if ev.get("zero_trades"):
        out += ["**The strategy never traded out of sample:** its metrics are n/a.", ""]
    body = _comparisons(ev) + _snooping(ev) + _deciles(ev)
    if body:
        out += ["## Further evidence", "", *body]
    out += _stress(ev)
    if ev.get("report"):
        out += [f"Full report with every chart: [{ev['report']}]({ev['report']})", ""]
    return out
