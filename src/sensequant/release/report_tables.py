"""Table-heavy section builders of the HTML run report (trials, stress periods,
statistics, data notes); see :mod:`sensequant.release.report`."""

from __future__ import annotations

import json
import math
from typing import Any, Final

from sensequant.evaluation import series_metrics as sm
from sensequant.release import figures as fg
from sensequant.release.briefing import (
    BENCHMARK,
    DEFAULT_BENCHMARK_NOTE,
    DEFAULT_SURVIVORSHIP_NOTE,
    JSON_NAME,
    MD_NAME,
    STUDENT,
)
from sensequant.release.briefing_comparison import (
    COMPARISON_DISPLAY,
    NO_COMPARISON,
    NO_VERDICT,
    default_comparison_reason,
)
from sensequant.release.report_common import (
    NOT_COMPUTED,
    Cols,
    _esc,
    _figure,
    _finite,
    _frame,
    _na,
    _p,
    _Run,
    _table,
    fmt_number,
)


def _comparison(run: _Run) -> str:
    """Model, student, direct, teacher-direct and baselines on the same OOS dates."""
    records = run.b.get("comparison")
    if not isinstance(records, list) or not records:
        return _p(_na(run.explicit_reason("comparison") or NO_COMPARISON))
    numeric = [(key, head, kind) for key, head, kind in COMPARISON_DISPLAY if kind != "text"]
    texts = [key for key, _, kind in COMPARISON_DISPLAY if kind == "text"]
    rows = []
    for r in (r for r in records if isinstance(r, dict)):
        name = r.get("name")
        what = " ".join(str(r[k]) for k in texts if isinstance(r.get(k), str) and r.get(k))
        first = f"<strong>{_esc(name)}</strong>"
        cells = [first + (f'<br><span class="meta">{_esc(what)}</span>' if what else "")]
        for key, _, kind in numeric:
            value: Any = r.get(key)
            if _finite(value):
                cells.append(fmt_number(value, kind))
            else:
                why = run.explicit_reason(f"comparison.{name}.{key}")
                cells.append(_na(why or default_comparison_reason(key)))
        rows.append(cells)
    align = "l" + "r" * len(numeric)
    verdict = run.b.get("comparison_verdict")
    return (
        (
            _p(f"<strong>Verdict:</strong> {_esc(verdict)}")
            if isinstance(verdict, str) and verdict
            else _p(f"Verdict: {_na(NO_VERDICT)}")
        )
        + _p(
            "Identical OOS sessions in every row; what each series is, and whether it is "
            "costed, is written under its name.",
            "meta",
        )
        + _table(["series", *(h for _, h, _ in numeric)], rows, align=align)
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
        curves = {str(c): sm.growth_of_one(frame[c]) for c in frame.columns}
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
    pbo_ledger = snoop.get("pbo_ledger")
    if isinstance(pbo_ledger, dict):
        out.append(
            _p(
                run.fill(
                    pbo_ledger,
                    "snooping.pbo_ledger",
                    "PBO over this run's and the ledger's earlier trials on this universe and "
                    "OOS span: {pbo:prob} ({n_trials:int} distinct configurations, common "
                    "sessions only).",
                )
            )
        )
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


_INTRADAY_COLS: Final = (
    *(("session", "session", "text"), ("kind", "kind", "text")),
    *(("student_return", "student", "pct"), ("student_drawdown", "student intraday DD", "pct")),
    *(("basket_return", "intraday equal weight", "pct"), ("basket_drawdown", "its DD", "pct")),
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
    bench = str(stress.get("benchmark") or BENCHMARK)  # older stress reports: NIFTY 50
    scenarios = stress.get("intraday_scenarios")
    if isinstance(scenarios, list) and scenarios:  # an intraday run: sessions, MIS costs
        out.append(run.records(scenarios, _INTRADAY_COLS, "stress.intraday_scenarios"))
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
                    for v in (_stress_total(p, STUDENT), _stress_total(p, bench))
                ),
                run.v(p, "resilience_score", "score", f"stress.{p.get('name')}"),
                run.v(p, "failure_mode", "text", f"stress.{p.get('name')}"),
            ]
            for p in periods
        ]
        headers = ["period", "kind", "dates", "student", bench, "resilience", "failure mode"]
        out.append(_table(headers, rows, align="lllrrrl"))
    else:
        out.append(_p(_na("no stress period inside the OOS range")))
    out.append(
        _p(
            run.fill(
                stress,
                "stress",
                "Worst intraday-scenario session return of the student (events and shocks): "
                "{worst_period_loss:pct}."
                if scenarios
                else "Resilience score (0-100): {resilience_formula:text}. Worst "
                "historical-period total return of the student: {worst_period_loss:pct}.",
            )
        )
    )
    rules = stress.get("failure_rules")
    if isinstance(rules, dict) and rules and periods:  # rules of the daily periods
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
            f"mean excess return over {run.labels.benchmark_short} (annualised)",
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
    out.append(f"<h3>Alpha and beta vs {_esc(run.labels.benchmark)}</h3>")
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
