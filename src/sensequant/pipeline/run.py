"""The orchestrator: ``sensequant run`` as one process, phases in order.

pre-flight -> features -> teachers -> student -> backtest -> statistics -> release.
Each phase is a plain function call whose typed result is handed to the next; each writes its
artifact into ONE run directory and emits telemetry; each shows a progress bar and ends with a
line of results.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore
from sensequant.dataset import SymbolFrame, WindowStatus, feature_names, panel_frame, symbol_frame
from sensequant.errors import PipelineError
from sensequant.evaluation.stress_report import StressReport
from sensequant.fsutil import write_json_atomic
from sensequant.models import (
    WalkForwardResult,
    teacher_direct_predictions,
    walk_forward_student,
)
from sensequant.pipeline.bundle import ReleaseOutcome, finalize_release, save_artifacts
from sensequant.pipeline.evaluate import STUDENT, evaluate
from sensequant.pipeline.preflight import PreflightReport, preflight
from sensequant.pipeline.rundir import create_run_dir, new_run_id, write_parquet
from sensequant.pipeline.stress import run_stress
from sensequant.pipeline.teachers import (
    TeacherTask,
    WindowOutcome,
    soft_label_frame,
    teacher_frame,
    train_teachers,
)
from sensequant.progress import NullReporter, Reporter
from sensequant.release.registry import Registry
from sensequant.settings import RunConfig, Settings
from sensequant.telemetry import Telemetry, now_ist


@dataclass(frozen=True)
class RunResult:
    """What ``run_pipeline`` returns: where the run is and its verdict."""

    run_id: str
    run_dir: Path
    decision: str
    headline: dict[str, float | str | None]
    phase_seconds: dict[str, float]


def _report_preflight(pf: PreflightReport, rep: Reporter) -> None:
    for sym, why in pf.excluded.items():
        rep.warn(f"{sym}: excluded — {why}")
    common = pf.common_gaps()
    if common:
        shown = ", ".join(f"{d:%Y-%m-%d}" for d in common[:8])
        more = f" and {len(common) - 8} more" if len(common) > 8 else ""
        rep.info(
            f"{len(common)} NSE sessions are missing for most symbols (special sessions such "
            f"as Muhurat trading that the source does not carry?): {shown}{more}"
        )
    common_set = set(common)
    own = {
        c.symbol: [d for d in c.missing_dates if d not in common_set]
        for c in pf.coverage
        if c.excluded is None
    }
    gappy = sorted(((s, g) for s, g in own.items() if g), key=lambda x: -len(x[1]))
    for sym, gaps in gappy[:10]:
        rep.warn(
            f"{sym}: {len(gaps)} more NSE sessions missing, e.g. "
            + ", ".join(f"{d:%Y-%m-%d}" for d in gaps[:3])
        )
    if len(gappy) > 10:
        rep.warn(f"{len(gappy) - 10} more symbols with gaps (see preflight.json)")
    for reason, n in sorted(pf.unservable_counts().items()):
        per_symbol = Counter(
            w.split("@")[0] for w, r in pf.unservable.items() if r.startswith(reason)
        )
        detail = ", ".join(f"{s} {k}" for s, k in per_symbol.most_common(6))
        rep.info(f"{n} windows cannot be served ({reason}): {detail}")


def run_pipeline(
    config: RunConfig, settings: Settings, reporter: Reporter | None = None
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
    catalog = Catalog(settings.catalog_path)
    store = AdjustedBarStore(settings.store_dir, catalog)

    rep.start("pre-flight")
    pf = preflight(config, store, catalog)
    n_planned = sum(len(w) for w in pf.windows.values())
    rep.done(
        f"{len(pf.symbols)} symbols usable, {len(pf.excluded)} excluded; "
        f"{pf.range_start.date()}..{pf.range_end.date()}; {n_planned} windows planned, "
        f"{len(pf.unservable)} unservable up front"
    )
    _report_preflight(pf, rep)
    if not pf.symbols:
        raise PipelineError(
            "no symbol passed pre-flight: "
            + "; ".join(f"{s}: {r}" for s, r in pf.excluded.items()),
            hint="widen --start/--end or lower data.min_history_sessions",
        )

    run_id = new_run_id(now_ist(), config.fingerprint())
    run_dir = create_run_dir(settings.runs_dir, run_id)
    (run_dir / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")
    tel = Telemetry(run_dir / "telemetry.jsonl", run_id)
    tel.emit("run_start", config=config.model_dump(mode="json"), run_dir=str(run_dir))
    rep.info(f"run {run_id} -> {run_dir}")
    try:
        with tel.phase("preflight") as res:
            res.update(pf.to_dict())
            write_json_atomic(run_dir / "preflight.json", pf.to_dict())

        frames = _features_phase(config, store, pf, rep, tel)
        outcomes = _teacher_phase(config, frames, pf, rep, tel, run_dir)
        student, teacher_pred, panel, soft = _student_phase(
            config, frames, outcomes, pf, rep, tel, run_dir
        )

        plain_pred = None
        if config.student.reward_weighting:
            plain_pred = _plain_student(config, panel, soft, frames, rep, tel)
        rep.start("backtest")
        with tel.phase("backtest") as res:
            ev = evaluate(
                config,
                store,
                pf.symbols,
                student.predictions,
                teacher_pred,
                panel,
                pf.range_end,
                plain_pred=plain_pred,
            )
            summ = ev.summaries[STUDENT]
            res.update(sharpe=summ.sharpe, cagr=summ.cagr, oos_days=summ.n_days)
            release_model = save_artifacts(
                run_id=run_id,
                run_dir=run_dir,
                config=config,
                preflight=pf,
                outcomes=outcomes,
                student=student,
                teacher_pred=teacher_pred,
                soft_labels=soft,
                panel=panel,
                frames=frames,
                evaluation=ev,
            )
        for note in ev.notes:
            rep.warn(note)
        ic = ev.ic[STUDENT]
        rep.done(
            f"{summ.n_days} OOS sessions {summ.start:%Y-%m-%d}..{summ.end:%Y-%m-%d}: "
            f"Sharpe {summ.sharpe:.2f}, CAGR {summ.cagr:.1%}, max DD {summ.max_drawdown.depth:.1%}"
            + (f", IC {ic.mean_ic:.3f}" if ic else "")
            + (f", DSR {ev.dsr.dsr:.2f} ({ev.dsr.n_trials} trials)" if ev.dsr else ", DSR n/a")
        )

        stress = _stress_phase(config, store, run_dir, rep, tel)

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
        failed = [g for g in outcome.gates if not g.passed]
        rep.done(
            f"{outcome.decision}"
            + (
                f" ({len(failed)} gate(s) failed: {', '.join(g.name for g in failed)})"
                if failed
                else ""
            )
            + f"; briefing {run_dir / 'promotion_briefing.md'}, report {run_dir / 'report.html'}"
        )
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


def _features_phase(
    config: RunConfig, store: BarStore, pf: PreflightReport, rep: Reporter, tel: Telemetry
) -> dict[str, SymbolFrame]:
    rep.start("features", total=len(pf.symbols))
    frames: dict[str, SymbolFrame] = {}
    listed = pf.listing_dates
    with tel.phase("features") as res:
        for sym in pf.symbols:
            bars = store.read(sym, config.data.interval, end=pf.range_end)
            frames[sym] = symbol_frame(sym, bars, config, listing_date=listed.get(sym))
            rep.advance()
        n_rows = sum(len(f.features) for f in frames.values())
        n_feat = next(iter(frames.values())).features.shape[1]
        res.update(symbols=len(frames), rows=n_rows, features=n_feat)
    labelled = sum(int(f.labels["label"].notna().sum()) for f in frames.values())
    rep.done(f"{n_feat} features x {n_rows:,} bars over {len(frames)} symbols; {labelled:,} labels")
    return frames


def _teacher_phase(
    config: RunConfig,
    frames: dict[str, SymbolFrame],
    pf: PreflightReport,
    rep: Reporter,
    tel: Telemetry,
    run_dir: Path,
) -> list[WindowOutcome]:
    tasks = [TeacherTask(frames[s], pf.windows[s], pf.unservable) for s in pf.symbols]
    n_planned = sum(len(t.windows) for t in tasks)
    rep.start("teachers", total=n_planned)

    def on_symbol(done: list[WindowOutcome]) -> None:
        for o in done:
            tel.emit("window", **o.record())
        rep.advance(len(done))

    with tel.phase("teachers", windows=n_planned) as res:
        outcomes = train_teachers(tasks, config, on_symbol=on_symbol)
        counts = Counter(o.status.value for o in outcomes)
        res.update(counts)
        write_parquet(pd.DataFrame([o.record() for o in outcomes]), run_dir / "windows.parquet")
    failed = [o for o in outcomes if o.status is WindowStatus.FAILED]
    seconds = tel.phase_seconds.get("teachers", 0.0)
    trained = counts.get("trained", 0)
    rep.done(
        f"{trained} trained, {counts.get('skipped', 0)} skipped, {len(failed)} failed "
        f"({trained / max(seconds, 1e-9):.1f} windows/s)"
    )
    reasons = Counter(
        (o.reason or "").split(":")[0] for o in outcomes if o.status is WindowStatus.SKIPPED
    )
    for reason, n in reasons.most_common():
        rep.info(f"skipped {n}: {reason}")
    if n_planned and len(failed) / n_planned > config.windows.max_failure_rate:
        first = "; ".join(
            f"{o.window.window_id}: {(o.reason or '').splitlines()[0]}" for o in failed[:3]
        )
        raise PipelineError(
            f"{len(failed)} of {n_planned} windows failed "
            f"(> windows.max_failure_rate {config.windows.max_failure_rate:.0%}): {first}",
            hint=f"see {run_dir / 'windows.parquet'} and telemetry.jsonl for every traceback",
        )
    if not trained:
        raise PipelineError("no teacher window could be trained", hint="see the skip reasons above")
    return outcomes


def _student_phase(
    config: RunConfig,
    frames: dict[str, SymbolFrame],
    outcomes: list[WindowOutcome],
    pf: PreflightReport,
    rep: Reporter,
    tel: Telemetry,
    run_dir: Path,
) -> tuple[WalkForwardResult, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
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

    with tel.phase("student") as res:
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
    p = student.predictions
    rep.done(
        f"{len(student.periods)} walk-forward fits; {len(p):,} OOS predictions "
        f"{p['timestamp'].min():%Y-%m-%d}..{p['timestamp'].max():%Y-%m-%d}; "
        f"teacher-direct {len(teacher_pred):,} on the same dates"
    )
    return student, teacher_pred, panel, soft


def _stress_phase(
    config: RunConfig, store: BarStore, run_dir: Path, rep: Reporter, tel: Telemetry
) -> StressReport | None:
    if not config.stress.enabled:
        rep.info("stress tests switched off (stress.enabled: false)")
        return None
    rep.start("stress")
    with tel.phase("stress") as res:
        report = run_stress(run_dir, store, periods_path=config.stress.periods_file)
        res.update(periods=len(report.periods), skipped=len(report.skipped))
    worst = report.worst_period_loss
    rep.done(
        f"{len(report.periods)} periods replayed, {len(report.skipped)} not covered; worst "
        + (f"historical period return {worst:.1%}" if worst is not None else "period: n/a")
    )
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
