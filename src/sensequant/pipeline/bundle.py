"""Release phase: save every artifact, evaluate the gates, write the briefing, the HTML
report and the manifest, register the run.

Nothing here computes a metric: numbers come from :class:`~sensequant.pipeline.evidence.
Evaluation`, the stress replay and the release student; this module only files them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import pandas as pd

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.store import BarStore
from sensequant.dataset import SymbolFrame, feature_names
from sensequant.dataset.features import feature_set_hash
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.stress_report import StressReport
from sensequant.fsutil import sha256_file, to_plain, write_json_atomic, write_yaml_atomic
from sensequant.models.score_student import fit_release_score_student, score_student_params
from sensequant.models.serialize import save_model
from sensequant.models.student import WalkForwardResult, fit_release_student
from sensequant.models.teacher import load_booster, teacher_params
from sensequant.pipeline.briefing_data import build_briefing_data, gate_inputs
from sensequant.pipeline.cost_components import save_holdings_and_costs
from sensequant.pipeline.evidence import Evaluation
from sensequant.pipeline.phase_results import StudentPhaseResult
from sensequant.pipeline.preflight import PreflightReport
from sensequant.pipeline.rundir import (
    CHECKPOINTS_DIR,
    REPORT_HTML,
    STUDENT_MODEL,
    UNHASHED,
    RunPaths,
    write_parquet,
)
from sensequant.pipeline.snapshot import BarSnapshot
from sensequant.pipeline.teachers import WindowOutcome, teacher_frame
from sensequant.pipeline.trials import last_blend
from sensequant.release.briefing import headline
from sensequant.release.briefing_md import write_briefing
from sensequant.release.evidence_types import BriefingEvidence, FeatureGain
from sensequant.release.gates import GateResult, decide, evaluate_gates
from sensequant.release.manifest import build_manifest
from sensequant.release.plots import equity_drawdown_png
from sensequant.release.registry import Registry
from sensequant.release.report import write_report
from sensequant.settings import RunConfig


@dataclass(frozen=True)
class ReleaseOutcome:
    """Gate results, the decision they imply, and the headline numbers registered."""

    decision: str
    gates: list[GateResult]
    headline: dict[str, Any]


def _save_models(
    run_dir: Path,
    config: RunConfig,
    outcomes: list[WindowOutcome],
    student: WalkForwardResult,
    panel_features: list[str],
    release_student: tuple[str, dict[str, Any]],
) -> None:
    paths = RunPaths(run_dir)
    fhash = feature_set_hash()
    teachers = teacher_frame(outcomes)
    write_parquet(teachers, paths.teachers)
    write_json_atomic(
        paths.teachers_meta,
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
    write_parquet(walkforward_frame(student), paths.student_walkforward)
    model_text, meta = release_student
    save_model(paths.models_dir, STUDENT_MODEL, model_text, meta | {"feature_set_hash": fhash})


def _release_score_student(
    config: RunConfig,
    panel: pd.DataFrame,
    soft_labels: pd.DataFrame,
    names: list[str],
    blend: float | None,
    preflight: PreflightReport,
    x: np.ndarray | None,
) -> tuple[str, dict[str, Any]]:
    w = config.student.soft_label_weight if blend is None else blend
    model, n = fit_release_score_student(
        panel,
        soft_labels,
        cfg=config.student,
        seed=config.seed,
        feature_names=names,
        blend=w,
        sample_every=config.student.sample_every,
        x=x,
    )
    meta = {
        "role": "release score student (cross-sectional target; soft/hard blend "
        f"{w:g}, the weight chosen for the last walk-forward period)",
        "as_of": pd.Timestamp(preflight.range_end).isoformat(),
        "target": config.labels.target,
        "blend": w,
        "n_train": n,
        "params": score_student_params(config.student, seed=config.seed),
        "num_boost_round": config.student.num_boost_round,
        "seed": config.seed,
        "output": "score (higher = better expected cross-sectional rank)",
    }
    return model.model_to_string(), meta


def walkforward_frame(student: WalkForwardResult) -> pd.DataFrame:
    """One row per walk-forward student (``models/student_walkforward.parquet``).

    Returns
    -------
    pandas.DataFrame
        ``period_id, test_start, test_end, train_start, train_end, max_window_end, n_train,
        n_test, model_text``, in period order.
    """
    return pd.DataFrame(
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


def save_artifacts(
    *,
    run_id: str,
    run_dir: Path,
    config: RunConfig,
    preflight: PreflightReport,
    outcomes: list[WindowOutcome],
    student_phase: StudentPhaseResult,
    frames: dict[str, SymbolFrame],
    evaluation: Evaluation,
) -> str:
    """Write models, predictions, returns and the equity plot; fit the release student.

    For score models (cross-sectional targets) the release student is fitted with the
    soft-target weight the walk-forward student used last (:func:`~sensequant.pipeline.
    trials.last_blend`) on the student phase's panel (and its feature matrix ``x`` when the
    panel carries no feature columns), and every blend variant's OOS predictions are saved
    beside the student's (``predictions/student_blend_<w>.parquet``), and the stacked
    alternative's when it was fitted (``predictions/student_stacked.parquet``).

    Returns
    -------
    str
        The release student in LightGBM text format.
    """
    sp = student_phase
    student, panel, soft_labels = sp.student, sp.panel, sp.soft_labels
    ev = evaluation
    paths = RunPaths(run_dir)
    names = feature_names(frames)
    if config.labels.target != "class3":
        release_model = _release_score_student(
            config, panel, soft_labels, names, last_blend(sp), preflight, sp.x
        )
    else:
        release_model = fit_release_student(
            panel,
            soft_labels,
            cfg=config.student,
            horizon=config.labels.horizon,
            seed=config.seed,
            feature_names=names,
            as_of=preflight.range_end,
        )
    _save_models(run_dir, config, outcomes, student, names, release_model)
    write_parquet(soft_labels, paths.soft_labels)
    write_parquet(student.predictions, paths.student_oos)
    write_parquet(sp.teacher_pred, paths.teacher_oos)
    for w, frame in sp.variants.items():
        write_parquet(frame, paths.blend_oos(w))
    for frame in sp.alternatives.values():  # at most one today: the stacked model
        write_parquet(frame, paths.stacked_oos())
    if ev.comparison is not None:
        write_parquet(
            ev.comparison.rename_axis("series").reset_index(), paths.returns("comparison")
        )
    for name, frame in (
        ("daily", ev.returns),
        ("trials", ev.trial_returns),
        ("ic_daily", ev.ic_daily),
    ):
        write_parquet(frame.rename_axis("timestamp").reset_index(), paths.returns(name))
    write_parquet(ev.student_bt.ledger, paths.returns("ledger"))
    save_holdings_and_costs(paths, ev.student_bt, FeeSchedule.load())
    wealth = {
        "student (net)": (1 + ev.returns["student_net"]).cumprod(),
        ev.labels.benchmark: (1 + ev.returns["nifty50"]).cumprod(),
        ev.labels.equal_weight: (1 + ev.returns["equal_weight"]).cumprod(),
        "teacher-direct (net)": (1 + ev.returns["teacher_direct_net"]).cumprod(),
    }
    equity_drawdown_png(
        paths.equity_plot,
        wealth,
        title=f"SenseQuant run {run_id}: out-of-sample growth of 1 (net of costs)",
        log_scale=len(ev.returns) > 5 * 252,
    )
    return release_model[0]


def feature_importance(model_text: str, top: int = 30) -> tuple[FeatureGain, ...]:
    """Gain importance of the release student's features, largest first (``top`` at most)."""
    booster = load_booster(model_text)
    gains = booster.feature_importance(importance_type="gain")
    pairs = sorted(zip(booster.feature_name(), gains, strict=True), key=lambda x: -x[1])
    return tuple(FeatureGain(feature=f, gain=float(g)) for f, g in pairs[:top])


def finalize_release(
    *,
    run_id: str,
    run_dir: Path,
    created_at: str,
    config: RunConfig,
    store: BarStore,
    preflight: PreflightReport,
    outcomes: list[WindowOutcome],
    evaluation: Evaluation,
    stress: StressReport | None,
    release_model: str,
    registry: Registry,
) -> ReleaseOutcome:
    """Decide the gates, write briefing, report and manifest, register the candidate.

    Returns
    -------
    ReleaseOutcome
    """
    ev = evaluation
    gates = evaluate_gates(config.gates, gate_inputs(ev, stress))
    decision = decide(gates)
    evidence = BriefingEvidence(
        oos=ev.evidence,
        stress=stress.to_dict() if stress is not None else None,
        feature_importance=feature_importance(release_model),
        report=REPORT_HTML,
    )
    data = build_briefing_data(
        run_id=run_id,
        created_at=created_at,
        config=config,
        preflight=preflight,
        outcomes=outcomes,
        ev=ev,
        gates=gates,
        evidence=evidence,
    )
    if stress is None:
        data.na_reasons["stress"] = "stress tests are switched off (stress.enabled: false)"
    write_briefing(run_dir, data)
    write_report(run_dir)

    fingerprints = [
        to_plain(asdict(store.fingerprint(sym, config.data.interval)))
        for sym in [*preflight.symbols, config.data.benchmark]
    ]
    artifacts = {
        str(p.relative_to(run_dir)): sha256_file(p)
        for p in sorted(run_dir.rglob("*"))
        if p.is_file()
        and p.name not in UNHASHED
        and p.relative_to(run_dir).parts[0] != CHECKPOINTS_DIR
    }
    seeds = {"run": config.seed, "lightgbm": config.seed}
    if ev.bootstrap is not None:
        seeds["bootstrap"] = ev.bootstrap.seed
    manifest = build_manifest(
        run_id=run_id,
        created_at=created_at,
        config=config,
        data_fingerprints=fingerprints,
        feature_set_hash=feature_set_hash(),
        seeds=seeds,
        artifacts=artifacts,
        extra={
            "notes": ev.notes,
            "decision": decision,
            "corporate_actions_applied": _applied_actions(store, preflight.symbols),
            "structural_breaks_kept_out": [to_plain(b) for b in preflight.breaks],
        },
    )
    write_yaml_atomic(RunPaths(run_dir).manifest, manifest)

    head = headline(data)
    registry.register_run(
        run_id=run_id,
        created_at=created_at,
        run_dir=run_dir,
        config_name=config.name,
        universe=config.data.universe,
        interval=config.data.interval,
        start=data.start,
        end=data.end,
        gate_decision=decision,
        headline=head,
    )
    return ReleaseOutcome(decision=decision, gates=gates, headline=head)


def _applied_actions(store: BarStore, symbols: list[str]) -> list[dict[str, Any]]:
    """Corporate-action factors the run's bars were adjusted with (empty for a raw store)."""
    if not isinstance(store, AdjustedBarStore | BarSnapshot):
        return []
    return [to_plain(a) for a in store.applied_actions(symbols)]
