"""What ``sensequant show`` adds from a run's own files: the failed gates with their reasons,
the strategy's exposure, whether an approval overrode failed gates, and where the report is.

Read-only; every value is printed literally (see :func:`sensequant.cli.common.literal`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sensequant.cli.common import literal, out
from sensequant.release import Event, SeriesLabels

__all__ = ["detail_lines", "print_details"]


def _pct(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.1f} %"
    return "n/a"


def _briefing(run_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((run_dir / "promotion_briefing.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def detail_lines(run_dir: Path, events: Sequence[Event]) -> list[tuple[str, str]]:
    """The lines ``show`` prints after the headline, as ``(text, style)`` pairs.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run directory (``promotion_briefing.json``, ``report.html``).
    events : sequence of Event
        The run's registry events (for the override flag).

    Returns
    -------
    list of (str, str)
        Failed gates with their explanations (or "all passed"), mean exposure and time in
        market, the override flag and the report path; each missing file is named.
    """
    lines: list[tuple[str, str]] = []
    b = _briefing(run_dir)
    if b is None:
        lines.append((f"gates, exposure: {run_dir / 'promotion_briefing.json'} not readable", ""))
    else:
        gates = [g for g in b.get("gates") or [] if isinstance(g, dict)]
        skipped = [g for g in gates if g.get("evaluated", True) is False]
        gates = [g for g in gates if g not in skipped]
        failed = [g for g in gates if not g.get("passed")]
        if not gates:
            lines.append(("gates: none evaluated", ""))
        elif not failed:
            lines.append((f"gates: all {len(gates)} passed", ""))
        else:
            lines.append((f"gates: {len(failed)} of {len(gates)} failed", "bold"))
            for g in failed:
                lines.append((f"  FAIL {g.get('name')}: {g.get('explanation', '')}", ""))
        for g in skipped:
            lines.append((f"  NOT EVALUATED {g.get('name')}: {g.get('explanation', '')}", ""))
        student = next(
            (r for r in b.get("performance") or [] if isinstance(r, dict)
             and r.get("name") == "student"),
            {},
        )  # fmt: skip
        lines.append(
            (
                f"exposure: {_pct(student.get('exposure'))} invested on average, in the market "
                f"on {_pct(student.get('time_in_market'))} of sessions "
                f"({SeriesLabels.from_doc(b).benchmark_short}: 100 %)",
                "",
            )
        )
    overrides = [e for e in events if e.override]
    if overrides:
        for e in overrides:
            lines.append(
                (
                    f"override: yes, {e.actor} approved despite failed gates at "
                    f"{str(e.at)[:19]}: {e.note or ''}",
                    "bold",
                )
            )
    else:
        lines.append(("override: no", ""))
    report = run_dir / "report.html"
    lines.append((f"report: {report}" if report.is_file() else f"report: {report} (missing)", ""))
    return lines


def print_details(run_dir: Path, events: Sequence[Event]) -> None:
    """Print :func:`detail_lines` literally on stdout, never wrapped (paths stay copyable)."""
    for text, style in detail_lines(run_dir, events):
        out.print(literal(text, style) if style else literal(text), soft_wrap=True)
