"""The lines ``sensequant run`` shows at the end of each phase (text only, no computation).

Each function turns a phase's typed result into the one-line summary the progress display
prints; :func:`report_preflight` also lists exclusions, gaps and unservable windows.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sensequant.dataset import SymbolFrame, WindowStatus
from sensequant.evaluation.stress_report import StressReport
from sensequant.models.student import WalkForwardResult
from sensequant.pipeline.bundle import ReleaseOutcome
from sensequant.pipeline.evidence import STUDENT, Evaluation
from sensequant.pipeline.preflight import PreflightReport
from sensequant.pipeline.rundir import BRIEFING_MD, PREFLIGHT, REPORT_HTML
from sensequant.pipeline.teachers import WindowOutcome
from sensequant.progress import Reporter


def preflight_done(pf: PreflightReport) -> str:
    """Summary of pre-flight: usable and excluded symbols, range, windows planned."""
    n_planned = sum(len(w) for w in pf.windows.values())
    return (
        f"{len(pf.symbols)} symbols usable, {len(pf.excluded)} excluded; "
        f"{pf.range_start.date()}..{pf.range_end.date()}; {n_planned} windows planned, "
        f"{len(pf.unservable)} unservable up front"
    )


def report_preflight(pf: PreflightReport, rep: Reporter) -> None:
    """Warn about exclusions and gaps, and say which windows cannot be served."""
    for line in pf.warnings:
        rep.warn(line)
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
        rep.warn(f"{len(gappy) - 10} more symbols with gaps (see {PREFLIGHT})")
    for reason, n in sorted(pf.unservable_counts().items()):
        per_symbol = Counter(
            w.split("@")[0] for w, r in pf.unservable.items() if r.startswith(reason)
        )
        detail = ", ".join(f"{s} {k}" for s, k in per_symbol.most_common(6))
        rep.info(f"{n} windows cannot be served ({reason}): {detail}")
    notes = pf.break_notes(group_bad_prints=True)
    if notes:
        rep.warn(
            f"{len(pf.breaks)} structural break(s) kept out of labels, training windows and "
            "backtest returns (pending ones until reviewed):"
        )
    for line in notes[:20]:
        rep.warn(line)
    if len(notes) > 20:
        rep.warn(f"{len(notes) - 20} more structural breaks (see {PREFLIGHT})")


def features_done(frames: dict[str, SymbolFrame], n_feat: int, n_rows: int) -> str:
    """Summary of the features phase: features x bars over symbols, labels."""
    labelled = sum(int(f.labels["label"].notna().sum()) for f in frames.values())
    return f"{n_feat} features x {n_rows:,} bars over {len(frames)} symbols; {labelled:,} labels"


def volume_dropped(symbols: list[str], columns: tuple[str, ...]) -> str:
    """Warning: the volume-based features left out because some symbols have no volume."""
    return (
        f"no volume in the bars of {', '.join(symbols)}: volume-based features "
        f"{', '.join(columns)} dropped from this run (not filled with 0)"
    )


def teachers_done(outcomes: list[WindowOutcome], counts: Counter[str], seconds: float) -> str:
    """Summary of the teacher phase: trained, skipped, failed windows and throughput."""
    failed = sum(1 for o in outcomes if o.status is WindowStatus.FAILED)
    trained = counts.get("trained", 0)
    return (
        f"{trained} trained, {counts.get('skipped', 0)} skipped, {failed} failed "
        f"({trained / max(seconds, 1e-9):.1f} windows/s)"
    )


def report_skips(outcomes: list[WindowOutcome], rep: Reporter) -> None:
    """One line per skip reason, most frequent first."""
    reasons = Counter(
        (o.reason or "").split(":")[0] for o in outcomes if o.status is WindowStatus.SKIPPED
    )
    for reason, n in reasons.most_common():
        rep.info(f"skipped {n}: {reason}")


def student_done(student: WalkForwardResult, n_teacher_pred: int) -> str:
    """Summary of the student phase: fits, OOS predictions and their dates."""
    p = student.predictions
    return (
        f"{len(student.periods)} walk-forward fits; {len(p):,} OOS predictions "
        f"{p['timestamp'].min():%Y-%m-%d}..{p['timestamp'].max():%Y-%m-%d}; "
        f"teacher-direct {n_teacher_pred:,} on the same dates"
    )


def backtest_done(ev: Evaluation) -> str:
    """Summary of the backtest: OOS span, Sharpe, CAGR, drawdown, IC and DSR."""
    summ = ev.summaries[STUDENT]
    ic = ev.ic[STUDENT]
    return (
        f"{summ.n_days} OOS sessions {summ.start:%Y-%m-%d}..{summ.end:%Y-%m-%d}: "
        f"Sharpe {summ.sharpe:.2f}, CAGR {summ.cagr:.1%}, max DD {summ.max_drawdown.depth:.1%}"
        + (f", IC {ic.mean_ic:.3f}" if ic else "")
        + (f", DSR {ev.dsr.dsr:.2f} ({ev.dsr.n_trials} trials)" if ev.dsr else ", DSR n/a")
    )


def artifacts_done(run_dir: Path) -> str:
    """Summary of the artifacts phase."""
    return f"models, predictions and returns saved in {run_dir}"


def stress_done(report: StressReport) -> str:
    """Summary of the stress phase: periods replayed and the worst period return."""
    worst = report.worst_period_loss
    if report.intraday:
        return (
            f"{len(report.intraday)} intraday scenarios replayed, {len(report.skipped)} not "
            "covered; worst session return " + (f"{worst:.1%}" if worst is not None else "n/a")
        )
    return f"{len(report.periods)} periods replayed, {len(report.skipped)} not covered; worst " + (
        f"historical period return {worst:.1%}" if worst is not None else "period: n/a"
    )


def release_done(outcome: ReleaseOutcome, run_dir: Path) -> str:
    """The decision, the gates that failed, and where the briefing and report are."""
    failed = [g for g in outcome.gates if g.evaluated and not g.passed]
    return (
        f"{outcome.decision}"
        + (
            f" ({len(failed)} gate(s) failed: {', '.join(g.name for g in failed)})"
            if failed
            else ""
        )
        + f"; briefing {run_dir / BRIEFING_MD}, report {run_dir / REPORT_HTML}"
    )
