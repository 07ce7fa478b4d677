"""Stress phase: replay the stress periods for a run; write ``<run_dir>/stress/``.

Inside ``sensequant run`` the phase receives the run's results in memory (:class:`StressSource`:
walk-forward students, bars, features, OOS predictions) and calls :func:`replay_stress`.
``sensequant stress RUN_ID`` (:func:`run_stress`) loads a finished run through
:func:`sensequant.pipeline.rundir.load_run`, rebuilds the features and labels from the bar
store exactly as the run did (bars up to the run's range end,
:func:`~sensequant.dataset.build_frames`) and replays the same way; both call
:func:`sensequant.evaluation.stress.run_stress_tests`. Writes (atomically)::

    stress/stress.json            StressReport.to_dict() (the briefing's "stress" key)
    stress/stress_table.parquet   one row per (period, strategy/baseline)
    stress/stress_daily.parquet   daily returns of every row of every period (long)

The synthetic gap-down shocks the bars themselves (:func:`~sensequant.evaluation.stress.
shock_bars`) and rebuilds features and labels from them, so the student sees the gap.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore
from sensequant.dataset import SymbolFrame, build_frames, needs_panel_step, panel_frame
from sensequant.errors import ConfigError, DataError, NoDataError
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.stress import (
    StressInputs,
    StressPeriod,
    StressReport,
    StressRules,
    inject_gap_down,
    parse_stress_periods,
    predict_span,
    run_stress_tests,
    shock_bars,
    synthetic_period,
)
from sensequant.pipeline.evidence import price_matrices
from sensequant.pipeline.intraday_stress import intraday_stress
from sensequant.pipeline.rundir import load_run
from sensequant.pipeline.series_labels import series_labels
from sensequant.pipeline.stress_files import write_stress
from sensequant.pipeline.universe_rules import run_store
from sensequant.settings import RunConfig
from sensequant.types import IST

PACKAGED_PERIODS = "resources/stress_periods.yaml"
_PANEL_LEAD = pd.Timedelta(days=400)
"""Calendar days of panel kept before the first out-of-sample date (>= 252 sessions)."""


def load_stress_periods(path: Path | None = None) -> list[StressPeriod]:
    """Load and validate a stress-period YAML file.

    Parameters
    ----------
    path : pathlib.Path, optional
        A file laid out like the packaged one; None = ``sensequant/resources/
        stress_periods.yaml`` (also reachable as ``configs/stress_periods.yaml``).

    Returns
    -------
    list of StressPeriod

    Raises
    ------
    ConfigError
        Missing file, invalid YAML, invalid or duplicate periods.
    """
    if path is None:
        origin = f"sensequant/{PACKAGED_PERIODS}"
        text = importlib.resources.files("sensequant").joinpath(PACKAGED_PERIODS).read_text("utf-8")
    else:
        origin = str(path)
        if not path.is_file():
            raise ConfigError(
                f"stress period file {path} does not exist",
                hint="pass an existing YAML file, e.g. configs/stress_periods.yaml",
            )
        text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML ({exc})") from None
    return parse_stress_periods(raw, origin=origin)


def _read_bars(
    store: BarStore, symbols: Sequence[str], config: RunConfig, end: pd.Timestamp
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    bars: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    for sym in symbols:
        try:
            bars[sym] = store.read(sym, config.data.interval, end=end)
        except NoDataError:
            missing.append(sym)
    return bars, missing


def _frames(
    bars: dict[str, pd.DataFrame],
    config: RunConfig,
    shock: tuple[pd.Timestamp, float] | None = None,
    *,
    sectors: Mapping[str, str | None],
    bench_close: pd.Series,
) -> dict[str, SymbolFrame]:
    """Features and labels per symbol, as the run built them (optionally from shocked bars),
    with the run's panel columns (cross-symbol features, cross-sectional target) if any."""
    used = {s: b if shock is None else shock_bars(b, *shock) for s, b in bars.items()}
    return build_frames(used, config, benchmark_close=bench_close, sectors=sectors)


def _bench(store: BarStore, config: RunConfig, end: pd.Timestamp) -> tuple[pd.Series, pd.Series]:
    interval = "1day" if store.exists(config.data.benchmark, "1day") else config.data.interval
    bars = store.read(
        config.data.benchmark, interval, end=end, columns=["timestamp", "open", "close"]
    )
    ix = pd.DatetimeIndex(bars["timestamp"])
    return (
        pd.Series(bars["open"].to_numpy(dtype=float), index=ix),
        pd.Series(bars["close"].to_numpy(dtype=float), index=ix),
    )


@dataclass(frozen=True)
class StressSource:
    """What a stress replay needs from a run, in memory.

    Attributes
    ----------
    config : RunConfig
        The run's configuration.
    models : pandas.DataFrame
        Walk-forward students (the rows of ``models/student_walkforward.parquet``:
        ``period_id, test_start, test_end, train_start, train_end, max_window_end, n_train,
        n_test, model_text``).
    bars : dict of str to pandas.DataFrame
        Bars per symbol up to ``range_end``, in the order the replay uses them.
    frames : dict of str to SymbolFrame
        Features and labels built from ``bars`` (same keys, same order).
    range_end : pandas.Timestamp
        Last session of the run (IST).
    student_oos : pandas.DataFrame or None
        The run's OOS student predictions (``symbol, timestamp, p_down, p_flat, p_up,
        period_id``, or ``symbol, timestamp, score, period_id`` for a score model); None when
        unavailable.
    notes : tuple of str
        Notes for the report gathered while assembling the source.
    sectors : mapping of str to str or None
        Symbol -> industry the run's panel step used (the ``sector`` set); empty = none known.
    """

    config: RunConfig
    models: pd.DataFrame
    bars: dict[str, pd.DataFrame]
    frames: dict[str, SymbolFrame]
    range_end: pd.Timestamp
    student_oos: pd.DataFrame | None
    notes: tuple[str, ...] = ()
    sectors: Mapping[str, str | None] = field(default_factory=dict)


def _saved_oos(
    saved: pd.DataFrame | None, inputs: StressInputs
) -> tuple[pd.DataFrame | None, str | None]:
    """The run's OOS predictions with panel labels, and whether the panel reproduces them.

    The last fitted walk-forward student is re-applied to its own test span on the panel and
    compared with the run's predictions; when they agree the run's predictions serve as the
    pre-period evidence of every period (no need to predict again).
    """
    if saved is None or inputs.models.empty:
        return None, None
    last = inputs.models.sort_values("period_id").iloc[-1]
    pid = int(last["period_id"])
    mine = predict_span(inputs, pid, last["test_start"], last["test_end"])
    both = saved.loc[saved["period_id"] == pid].merge(
        mine, on=["symbol", "timestamp"], suffixes=("_run", "")
    )
    if both.empty:
        return None, f"could not compare rebuilt predictions with the run's (period {pid})"
    col = "p_up" if "p_up" in mine.columns else "score"  # class model or score model
    diff = float(np.max(np.abs(both[f"{col}_run"].to_numpy() - both[col].to_numpy())))
    ok = diff < 1e-6
    note = (
        f"features rebuilt from the store {'reproduce' if ok else 'DO NOT reproduce'} the "
        f"run's out-of-sample predictions of period {pid} (max |{col} difference| {diff:.2e} "
        f"over {len(both)} rows)"
        + ("" if ok else "; the store changed since the run, so the replay is approximate")
    )
    if not ok:
        return None, note
    labels = inputs.panel[["symbol", "timestamp", "label", "t1"]]
    return saved.merge(labels, on=["symbol", "timestamp"], how="inner"), note


def replay_stress(
    source: StressSource,
    store: BarStore,
    *,
    periods_path: Path | None = None,
    rules: StressRules | None = None,
    synthetic: bool = True,
) -> StressReport:
    """Replay the stress periods for a run held in memory (nothing is written).

    Parameters
    ----------
    source : StressSource
        The run's walk-forward students, bars, features and OOS predictions.
    store : BarStore
        The bar store the run read (prices and the benchmark; bars after the run's range end
        are ignored).
    periods_path : pathlib.Path, optional
        Stress-period YAML; None = the run's ``stress.periods_file``, else the packaged list.
    rules : StressRules, optional
        Default: :class:`StressRules` with the run's ``stress.cash_rate``,
        ``stats.periods_per_year`` and ``stats.risk_free_rate``.
    synthetic : bool, default True
        Also replay the synthetic gap-down (``stress.synthetic_shock``, default -10 %) over the
        last 60 OOS sessions.

    Returns
    -------
    StressReport

    Raises
    ------
    ConfigError
        Invalid stress-period file.
    DataError
        Missing benchmark bars.
    """
    if source.config.data.interval != "1day":  # bars: see pipeline.intraday_stress
        return intraday_stress(source, store)
    report = _replay_daily(source, store, periods_path, rules, synthetic)
    return dataclasses.replace(report, benchmark=series_labels(source.config).benchmark)


def _replay_daily(
    source: StressSource,
    store: BarStore,
    periods_path: Path | None,
    rules: StressRules | None,
    synthetic: bool,
) -> StressReport:
    config, models, frames, end = source.config, source.models, source.frames, source.range_end
    rules = rules or StressRules(
        cash_rate=config.stress.cash_rate,
        periods_per_year=config.stats.periods_per_year,
        risk_free_rate=config.stats.risk_free_rate,
    )
    shock = config.stress.synthetic_shock
    periods = load_stress_periods(periods_path or config.stress.periods_file)
    bench_open, bench_close = _bench(store, config, pd.Timestamp.now(tz=IST))
    bench_open, bench_close = bench_open.loc[:end], bench_close.loc[:end]
    oos_start = pd.Timestamp(models["test_start"].min())
    notes = list(source.notes)
    lead_start = oos_start - _PANEL_LEAD
    open_px, close_px = price_matrices(store, list(frames), lead_start, end)
    inputs = StressInputs(
        panel=panel_frame(frames, lead_start, end),
        models=models,
        open_px=open_px,
        close_px=close_px,
        bench_open=bench_open,
        bench_close=bench_close,
        fees=FeeSchedule.load(),
        portfolio=config.portfolio,
        backtest=config.backtest,
    )
    oos, note = _saved_oos(source.student_oos, inputs)
    if oos is not None:
        inputs.cache["oos"] = oos
    if note:
        notes.append(note)
    shocked = None
    if synthetic:
        oos_sessions = close_px.index[close_px.index >= oos_start]
        s_period, day = synthetic_period(pd.DatetimeIndex(oos_sessions), shock=shock)
        shocked = (s_period, _shocked_inputs(inputs, source, day, shock))
    return run_stress_tests(
        periods, inputs, rules=rules, synthetic=shocked, notes=notes, executor=config.executor
    )


def run_stress(
    run_dir: Path,
    store: BarStore,
    *,
    catalog: Catalog | None = None,
    periods_path: Path | None = None,
    rules: StressRules | None = None,
    synthetic: bool = True,
    out_dir: Path | None = None,
) -> StressReport:
    """Replay the stress periods for a finished run directory; write ``<run_dir>/stress/``.

    The run is read through :func:`~sensequant.pipeline.rundir.load_run`; features and labels
    are rebuilt from the store (bars up to the run's range end) as the run built them.

    Parameters
    ----------
    run_dir : pathlib.Path
        A finished run directory (``config.yaml``, ``models/student_walkforward.parquet``,
        ``promotion_briefing.json`` or ``preflight.json``).
    store : BarStore
        The bar store the run read (bars after the run's range end are ignored).
    catalog : Catalog, optional
        The symbol master the run's ``sector`` set read industries from; None = no industries
        known (a run with the ``sector`` set then does not reproduce).
    periods_path, rules, synthetic
        As in :func:`replay_stress`.
    out_dir : pathlib.Path, optional
        Folder for the files instead (``sensequant stress``: a new ``analyses/`` folder).

    Returns
    -------
    StressReport

    Raises
    ------
    ConfigError
        Invalid ``config.yaml`` or stress-period file.
    DataError
        Missing run artifacts or benchmark bars.
    """
    run = load_run(run_dir)
    config = run.config
    store = run_store(store, config, run.symbols)
    end = run.range_end
    if end is None:
        _, bench_close = _bench(store, config, pd.Timestamp.now(tz=IST))
        if not len(bench_close):
            raise DataError(f"{run_dir}: cannot tell the run's last session", hint="re-run")
        end = bench_close.index[-1]
    bars, missing = _read_bars(store, run.symbols, config, end)
    notes = [f"no stored bars for {missing}: left out of the replay"] if missing else []
    sectors: dict[str, str | None] = {}
    if catalog is not None and needs_panel_step(config):
        sectors = catalog.industries(list(bars))
    intraday = config.data.interval != "1day"  # the shocks need bars and predictions only
    source = StressSource(
        config=config,
        models=run.models,
        bars=bars,
        frames={}
        if intraday
        else _frames(bars, config, sectors=sectors, bench_close=_bench(store, config, end)[1]),
        range_end=end,
        student_oos=run.student_oos,
        notes=tuple(notes),
        sectors=sectors,
    )
    report = replay_stress(
        source, store, periods_path=periods_path, rules=rules, synthetic=synthetic
    )
    write_stress(run_dir, report, dest=out_dir)
    return report


def _shocked_inputs(
    inputs: StressInputs,
    source: StressSource,
    day: pd.Timestamp,
    shock: float = -0.10,
) -> StressInputs:
    """Inputs with every bar from ``day`` on scaled by ``1 + shock`` (features rebuilt)."""
    o, c = inject_gap_down(inputs.open_px, inputs.close_px, day, shock)
    bo, bc = inject_gap_down(
        inputs.bench_open.to_frame("b"), inputs.bench_close.to_frame("b"), day, shock
    )
    frames = _frames(
        source.bars, source.config, (day, shock), sectors=source.sectors, bench_close=bc["b"]
    )
    return dataclasses.replace(
        inputs,
        panel=panel_frame(frames, day - _PANEL_LEAD, source.range_end),
        open_px=o,
        close_px=c,
        bench_open=bo["b"],
        bench_close=bc["b"],
        cache={},  # predictions of the unshocked panel must not leak into the shocked one
    )
