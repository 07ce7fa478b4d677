"""Promotion briefing: the reviewer's summary of a run, generated only from computed results.

``briefing_md.write_briefing`` writes ``promotion_briefing.json`` (machine-readable, the
source of truth) and ``promotion_briefing.md`` (for people) into the run directory. Every
number in either file comes from :class:`BriefingData`; a value the pipeline could not compute
is None (or NaN) and is rendered ``n/a (reason)`` in Markdown and ``null`` in JSON, with the
reason taken from ``BriefingData.na_reasons``. There are no template numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from sensequant.fsutil import to_plain
from sensequant.release.evidence_types import BriefingEvidence
from sensequant.release.gates import Decision, GateResult, decision_reason

SCHEMA_VERSION: Final = 1
JSON_NAME: Final = "promotion_briefing.json"
MD_NAME: Final = "promotion_briefing.md"
STUDENT: Final = "student"
TEACHER: Final = "teacher-direct"
BENCHMARK: Final = "NIFTY 50 (price index)"
"""The benchmark row's name in a daily NIFTY 50 run (others: :class:`SeriesLabels`)."""
EQUAL_WEIGHT: Final = "equal-weight universe, rebalanced monthly, NSE costs"
"""The equal-weight row's name in a daily run (others: :class:`SeriesLabels`)."""
DEFAULT_BENCHMARK_NOTE: Final = (
    "Benchmark: NIFTY 50 price index, no total-return index available, so the benchmark "
    "excludes dividends (which flatters a strategy measured against it)."
)
DEFAULT_SURVIVORSHIP_NOTE: Final = (
    "Survivorship bias: the universe is today's index members, so its history favours "
    "survivors; the equal-weight buy-and-hold of the same symbols is the no-skill baseline a "
    "strategy must beat, not only the index."
)


@dataclass(frozen=True)
class SeriesLabels:
    """What a run's benchmark row and equal-weight row are (stored with the run).

    A run may substitute either series (an intraday run without NIFTY 50 bars at its interval,
    the metals ETFs), so every reader takes the names from here: the briefing JSON stores them
    under ``series_labels``; a briefing written before the key existed had the defaults.

    Attributes
    ----------
    benchmark : str
        Full name of the benchmark row (rebalanced or not, costed or not), e.g.
        ``"NIFTY 50 (price index)"``; also the performance row's ``name``.
    equal_weight : str
        Full name of the equal-weight row the gates compare with.
    benchmark_short, equal_weight_short : str
        Short forms for gate texts and table headers (``"NIFTY 50"``).
    """

    benchmark: str = "NIFTY 50 (price index)"
    equal_weight: str = "equal-weight universe, rebalanced monthly, NSE costs"
    benchmark_short: str = "NIFTY 50"
    equal_weight_short: str = "equal-weight (monthly, costed)"

    def to_dict(self) -> dict[str, str]:
        """The ``series_labels`` key of the briefing JSON."""
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> SeriesLabels:
        """The labels a briefing JSON document stores; the defaults for older documents."""
        raw = doc.get("series_labels") if isinstance(doc, Mapping) else None
        if not isinstance(raw, Mapping):
            return cls()
        names = {k: str(v) for k, v in raw.items() if k in cls.__dataclass_fields__ and v}
        return cls(**names)


@dataclass
class BriefingData:
    """Computed results of one run, as the briefing shows them.

    Fractions throughout (0.123 == 12.3 %); Sharpe/Sortino annualised; dates ISO strings (IST).
    Any value may be None (or NaN) when it could not be computed; give the reason in
    ``na_reasons`` under a dotted key, most specific first: ``"bootstrap"``,
    ``"performance.teacher-direct.sortino"``, ``"signal.student"``, ``"dsr.sr0"`` ...

    Attributes
    ----------
    run_id, created_at, config_name : str
    universe : str
        Universe name (e.g. ``nifty50``).
    symbols : list of str
        Symbols traded (the count is shown).
    start, end : str or None
        OOS date range.
    data_range : str or None
        Range of bars used, e.g. ``"2002-07-01 to 2024-09-06"``.
    window_counts : dict of str to int
        ``trained, skipped, failed, planned``.
    skip_reasons : dict of str to int
        Skip reason -> number of windows.
    failures : list of str
        One line per failed window (symbol, window, error).
    teacher_validation : dict or None
        Metric (``accuracy, precision, recall, f1``) -> ``{"mean": x, "median": y}`` over
        trained windows.
    performance : list of dict
        Rows ``name, cagr, sharpe, sortino, max_drawdown (positive fraction), max_dd_peak,
        max_dd_trough, volatility (annualised), turnover (annualised one-way, multiple of
        capital), hit_rate, total_return`` for ``STUDENT``, ``TEACHER``, ``BENCHMARK``,
        ``EQUAL_WEIGHT`` over the same OOS dates, net of costs (the benchmark and equal-weight
        rows named by ``labels``).
    signal : dict
        Model name -> ``mean_ic, mean_rank_ic, icir, rank_icir, n_days``.
    alpha_beta : dict or None
        ``alpha`` (annualised fraction), ``beta`` vs NIFTY 50, ``convention`` (text).
    bootstrap : dict or None
        Sharpe CI: ``lower, upper, estimate, confidence, reps, block_length, seed``.
    psr : float or None
        Probabilistic Sharpe ratio vs a zero Sharpe.
    dsr : dict or None
        ``dsr, n_trials, trial_sr_variance, sr0`` (per-period SR units).
    trials : list of dict
        Every configuration tried: ``name, sharpe``.
    gates : list of GateResult
    decision : {"ready-for-review", "gates-failed"}
        Must equal ``decide(gates)``.
    costs_note : str
        Cost model used (schedule, slippage).
    artifacts : dict of str to str
        Run-relative path -> SHA-256.
    plot, manifest : str or None
        Run-relative paths of the equity/drawdown PNG and the manifest.
    benchmark_note, survivorship_note : str
    na_reasons : dict of str to str
    """

    run_id: str
    created_at: str
    config_name: str
    universe: str
    symbols: list[str]
    start: str | None
    end: str | None
    data_range: str | None
    window_counts: dict[str, int]
    skip_reasons: dict[str, int]
    failures: list[str]
    teacher_validation: dict[str, dict[str, float | None]] | None
    performance: list[dict[str, Any]]
    signal: dict[str, dict[str, float | None]]
    alpha_beta: dict[str, Any] | None
    bootstrap: dict[str, Any] | None
    psr: float | None
    dsr: dict[str, Any] | None
    trials: list[dict[str, Any]]
    gates: list[GateResult]
    decision: Decision
    costs_note: str
    artifacts: dict[str, str] = field(default_factory=dict)
    plot: str | None = "equity_drawdown.png"
    manifest: str | None = "manifest.yaml"
    benchmark_note: str = DEFAULT_BENCHMARK_NOTE
    survivorship_note: str = DEFAULT_SURVIVORSHIP_NOTE
    na_reasons: dict[str, str] = field(default_factory=dict)
    data_notes: list[str] = field(default_factory=list)
    """Further data notes, one line each (e.g. the structural breaks kept out of the run)."""
    evidence: BriefingEvidence = field(default_factory=BriefingEvidence)
    """Further computed evidence, stored under its own top-level JSON keys: ``comparisons``,
    ``bootstrap_extra``, ``snooping``, ``min_track_record_length``, ``ic_by_year``,
    ``deciles``, ``decile_spread``, ``feature_importance``, ``stress``, ``zero_trades``,
    ``report`` (see :mod:`sensequant.release.evidence_types` and
    :mod:`sensequant.release.briefing_evidence`)."""
    comparison: list[dict[str, Any]] = field(default_factory=list)
    """Model and baselines on identical OOS dates, one dict per series (in table order):
    ``name``, ``label`` (what the series is: rebalanced or not, costed or not) and the numbers
    of :data:`~sensequant.evaluation.comparison.COMPARISON_COLUMNS` (``mean_ic, rank_ic, icir,
    sharpe, annual_return, max_drawdown, mean_exposure, time_in_market, annual_turnover,
    n_days``; fractions, ``max_drawdown`` a depth <= 0), None where not available. Empty when
    the run computed none (the reason under ``na_reasons["comparison"]``)."""
    comparison_verdict: str = ""
    """One or two plain sentences on the comparison (e.g. whether distillation beat the
    direct model); empty when none was computed."""
    costs: dict[str, Any] = field(default_factory=dict)
    """Gross vs net returns and rupees paid per NSE charge (``gross_total_return,
    net_total_return, gross_cagr, net_cagr, paid_inr, traded_inr, n_trades, capital_inr``);
    empty when not computed. Stored under ``costs``."""
    industries: dict[str, str | None] = field(default_factory=dict)
    """Symbol -> industry of the catalog's symbol master (the NIFTY 100 list's ``Industry``;
    None = unknown), stored as ``universe.industries``; the report's sector weights use it."""
    labels: SeriesLabels = field(default_factory=SeriesLabels)
    """What the benchmark and equal-weight rows are (stored as ``series_labels``)."""

    def row(self, name: str) -> dict[str, Any] | None:
        """The performance row called ``name``, or None."""
        return next((r for r in self.performance if r.get("name") == name), None)

    def reason(self, key: str) -> str:
        """Why ``key`` (dotted) is missing: the most specific entry of ``na_reasons``."""
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            found = self.na_reasons.get(".".join(parts[:n]))
            if found:
                return found
        return "not computed"


def _get(mapping: dict[str, Any] | None, key: str) -> Any:
    return None if mapping is None else mapping.get(key)


def headline(data: BriefingData) -> dict[str, Any]:
    """Key numbers for the registry and the briefing's first lines (None when missing)."""
    student = data.row(STUDENT) or (data.performance[0] if data.performance else None)
    return to_plain(
        {
            "decision": data.decision,
            "oos_start": data.start,
            "oos_end": data.end,
            "sharpe": _get(student, "sharpe"),
            "benchmark_sharpe": _get(data.row(data.labels.benchmark), "sharpe"),
            "equal_weight_sharpe": _get(data.row(data.labels.equal_weight), "sharpe"),
            "cagr": _get(student, "cagr"),
            "max_drawdown": _get(student, "max_drawdown"),
            "mean_ic": _get(data.signal.get(STUDENT), "mean_ic"),
            "dsr": _get(data.dsr, "dsr"),
            "n_trials": _get(data.dsr, "n_trials"),
        }
    )


_CORE_KEYS: Final = frozenset(
    {
        "schema_version",
        "run_id",
        "created_at",
        "config_name",
        "universe",
        "oos",
        "decision",
        "gates",
        "headline",
        "performance",
        "signal",
        "notes",
        "artifacts",
        "na_reasons",
        "comparison",
        "comparison_verdict",
        "series_labels",
    }
)


def briefing_to_dict(data: BriefingData) -> dict[str, Any]:
    """The JSON document (plain data; NaN -> None) that ``promotion_briefing.json`` holds."""
    return to_plain(
        {
            "schema_version": SCHEMA_VERSION,
            "run_id": data.run_id,
            "created_at": data.created_at,
            "config_name": data.config_name,
            "universe": {
                "name": data.universe,
                "n_symbols": len(data.symbols),
                "symbols": list(data.symbols),
                "industries": {s: data.industries.get(s) for s in data.symbols},
            },
            "oos": {"start": data.start, "end": data.end},
            "data_range": data.data_range,
            "decision": data.decision,
            "decision_reason": decision_reason(data.gates),
            "gates": [asdict(g) for g in data.gates],
            "headline": headline(data),
            "performance": data.performance,
            "signal": data.signal,
            "alpha_beta": data.alpha_beta,
            "bootstrap": data.bootstrap,
            "psr": data.psr,
            "dsr": data.dsr,
            "trials": data.trials,
            "windows": {
                "counts": data.window_counts,
                "skip_reasons": data.skip_reasons,
                "failures": data.failures,
            },
            "teacher_validation": data.teacher_validation,
            "notes": {
                "benchmark": data.benchmark_note,
                "survivorship": data.survivorship_note,
                "costs": data.costs_note,
                "data": data.data_notes,
            },
            "plot": data.plot,
            "manifest": data.manifest,
            "artifacts": data.artifacts,
            "na_reasons": data.na_reasons,
            **{k: v for k, v in data.evidence.to_dict().items() if k not in _CORE_KEYS},
            "comparison": data.comparison,
            "comparison_verdict": data.comparison_verdict,
            "costs": data.costs,
            "series_labels": data.labels.to_dict(),
        }
    )
