"""Markdown rendering of the promotion briefing (see :mod:`sensequant.release.briefing`).

Every number shown comes from :class:`~sensequant.release.briefing.BriefingData`; a missing
value (None or NaN) is shown as ``n/a (reason)`` with the reason from ``na_reasons``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from sensequant.errors import PipelineError
from sensequant.fsutil import write_json_atomic, write_text_atomic
from sensequant.release.briefing import (
    BENCHMARK,
    DEFAULT_BENCHMARK_NOTE,
    EQUAL_WEIGHT,
    JSON_NAME,
    MD_NAME,
    STUDENT,
    BriefingData,
    briefing_to_dict,
    headline,
)
from sensequant.release.briefing_card import exposure_costs_md, strategy_md
from sensequant.release.briefing_comparison import comparison_md
from sensequant.release.briefing_evidence import evidence_md
from sensequant.release.gates import decide, decision_reason

PERFORMANCE_COLUMNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("cagr", "CAGR", "pct"),
    ("sharpe", "Sharpe", "ratio"),
    ("exposure", "Exposure", "pct"),
    ("time_in_market", "Time in market", "pct"),
    ("sortino", "Sortino", "ratio"),
    ("max_drawdown", "Max DD", "pct"),
    ("max_dd_peak", "DD peak", "text"),
    ("max_dd_trough", "DD trough", "text"),
    ("volatility", "Volatility", "pct"),
    ("turnover", "Turnover", "multiple"),
    ("hit_rate", "Hit rate", "pct"),
    ("total_return", "Total return", "pct"),
)
SIGNAL_COLUMNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("mean_ic", "mean IC", "ic"),
    ("mean_rank_ic", "mean Rank IC", "ic"),
    ("icir", "ICIR", "ratio"),
    ("rank_icir", "Rank ICIR", "ratio"),
    ("n_days", "days", "int"),
)


def _get(mapping: dict[str, Any] | None, key: str) -> Any:
    return None if mapping is None else mapping.get(key)


def _fmt(value: Any, kind: str, data: BriefingData, key: str) -> str:
    """Format one value; None/NaN become ``n/a (reason)``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return f"n/a ({data.reason(key)})"
    if kind == "text":
        return str(value)
    number = float(value)
    formats = {
        "pct": lambda: f"{number * 100:.1f} %",
        "ratio": lambda: f"{number:.2f}",
        "prob": lambda: f"{number:.3f}",
        "ic": lambda: f"{number:.4f}",
        "int": lambda: f"{round(number):d}",
        "multiple": lambda: f"{number:.1f}x",
        "sci": lambda: f"{number:.3g}",
    }
    return formats[kind]()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _headline_md(d: BriefingData) -> list[str]:
    h = headline(d)

    def f(key: str, kind: str, reason_key: str) -> str:
        return _fmt(h[key], kind, d, reason_key)

    student = f"performance.{STUDENT}"
    exposure = _fmt(_get(d.row(STUDENT), "exposure"), "pct", d, student + ".exposure")
    bench, equal = d.labels.benchmark, d.labels.equal_weight
    return [
        f"Student OOS Sharpe {f('sharpe', 'ratio', student + '.sharpe')} (mean exposure "
        f"{exposure}) vs {_bench_words(bench)} "
        f"{f('benchmark_sharpe', 'ratio', f'performance.{bench}.sharpe')} and "
        f"{_equal_words(equal)} "
        f"{f('equal_weight_sharpe', 'ratio', f'performance.{equal}.sharpe')}; "
        f"CAGR {f('cagr', 'pct', student + '.cagr')}, max drawdown "
        f"{f('max_drawdown', 'pct', student + '.max_drawdown')}; mean IC "
        f"{f('mean_ic', 'ic', 'signal.student.mean_ic')}; DSR {f('dsr', 'prob', 'dsr.dsr')} "
        f"over {f('n_trials', 'int', 'dsr.n_trials')} trials.",
    ]


def _bench_words(label: str) -> str:
    return "NIFTY 50 price index" if label == BENCHMARK else label


def _equal_words(label: str) -> str:
    return "equal-weight universe (monthly, NSE costs)" if label == EQUAL_WEIGHT else label


def _gates_md(d: BriefingData) -> list[str]:
    lines = [f"**Decision: {d.decision}** — {decision_reason(d.gates)}.", ""]
    if d.gates:
        rows = [
            (
                g.name,
                g.status,
                f"{g.comparison} {g.threshold:g}",
                g.explanation,
            )
            for g in d.gates
        ]
        lines += _table(("gate", "result", "threshold", "explanation"), rows)
    return lines


def _performance_md(d: BriefingData) -> list[str]:
    headers = ["", *(label for _, label, _ in PERFORMANCE_COLUMNS)]
    rows = [
        [str(r.get("name"))]
        + [
            _fmt(r.get(k), kind, d, f"performance.{r.get('name')}.{k}")
            for k, _, kind in PERFORMANCE_COLUMNS
        ]
        for r in d.performance
    ]
    return _table(headers, rows) if rows else [f"n/a ({d.reason('performance')})"]


def _signal_md(d: BriefingData) -> list[str]:
    if not d.signal:
        return [f"n/a ({d.reason('signal')})"]
    rows = [
        [name]
        + [_fmt(_get(vals, k), kind, d, f"signal.{name}.{k}") for k, _, kind in SIGNAL_COLUMNS]
        for name, vals in d.signal.items()
    ]
    return _table(["model", *(label for _, label, _ in SIGNAL_COLUMNS)], rows)


def _statistics_md(d: BriefingData) -> list[str]:
    ab, bs, ds = d.alpha_beta, d.bootstrap, d.dsr
    lines = [f"### Alpha and beta vs {d.labels.benchmark}", ""]
    if ab is None:
        lines.append(f"n/a ({d.reason('alpha_beta')})")
    else:
        lines.append(
            f"- alpha {_fmt(ab.get('alpha'), 'pct', d, 'alpha_beta.alpha')} per year, beta "
            f"{_fmt(ab.get('beta'), 'ratio', d, 'alpha_beta.beta')}"
            f" ({ab.get('convention') or 'convention not stated'})"
        )
    lines += ["", "### Sharpe confidence interval (stationary bootstrap)", ""]
    if bs is None:
        lines.append(f"n/a ({d.reason('bootstrap')})")
    else:

        def b(key: str, kind: str) -> str:
            return _fmt(bs.get(key), kind, d, f"bootstrap.{key}")

        conf = bs.get("confidence")
        conf_s = f"{conf * 100:g} %" if isinstance(conf, int | float) else b("confidence", "pct")
        lines.append(
            f"- Sharpe {b('estimate', 'ratio')}, {conf_s} CI [{b('lower', 'ratio')}, "
            f"{b('upper', 'ratio')}]; {b('reps', 'int')} reps, mean block length "
            f"{b('block_length', 'ratio')} sessions, seed {b('seed', 'int')}"
            + (f", method {bs['method']}" if bs.get("method") else "")
        )
    lines += ["", "### Probabilistic and deflated Sharpe ratio", ""]
    lines.append(
        f"- PSR (probability the true Sharpe exceeds zero): {_fmt(d.psr, 'prob', d, 'psr')}"
    )
    if ds is None:
        lines.append(f"- DSR: n/a ({d.reason('dsr')})")
    else:
        n_all = int(ds.get("trials_recorded") or ds.get("n_trials") or 0)
        lines.append(
            f"- DSR {_fmt(ds.get('dsr'), 'prob', d, 'dsr.dsr')} with N = "
            f"{_fmt(ds.get('n_trials'), 'int', d, 'dsr.n_trials')} distinct trials ({n_all} "
            "recorded in all; trials with identical returns, such as re-runs of one "
            "configuration on the same data, count once), "
            f"{int(ds.get('ledger_trials') or 0)} of them from earlier runs and sweeps in the "
            "trial ledger (variance of the "
            f"trials' per-period Sharpe "
            f"{_fmt(ds.get('trial_sr_variance'), 'sci', d, 'dsr.trial_sr_variance')}, "
            f"SR0 {_fmt(ds.get('sr0'), 'ic', d, 'dsr.sr0')} per period)"
        )
    if d.trials:
        lines += [
            "",
            *_table(
                ("trial", "Sharpe"),
                [
                    (
                        str(t.get("name")),
                        _fmt(t.get("sharpe"), "ratio", d, f"trials.{t.get('name')}"),
                    )
                    for t in d.trials
                ],
            ),
        ]
    return lines


def _windows_md(d: BriefingData) -> list[str]:
    c = d.window_counts
    lines = [
        "- "
        + ", ".join(
            f"{k} {_fmt(c.get(k), 'int', d, f'window_counts.{k}')}"
            for k in ("planned", "trained", "skipped", "failed")
        )
    ]
    lines += [f"- skipped ({reason}): {n}" for reason, n in d.skip_reasons.items()]
    lines += [f"- failed: {_cell(msg)}" for msg in d.failures]
    if d.teacher_validation:
        lines += ["", "Teacher validation over trained windows:", ""]
        lines += _table(
            ("metric", "mean", "median"),
            [
                (
                    m,
                    _fmt(_get(v, "mean"), "prob", d, f"teacher_validation.{m}.mean"),
                    _fmt(_get(v, "median"), "prob", d, f"teacher_validation.{m}.median"),
                )
                for m, v in d.teacher_validation.items()
            ],
        )
    else:
        lines += ["", f"Teacher validation: n/a ({d.reason('teacher_validation')})"]
    return lines


def _links_md(d: BriefingData, run_dir: Path) -> list[str]:
    lines = []
    if d.plot and (run_dir / d.plot).is_file():
        lines.append(f"![Equity curves and drawdown]({d.plot})")
    else:
        lines.append(f"Equity/drawdown plot: n/a ({d.reason('plot')})")
    lines += [
        "",
        f"Manifest: [{d.manifest}]({d.manifest})"
        if d.manifest
        else f"Manifest: n/a ({d.reason('manifest')})",
    ]
    if d.artifacts:
        lines += [
            "",
            *_table(
                ("artifact", "sha256"),
                sorted((f"`{p}`", f"`{h[:16]}`") for p, h in d.artifacts.items()),
            ),
        ]
    return lines


def _review_md(d: BriefingData) -> list[str]:
    rid = d.run_id
    if d.decision == "ready-for-review":
        approve = [f"sensequant approve {rid} --by NAME"]
        after = []
    else:
        approve = [f'sensequant approve {rid} --by NAME --override --note "why"']
        after = [
            "The gates failed: approval is refused unless `--override` is given with a "
            "`--note` stating the reason; the registry records both."
        ]
    reject = f'sensequant reject {rid} --by NAME --note "reason"'
    return ["```", *approve, reject, "```", *after]


def render_markdown(data: BriefingData, run_dir: Path) -> str:
    """The Markdown briefing (``run_dir`` is used to check that the plot exists)."""
    d = data
    oos = f"{_fmt(d.start, 'text', d, 'start')} to {_fmt(d.end, 'text', d, 'end')}"
    benchmark_note = d.benchmark_note
    if "total-return" not in benchmark_note:
        benchmark_note = f"{benchmark_note} {DEFAULT_BENCHMARK_NOTE}"
    sections: list[str] = [
        f"# Promotion briefing: {d.run_id}",
        "",
        *_headline_md(d),
        "",
        f"- created: {d.created_at}; config: `{d.config_name}`",
        f"- universe: {d.universe} ({len(d.symbols)} symbols: {', '.join(d.symbols)})",
        f"- OOS range: {oos}; data: {_fmt(d.data_range, 'text', d, 'data_range')}",
        "",
        "## Strategy card",
        "",
        *strategy_md(d, run_dir),
        "",
        "## Exposure and costs",
        "",
        *exposure_costs_md(d),
        "",
        *comparison_md(d.comparison, d.comparison_verdict, d.na_reasons.get),
        "## Decision and gates",
        "",
        *_gates_md(d),
        "",
        "## Performance (OOS, same dates, net of costs)",
        "",
        *_performance_md(d),
        "",
        "## Signal quality (daily cross-sectional IC)",
        "",
        *_signal_md(d),
        "",
        "## Statistics",
        "",
        *_statistics_md(d),
        "",
        *evidence_md(d.evidence, d.labels.benchmark_short),
        "## Windows",
        "",
        *_windows_md(d),
        "",
        "## Data notes",
        "",
        f"- {benchmark_note}",
        f"- {d.survivorship_note}",
        f"- Costs: {d.costs_note}",
        *(f"- {note}" for note in d.data_notes),
        "",
        "## Plot, manifest and artifacts",
        "",
        *_links_md(d, run_dir),
        "",
        "## Review",
        "",
        *_review_md(d),
        "",
    ]
    return "\n".join(sections)


def write_briefing(run_dir: Path, data: BriefingData) -> dict[str, Path]:
    """Write ``promotion_briefing.json`` and ``promotion_briefing.md`` atomically.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run directory (created if missing).
    data : BriefingData
        Computed results.

    Returns
    -------
    dict of str to pathlib.Path
        ``{"json": ..., "md": ...}``.

    Raises
    ------
    PipelineError
        If ``data.decision`` disagrees with the gates (``decide(data.gates)``).
    """
    expected = decide(data.gates)
    if data.decision != expected:
        raise PipelineError(
            f"briefing for run {data.run_id} says decision {data.decision!r} but its gates "
            f"give {expected!r}",
            hint="set BriefingData.decision = decide(gates)",
        )
    json_path, md_path = run_dir / JSON_NAME, run_dir / MD_NAME
    write_json_atomic(json_path, briefing_to_dict(data))
    write_text_atomic(md_path, render_markdown(data, run_dir))
    return {"json": json_path, "md": md_path}
