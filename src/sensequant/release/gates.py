"""Release gates: the checks a run must pass to be ``ready-for-review``.

Each non-None threshold in :class:`~sensequant.settings.GateConfig` is one gate. A gate whose
input could not be computed (NaN or infinite) FAILS with the explanation "not computable: ...":
a missing number is never read as a pass. One gate can instead be NOT EVALUATED: the worst
stress loss of a run to which no stress scenario applies (no historical crisis period inside
its out-of-sample span and, on intraday bars, no intraday scenario); its result has
``evaluated=False``, ``passed=False``, an explanation starting "not evaluated:", and it
counts neither as a pass nor as a failure in :func:`decide` (:func:`decision_reason` names
it). Passing the gates does not approve a run; a named reviewer still has to (see
:mod:`sensequant.release.registry`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from sensequant.errors import PipelineError
from sensequant.settings import GateConfig

Decision = Literal["ready-for-review", "gates-failed"]
READY: Final = "ready-for-review"
FAILED: Final = "gates-failed"
Comparison = Literal[">=", ">", "<="]


@dataclass(frozen=True)
class GateInputs:
    """Computed out-of-sample results the gates look at.

    Attributes
    ----------
    sharpe : float
        Annualised OOS Sharpe ratio of the strategy, net of costs.
    benchmark_sharpe : float
        Annualised Sharpe of the NIFTY 50 price index over the same dates.
    equal_weight_sharpe : float
        Annualised Sharpe of the equal-weight buy-and-hold universe over the same dates.
    dsr : float
        Deflated Sharpe ratio, a probability in [0, 1] (Bailey & Lopez de Prado, 2014).
    max_drawdown : float
        OOS maximum drawdown as a POSITIVE fraction (0.23 == 23 % below the peak).
    sharpe_ci_lower : float
        Lower bound of the bootstrap confidence interval of the annualised Sharpe.
    oos_days : int
        Number of OOS sessions.
    excess_sharpe_ci_lower : float
        Lower bound of the paired stationary-bootstrap CI of (strategy Sharpe - NIFTY 50
        Sharpe); NaN when not computed.
    worst_stress_loss : float
        Worst strategy loss over the covered stress periods as a POSITIVE fraction (0.18 ==
        lost 18 %; 0 or negative = no loss); NaN when no stress period was covered.
    stress_scenarios : str
        Which scenarios ``worst_stress_loss`` is the worst of, in words (shown in the gate's
        text), e.g. ``"intraday: 2024-06-04 election-result session, -5 % gap at the open"``.
    stress_not_evaluated : str or None
        Why no stress scenario applies to the run (the gate is then not evaluated); None when
        scenarios were replayed or the replay did not run (then a NaN loss fails the gate).
    benchmark_name, equal_weight_name : str
        Short names of the benchmark and equal-weight series in the gate texts
        (:class:`~sensequant.release.briefing.SeriesLabels`).
    """

    sharpe: float
    benchmark_sharpe: float
    equal_weight_sharpe: float
    dsr: float
    max_drawdown: float
    sharpe_ci_lower: float
    oos_days: int
    excess_sharpe_ci_lower: float = math.nan
    worst_stress_loss: float = math.nan
    stress_scenarios: str = ""
    stress_not_evaluated: str | None = None
    benchmark_name: str = "NIFTY 50"
    equal_weight_name: str = "equal-weight (monthly, costed)"


@dataclass(frozen=True)
class GateResult:
    """Outcome of one gate.

    Attributes
    ----------
    name : str
        Gate name, e.g. ``sharpe_excess_vs_benchmark``.
    passed : bool
    value : float or None
        The number compared with the threshold; None when it could not be computed.
    threshold : float
    comparison : {">=", ">", "<="}
        ``value <comparison> threshold`` must hold to pass.
    explanation : str
        Plain words with the numbers, e.g.
        ``"OOS Sharpe 0.84 minus NIFTY 50 Sharpe 0.61 = 0.23 > 0.00"``.
    evaluated : bool
        False when the gate does not apply to the run (``passed`` is then False, ``value``
        None, the explanation starts "not evaluated:"); :func:`decide` skips it.
    """

    name: str
    passed: bool
    value: float | None
    threshold: float
    comparison: Comparison
    explanation: str
    evaluated: bool = True

    @property
    def status(self) -> str:
        """``"PASS"``, ``"FAIL"`` or ``"NOT EVALUATED"`` (for tables)."""
        return status_of(self.passed, self.evaluated)


def status_of(passed: bool, evaluated: bool = True) -> str:
    """A gate's status word from its stored ``passed`` and ``evaluated`` (a briefing written
    before ``evaluated`` existed: pass the default)."""
    if not evaluated:
        return "NOT EVALUATED"
    return "PASS" if passed else "FAIL"


_COMPARE: Final[dict[str, Callable[[float, float], bool]]] = {
    ">=": lambda v, t: v >= t,
    ">": lambda v, t: v > t,
    "<=": lambda v, t: v <= t,
}


def _num(value: float, reference: float, *, pct: bool = False) -> str:
    """Format ``value``; extra decimals when the short form would equal ``reference``'s."""
    scale, base, unit = (100.0, 1, " %") if pct else (1.0, 2, "")
    v, r = value * scale, reference * scale
    decimals = base if round(v, base) != round(r, base) else base + 2
    return f"{v:.{decimals}f}{unit}"


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _gate(
    name: str,
    what: str,
    value: float,
    threshold: float,
    comparison: Comparison,
    *,
    missing: list[str],
    pct: bool = False,
    integer: bool = False,
    prefix: str = "",
) -> GateResult:
    if missing:
        return GateResult(
            name=name,
            passed=False,
            value=None,
            threshold=float(threshold),
            comparison=comparison,
            explanation=f"not computable: {', '.join(missing)} is not a finite number",
        )
    passed = _COMPARE[comparison](value, threshold)
    op = comparison if passed else f"is not {comparison}"
    if integer:
        shown_v, shown_t = f"{value:.0f}", f"{threshold:.0f}"
    else:
        shown_v, shown_t = _num(value, threshold, pct=pct), _num(threshold, value, pct=pct)
    return GateResult(
        name=name,
        passed=passed,
        value=float(value),
        threshold=float(threshold),
        comparison=comparison,
        explanation=f"{prefix}{what} {shown_v} {op} {shown_t}".strip(),
    )


def _missing(**values: float) -> list[str]:
    return [name for name, value in values.items() if not _finite(value)]


@dataclass(frozen=True)
class _ThresholdGate:
    """A gate comparing one computed input with one configured threshold."""

    name: str
    label: str
    value: str  # GateInputs attribute
    threshold: str  # GateConfig attribute
    comparison: Comparison
    missing_label: str
    pct: bool = False
    integer: bool = False


_THRESHOLD_GATES: Final[tuple[_ThresholdGate, ...]] = (
    _ThresholdGate("dsr", "Deflated Sharpe ratio", "dsr", "min_dsr", ">=", "deflated Sharpe ratio"),
    _ThresholdGate(
        "max_drawdown",
        "OOS max drawdown",
        "max_drawdown",
        "max_drawdown",
        "<=",
        "OOS max drawdown",
        pct=True,
    ),
    _ThresholdGate(
        "sharpe_ci_lower",
        "Lower bound of the OOS Sharpe confidence interval",
        "sharpe_ci_lower",
        "min_sharpe_ci_lower",
        ">=",
        "Sharpe CI lower bound",
    ),
    _ThresholdGate(
        "excess_sharpe_ci_lower",
        "Lower bound of the bootstrap CI of (OOS Sharpe - NIFTY 50 Sharpe)",
        "excess_sharpe_ci_lower",
        "min_excess_sharpe_ci_lower",
        ">",
        "excess Sharpe CI",
    ),
    _ThresholdGate(
        "worst_stress_loss",
        "Worst stress-period loss",
        "worst_stress_loss",
        "max_stress_loss",
        "<=",
        "worst stress-period loss (no stress period covered)",
        pct=True,
    ),
    _ThresholdGate(
        "oos_days",
        "OOS sessions",
        "oos_days",
        "min_oos_days",
        ">=",
        "number of OOS sessions",
        integer=True,
    ),
)
"""The gates after the two Sharpe-excess gates, in briefing order."""


def evaluate_gates(cfg: GateConfig, inputs: GateInputs) -> list[GateResult]:
    """Evaluate every configured gate.

    Parameters
    ----------
    cfg : GateConfig
        Thresholds; a None threshold switches its gate off.
    inputs : GateInputs
        Computed OOS results.

    Returns
    -------
    list of GateResult
        In the order: Sharpe excess vs NIFTY 50 (``>``), Sharpe excess vs equal weight
        (``>``), DSR (``>=``), max drawdown (``<=``), Sharpe CI lower bound (``>=``), excess
        Sharpe CI lower bound (``>``), worst stress-period loss (``<=``), OOS sessions
        (``>=``). Only gates with a threshold appear.

    Raises
    ------
    PipelineError
        If ``inputs.max_drawdown`` is negative (drawdowns are passed as positive fractions;
        a negative one would silently pass the gate).
    """
    if _finite(inputs.max_drawdown) and inputs.max_drawdown < 0:
        raise PipelineError(
            f"max_drawdown {inputs.max_drawdown} passed to the release gates is negative",
            hint="pass the drawdown as a positive fraction, e.g. 0.23 for a 23 % drawdown",
        )
    s, b, ew = inputs.sharpe, inputs.benchmark_sharpe, inputs.equal_weight_sharpe
    results: list[GateResult] = []
    if cfg.min_sharpe_excess_vs_benchmark is not None:
        bench = inputs.benchmark_name
        miss = _missing(**{"OOS Sharpe": s, f"{bench} Sharpe": b})
        results.append(
            _gate(
                "sharpe_excess_vs_benchmark",
                "" if miss else f"OOS Sharpe {s:.2f} minus {bench} Sharpe {b:.2f} =",
                s - b if not miss else math.nan,
                cfg.min_sharpe_excess_vs_benchmark,
                ">",
                missing=miss,
            )
        )
    if cfg.min_sharpe_excess_vs_equal_weight is not None:
        equal = inputs.equal_weight_name
        miss = _missing(**{"OOS Sharpe": s, f"{equal} Sharpe": ew})
        results.append(
            _gate(
                "sharpe_excess_vs_equal_weight",
                "" if miss else f"OOS Sharpe {s:.2f} minus {equal} Sharpe {ew:.2f} =",
                s - ew if not miss else math.nan,
                cfg.min_sharpe_excess_vs_equal_weight,
                ">",
                missing=miss,
            )
        )
    for spec in _THRESHOLD_GATES:
        threshold = getattr(cfg, spec.threshold)
        if threshold is None:
            continue
        value = float(getattr(inputs, spec.value))
        label, missing_label = spec.label, spec.missing_label
        if spec.name == "excess_sharpe_ci_lower":
            label = label.replace("NIFTY 50", inputs.benchmark_name)
        if spec.name == "worst_stress_loss":
            if inputs.stress_not_evaluated is not None:
                results.append(_not_evaluated(spec, float(threshold), inputs.stress_not_evaluated))
                continue
            if inputs.stress_scenarios:
                label = f"Worst stress loss ({inputs.stress_scenarios})"
        results.append(
            _gate(
                spec.name,
                label,
                value,
                float(threshold),
                spec.comparison,
                missing=_missing(**{missing_label: value}),
                pct=spec.pct,
                integer=spec.integer,
            )
        )
    return results


def _not_evaluated(spec: _ThresholdGate, threshold: float, why: str) -> GateResult:
    return GateResult(
        name=spec.name,
        passed=False,
        value=None,
        threshold=threshold,
        comparison=spec.comparison,
        explanation=f"not evaluated: {why}",
        evaluated=False,
    )


def decide(results: Sequence[GateResult]) -> Decision:
    """Gate decision: ``ready-for-review`` when every EVALUATED gate passed, else
    ``gates-failed``.

    With no gates configured the decision is ``ready-for-review``;
    :func:`decision_reason` says so in words for the briefing, and names the gates that were
    not evaluated.
    """
    return READY if all(r.passed for r in results if r.evaluated) else FAILED


def decision_reason(results: Sequence[GateResult]) -> str:
    """One sentence explaining :func:`decide`'s outcome, naming failed gates.

    Returns
    -------
    str
        e.g. ``"no gates configured: ready-for-review by default (a reviewer still decides)"``,
        ``"all 4 gates passed"``, ``"2 of 4 gates failed: dsr, max_drawdown"``, or with a gate
        not evaluated ``"all 3 evaluated gates passed; not evaluated: worst_stress_loss"``.
    """
    if not results:
        return "no gates configured: ready-for-review by default (a reviewer still decides)"
    skipped = [r.name for r in results if not r.evaluated]
    done = [r for r in results if r.evaluated]
    failed = [r.name for r in done if not r.passed]
    tail = f"; not evaluated: {', '.join(skipped)}" if skipped else ""
    if not failed:
        word = "evaluated gates" if skipped else "gates"
        return f"all {len(done)} {word} passed{tail}"
    word = "evaluated gates" if skipped else "gates"
    return f"{len(failed)} of {len(done)} {word} failed: {', '.join(failed)}{tail}"
