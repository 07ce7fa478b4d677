"""The orchestrator: ``sensequant run`` as one process, phases in order.

pre-flight -> features -> teachers -> student -> backtest -> artifacts -> stress -> release.
Each phase is a plain function call whose typed result is handed to the next; each writes its
artifact into ONE run directory and emits telemetry; each shows a progress bar and ends with a
line of results (worded in :mod:`sensequant.pipeline.messages`).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from pathlib import Path

import pandas as pd

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.repair import open_catalog
from sensequant.data.store import BarStore
from sensequant.dataset import (
    SymbolFrame,
    WindowStatus,
    feature_names,
    panel_frame,
)
from sensequant.errors import PipelineError
from sensequant.evaluation.stress_report import StressReport
from sensequant.fsutil import write_json_atomic
from sensequant.models import (
    WalkForwardResult,
    teacher_direct_predictions,
    walk_forward_score_student,
    walk_forward_student,
)
from sensequant.pipeline import messages
from sensequant.pipeline.bundle import (
    ReleaseOutcome,
    finalize_release,
    save_artifacts,
    walkforward_frame,
)
from sensequant.pipeline.cache import RunCache
from sensequant.pipeline.evidence import STUDENT, Evaluation, evaluate
from sensequant.pipeline.features_phase import features_phase
from sensequant.pipeline.phase_results import FeaturesResult, RunResult, StudentPhaseResult
from sensequant.pipeline.preflight import PreflightReport
from sensequant.pipeline.rundir import RunPaths, create_run_dir, new_run_id, write_parquet
from sensequant.pipeline.stress_phase import StressSource, replay_stress, write_stress
from sensequant.pipeline.teachers import (
    TeacherTask,
    WindowOutcome,
    soft_label_frame,
    teacher_frame,
    train_teachers,
)
from sensequant.pipeline.trials import last_blend, record_trials
from sensequant.pipeline.universe_rules import preflight_for_universe
from sensequant.progress import EventReporter, NullReporter, Reporter
from sensequant.release.ledger import TrialLedger
from sensequant.release.registry import Registry
from sensequant.settings import RunConfig, Settings
from sensequant.telemetry import Telemetry, now_ist


def run_pipeline(
    config: RunConfig,
    settings: Settings,
    reporter: Reporter | None = None,
    cache: RunCache | None = None,
) -> RunResult:
    """Run every phase and leave a release candidate, ready for review, in a run directory.

    Parameters
    ----------
    config : RunConfig
        The validated run configuration (saved as ``config.yaml`` in the run directory).
    settings : Settings
        Where the store, catalog, runs and registry live.
    reporter : Reporter, optional
        Progress display; default shows nothing.
    cache : RunCache, optional
        Reuse features and teacher outcomes of earlier runs in this process (sweeps).

    Returns
    -------
    RunResult

    Raises
    ------
    NoDataError, UnknownUniverseError, UsageError
        From pre-flight, before anything is trained or written.
    PipelineError
        Too many windows failed, or no out-of-sample predictions could be made.

    Examples
    --------
    >>> from sensequant.settings import RunConfig, Settings
    >>> config, settings = RunConfig(), Settings()  # defaults; SENSEQUANT_HOME
    >>> config.data.universe, config.labels.horizon, settings.registry_path.name
    ('nifty50', 5, 'registry.sqlite')
    >>> run_pipeline(config, settings).decision  # minutes on real data  # doctest: +SKIP
    'ready-for-review'
    """
    rep = reporter or NullReporter()
    # a catalog missing beside the store is rebuilt from it (never silently unadjusted)
    catalog = open_catalog(settings.catalog_path, BarStore(settings.store_dir), notify=rep.warn)
    store: BarStore = AdjustedBarStore(settings.store_dir, catalog)

    rep.start("pre-flight")
    config, store, pf = preflight_for_universe(config, store, catalog, rep.warn)
    rep.done(messages.preflight_done(pf))
    messages.report_preflight(pf, rep)
    if not pf.symbols:
        raise PipelineError(
            "no symbol passed pre-flight: "
            + "; ".join(f"{s}: {r}" for s, r in pf.excluded.items()),
            hint="widen --start/--end or lower data.min_history_sessions",
        )

    run_id = new_run_id(now_ist(), config.fingerprint())
    run_dir = create_run_dir(settings.runs_dir, run_id)
    paths = RunPaths(run_dir)
    paths.config.write_text(config.to_yaml(), encoding="utf-8")
    tel = Telemetry(paths.telemetry, run_id)
    tel.start_run(config=config.model_dump(mode="json"), run_dir=str(run_dir))
    rep = EventReporter(rep, tel.emit)  # progress events: the dashboard's live view
    rep.info(f"run {run_id} -> {run_dir}")
    try:
        with tel.phase("preflight") as res:
            res.update(pf.to_dict())
            write_json_atomic(paths.preflight, pf.to_dict())

        features = features_phase(config, store, catalog, pf, rep, tel, cache)
        frames = features.frames
        outcomes = _teacher_phase(config, frames, pf, rep, tel, run_dir, cache)
        sp = _student_phase(config, frames, outcomes, pf, rep, tel)

        plain_pred = None
        if config.student.reward_weighting:
            plain_pred = _plain_student(config, sp.panel, sp.soft_labels, frames, rep, tel)
        ledger = TrialLedger(settings.registry_path, settings.home / "ledger")
        ev = _backtest_phase(config, store, pf, sp, plain_pred, ledger, rep, tel)

        rep.start("artifacts")
        with tel.phase("artifacts"):
            release_model = save_artifacts(
                run_id=run_id,
                run_dir=run_dir,
                config=config,
                preflight=pf,
                outcomes=outcomes,
                student=sp.student,
                teacher_pred=sp.teacher_pred,
                soft_labels=sp.soft_labels,
                panel=sp.panel,
                frames=frames,
                evaluation=ev,
                variants=sp.variants,
                blend=last_blend(sp),
            )
        rep.done(messages.artifacts_done(run_dir))

        stress = _stress_phase(config, store, pf, features, sp, run_dir, rep, tel)

        rep.start("release")
        with tel.phase("release") as res:
            outcome: ReleaseOutcome = finalize_release(
                run_id=run_id,
                run_dir=run_dir,
                created_at=str(tel.events[0]["ts"]),
                config=config,
                store=store,
                preflight=pf,
                outcomes=outcomes,
                evaluation=ev,
                stress=stress,
                release_model=release_model,
                registry=Registry(settings.registry_path),
            )
            res.update(decision=outcome.decision)
            record_trials(ledger, run_id, config, ev)
        rep.done(messages.release_done(outcome, run_dir))
        tel.emit("run_end", decision=outcome.decision, phase_seconds=tel.phase_seconds)
        return RunResult(run_id, run_dir, outcome.decision, outcome.headline, tel.phase_seconds)
    except BaseException as exc:
        tel.emit("run_failed", error=repr(exc))
        with contextlib.suppress(Exception):  # the registry must not mask the real error
            Registry(settings.registry_path).record_failed_run(
                run_id=run_id,
                created_at=now_ist().isoformat(),
                run_dir=str(run_dir),
                config_name=config.name,
                universe=config.data.universe,
                error=repr(exc),
            )
        raise
    finally:
        tel.close()


def _teacher_phase(
    config: RunConfig,
    frames: dict[str, SymbolFrame],
    pf: PreflightReport,
    rep: Reporter,
    tel: Telemetry,
    run_dir: Path,
    cache: RunCache | None = None,
) -> list[WindowOutcome]:
    tasks = [TeacherTask(frames[s], pf.windows[s], pf.unservable) for s in pf.symbols]
    n_planned = sum(len(t.windows) for t in tasks)
    rep.start("teachers", total=n_planned)

    def on_symbol(done: list[WindowOutcome]) -> None:
        for o in done:
            tel.emit("window", **o.record())
        rep.advance(len(done))

    paths = RunPaths(run_dir)
    with tel.phase("teachers", windows=n_planned) as res:
        train = lambda: train_teachers(tasks, config, on_symbol=on_symbol)  # noqa: E731
        outcomes = train() if cache is None else cache.teachers(config, pf, train, on_symbol)
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


def _student_phase(
    config: RunConfig,
    frames: dict[str, SymbolFrame],
    outcomes: list[WindowOutcome],
    pf: PreflightReport,
    rep: Reporter,
    tel: Telemetry,
) -> StudentPhaseResult:
    soft = soft_label_frame(outcomes)
    panel = panel_frame(frames, pf.range_start, pf.range_end)
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
        teacher_pred = teacher_direct_predictions(panel, teacher_frame(outcomes), student.periods)
        res.update(periods=len(student.periods), predictions=len(student.predictions))
    rep.done(messages.student_done(student, len(teacher_pred)))
    return StudentPhaseResult(
        student=student,
        teacher_pred=teacher_pred,
        panel=panel,
        soft_labels=soft,
        variants=variants,
        blend_choice=blend_choice,
    )


def _backtest_phase(
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
            ledger_sr=[t.sr_per_period for t in earlier if t.sr_per_period is not None],
            ledger_returns=lambda dates: ledger.returns_matrix(earlier, dates),
        )
        summ = ev.summaries[STUDENT]
        res.update(sharpe=summ.sharpe, cagr=summ.cagr, oos_days=summ.n_days)
    for note in ev.notes:
        rep.warn(note)
    rep.done(messages.backtest_done(ev))
    return ev


def _stress_phase(
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
        bars={s: features.bars[s] for s in order},
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


def _plain_student(
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
