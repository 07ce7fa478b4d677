"""Shared helpers of the HTML run report: number formatting, HTML snippets and the
:class:`_Run` view of a run directory's artifacts (used by :mod:`sensequant.release.report`
and its section modules)."""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd
import yaml

from sensequant.errors import PipelineError
from sensequant.evaluation.metrics import PERIODS_PER_YEAR
from sensequant.release.briefing import (
    BENCHMARK,
    EQUAL_WEIGHT,
    JSON_NAME,
    STUDENT,
    TEACHER,
    SeriesLabels,
)

logger = logging.getLogger(__name__)

NOT_COMPUTED: Final = "not computed in this run"
NEVER_TRADED: Final = "the strategy never traded"


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


def _gate_badge(gate: dict[str, Any]) -> str:
    """PASS / FAIL badge of a stored gate, or NOT EVALUATED (neither pass nor fail)."""
    if gate.get("evaluated", True) is False:
        return '<span class="badge">NOT EVALUATED</span>'
    return _badge(bool(gate.get("passed")))


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
    config: dict[str, Any] = field(default_factory=dict)
    """The run's ``config.yaml`` (empty when absent or unreadable)."""

    def explicit_reason(self, key: str) -> str | None:
        """The most specific ``na_reasons`` entry for dotted ``key``, or None."""
        reasons = self.b.get("na_reasons")
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            found = reasons.get(".".join(parts[:n])) if isinstance(reasons, dict) else None
            if found:
                return str(found)
        return None

    @property
    def labels(self) -> SeriesLabels:
        """What the run's benchmark and equal-weight rows are (the briefing's
        ``series_labels``; the NIFTY 50 / monthly defaults for older runs)."""
        return SeriesLabels.from_doc(self.b)

    def daily_names(self) -> dict[str, str]:
        """``returns/daily.parquet`` column -> the name of the series it holds."""
        names = self.labels
        return {
            "student_net": STUDENT,
            "teacher_direct_net": TEACHER,
            "nifty50": names.benchmark,
            "equal_weight": names.equal_weight,
        }

    def reason(self, key: str) -> str:
        """Why the null value at dotted ``key`` is missing."""
        names = self.labels
        defaults = {
            f"performance.{names.benchmark}.turnover": _DEFAULT_REASONS[
                f"performance.{BENCHMARK}.turnover"
            ],
            f"performance.{names.equal_weight}.turnover": _DEFAULT_REASONS[
                f"performance.{EQUAL_WEIGHT}.turnover"
            ],
        }
        found = self.explicit_reason(key) or _DEFAULT_REASONS.get(key) or defaults.get(key)
        if found:
            return found
        baseline = not key.endswith((f".{STUDENT}.precision", f".{STUDENT}.recall"))
        if key.startswith("stress.") and key.endswith((".precision", ".recall")) and baseline:
            return "a baseline makes no predictions"
        if key.startswith("stress.") and ".cash." in key:
            return "cash does not move: a risk ratio is undefined"
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

    def returns_frame(self, name: str) -> tuple[pd.DataFrame | None, str]:
        """``returns/<name>.parquet`` indexed by timestamp, or None and why it is missing."""
        path = self.run_dir / "returns" / f"{name}.parquet"
        if not path.is_file():
            return None, f"returns/{name}.parquet not in the run directory"
        return _frame(path), ""

    def section(self, name: str) -> dict[str, Any]:
        """Config section ``name`` of ``config.yaml`` (empty dict when absent)."""
        value = self.config.get(name)
        return value if isinstance(value, dict) else {}

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
    config: dict[str, Any] = {}
    try:
        loaded = yaml.safe_load((run_dir / "config.yaml").read_text())
        config = loaded if isinstance(loaded, dict) else {}
        stats = config.get("stats") or {}
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
        config,
    )
