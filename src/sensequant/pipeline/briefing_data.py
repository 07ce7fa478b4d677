"""Assemble :class:`~sensequant.release.briefing.BriefingData` and the gate inputs from a
run's computed results. Nothing here computes a metric; it only files numbers computed by
:mod:`sensequant.pipeline.evidence`, :mod:`sensequant.pipeline.statistics` and the stress
replay, with the reason wherever one is missing."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from sensequant.dataset import WindowStatus
from sensequant.evaluation.costs import FeeSchedule, Segment
from sensequant.evaluation.metrics import PerformanceSummary, cagr
from sensequant.evaluation.signal import DECILE_MIN_SYMBOLS
from sensequant.evaluation.stress_report import StressReport
from sensequant.pipeline.cost_components import COMPONENTS, cost_components
from sensequant.pipeline.evidence import EQUAL, NIFTY, STUDENT, TEACHER, Evaluation
from sensequant.pipeline.preflight import PreflightReport
from sensequant.pipeline.rundir import EQUITY_PLOT, MANIFEST
from sensequant.pipeline.teachers import WindowOutcome, validation_summary
from sensequant.release.briefing import BENCHMARK, BriefingData, SeriesLabels
from sensequant.release.briefing_comparison import NO_COMPARISON
from sensequant.release.evidence_types import BriefingEvidence
from sensequant.release.gates import GateInputs, GateResult, decide
from sensequant.settings import RunConfig

BENCHMARK_NOTE = (
    "Strategy and benchmarks are price returns: stock prices are Yahoo closes adjusted for "
    "splits and bonuses but not dividends, and the benchmark is the NIFTY 50 PRICE index; no "
    "total-return index is available here."
)


def benchmark_note(labels: SeriesLabels) -> str:
    """The briefing's benchmark note for a run whose benchmark row is ``labels.benchmark``."""
    if labels.benchmark == BENCHMARK:
        return BENCHMARK_NOTE
    return (
        "Strategy and benchmarks are price returns (prices adjusted for splits and bonuses, "
        "not dividends; no total-return series is used). The benchmark rows are: "
        f"{labels.benchmark}; the equal-weight rows are: {labels.equal_weight}."
    )


def num(x: Any) -> float | None:
    """A finite float, or None (NaN/inf/None are never written as numbers)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _perf_row(name: str, s: PerformanceSummary) -> dict[str, Any]:
    dd = s.max_drawdown
    return {
        "name": name,
        "cagr": num(s.cagr),
        "sharpe": num(s.sharpe),
        "sortino": num(s.sortino),
        "max_drawdown": num(abs(dd.depth)),
        "max_dd_peak": dd.peak.date().isoformat() if dd.peak is not None else None,
        "max_dd_trough": dd.trough.date().isoformat() if dd.trough is not None else None,
        "volatility": num(s.annual_volatility),
        "turnover": num(s.annual_turnover),
        "exposure": num(s.mean_exposure),
        "time_in_market": num(s.time_in_market),
        "hit_rate": num(s.hit_rate),
        "total_return": num(s.total_return),
    }


def comparison_rows(
    table: pd.DataFrame | None, na: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The comparison table as plain rows: ``name``, ``label``, then the numbers.

    Parameters
    ----------
    table : pandas.DataFrame or None
        Index = series name, columns
        :data:`~sensequant.evaluation.comparison.COMPARISON_COLUMNS` plus ``label`` (str);
        None or empty when the run computed no comparison.
    na : dict of str to str, optional
        Filled in place with ``na["comparison"]`` (why the table is absent) when there is
        no table.

    Returns
    -------
    list of dict
        One dict per row, in the table's order; NaN/inf -> None, ``n_days`` an int.
    """
    if table is None or table.empty:
        if na is not None:
            na.setdefault("comparison", NO_COMPARISON)
        return []
    rows = []
    for name, values in table.iterrows():
        label = values.get("label")
        row: dict[str, Any] = {"name": str(name), "label": label if isinstance(label, str) else ""}
        for col in table.columns:
            if col != "label":
                value = num(values[col])
                row[str(col)] = int(value) if col == "n_days" and value is not None else value
        rows.append(row)
    return rows


def costs_summary(ev: Evaluation, config: RunConfig) -> dict[str, Any]:
    """Gross vs net returns of the student and the rupees it paid per NSE charge.

    Returns
    -------
    dict
        ``gross_total_return, net_total_return, gross_cagr, net_cagr`` (fractions, OOS),
        ``paid_inr`` (charge -> rupees, see :data:`~sensequant.pipeline.cost_components.
        COMPONENTS`, plus ``total``), ``traded_inr``, ``n_trades``, ``capital_inr``.
    """
    r, periods = ev.returns, config.stats.periods_per_year
    bt = ev.student_bt
    segment: Segment = "intraday" if bt.segment == "intraday" else "delivery"
    parts = cost_components(bt.ledger, FeeSchedule.load(), segment)
    paid = {c: float(parts[c].sum()) for c in COMPONENTS}
    return {
        "gross_total_return": num(np.prod(1.0 + r["student_gross"].to_numpy()) - 1.0),
        "net_total_return": num(np.prod(1.0 + r["student_net"].to_numpy()) - 1.0),
        "gross_cagr": num(cagr(r["student_gross"], periods=periods)),
        "net_cagr": num(cagr(r["student_net"], periods=periods)),
        "paid_inr": paid | {"total": float(parts["cost_inr"].sum())},
        "traded_inr": float(parts["notional_inr"].sum()),
        "n_trades": len(parts),
        "capital_inr": bt.capital_inr,
    }


def gate_inputs(ev: Evaluation, stress: StressReport | None) -> GateInputs:
    """Gate inputs from the evaluation and the stress replay (NaN where not computed)."""
    s, n, e = ev.summaries[STUDENT], ev.summaries[NIFTY], ev.summaries[EQUAL]
    names = ev.labels
    excess = next(
        (c for c in ev.evidence.comparisons if c.name == f"student - {names.benchmark}"), None
    )
    worst, used = stress.worst_loss() if stress is not None else (None, [])
    return GateInputs(
        sharpe=s.sharpe,
        benchmark_sharpe=n.sharpe,
        equal_weight_sharpe=e.sharpe,
        dsr=ev.dsr.dsr if ev.dsr else math.nan,
        max_drawdown=abs(s.max_drawdown.depth),
        sharpe_ci_lower=ev.bootstrap.lower if ev.bootstrap else math.nan,
        oos_days=s.n_days,
        excess_sharpe_ci_lower=excess.ci.lower if excess else math.nan,
        worst_stress_loss=max(0.0, -worst) if worst is not None else math.nan,
        stress_scenarios=_scenario_words(stress, used),
        stress_not_evaluated=_no_scenario(stress) if worst is None else None,
        benchmark_name=names.benchmark_short,
        equal_weight_name=names.equal_weight_short,
    )


def _scenario_words(stress: StressReport | None, used: list[str]) -> str:
    """Which scenarios the worst stress loss is the worst of (the gate's text)."""
    if stress is None or not used:
        return ""
    kind = "intraday scenarios" if stress.intraday else "historical periods"
    return f"{kind}: {'; '.join(used)}"


def _no_scenario(stress: StressReport | None) -> str | None:
    """Why no stress scenario applies to the run (None: the replay did not run at all, so a
    missing loss fails the gate as not computable)."""
    if stress is None:
        return None
    parts = [f"{s.name}: {s.reason}" for s in stress.skipped[:3]]
    if len(stress.skipped) > 3:
        parts.append(f"{len(stress.skipped) - 3} more skipped")
    if stress.periods:  # only the synthetic gap-down ran
        parts.append("the synthetic gap-down is reported but not counted")
    if not parts and stress.notes:
        parts.append(stress.notes[-1])
    why = f" ({'; '.join(parts)})" if parts else ""
    return f"no stress scenario applies to this run{why}"


def build_briefing_data(
    *,
    run_id: str,
    created_at: str,
    config: RunConfig,
    preflight: PreflightReport,
    outcomes: list[WindowOutcome],
    ev: Evaluation,
    gates: list[GateResult],
    evidence: BriefingEvidence,
) -> BriefingData:
    """Everything the briefing shows, with ``na_reasons`` for each missing value."""
    counts = Counter(o.status.value for o in outcomes)
    skip_reasons = Counter(
        (o.reason or "").split(":")[0] for o in outcomes if o.status is WindowStatus.SKIPPED
    )
    failures = [
        f"{o.window.window_id}: {(o.reason or '').splitlines()[0]}"
        for o in outcomes
        if o.status is WindowStatus.FAILED
    ]
    val = validation_summary(outcomes)
    names = ev.labels
    bench = names.benchmark
    na: dict[str, str] = {
        f"performance.{bench}.turnover": "a benchmark: no trading modelled",
        f"performance.{bench}.exposure": "a benchmark: always fully invested",
        f"performance.{bench}.time_in_market": "a benchmark: always fully invested",
    }
    signal: dict[str, dict[str, float | None]] = {}
    for name in (STUDENT, TEACHER):
        ic = ev.ic[name]
        signal[name] = {}
        if ic is None:
            na[f"signal.{name}"] = "fewer than 5 symbols with forward returns on every date"
        else:
            signal[name] = {
                "mean_ic": num(ic.mean_ic),
                "mean_rank_ic": num(ic.mean_rank_ic),
                "icir": num(ic.icir),
                "rank_icir": num(ic.rank_icir),
                "n_days": ic.n_days,
            }
    if not ev.evidence.deciles:
        na["deciles"] = (
            f"no session had at least {DECILE_MIN_SYMBOLS} stocks with a forward return (the "
            f"run has {len(preflight.symbols)}): deciles need {DECILE_MIN_SYMBOLS} or more"
        )
    for key, value in (("bootstrap", ev.bootstrap), ("dsr", ev.dsr), ("psr", ev.psr)):
        if value is None:
            na[key] = next((n for n in ev.notes if key in n.lower()), "not computable")
    bt = config.backtest
    costs_note = (
        f"NSE {bt.cost_segment} charges from the effective-dated schedule (STT, exchange "
        f"transaction charge, IPFT, SEBI fee, stamp duty, GST, DP charge) + "
        f"{bt.slippage_bps:g} bp slippage per side; fills at the {bt.fill.replace('_', ' ')}; "
        f"no-trade band {bt.rebalance_tolerance:.0%}; capital Rs {bt.capital_inr:,.0f}"
    )
    comparison = comparison_rows(ev.comparison, na)
    oos = ev.returns.index
    b, d = ev.bootstrap, ev.dsr
    st = config.stats
    return BriefingData(
        run_id=run_id,
        created_at=created_at,
        config_name=config.name,
        universe=config.data.universe,
        symbols=preflight.symbols,
        start=oos[0].date().isoformat(),
        end=oos[-1].date().isoformat(),
        data_range=f"{preflight.range_start.date()} to {preflight.range_end.date()}",
        window_counts={
            "planned": len(outcomes),
            "trained": counts.get("trained", 0),
            "skipped": counts.get("skipped", 0),
            "failed": counts.get("failed", 0),
        },
        skip_reasons=dict(skip_reasons),
        failures=failures,
        teacher_validation={
            k: {"mean": val.get(f"mean_{k}"), "median": val.get(f"median_{k}")}
            for k in ("accuracy", "precision", "recall", "f1")
        },
        performance=[
            _perf_row(STUDENT, ev.summaries[STUDENT]),
            _perf_row(TEACHER, ev.summaries[TEACHER]),
            _perf_row(bench, ev.summaries[NIFTY]),
            _perf_row(names.equal_weight, ev.summaries[EQUAL]),
        ],
        signal=signal,
        alpha_beta={
            "alpha": num(ev.alpha),
            "beta": num(ev.beta),
            "convention": f"OLS of daily student net returns on {bench} returns "
            f"(risk-free {st.risk_free_rate:.2%}/yr); alpha = daily intercept x "
            f"{st.periods_per_year} (arithmetic)",
        },
        bootstrap=(
            {
                "estimate": num(b.estimate),
                "lower": num(b.lower),
                "upper": num(b.upper),
                "confidence": b.confidence,
                "reps": b.reps,
                "block_length": num(b.block_length),
                "seed": b.seed,
                "method": b.method,
            }
            if b
            else None
        ),
        psr=num(ev.psr),
        dsr=(
            {
                "dsr": num(d.dsr),
                "n_trials": d.n_trials,
                # of which from earlier runs and sweeps in the trial ledger (same universe,
                # interval, overlapping OOS span); the rest are this run's own
                "ledger_trials": ev.ledger_trials,
                # every trial recorded, identical returns (re-runs) included; n_trials is
                # the distinct ones
                "trials_recorded": ev.trials_recorded or d.n_trials,
                "trial_sr_variance": num(d.trial_sr_variance),
                "sr0": num(d.sr0_per_period),
            }
            if d
            else None
        ),
        trials=[t.to_dict() for t in ev.trials],
        gates=gates,
        decision=decide(gates),
        costs_note=costs_note,
        plot=EQUITY_PLOT,
        manifest=MANIFEST,
        benchmark_note=benchmark_note(names),
        na_reasons=na,
        data_notes=[*preflight.notes, *_break_notes(preflight)],
        evidence=evidence,
        comparison=comparison,
        comparison_verdict=ev.comparison_verdict,
        industries=preflight.industries,
        costs=costs_summary(ev, config),
        labels=names,
    )


def _break_notes(preflight: PreflightReport) -> list[str]:
    """The structural breaks kept out of the run, for the briefing's data notes."""
    notes = preflight.break_notes(group_bad_prints=True)
    if not notes:
        return []
    head = (
        f"Structural breaks: {len(preflight.breaks)} kept out of labels, training windows and "
        "backtest returns (level shift: history before it dropped; spike: its sessions "
        "dropped; bad print: open replaced by the close):"
    )
    return [head, *notes]
