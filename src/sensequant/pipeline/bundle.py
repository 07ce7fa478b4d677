"""Release phase: save every artifact, evaluate gates, write the briefing and manifest,
register the run.

Nothing here computes a metric: numbers come from :class:`~sensequant.pipeline.evaluate.
Evaluation`; this module only files them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import lightgbm
import pandas as pd

from sensequant.data.store import BarStore
from sensequant.evaluation.metrics import PerformanceSummary
from sensequant.features import feature_set_hash
from sensequant.models.serialize import save_model
from sensequant.models.student import WalkForwardResult, fit_release_student
from sensequant.models.teacher import teacher_params
from sensequant.pipeline.evaluate import EQUAL, NIFTY, STUDENT, TEACHER, Evaluation
from sensequant.pipeline.modelling import (
    SymbolFrame,
    WindowOutcome,
    teacher_frame,
    validation_summary,
)
from sensequant.pipeline.preflight import PreflightReport
from sensequant.pipeline.rundir import write_parquet
from sensequant.release.briefing import BriefingData, headline, write_briefing
from sensequant.release.gates import GateInputs, GateResult, decide, evaluate_gates
from sensequant.release.manifest import (
    build_manifest,
    sha256_file,
    to_plain,
    write_json_atomic,
    write_yaml_atomic,
)
from sensequant.release.plots import equity_drawdown_png
from sensequant.release.registry import Registry
from sensequant.settings import RunConfig
from sensequant.telemetry import Telemetry
from sensequant.windows import WindowStatus


@dataclass(frozen=True)
class ReleaseOutcome:
    """Gate results, the decision they imply, and the headline numbers registered."""

    decision: str
    gates: list[GateResult]
    headline: dict[str, Any]


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _perf_row(name: str, s: PerformanceSummary) -> dict[str, Any]:
    return {
        "name": name,
        "cagr": _num(s.cagr),
        "sharpe": _num(s.sharpe),
        "sortino": _num(s.sortino),
        "max_drawdown": _num(abs(s.max_drawdown.depth)),
        "max_dd_peak": s.max_drawdown.peak.date().isoformat() if s.max_drawdown.peak else None,
        "max_dd_trough": (
            s.max_drawdown.trough.date().isoformat() if s.max_drawdown.trough else None
        ),
        "volatility": _num(s.annual_volatility),
        "turnover": _num(s.annual_turnover),
        "hit_rate": _num(s.hit_rate),
        "total_return": _num(s.total_return),
    }


def _save_models(
    run_dir: Path,
    config: RunConfig,
    outcomes: list[WindowOutcome],
    student: WalkForwardResult,
    panel_features: list[str],
    release_student: tuple[str, dict[str, Any]],
) -> None:
    fhash = feature_set_hash()
    teachers = teacher_frame(outcomes)
    write_parquet(teachers, run_dir / "models" / "teachers.parquet")
    write_json_atomic(
        run_dir / "models" / "teachers.json",
        {
            "format": "one LightGBM text model per row of teachers.parquet (column model_text)",
            "n_models": len(teachers),
            "feature_names": panel_features,
            "feature_set_hash": fhash,
            "params": teacher_params(config.teacher, seed=config.seed),
            "horizon": config.labels.horizon,
            "lightgbm_version": lightgbm.__version__,
            "classes": ["down", "flat", "up"],
        },
    )
    periods = pd.DataFrame(
        [
            {
                "period_id": p.period_id,
                "test_start": p.test_start,
                "test_end": p.test_end,
                "train_start": p.train_start,
                "train_end": p.train_end,
                "max_window_end": p.max_window_end,
                "n_train": p.n_train,
                "n_test": p.n_test,
                "model_text": p.model_text,
            }
            for p in student.periods
        ]
    )
    write_parquet(periods, run_dir / "models" / "student_walkforward.parquet")
    model_text, meta = release_student
    save_model(run_dir / "models", "student", model_text, meta | {"feature_set_hash": fhash})


def write_release(
    *,
    run_id: str,
    run_dir: Path,
    config: RunConfig,
    store: BarStore,
    preflight: PreflightReport,
    outcomes: list[WindowOutcome],
    student: WalkForwardResult,
    teacher_pred: pd.DataFrame,
    soft_labels: pd.DataFrame,
    panel: pd.DataFrame,
    frames: dict[str, SymbolFrame],
    evaluation: Evaluation,
    registry: Registry,
    telemetry: Telemetry,
) -> ReleaseOutcome:
    """File the run's artifacts, decide the gates and register the candidate.

    Returns
    -------
    ReleaseOutcome
    """
    ev = evaluation
    feature_names = list(next(iter(frames.values())).features.columns)
    release_model = fit_release_student(
        panel,
        soft_labels,
        cfg=config.student,
        horizon=config.labels.horizon,
        seed=config.seed,
        feature_names=feature_names,
        as_of=preflight.range_end,
    )
    _save_models(run_dir, config, outcomes, student, feature_names, release_model)
    write_parquet(soft_labels, run_dir / "soft_labels.parquet")
    write_parquet(student.predictions, run_dir / "predictions" / "student_oos.parquet")
    write_parquet(teacher_pred, run_dir / "predictions" / "teacher_direct_oos.parquet")
    write_parquet(
        ev.returns.rename_axis("timestamp").reset_index(), run_dir / "returns" / "daily.parquet"
    )
    write_parquet(
        ev.trial_returns.rename_axis("timestamp").reset_index(),
        run_dir / "returns" / "trials.parquet",
    )
    write_parquet(
        ev.ic_daily.rename_axis("timestamp").reset_index(), run_dir / "returns" / "ic_daily.parquet"
    )
    write_parquet(ev.student_bt.ledger, run_dir / "returns" / "ledger.parquet")

    wealth = {
        "student (net)": (1 + ev.returns["student_net"]).cumprod(),
        NIFTY: (1 + ev.returns["nifty50"]).cumprod(),
        EQUAL: (1 + ev.returns["equal_weight"]).cumprod(),
        "teacher-direct (net)": (1 + ev.returns["teacher_direct_net"]).cumprod(),
    }
    equity_drawdown_png(
        run_dir / "report" / "equity_drawdown.png",
        wealth,
        title=f"SenseQuant run {run_id}: out-of-sample growth of 1 (net of NSE costs)",
        log_scale=len(ev.returns) > 5 * 252,
    )

    s, n, e = ev.summaries[STUDENT], ev.summaries[NIFTY], ev.summaries[EQUAL]
    gates = evaluate_gates(
        config.gates,
        GateInputs(
            sharpe=s.sharpe,
            benchmark_sharpe=n.sharpe,
            equal_weight_sharpe=e.sharpe,
            dsr=ev.dsr.dsr,
            max_drawdown=abs(s.max_drawdown.depth),
            sharpe_ci_lower=ev.bootstrap.lower,
            oos_days=s.n_days,
        ),
    )
    decision = decide(gates)

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
    teacher_validation = {
        k: {"mean": val.get(f"mean_{k}"), "median": val.get(f"median_{k}")}
        for k in ("accuracy", "precision", "recall", "f1")
    }
    na: dict[str, str] = {}
    signal: dict[str, dict[str, float | None]] = {}
    for name in (STUDENT, TEACHER):
        ic = ev.ic[name]
        if ic is None:
            na[f"signal.{name}"] = "fewer than 5 symbols with forward returns on every date"
            signal[name] = {}
        else:
            signal[name] = {
                "mean_ic": _num(ic.mean_ic),
                "mean_rank_ic": _num(ic.mean_rank_ic),
                "icir": _num(ic.icir),
                "rank_icir": _num(ic.rank_icir),
                "n_days": ic.n_days,
            }
    fees_note = (
        f"NSE {config.backtest.cost_segment} charges from the effective-dated schedule "
        f"(STT, exchange transaction charge, IPFT, SEBI fee, stamp duty, GST, DP charge) + "
        f"{config.backtest.slippage_bps:g} bp slippage per side; fills at the "
        f"{config.backtest.fill.replace('_', ' ')}; capital Rs {config.backtest.capital_inr:,.0f}"
    )
    oos = ev.returns.index
    data = BriefingData(
        run_id=run_id,
        created_at=telemetry.events[0]["ts"] if telemetry.events else "",
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
        teacher_validation=teacher_validation,
        performance=[
            _perf_row(STUDENT, s),
            _perf_row(TEACHER, ev.summaries[TEACHER]),
            _perf_row(NIFTY, n),
            _perf_row(EQUAL, e),
        ],
        signal=signal,
        alpha_beta={
            "alpha": _num(ev.alpha),
            "beta": _num(ev.beta),
            "convention": "OLS of daily student net returns on NIFTY 50 price-index returns "
            f"(risk-free {config.stats.risk_free_rate:.2%}/yr); alpha = daily intercept x "
            f"{config.stats.periods_per_year} (arithmetic)",
        },
        bootstrap={
            "estimate": _num(ev.bootstrap.estimate),
            "lower": _num(ev.bootstrap.lower),
            "upper": _num(ev.bootstrap.upper),
            "confidence": ev.bootstrap.confidence,
            "reps": ev.bootstrap.reps,
            "block_length": _num(ev.bootstrap.block_length),
            "seed": ev.bootstrap.seed,
            "method": ev.bootstrap.method,
        },
        psr=_num(ev.psr),
        dsr={
            "dsr": _num(ev.dsr.dsr),
            "n_trials": ev.dsr.n_trials,
            "trial_sr_variance": _num(ev.dsr.trial_sr_variance),
            "sr0": _num(ev.dsr.sr0_per_period),
        },
        trials=ev.trials,
        gates=gates,
        decision=decision,
        costs_note=fees_note,
        plot="report/equity_drawdown.png",
        manifest="manifest.yaml",
        na_reasons=na,
    )
    write_briefing(run_dir, data)

    fingerprints = [
        to_plain(asdict(store.fingerprint(sym, config.data.interval)))
        for sym in [*preflight.symbols, config.data.benchmark]
    ]
    artifacts = {
        str(p.relative_to(run_dir)): sha256_file(p)
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and p.name not in {"telemetry.jsonl", "manifest.yaml"}
    }
    manifest = build_manifest(
        run_id=run_id,
        created_at=data.created_at,
        config=config,
        data_fingerprints=fingerprints,
        feature_set_hash=feature_set_hash(),
        seeds={"run": config.seed, "bootstrap": ev.bootstrap.seed, "lightgbm": config.seed},
        artifacts=artifacts,
        extra={"notes": ev.notes, "decision": decision},
    )
    write_yaml_atomic(run_dir / "manifest.yaml", manifest)

    head = headline(data)
    registry.register_run(
        run_id=run_id,
        created_at=data.created_at,
        run_dir=run_dir,
        config_name=config.name,
        universe=config.data.universe,
        start=data.start,
        end=data.end,
        gate_decision=decision,
        headline=head,
    )
    return ReleaseOutcome(decision=decision, gates=gates, headline=head)
