"""The phase helpers of :func:`sensequant.pipeline.run.run_pipeline` (teachers, student,
plain student, backtest, stress): each shows its progress, emits its telemetry phase and
writes or returns its result.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from sensequant.data.store import BarStore
from sensequant.dataset import (
    SymbolFrame,
    WindowStatus,
    feature_names,
    panel_frame,
    panel_with_matrix,
)
from sensequant.errors import PipelineError
from sensequant.evaluation.stress_report import StressReport
from sensequant.models import (
    WalkForwardResult,
    teacher_direct_predictions,
    walk_forward_score_student,
    walk_forward_student,
)
from sensequant.pipeline import messages
from sensequant.pipeline.alternatives import stacked_alternatives
from sensequant.pipeline.bundle import walkforward_frame
from sensequant.pipeline.cache import RunCache
from sensequant.pipeline.checkpoints import Checkpoints
from sensequant.pipeline.evidence import STUDENT, Evaluation, evaluate
from sensequant.pipeline.phase_results import FeaturesResult, StudentPhaseResult
from sensequant.pipeline.preflight import PreflightReport
from sensequant.pipeline.rundir import RunPaths, write_parquet
from sensequant.pipeline.stress_phase import StressSource, replay_stress, write_stress
from sensequant.pipeline.teachers import (
    TeacherTask,
    WindowOutcome,
    soft_label_frame,
    teacher_frame,
    train_teachers,
)
from sensequant.pipeline.trials import distinct_trials
from sensequant.progress import Reporter
from sensequant.release.ledger import TrialLedger
from sensequant.settings import RunConfig
from sensequant.telemetry import Telemetry

__all__ = [
    "backtest_phase",
    "plain_student",
    "stress_phase",
    "student_panel",
    "student_phase",
    "teacher_phase",
]


def teacher_phase(
    config: RunConfig,
    frames: dict[str, SymbolFrame],
    pf: PreflightReport,
    rep: Reporter,
    tel: Telemetry,
    run_dir: Path,
    cache: RunCache | None = None,
    checkpoints: Checkpoints | None = None,
) -> list[WindowOutcome]:
    """Train every teacher; with ``checkpoints``, each symbol's outcomes are saved as it
    finishes and symbols saved by an earlier attempt of the run are not trained again."""
    tasks = [TeacherTask(frames[s], pf.windows[s], pf.unservable) for s in pf.symbols]
    n_planned = sum(len(t.windows) for t in tasks)
    rep.start("teachers", total=n_planned)
    saved = checkpoints.teachers(pf.symbols) if checkpoints is not None and cache is None else {}

    def on_symbol(done: list[WindowOutcome]) -> None:
        if checkpoints is not None:
            checkpoints.save_teachers(done)
        for o in done:
            tel.emit("window", **o.record())
        rep.advance(len(done))

    paths = RunPaths(run_dir)
    with tel.phase("teachers", windows=n_planned, resumed_symbols=len(saved)) as res:
        todo = [t for s, t in zip(pf.symbols, tasks, strict=True) if s not in saved]
        train = lambda: train_teachers(todo, config, on_symbol=on_symbol)  # noqa: E731
        if saved:
            rep.info(f"{len(saved)} symbol(s) of teachers reused from the interrupted run")
            for done in saved.values():
                rep.advance(len(done))
        fresh = train() if cache is None else cache.teachers(config, pf, train, on_symbol)
        by_symbol = {s: list(done) for s, done in saved.items()}
        for o in fresh:  # symbols not saved before, in plan order
            by_symbol.setdefault(o.window.symbol, []).append(o)
        outcomes = [o for s in pf.symbols for o in by_symbol.get(s, [])]
        counts = Counter(o.status.value for o in outcomes)
        res.update(counts)
        write_parquet(pd.DataFrame([o.record() for o in outcomes]), paths.windows)
    failed = [o for o in outcomes if o.status is WindowStatus.FAILED]
    rep.done(messages.teachers_done(outcomes, counts, tel.phase_seconds.get("teachers", 0.0)))
    messages.report_skips(outcomes, rep)
    if n_planned and len(failed) / n_planned > config.windows.max_failure_rate:
        first = "; ".join(
            f"{o.window.window_id}: {(o.reason or '').splitlines()[0]}" for o in failed[:3]
        )
        raise PipelineError(
            f"{len(failed)} of {n_planned} windows failed "
            f"(> windows.max_failure_rate {config.windows.max_failure_rate:.0%}): {first}",
            hint=f"see {paths.windows} and {paths.telemetry.name} for every traceback",
        )
    if not counts.get("trained", 0):
        raise PipelineError("no teacher window could be trained", hint="see the skip reasons above")
    return outcomes


def student_panel(
    config: RunConfig, frames: dict[str, SymbolFrame], pf: PreflightReport
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The student's long panel over the run's range, and its feature matrix when separate.

    When every consumer of the panel's features casts them to float32 anyway (the score
    student, walk-forward and release; teacher-direct reads the teachers' own float64
    frames), the features are one float32 matrix beside a panel without feature columns
    (:func:`sensequant.dataset.panel_with_matrix`): no result changes and a 6-million-bar
    intraday panel takes a quarter of the memory. The class student, the stacked
    alternative and the reward-weighted plain student read float64 feature columns
    (:func:`sensequant.dataset.panel_frame`; matrix None).
    """
    sc = config.student
    if config.labels.target != "class3" and not sc.stacking and not sc.reward_weighting:
        return panel_with_matrix(frames, pf.range_start, pf.range_end, dtype=np.float32)
    return panel_frame(frames, pf.range_start, pf.range_end), None


def student_phase(
    config: RunConfig,
    frames: dict[str, SymbolFrame],
    outcomes: list[WindowOutcome],
    pf: PreflightReport,
    rep: Reporter,
    tel: Telemetry,
) -> StudentPhaseResult:
    soft = soft_label_frame(outcomes)
    panel, x = student_panel(config, frames, pf)
    names = feature_names(frames)
    rep.start("student")
    state = {"started": False}

    def progress(done: int, total: int) -> None:
        if not state["started"]:
            rep.start("student", total=total)
            state["started"] = True
        rep.advance()

    variants: dict[float, pd.DataFrame] = {}
    blend_choice = None
    with tel.phase("student") as res:
        if config.labels.target != "class3":
            scored = walk_forward_score_student(
                panel,
                soft,
                cfg=config.student,
                seed=config.seed,
                feature_names=names,
                blend_grid=config.student.blend_grid,
                sample_every=config.student.sample_every,
                progress=progress,
                x=x,
            )
            student = WalkForwardResult(scored.predictions, scored.periods, scored.skipped)
            variants, blend_choice = scored.variants, scored.blend_choice
        else:
            student = walk_forward_student(
                panel,
                soft,
                cfg=config.student,
                horizon=config.labels.horizon,
                seed=config.seed,
                feature_names=names,
                progress=progress,
            )
        if student.predictions.empty:
            raise PipelineError(
                "the student made no out-of-sample predictions (no test period had enough "
                "teacher soft labels behind it)",
                hint="use a longer range (--start earlier) or lower student.min_train_days",
            )
        teachers = teacher_frame(outcomes)
        teacher_pred = teacher_direct_predictions(
            panel, teachers, student.periods, features={s: f.features for s, f in frames.items()}
        )
        alternatives = stacked_alternatives(config, panel, soft, names, teachers)
        res.update(periods=len(student.periods), predictions=len(student.predictions))
    rep.done(messages.student_done(student, len(teacher_pred)))
    return StudentPhaseResult(
        student=student,
        teacher_pred=teacher_pred,
        panel=panel,
        soft_labels=soft,
        variants=variants,
        blend_choice=blend_choice,
        alternatives=alternatives,
        x=x,
    )


def backtest_phase(
    config: RunConfig,
    store: BarStore,
    pf: PreflightReport,
    sp: StudentPhaseResult,
    plain_pred: pd.DataFrame | None,
    ledger: TrialLedger,
    rep: Reporter,
    tel: Telemetry,
) -> Evaluation:
    rep.start("backtest")
    preds = sp.student.predictions["timestamp"]
    earlier = ledger.matching(config.data.universe, config.data.interval, preds.min(), preds.max())
    with tel.phase("backtest") as res:
        ev = evaluate(
            config,
            store,
            pf.symbols,
            sp.student.predictions,
            sp.teacher_pred,
            sp.panel,
            pf.range_end,
            plain_pred=plain_pred,
            variants=sp.variants,
            alternatives=sp.alternatives,
            ledger_sr=[
                t.sr_per_period
                for t in TrialLedger.distinct(earlier)
                if t.sr_per_period is not None
            ],
            ledger_returns=lambda dates: ledger.returns_matrix(earlier, dates),
        )
        ev = distinct_trials(ev, earlier)  # identical returns (re-runs) counted once
        summ = ev.summaries[STUDENT]
        res.update(sharpe=summ.sharpe, cagr=summ.cagr, oos_days=summ.n_days)
    for note in ev.notes:
        rep.warn(note)
    rep.done(messages.backtest_done(ev))
    return ev


def stress_phase(
    config: RunConfig,
    store: BarStore,
    pf: PreflightReport,
    features: FeaturesResult,
    sp: StudentPhaseResult,
    run_dir: Path,
    rep: Reporter,
    tel: Telemetry,
) -> StressReport | None:
    """Replay the stress periods on this run's in-memory models, bars and features."""
    if not config.stress.enabled:
        rep.info("stress tests switched off (stress.enabled: false)")
        return None
    # the order preflight.json lists the usable symbols in (what a replay from disk uses)
    order = [c.symbol for c in pf.coverage if c.excluded is None]
    source = StressSource(
        config=config,
        models=walkforward_frame(sp.student),
        bars={  # an intraday run released its bars after the features phase: read them again
            s: features.bars[s]
            if s in features.bars
            else store.read(s, config.data.interval, end=pf.range_end)
            for s in order
        },
        frames={s: features.frames[s] for s in order},
        range_end=pf.range_end,
        student_oos=sp.student.predictions,
        sectors=features.sectors,
    )
    rep.start("stress")
    with tel.phase("stress") as res:
        report = replay_stress(source, store, periods_path=config.stress.periods_file)
        write_stress(run_dir, report)
        res.update(periods=len(report.periods), skipped=len(report.skipped))
    rep.done(messages.stress_done(report))
    return report


def plain_student(
    config: RunConfig,
    panel: pd.DataFrame,
    soft: pd.DataFrame,
    frames: dict[str, SymbolFrame],
    rep: Reporter,
    tel: Telemetry,
) -> pd.DataFrame:
    """Walk-forward predictions of the same student WITHOUT reward weights (for comparison)."""
    plain_cfg = config.student.model_copy(update={"reward_weighting": False})
    rep.start("plain student")
    with tel.phase("plain_student"):
        result = walk_forward_student(
            panel,
            soft,
            cfg=plain_cfg,
            horizon=config.labels.horizon,
            seed=config.seed,
            feature_names=feature_names(frames),
        )
    rep.done(f"{len(result.periods)} fits without reward weights, for the comparison")
    return result.predictions
