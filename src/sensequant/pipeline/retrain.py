"""``sensequant retrain``: fetch new bars, train a challenger, compare it with the champion.

:func:`retrain` takes the champion (``--from RUN_ID``, default the deployed run), optionally
fetches new bars (:func:`sensequant.data.fetch.run_fetch`; provider ``files``, ``yahoo``,
``breeze`` or ``none``), and when the store holds sessions after the newest run of the same
configuration (the champion or an earlier challenger) runs the pipeline again with the same
configuration up to the new last session: a normal run (a candidate for review), whose teachers
are reused where their inputs did not change (:class:`~sensequant.pipeline.retrain_reuse.
ReuseCache`). The challenger is compared with the champion on their common out-of-sample
dates (paired stationary bootstrap of the Sharpe and the mean daily Rank IC differences) and
the comparison is written to ``<challenger>/analyses/<time>-retrain/retrain.json|md`` (the
run's evidence is never changed). Exit codes (:data:`EXIT_NEW_DATA` ...) suit cron/systemd.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import pandas as pd

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.errors import NoDataError, ProviderError
from sensequant.evaluation.bootstrap import bootstrap_difference_ci
from sensequant.evaluation.metrics import EvaluationInputError
from sensequant.fsutil import write_json_atomic, write_text_atomic
from sensequant.pipeline.deployed import chosen_run
from sensequant.pipeline.retrain_reuse import ReuseCache
from sensequant.pipeline.run import run_pipeline
from sensequant.pipeline.rundir import RunPaths, load_run, preflight_range_end
from sensequant.pipeline.universe_rules import EQUAL_WEIGHT_BENCHMARK
from sensequant.progress import NullReporter, Reporter
from sensequant.release.manifest import ANALYSES_DIR
from sensequant.release.registry import Registry
from sensequant.settings import RunConfig, Settings
from sensequant.telemetry import now_ist
from sensequant.types import IST

__all__ = [
    "EXIT_FAILED",
    "EXIT_NEW_DATA",
    "EXIT_NO_NEW_DATA",
    "RetrainOutcome",
    "fetch_failures",
    "retrain",
]

EXIT_NEW_DATA: Final = 0
"""New sessions were found and a challenger run was produced."""
EXIT_FAILED: Final = 1
"""Anything failed (fetch, pipeline, comparison input)."""
EXIT_NO_NEW_DATA: Final = 3
"""No session after the newest run of this configuration: nothing was trained."""
_FETCHED_OK: Final = frozenset({"cached", "ok", "empty"})
"""Fetch outcomes of a symbol that leave its series complete (``empty``: nothing new served)."""


@dataclass(frozen=True)
class RetrainOutcome:
    """What a retrain did.

    Attributes
    ----------
    champion : str
        The champion's run id.
    last_session : datetime.date
        The last session every series of the champion's universe has in the store (IST).
    covered_until : datetime.date
        The last session of the newest run of the same configuration before this retrain.
    challenger : str or None
        The new run's id (None: no new data).
    comparison : dict or None
        Paired bootstrap of challenger minus champion (see :func:`compare_runs`).
    reused, trained : int
        Teacher windows reused from the champion / trained anew.
    report : pathlib.Path or None
        ``retrain.json`` beside the challenger.
    """

    champion: str
    last_session: dt.date
    covered_until: dt.date
    challenger: str | None = None
    comparison: dict[str, Any] | None = None
    reused: int = 0
    trained: int = 0
    report: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """:data:`EXIT_NEW_DATA` with a challenger, else :data:`EXIT_NO_NEW_DATA`."""
        return EXIT_NEW_DATA if self.challenger else EXIT_NO_NEW_DATA

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``--json``; ``retrain.json``)."""
        d = asdict(self)
        d.update(
            last_session=self.last_session.isoformat(),
            covered_until=self.covered_until.isoformat(),
            report=str(self.report) if self.report else None,
            exit_code=self.exit_code,
        )
        return d


def fetch_failures(report: Any) -> dict[str, str]:
    """The symbols a fetch left incomplete, with why (``partial: 2 of 5 chunks failed``).

    Parameters
    ----------
    report : sensequant.data.fetch.FetchReport or None
        ``run_fetch(...).report`` (None: nothing fetched, no failure).

    Returns
    -------
    dict of str to str
        Symbol -> its status and reason, for every symbol not ``cached``, ``ok`` or ``empty``
        (``partial``, ``failed``, ``unavailable``, ``stopped``, ``not started``).
    """
    if report is None:
        return {}
    out: dict[str, str] = {}
    for s in report.symbols:
        if s.status in _FETCHED_OK:
            continue
        why = s.status
        if s.chunks_failed:
            why += f": {s.chunks_failed} of {s.chunks_planned} chunks failed"
        reason = s.reason or (report.stopped_reason if s.status != "partial" else None)
        out[s.symbol] = why + (f" ({reason})" if reason else "")
    return out


def _check_fetch(report: Any, provider: str, *, allow_partial: bool) -> list[str]:
    """Stop before training on a partial fetch unless allowed; the notes of an allowed one."""
    failed = fetch_failures(report)
    if not failed:
        return []
    listed = "; ".join(f"{sym}: {why}" for sym, why in sorted(failed.items()))
    if not allow_partial:
        raise ProviderError(
            f"retrain stopped before training: the {provider} fetch did not complete for "
            f"{len(failed)} symbol(s): {listed}",
            hint="fix the cause (credentials, network, provider limits) and run `sensequant "
            "retrain` again (complete chunks are kept), or pass --allow-partial to train on "
            "what is stored (noted in the retrain report)",
            provider=provider,
        )
    return [
        f"partial fetch allowed (--allow-partial): {len(failed)} symbol(s) not fetched "
        f"completely, trained on what is stored: {listed}"
    ]


def _last_session(store: AdjustedBarStore, symbols: list[str], interval: str) -> dt.date:
    """The last session every series has (the common end of the universe and benchmark)."""
    last = []
    for s in symbols:
        try:
            last.append(
                pd.Timestamp(store.read(s, interval, columns=["timestamp"])["timestamp"].iloc[-1])
            )
        except NoDataError:
            continue
    if not last:
        raise NoDataError(f"no stored {interval} bars for {symbols[:5]}", hint="fetch first")
    return min(last).tz_convert(IST).date()


def _range_end(run_dir: Path) -> dt.date | None:
    """A run's last session (``preflight.json``'s ``range_end``), None when unknown."""
    try:
        end = preflight_range_end(run_dir)
    except (OSError, ValueError):
        return None
    return end.date() if end is not None else None


def _covered_until(registry: Registry, champion: Any, config_name: str, end: dt.date) -> dt.date:
    """The last session of the newest run of this configuration (any state but failed)."""
    best = end
    for r in registry.list_runs():
        same = (r.universe, r.interval, r.config_name) == (
            champion.universe,
            champion.interval,
            config_name,
        )
        if same and r.state != "failed":
            best = max(best, _range_end(Path(r.run_dir)) or best)
    return best


def _series(run_dir: Path) -> tuple[pd.Series, pd.Series | None]:
    paths = RunPaths(run_dir)
    daily = pd.read_parquet(paths.returns("daily")).set_index("timestamp")
    ic = pd.read_parquet(paths.returns("ic_daily")).set_index("timestamp")
    col = next((c for c in ("student_rank_ic", "student_ic") if c in ic.columns), None)
    return daily["student_net"], (ic[col].dropna() if col else None)


def compare_runs(challenger_dir: Path, champion_dir: Path, config: RunConfig) -> dict[str, Any]:
    """Challenger minus champion on their common OOS dates: Sharpe and mean daily Rank IC.

    Paired stationary bootstrap (:func:`~sensequant.evaluation.bootstrap.
    bootstrap_difference_ci`, ``stats.bootstrap_reps`` and ``stats.confidence``, the run's
    seed); a difference whose interval lies above 0 favours the challenger.

    Returns
    -------
    dict
        ``common_dates, first, last`` and per statistic ``estimate, lower, upper, confidence,
        reps`` (or ``error`` when it cannot be computed, e.g. under 30 common dates).
    """
    a_ret, a_ic = _series(challenger_dir)
    b_ret, b_ic = _series(champion_dir)
    common = a_ret.index.intersection(b_ret.index)
    out: dict[str, Any] = {
        "common_dates": len(common),
        "first": str(common.min().date()) if len(common) else None,
        "last": str(common.max().date()) if len(common) else None,
    }
    reps, conf, seed = config.stats.bootstrap_reps, config.stats.confidence, config.seed
    for name, a, b in (
        ("sharpe_difference", a_ret, b_ret),
        ("rank_ic_difference", a_ic, b_ic),
    ):
        if a is None or b is None:
            out[name] = {"error": "no daily IC saved"}
            continue
        try:
            ci = (
                bootstrap_difference_ci(a, b, reps=reps, confidence=conf, seed=seed)
                if name == "sharpe_difference"
                else bootstrap_difference_ci(
                    a, b, statistic="mean", periods=1, reps=reps, confidence=conf, seed=seed
                )
            )
        except EvaluationInputError as exc:
            out[name] = {"error": str(exc)}
            continue
        keys = ("estimate", "lower", "upper", "confidence", "reps")
        out[name] = {k: getattr(ci, k) for k in keys}
    return out


def _write_report(challenger_dir: Path, outcome: RetrainOutcome) -> Path:
    stamp = now_ist().strftime("%Y%m%dT%H%M%S")
    folder = challenger_dir / ANALYSES_DIR / f"{stamp}-retrain"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "retrain.json"
    data = outcome.to_dict() | {"report": str(path)}
    write_json_atomic(path, data)
    lines = [
        f"# Retrain: challenger {outcome.challenger} vs champion {outcome.champion}",
        "",
        f"New sessions up to {outcome.last_session} (the newest run before covered "
        f"{outcome.covered_until}). Teacher windows reused: {outcome.reused}; trained: "
        f"{outcome.trained}.",
        "",
        "| statistic (challenger - champion) | estimate | lower | upper |",
        "|---|---|---|---|",
    ]
    comp = outcome.comparison or {}
    for key in ("sharpe_difference", "rank_ic_difference"):
        v = comp.get(key) or {}
        if "error" in v:
            lines.append(f"| {key} | n/a ({v['error']}) | | |")
        elif v:
            lines.append(f"| {key} | {v['estimate']:.4f} | {v['lower']:.4f} | {v['upper']:.4f} |")
    lines += [
        "",
        f"On {comp.get('common_dates', 0)} common out-of-sample dates "
        f"({comp.get('first')} to {comp.get('last')}), paired stationary bootstrap. "
        "An interval above 0 favours the challenger. The challenger is a candidate: review, "
        "approve and deploy it as any run (`sensequant show`, `approve`, `deploy`).",
    ]
    lines += ["", *(f"Note: {n}" for n in outcome.notes)] if outcome.notes else []
    write_text_atomic(folder / "retrain.md", "\n".join(lines) + "\n")
    return path


def retrain(
    settings: Settings,
    *,
    from_run: str | None = None,
    provider: str | None = None,
    source: list[Path] | None = None,
    reporter: Reporter | None = None,
    allow_partial: bool = False,
) -> RetrainOutcome:
    """Fetch, detect new sessions, train a challenger and compare it (module docstring).

    Parameters
    ----------
    settings : Settings
    from_run : str, optional
        Champion run id or prefix; default the deployed run.
    provider : str, optional
        ``files``, ``yahoo``, ``breeze``; ``none`` or None = do not fetch.
    source : list of pathlib.Path, optional
        Files or folders for the ``files`` provider.
    reporter : Reporter, optional
    allow_partial : bool, default False
        Go on when the fetch left some symbols incomplete (their stored bars are used as they
        are; the newest common session ignores them), with a note in the outcome and report.

    Returns
    -------
    RetrainOutcome

    Raises
    ------
    ProviderError
        The fetch left symbols incomplete (naming each and why) and ``allow_partial`` is
        False: nothing is trained.
    SenseQuantError
        Unknown run, nothing deployed, fetch or pipeline failures (exit :data:`EXIT_FAILED`).
    """
    rep = reporter or NullReporter()
    registry = Registry(settings.registry_path)
    champion = chosen_run(registry, from_run, deployed=from_run is None)
    run = load_run(Path(champion.run_dir))
    cfg = run.config
    # the equal-weight basket benchmark (metals) is computed from the members, not fetched
    basket = cfg.data.benchmark == EQUAL_WEIGHT_BENCHMARK
    symbols = [*run.symbols] + ([] if basket else [cfg.data.benchmark])
    notes: list[str] = []
    failed: dict[str, str] = {}
    if provider not in (None, "none"):
        from sensequant.data.fetch import run_fetch

        done = run_fetch(
            settings, str(provider), symbols, None, cfg.data.interval, None, None, source=source
        )
        notes = _check_fetch(done.report, str(provider), allow_partial=allow_partial)
        failed = fetch_failures(done.report)
    catalog = Catalog(settings.catalog_path)
    store = AdjustedBarStore(settings.store_dir, catalog)
    complete = [s for s in symbols if s not in failed] or symbols
    last = _last_session(store, complete, cfg.data.interval)
    end = run.range_end.date() if run.range_end is not None else last
    covered = _covered_until(registry, champion, cfg.name, end)
    base = RetrainOutcome(
        champion=champion.run_id, last_session=last, covered_until=covered, notes=notes
    )
    if last <= covered:
        return base
    new_cfg = cfg if cfg.data.end is None else cfg.with_overrides(end=last)
    cache = ReuseCache(Path(champion.run_dir), pd.Timestamp(end, tz=IST), store, catalog)
    result = run_pipeline(new_cfg, settings, rep, cache)
    outcome = RetrainOutcome(
        champion=champion.run_id,
        last_session=last,
        covered_until=covered,
        challenger=result.run_id,
        comparison=compare_runs(result.run_dir, Path(champion.run_dir), cfg),
        reused=cache.reused,
        trained=cache.trained,
        notes=notes,
    )
    report = _write_report(result.run_dir, outcome)
    return replace(outcome, report=report)
