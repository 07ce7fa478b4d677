"""The orchestrator: ``sensequant run`` as one process, phases in order.

pre-flight -> features -> teachers -> student -> backtest -> artifacts -> stress -> release.
Pre-flight reads the store once into the run's data snapshot (:mod:`sensequant.pipeline.snapshot`),
which every later phase reads instead; the run is registered ``running`` at start and ends
``candidate``, ``failed`` or ``interrupted`` (:mod:`sensequant.release.registry_lifecycle`);
``resume=RUN_ID`` continues an interrupted run from its checkpoints
(:mod:`sensequant.pipeline.checkpoints`). Each phase is a plain function call whose typed result
is handed to the next; each writes its artifact into ONE run directory and emits telemetry;
each shows a progress bar and ends with a line of results (worded in
:mod:`sensequant.pipeline.messages`).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
from pathlib import Path

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.repair import open_catalog
from sensequant.data.store import BarStore
from sensequant.dataset import SymbolFrame
from sensequant.errors import PipelineError
from sensequant.fsutil import write_json_atomic
from sensequant.pipeline import messages
from sensequant.pipeline.bundle import ReleaseOutcome, finalize_release, save_artifacts
from sensequant.pipeline.cache import RunCache
from sensequant.pipeline.checkpoints import Checkpoints
from sensequant.pipeline.features_phase import features_phase
from sensequant.pipeline.intraday import too_few_sessions_hint
from sensequant.pipeline.lifecycle import interrupt_signals, interruption_reason
from sensequant.pipeline.phase_results import RunResult
from sensequant.pipeline.phases import (
    backtest_phase,
    plain_student,
    stress_phase,
    student_panel,
    student_phase,
    teacher_phase,
)
from sensequant.pipeline.preflight import PreflightReport
from sensequant.pipeline.rundir import RunPaths, create_run_dir, new_run_id
from sensequant.pipeline.snapshot import (
    SNAPSHOT_DIR,
    BarSnapshot,
    capture_snapshot,
    snapshot_series,
)
from sensequant.pipeline.teachers import soft_label_frame
from sensequant.pipeline.trials import record_trials
from sensequant.pipeline.universe_rules import preflight_for_universe
from sensequant.progress import EventReporter, NullReporter, Reporter
from sensequant.release.ledger import TrialLedger
from sensequant.release.registry import Registry
from sensequant.release.registry_lifecycle import record_interrupted, record_running
from sensequant.settings import RunConfig, Settings
from sensequant.telemetry import Telemetry, now_ist


def run_pipeline(
    config: RunConfig,
    settings: Settings,
    reporter: Reporter | None = None,
    cache: RunCache | None = None,
    *,
    resume: str | None = None,
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
    resume : str, optional
        Id of an interrupted (or failed) run to continue in its own directory, on its data
        snapshot, skipping its checkpointed phases and teacher symbols
        (:mod:`sensequant.pipeline.checkpoints`); ``config`` must be the run's ``config.yaml``.

    Returns
    -------
    RunResult

    Raises
    ------
    NoDataError, UnknownUniverseError, UsageError
        From pre-flight, before anything is trained or written.
    PipelineError
        Too many windows failed, or no out-of-sample predictions could be made; a run to
        resume without checkpoints.
    RegistryError
        The run to resume is finished or still running.
    KeyboardInterrupt
        Ctrl-C, or SIGTERM/SIGHUP (:class:`~sensequant.pipeline.lifecycle.RunInterrupted`):
        the run is recorded ``interrupted`` first.

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
    registry = Registry(settings.registry_path)
    if resume is None:
        store: BarStore = AdjustedBarStore(settings.store_dir, catalog)
        rep.start("pre-flight")
        # a small or ETF universe may change the run's rules (benchmark, target, top_k): said
        config, store, pf = preflight_for_universe(config, store, catalog, rep.warn)
        rep.done(messages.preflight_done(pf))
        messages.report_preflight(pf, rep)
        if not pf.symbols:
            raise PipelineError(
                "no symbol passed pre-flight: "
                + "; ".join(f"{s}: {r}" for s, r in pf.excluded.items()),
                hint=too_few_sessions_hint(config),
            )
        dc = config.data
        # every phase reads these bars (read once, now), never the store again
        series = snapshot_series(pf.symbols, dc.benchmark, dc.interval, store)
        run_id = new_run_id(now_ist(), config.fingerprint())
        run_dir = create_run_dir(settings.runs_dir, run_id)
        paths = RunPaths(run_dir)
        snapshot = capture_snapshot(store, series, run_dir / SNAPSHOT_DIR)
        snapshot.save()
        paths.config.write_text(config.to_yaml(), encoding="utf-8")
        checkpoints = Checkpoints(run_dir, rep.warn)
        checkpoints.save_preflight(pf)
        created_at = now_ist().isoformat()
    else:
        run_id, run_dir = resume, settings.runs_dir / resume
        paths, checkpoints = RunPaths(run_dir), Checkpoints(run_dir, rep.warn)
        saved_pf = checkpoints.preflight()
        if saved_pf is None:
            legacy = checkpoints.has_legacy_pickles()
            raise PipelineError(
                f"run {run_id} cannot be resumed: {checkpoints.dir} holds no usable pre-flight",
                hint="its checkpoints are pickles of an earlier version, never loaded (a pickle "
                "can run code); start a new run"
                if legacy
                else "runs made before checkpoints existed cannot be resumed; start a new run",
            )
        pf, snapshot = saved_pf, BarSnapshot.load(run_dir / SNAPSHOT_DIR)
        created_at = registry.get(run_id).created_at
    record_running(
        registry,
        run_id=run_id,
        created_at=created_at,
        run_dir=run_dir,
        config_name=config.name,
        universe=config.data.universe,
        interval=config.data.interval,
    )
    tel = Telemetry(paths.telemetry, run_id)
    tel.start_run(config=config.model_dump(mode="json"), run_dir=str(run_dir), resumed=bool(resume))
    rep = EventReporter(rep, tel.emit)  # progress events: the dashboard's live view
    rep.info(f"run {run_id} -> {run_dir}" + (" (resumed)" if resume else ""))
    try:
        with interrupt_signals():
            result = _phases(
                config,
                settings,
                snapshot,
                catalog,
                pf,
                rep,
                tel,
                run_dir,
                cache,
                checkpoints,
                created_at,
            )
        checkpoints.clear()
        return result
    except BaseException as exc:
        stopped = isinstance(exc, KeyboardInterrupt)
        error = interruption_reason(exc) if stopped else repr(exc)
        tel.emit("run_failed", error=error, interrupted=stopped)
        with contextlib.suppress(Exception):  # the registry must not mask the real error
            if stopped:
                record_interrupted(registry, run_id, error)
            else:
                registry.record_failed_run(
                    run_id=run_id,
                    created_at=created_at,
                    run_dir=str(run_dir),
                    config_name=config.name,
                    universe=config.data.universe,
                    error=error,
                )
        raise
    finally:
        tel.close()


def _emptied(frame: SymbolFrame) -> SymbolFrame:
    """``frame`` without rows (its columns kept: the artifacts list the feature names)."""
    # copies: an empty slice is a view that would keep the whole arrays alive
    features, labels = frame.features.iloc[:0].copy(), frame.labels.iloc[:0].copy()
    return dataclasses.replace(frame, features=features, labels=labels)


def _phases(
    config: RunConfig,
    settings: Settings,
    store: BarSnapshot,
    catalog: Catalog,
    pf: PreflightReport,
    rep: Reporter,
    tel: Telemetry,
    run_dir: Path,
    cache: RunCache | None,
    checkpoints: Checkpoints,
    created_at: str,
) -> RunResult:
    """Every phase after pre-flight, reading bars only from the run's snapshot ``store``."""
    paths = RunPaths(run_dir)
    run_id = run_dir.name
    with tel.phase("preflight") as res:
        res.update(pf.to_dict())
        write_json_atomic(paths.preflight, pf.to_dict())

    features = features_phase(config, store, catalog, pf, rep, tel, cache)
    if config.data.interval != "1day":  # the intraday stress replay reads the bars again
        features = dataclasses.replace(features, bars={})
    frames = features.frames
    outcomes = teacher_phase(config, frames, pf, rep, tel, run_dir, cache, checkpoints)
    saved = checkpoints.student()
    if saved is None:
        sp = student_phase(config, frames, outcomes, pf, rep, tel)
        plain_pred = None
        if config.student.reward_weighting:
            plain_pred = plain_student(config, sp.panel, sp.soft_labels, frames, rep, tel)
        checkpoints.save_student(sp, plain_pred)
    else:
        sp, plain_pred = saved
        saved = None  # the tuple would keep the full student result alive through the run
        panel, x = student_panel(config, frames, pf)  # not checkpointed: rebuilt
        sp = dataclasses.replace(sp, panel=panel, x=x, soft_labels=soft_label_frame(outcomes))
        rep.info("student: reused from the interrupted run's checkpoint")
    if config.data.interval != "1day":  # the intraday replay reads bars, not features:
        frames = {s: _emptied(fr) for s, fr in frames.items()}  # free them for the later phases
        features = dataclasses.replace(features, frames=frames)
        _trim_heap()
    ledger = TrialLedger(settings.registry_path, settings.home / "ledger")
    ev = backtest_phase(config, store, pf, sp, plain_pred, ledger, rep, tel)

    rep.start("artifacts")
    with tel.phase("artifacts"):
        release_model = save_artifacts(
            run_id=run_id,
            run_dir=run_dir,
            config=config,
            preflight=pf,
            outcomes=outcomes,
            student_phase=sp,
            frames=frames,
            evaluation=ev,
        )
    rep.done(messages.artifacts_done(run_dir))

    # the stress replay needs only the walk-forward students, the release only the teachers'
    # counts and metrics (models and soft labels are saved): free the panel, soft labels,
    # variant predictions and teacher model texts before the replay builds its own panels
    sp = dataclasses.replace(
        sp,
        panel=sp.panel.iloc[:0].copy(),  # copies: an empty slice (a view) keeps the arrays
        soft_labels=sp.soft_labels.iloc[:0].copy(),
        variants={},
        x=None,
    )
    outcomes = [dataclasses.replace(o, model_text=None, oof=None) for o in outcomes]
    _trim_heap()
    stress = stress_phase(config, store, pf, features, sp, run_dir, rep, tel)

    rep.start("release")
    with tel.phase("release") as res:
        outcome: ReleaseOutcome = finalize_release(
            run_id=run_id,
            run_dir=run_dir,
            created_at=created_at,
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


def _trim_heap() -> None:
    """Hand memory freed by earlier phases back to the OS (glibc ``malloc_trim``).

    Freed pandas/LightGBM buffers below the mmap threshold stay in the C heap, so the process
    keeps its phase peak as RSS; trimming lets the stress replay's own allocations reuse
    pages instead of growing the peak. A no-op where glibc is absent (macOS, Windows, musl).
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
