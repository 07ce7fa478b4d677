"""``sensequant sweep``: run the whole pipeline once per grid point and rank the points.

Each point is a full :func:`~sensequant.pipeline.run_pipeline` run (its own run directory,
registry entry and trials in the ledger, so every point counts in later deflated Sharpe
ratios). Features and teacher outcomes are shared between points through a
:class:`~sensequant.pipeline.cache.RunCache` when the point changes nothing they depend on.

The optimisation report ``<home>/sweeps/<sweep_id>/sweep.json`` and ``sweep.md`` ranks the
points by the released model's net Sharpe (then Rank IC), from each run's
``returns/comparison.parquet`` and ``promotion_briefing.json``, and warns that the best
point's Sharpe is selected out of N trials.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sensequant.errors import SenseQuantError
from sensequant.fsutil import write_json_atomic, write_text_atomic
from sensequant.pipeline.cache import RunCache
from sensequant.pipeline.comparison import RELEASED
from sensequant.pipeline.phase_results import RunResult
from sensequant.pipeline.run import run_pipeline
from sensequant.pipeline.rundir import RunPaths, new_run_id
from sensequant.pipeline.sweep_grid import expand_grid, format_overrides
from sensequant.progress import NullReporter, Reporter
from sensequant.release.ledger import TrialLedger
from sensequant.settings import RunConfig, Settings
from sensequant.telemetry import now_ist

__all__ = ["SweepPointResult", "SweepReport", "fmt_value", "run_sweep"]

Runner = Callable[[RunConfig, Settings, Reporter, RunCache], RunResult]


@dataclass(frozen=True)
class SweepPointResult:
    """One grid point's run and the numbers it is ranked by (None where not available).

    ``sharpe`` is annualised and net of costs; ``rank_ic`` the mean daily Rank IC; ``dsr`` the
    run's deflated Sharpe ratio (counting the ledger as it stood); ``ledger_trials`` the distinct
    ledger trials (identical returns once) on the same universe, interval and overlapping OOS
    span after the whole sweep.
    """

    index: int
    overrides: dict[str, Any]
    run_id: str | None = None
    run_dir: str | None = None
    decision: str | None = None
    sharpe: float | None = None
    rank_ic: float | None = None
    dsr: float | None = None
    dsr_n_trials: int | None = None
    ledger_trials: int | None = None
    oos_start: str | None = None
    oos_end: str | None = None
    error: str | None = None
    rank: int | None = None


@dataclass(frozen=True)
class SweepReport:
    """What :func:`run_sweep` returns: the ranked points and where the report is."""

    sweep_id: str
    sweep_dir: Path
    grid: dict[str, list[Any]]
    points: list[SweepPointResult]
    warning: str
    cache_hits: dict[str, int] = field(default_factory=dict)

    @property
    def n_failed(self) -> int:
        """Points whose run raised an error."""
        return sum(p.error is not None for p in self.points)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what ``sweep.json`` holds)."""
        return {
            "sweep_id": self.sweep_id,
            "sweep_dir": str(self.sweep_dir),
            "grid": self.grid,
            "n_points": len(self.points),
            "n_failed": self.n_failed,
            "warning": self.warning,
            "cache_hits": self.cache_hits,
            "points": [asdict(p) for p in self.points],
        }


def _default_runner(
    config: RunConfig, settings: Settings, reporter: Reporter, cache: RunCache
) -> RunResult:
    return run_pipeline(config, settings, reporter, cache=cache)


def run_sweep(
    config: RunConfig,
    grid: Mapping[str, Sequence[Any]],
    settings: Settings,
    reporter: Reporter | None = None,
    *,
    runner: Runner | None = None,
) -> SweepReport:
    """Run the pipeline for every grid point, then write and return the ranked report.

    Parameters
    ----------
    config : RunConfig
        The base configuration.
    grid : mapping of str to sequence
        Dotted key -> values (see :func:`sensequant.pipeline.sweep_grid.parse_grid`).
    settings : Settings
        Where the store, runs, registry, ledger and ``sweeps/`` live.
    reporter : Reporter, optional
        Progress display; default shows nothing.
    runner : callable, optional
        ``(config, settings, reporter, cache) -> RunResult``; default
        :func:`~sensequant.pipeline.run_pipeline` with the cache (tests substitute it).

    Returns
    -------
    SweepReport
        Points best first (failed points last, with their error).

    Raises
    ------
    ConfigError
        A bad grid key or an invalid point, before anything runs.
    """
    rep = reporter or NullReporter()
    run = runner or _default_runner
    points = expand_grid(config, grid)
    grid_plain = {k: list(v) for k, v in grid.items()}
    blob = json.dumps([config.fingerprint(), grid_plain], sort_keys=True, default=str)
    sweep_id = new_run_id(now_ist(), hashlib.sha256(blob.encode()).hexdigest())
    cache = RunCache()
    results = []
    for point in points:
        label = format_overrides(point.overrides)
        rep.info(f"sweep point {point.index}/{len(points)}: {label}")
        try:
            res = run(point.config, settings, rep, cache)
        except SenseQuantError as exc:
            rep.warn(f"sweep point {point.index} ({label}) failed: {exc.message}")
            results.append(SweepPointResult(point.index, point.overrides, error=exc.message))
            continue
        results.append(_point_result(point.index, point.overrides, res))
    ledger = TrialLedger(settings.registry_path, settings.home / "ledger")
    results = [
        _with_ledger_count(r, ledger, p.config) for r, p in zip(results, points, strict=True)
    ]
    ranked = _rank(results)
    report = SweepReport(
        sweep_id=sweep_id,
        sweep_dir=settings.home / "sweeps" / sweep_id,
        grid=grid_plain,
        points=ranked,
        warning=_warning(ranked),
        cache_hits=dict(cache.hits),
    )
    write_report(report)
    return report


def _num(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _point_result(index: int, overrides: dict[str, Any], res: RunResult) -> SweepPointResult:
    paths = RunPaths(res.run_dir)
    briefing: dict[str, Any] = {}
    if paths.briefing_json.is_file():
        briefing = json.loads(paths.briefing_json.read_text(encoding="utf-8"))
    headline = briefing.get("headline") or res.headline or {}
    sharpe, rank_ic = _num(headline.get("sharpe")), None
    comparison = paths.returns("comparison")
    if comparison.is_file():
        table = pd.read_parquet(comparison)
        row = table[table["series"] == RELEASED]
        if not row.empty:
            sharpe = _num(row["sharpe"].iloc[0])
            rank_ic = _num(row["rank_ic"].iloc[0])
    dsr = briefing.get("dsr") or {}
    n_trials = dsr.get("n_trials")
    oos = briefing.get("oos") or {}
    return SweepPointResult(
        index=index,
        overrides=overrides,
        run_id=res.run_id,
        run_dir=str(res.run_dir),
        decision=res.decision,
        sharpe=sharpe,
        rank_ic=rank_ic,
        dsr=_num(dsr.get("dsr")),
        dsr_n_trials=int(n_trials) if n_trials is not None else None,
        oos_start=str(oos.get("start") or headline.get("oos_start") or "") or None,
        oos_end=str(oos.get("end") or headline.get("oos_end") or "") or None,
    )


def _with_ledger_count(
    r: SweepPointResult, ledger: TrialLedger, config: RunConfig
) -> SweepPointResult:
    if r.error is not None or not r.oos_start or not r.oos_end:
        return r
    start, end = pd.Timestamp(r.oos_start), pd.Timestamp(r.oos_end)
    rows = ledger.matching(config.data.universe, config.data.interval, start, end)
    n = len(TrialLedger.distinct(rows))  # identical returns (re-runs) count once
    return replace(r, ledger_trials=n)


def _rank(results: list[SweepPointResult]) -> list[SweepPointResult]:
    def key(r: SweepPointResult) -> tuple[int, float, float, int]:
        sharpe = r.sharpe if r.sharpe is not None else -math.inf
        ric = r.rank_ic if r.rank_ic is not None else -math.inf
        return (r.error is not None, -sharpe, -ric, r.index)

    ordered = sorted(results, key=key)
    return [replace(r, rank=i if r.error is None else None) for i, r in enumerate(ordered, 1)]


def _warning(ranked: list[SweepPointResult]) -> str:
    ok = [r for r in ranked if r.error is None and r.sharpe is not None]
    if not ok:
        return "no sweep point produced a Sharpe ratio; nothing to rank"
    best = ok[0]
    n = max([r.ledger_trials or 0 for r in ranked] + [len(ranked)])
    dsr = "n/a" if best.dsr is None else f"{best.dsr:.3f}"
    return (
        f"WARNING: the best point's Sharpe ({best.sharpe:.2f}, run {best.run_id}) is the "
        f"maximum of {len(ranked)} sweep points, selected out of {n} trials in the ledger on "
        f"this universe, interval and overlapping span. A maximum over many trials is biased "
        f"upwards: expect less out of sample, and judge it by its deflated Sharpe ratio "
        f"({dsr}, which counts the ledger), not by its rank here."
    )


def fmt_value(v: float | int | None, digits: int) -> str:
    """``v`` with ``digits`` decimals, or ``n/a`` when it is missing (report and CLI tables)."""
    return "n/a" if v is None else f"{v:.{digits}f}"


def sweep_markdown(report: SweepReport) -> str:
    """The ranked report as Markdown (what ``sweep.md`` holds)."""
    lines = [
        f"# Sweep {report.sweep_id}",
        "",
        f"{len(report.points)} points, {report.n_failed} failed. Grid:",
        "",
        *(f"- `{k}`: {v!r}" for k, v in report.grid.items()),
        "",
        f"**{report.warning}**",
        "",
        "Ranked by the released model's net Sharpe (annualised, after costs), then Rank IC.",
        "",
        "| rank | run | overrides | Sharpe | Rank IC | DSR | ledger trials | decision |",
        "|---:|---|---|---:|---:|---:|---:|---|",
    ]
    for p in report.points:
        lines.append(
            f"| {p.rank or '-'} | {p.run_id or 'failed'} | {format_overrides(p.overrides)} | "
            f"{fmt_value(p.sharpe, 2)} | {fmt_value(p.rank_ic, 4)} | {fmt_value(p.dsr, 3)} | "
            f"{p.ledger_trials if p.ledger_trials is not None else 'n/a'} | "
            f"{p.decision or p.error or ''} |"
        )
    return "\n".join(lines) + "\n"


def write_report(report: SweepReport) -> None:
    """Write ``sweep.json`` and ``sweep.md`` into ``report.sweep_dir`` (created)."""
    report.sweep_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(report.sweep_dir / "sweep.json", report.to_dict())
    write_text_atomic(report.sweep_dir / "sweep.md", sweep_markdown(report))
