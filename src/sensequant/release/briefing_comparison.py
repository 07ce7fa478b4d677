"""The briefing's "Model and baselines on identical OOS dates" table, in Markdown.

Rows come from ``BriefingData.comparison`` (one dict per series, built from the run's
:func:`~sensequant.evaluation.comparison.comparison_table`); the sentence under it is
``BriefingData.comparison_verdict``. The HTML report renders the same rows with the same
columns (:data:`COMPARISON_DISPLAY`). A run without a comparison says so
(:data:`NO_COMPARISON`) instead of dropping the section.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from sensequant.release.report_common import fmt_number

__all__ = [
    "COMPARISON_DISPLAY",
    "COMPARISON_TITLE",
    "NO_COMPARISON",
    "NO_VERDICT",
    "comparison_md",
    "default_comparison_reason",
]

COMPARISON_TITLE: Final = "Model and baselines on identical OOS dates"
NO_COMPARISON: Final = "no comparison computed in this run"
NO_VERDICT: Final = "no verdict computed in this run"
COMPARISON_DISPLAY: Final[tuple[tuple[str, str, str], ...]] = (
    ("rank_ic", "Rank IC", "ic"),
    ("mean_ic", "IC", "ic"),
    ("icir", "ICIR", "ratio"),
    ("sharpe", "net Sharpe", "ratio"),
    ("annual_return", "annual return", "pct"),
    ("max_drawdown", "max DD", "pct"),
    ("mean_exposure", "exposure", "pct"),
    ("time_in_market", "time in market", "pct"),
    ("annual_turnover", "turnover", "multiple"),
    ("n_days", "days", "int"),
    ("label", "what it is", "text"),
)
"""Columns shown: (row key, header, format kind as in the briefing: ``ic`` 4 decimals,
``ratio`` 2 decimals, ``pct`` ``12.3 %``, ``multiple`` ``3.1x``, ``int``, ``text``).
``max_drawdown`` is the depth (<= 0); ``annual_turnover`` one-way, a multiple of capital."""

_DEFAULT_REASONS: Final[dict[str, str]] = {
    "rank_ic": "no score for this series",
    "mean_ic": "no score for this series",
    "icir": "no score for this series",
    "mean_exposure": "no exposure series",
    "time_in_market": "no exposure series",
    "annual_turnover": "no turnover series",
}


def default_comparison_reason(column: str) -> str:
    """Why a comparison cell is empty when ``na_reasons`` gives no reason.

    Parameters
    ----------
    column : str
        A key of :data:`COMPARISON_DISPLAY`.

    Returns
    -------
    str
        E.g. ``"no score for this series"`` for the IC columns.
    """
    return _DEFAULT_REASONS.get(column, "not computable in this run")


def _fmt(value: Any, kind: str) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if kind == "text":
        return str(value) if str(value) else None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return fmt_number(float(value), kind)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def comparison_md(
    rows: Sequence[Mapping[str, Any]],
    verdict: str,
    reason: Callable[[str], str | None],
) -> list[str]:
    """Markdown lines of the comparison section (title, table, verdict).

    Parameters
    ----------
    rows : sequence of mapping
        ``BriefingData.comparison``: ``name``, ``label`` and the numbers of
        :data:`COMPARISON_DISPLAY` (None where not computed).
    verdict : str
        One or two plain sentences; empty when none was computed.
    reason : callable
        Dotted key (``"comparison"``, ``"comparison.<name>.<column>"``) -> the explicit
        ``na_reasons`` entry, or None (then a default reason is used).

    Returns
    -------
    list of str
        Lines, ending with an empty line.
    """
    lines = [f"## {COMPARISON_TITLE}", ""]
    if not rows:
        why = reason("comparison") or NO_COMPARISON
        return [*lines, f"n/a ({why})", ""]
    headers = ["", *(h for _, h, _ in COMPARISON_DISPLAY)]
    table = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        name = str(r.get("name"))
        cells = [name]
        for key, _, kind in COMPARISON_DISPLAY:
            text = _fmt(r.get(key), kind)
            if text is None:
                why = reason(f"comparison.{name}.{key}") or default_comparison_reason(key)
                text = f"n/a ({why})"
            cells.append(text)
        table.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    verdict_line = f"**Verdict:** {verdict}" if verdict else f"Verdict: n/a ({NO_VERDICT})"
    note = (
        "Same OOS sessions in every row; net Sharpe, annual return (CAGR), max drawdown "
        "(depth), exposure (mean fraction invested), time in market (share of sessions "
        "invested) and turnover (one-way, annualised) are computed with the same definitions "
        "for every series."
    )
    return [*lines, *table, "", verdict_line, "", note, ""]
