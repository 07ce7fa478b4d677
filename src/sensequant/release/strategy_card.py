"""The strategy card: what a run traded, how, and against what, in plain words.

:func:`card_rows` builds it as plain text from the run's configuration (``config.yaml`` as a
dict) and the briefing document (``promotion_briefing.json`` as a dict); the HTML report
(:mod:`sensequant.release.report_card`) and the Markdown briefing
(:mod:`sensequant.release.briefing_md`) render the same rows. Nothing here computes a metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sensequant.release.briefing import (
    BENCHMARK,
    DEFAULT_SURVIVORSHIP_NOTE,
    EQUAL_WEIGHT,
    SeriesLabels,
)

TEACHER_DIRECT: Final = (
    "No student at all: each stock is predicted by its own latest teacher "
    "(the per-stock model whose training window ended before the test period), on the same "
    "dates and with the same portfolio rule and costs as the student. It shows what "
    "distilling the teachers into one pooled student adds."
)
NIFTY_DEFINITION: Final = (
    f"{BENCHMARK}: the index's daily close-to-close returns, always 100 % invested, no costs "
    "and no dividends (a price index; no total-return index is available). Not investable "
    "as is."
)
EQUAL_DEFINITION: Final = (
    f"{EQUAL_WEIGHT}: 1/n of every universe stock, reset to 1/n at the first session of "
    "each month, charged the same NSE costs as the strategy: the no-skill way to hold the "
    "same stocks."
)


def benchmark_definitions(labels: SeriesLabels) -> tuple[str, str]:
    """The card's definitions of the run's benchmark and equal-weight rows (what each is)."""
    bench = NIFTY_DEFINITION
    if labels.benchmark != BENCHMARK:
        bench = (
            f"{labels.benchmark}: the benchmark of this run, always 100 % invested, no costs, "
            "no dividends. Not investable as is."
        )
    equal = EQUAL_DEFINITION
    if labels.equal_weight != EQUAL_WEIGHT:
        equal = (
            f"{labels.equal_weight}: 1/n of every universe stock bought each session and "
            "squared off before its close, charged the same costs as the strategy: the "
            "no-skill intraday way to hold the same stocks."
        )
    return bench, equal


_SCORES: Final = {
    "score": "model score (higher = better expected rank among the universe's stocks)",
    "p_up_minus_p_down": "p_up - p_down (the model's probability of 'up' minus 'down')",
    "p_up": "p_up (the model's probability of 'up')",
}
_TARGETS: Final = {
    "class3": "the three classes up / flat / down themselves",
    "cs_rank": (
        "the cross-sectional rank of the forward return on each date, scaled to unit "
        "variance (cs_rank): the model learns the ORDER of the stocks on a date, which is "
        "what a top-k portfolio trades"
    ),
    "cs_zscore": (
        "the robust cross-sectional z-score of the forward return on each date (cs_zscore)"
    ),
}


def _label_text(labels: dict[str, Any]) -> str:
    h, k = labels.get("horizon", "?"), labels.get("threshold_k", "?")
    lookback = labels.get("vol_lookback", "?")
    sigma = f"σ the standard deviation of the last {lookback} daily close-to-close returns"
    if labels.get("method") == "triple_barrier":
        kb = labels.get("barrier_k") or k
        text = (
            f"Triple barrier over {h} sessions: barriers at ±{kb} x σ x √{h} from the next "
            f"session's open ({sigma}); the first barrier touched sets up / down, else flat "
            f"at session t+{h}."
        )
    else:
        text = (
            f"Forward return over {h} sessions, from the next session's open to the close "
            f"{h} sessions later; 'up' above +{k} x σ x √{h}, 'down' below -{k} x σ x √{h}, "
            f"else 'flat' ({sigma})."
        )
    target = _TARGETS.get(str(labels.get("target")), str(labels.get("target")))
    return f"{text} Models are trained on {target}."


def _section(config: dict[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name)
    return value if isinstance(value, dict) else {}


def _model_text(config: dict[str, Any]) -> str:
    labels, student = _section(config, "labels"), _section(config, "student")
    win, teacher = _section(config, "windows"), _section(config, "teacher")
    windows = (
        f"{win.get('length_days', '?')}-day windows stepped every {win.get('step_days', '?')} "
        f"days; {teacher.get('num_boost_round', '?')} rounds, {teacher.get('num_leaves', '?')} "
        "leaves"
    )
    walk = (
        f"refitted every {student.get('test_period_days', '?')} calendar days on the "
        f"previous {student.get('train_lookback_days', '?')} days of teacher windows (purged "
        "and embargoed) and tested on the next period only"
    )
    if labels.get("target", "class3") == "class3":
        return (
            f"Teachers: one LightGBM 3-class model per stock and window ({windows}); their "
            "out-of-fold class probabilities are the soft labels. Student: one LightGBM model "
            f"pooled over all stocks, distilled from the soft labels (weight "
            f"{student.get('soft_label_weight', '?')} on the soft label, the rest on the hard "
            f"one), {walk}."
        )
    grid = ", ".join(f"{w:g}" for w in student.get("blend_grid") or [])
    return (
        f"Teachers: one LightGBM regression per stock and window on the target ({windows}); "
        "their out-of-fold predictions are the soft scores. Student: one LightGBM "
        f"{student.get('objective', 'regression')} model pooled over all stocks, {walk}; its "
        f"target blends the soft score with the stock's own target, with the blend weight "
        f"(grid {grid}; 0 = no teachers, 1 = pure distillation) chosen each period on "
        "earlier out-of-sample predictions."
    )


def max_invested(portfolio: dict[str, Any], n_symbols: int) -> float | None:
    """The most a top-k rule can be invested with ``n_symbols`` stocks (None: other rules).

    Returns
    -------
    float or None
        ``min(1, n_symbols / top_k)`` for ``sizing: top_k``, else None.
    """
    k = portfolio.get("top_k")
    if portfolio.get("sizing", "top_k") != "top_k" or not isinstance(k, int) or k <= 0:
        return None
    cap = portfolio.get("max_weight_per_symbol")
    per_name = min(1.0 / k, float(cap)) if isinstance(cap, int | float) else 1.0 / k
    return min(1.0, n_symbols * per_name)


def _portfolio_text(
    config: dict[str, Any], n_symbols: int, bench: str = BENCHMARK
) -> tuple[str, str]:
    pc, bt = _section(config, "portfolio"), _section(config, "backtest")
    k, every = pc.get("top_k", "?"), pc.get("rebalance_every", "?")
    score = _SCORES.get(str(pc.get("score")), str(pc.get("score")))
    floor = pc.get("min_probability")
    qualify = f" among the stocks with p_up >= {floor:g}" if floor is not None else ""
    sizing = pc.get("sizing", "top_k")
    if sizing == "threshold":
        rule = f"hold, at equal weight, every stock that qualifies{qualify} (at most {k})"
    elif sizing == "scaled":
        rule = f"hold at most {k} stocks{qualify}, weighted in proportion to their score"
    else:
        buffer = pc.get("hold_buffer", 0)
        rule = f"hold the {k} stocks with the highest {score}{qualify}, each at 1/{k} of equity" + (
            f"; a held stock stays while it ranks within the top {k + buffer}"
            if isinstance(k, int) and isinstance(buffer, int) and buffer
            else ""
        )
    cap = pc.get("max_weight_per_symbol")
    fill = str(bt.get("fill", "next_open")).replace("_", " ")
    text = (
        f"Every {every} sessions, decided at the close and filled at the {fill}: {rule}. "
        + (f"No stock above {cap:.0%} of equity. " if isinstance(cap, int | float) else "")
        + "Money not invested stays in cash and earns nothing. Long only. Positions within "
        f"{float(bt.get('rebalance_tolerance', 0)):.0%} of their target are not traded."
    )
    ceiling = max_invested(pc, n_symbols)
    warning = ""
    if ceiling is not None and ceiling < 1.0:
        warning = (
            f"With {n_symbols} stocks in the universe this rule can be at most {ceiling:.0%} "
            f"invested, while {bench} is always fully invested."
        )
    return text, warning


@dataclass(frozen=True)
class CardRow:
    """One row of the strategy card (plain text; renderers escape it).

    Attributes
    ----------
    title : str
    text : str
    items : tuple of str
        A list under the text (baselines, benchmarks).
    warning : str
        A sentence to stress (e.g. the rule cannot be fully invested); empty = none.
    """

    title: str
    text: str
    items: tuple[str, ...] = ()
    warning: str = ""


def card_rows(
    config: dict[str, Any], briefing: dict[str, Any], n_sessions: int | None
) -> list[CardRow]:
    """The strategy card of a run.

    Parameters
    ----------
    config : dict
        The run's configuration (``config.yaml``); missing sections read as defaults unknown
        (``?``).
    briefing : dict
        The briefing document (``universe``, ``oos``, ``data_range``, ``notes``,
        ``comparison``, ``trials``).
    n_sessions : int or None
        OOS sessions, when known.

    Returns
    -------
    list of CardRow
        Universe, data, label, model, portfolio rule, costs, benchmarks, teacher-direct,
        baselines, configurations tried.
    """
    b = briefing
    uni = b.get("universe") or {}
    symbols = [str(s) for s in uni.get("symbols") or []]
    industries = uni.get("industries") or {}
    sectors: dict[str, int] = {}
    for s in symbols:
        name = industries.get(s) or "unknown industry"
        sectors[name] = sectors.get(name, 0) + 1
    sector_text = (
        "; ".join(f"{k} {v}" for k, v in sorted(sectors.items(), key=lambda x: -x[1]))
        if industries
        else "n/a (no industries recorded for this run)"
    )
    label = str(uni.get("name", "?"))
    label = "a list of symbols" if "," in label else label
    oos = b.get("oos") or {}
    days = f", {n_sessions} sessions" if n_sessions is not None else ""
    costs = (b.get("notes") or {}).get("costs") or "n/a (no cost note in the briefing)"
    trials = b.get("trials")
    n_trials = len(trials) if isinstance(trials, list) else 0
    names = SeriesLabels.from_doc(b)
    rule, warning = _portfolio_text(config, len(symbols), names.benchmark)
    comparison = [r for r in b.get("comparison") or [] if isinstance(r, dict)]
    baselines = tuple(f"{r.get('name')}: {r.get('label') or ''}" for r in comparison)
    return [
        CardRow(
            "Universe",
            f"{label}: {len(symbols)} stocks ({', '.join(symbols)}). Sectors: {sector_text}. "
            f"{DEFAULT_SURVIVORSHIP_NOTE}",
        ),
        CardRow(
            "Data",
            f"{_section(config, 'data').get('interval', '1day')} bars (one per NSE session), "
            f"prices adjusted for splits and bonuses; bars used {b.get('data_range', '?')}; "
            f"out of sample {oos.get('start')} to {oos.get('end')}{days}.",
        ),
        CardRow("Label", _label_text(_section(config, "labels"))),
        CardRow("Model", _model_text(config)),
        CardRow("Portfolio rule", rule, warning=warning),
        CardRow(
            "Costs",
            f"{costs}. Every return is net of these costs unless marked gross.",
        ),
        CardRow("Benchmarks", "", items=benchmark_definitions(names)),
        CardRow("teacher-direct", TEACHER_DIRECT),
        CardRow(
            "Every baseline compared",
            "" if baselines else "n/a (no comparison computed in this run)",
            items=baselines,
        ),
        CardRow(
            "Configurations tried",
            f"{n_trials} configurations (portfolio rules, blend variants, teacher-direct) were "
            "backtested on the same predictions; each counts as a trial in the deflated Sharpe "
            "ratio.",
        ),
    ]


def card_markdown(rows: list[CardRow]) -> list[str]:
    """The card as Markdown lines (``- **title**: text``, items indented, warning bold)."""
    out: list[str] = []
    for r in rows:
        text = r.text + (f" **{r.warning}**" if r.warning else "")
        out.append(f"- **{r.title}**: {text}".rstrip())
        out.extend(f"  - {item}" for item in r.items)
    return out
