"""The run directory: one folder per run holding every artifact of every phase.

Layout (relative to ``<home>/runs/<run_id>/``)::

    config.yaml                    effective run configuration
    telemetry.jsonl                events, flushed per line
    preflight.json                 coverage per symbol, exclusions, window plan
    windows.parquet                every (symbol, window): trained / skipped / failed + metrics
    soft_labels.parquet            teacher out-of-fold class probabilities
    models/teachers.parquet        every teacher: LightGBM text format per row + window
    models/teachers.json           teacher metadata (features, hash, params)
    models/student_walkforward.parquet  each walk-forward student: period, train span, model
    models/student.txt|json        release student (LightGBM text + JSON metadata)
    predictions/student_oos.parquet, predictions/teacher_direct_oos.parquet
    predictions/student_blend_<w>.parquet   score student: each blend weight (0 = direct model)
    returns/daily.parquet          OOS daily returns: strategy, costs, benchmarks
    returns/trials.parquet         daily net returns of every configuration tried
    returns/ic_daily.parquet       daily IC / Rank IC
    returns/comparison.parquet     model, variants and baselines on identical OOS dates
    returns/ledger.parquet         per-trade ledger of the student portfolio
    returns/holdings.parquet       end-of-day weights of the student portfolio
    returns/cost_components.parquet  rupees per NSE charge and slippage of every trade
    stress/stress.json             stress replay (periods, rows, scores, failure modes)
    stress/stress_table.parquet    one row per (period, strategy or baseline)
    stress/stress_daily.parquet    daily returns of every stress row
    report/equity_drawdown.png
    report.html                    self-contained HTML report
    promotion_briefing.md|json
    manifest.yaml                  data fingerprints, feature hash, versions, git, seeds, hashes
    snapshot/                      the bars the run read (Parquet per series + snapshot.json)
    checkpoints/                   phase checkpoints while the run is unfinished (resume)

This module owns every artifact name: the rest of the pipeline reaches a file through
:class:`RunPaths` (or the constants below), and ``sensequant stress RUN_ID`` reads a finished
run back through :func:`load_run`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd
import yaml

from sensequant.errors import ConfigError, DataError, StoreError
from sensequant.fsutil import write_parquet_atomic
from sensequant.release.briefing import JSON_NAME, MD_NAME
from sensequant.release.manifest import MANIFEST_NAME, TELEMETRY_NAME, UNHASHED_NAMES
from sensequant.settings import RunConfig
from sensequant.types import IST

CONFIG: Final = "config.yaml"
TELEMETRY: Final = TELEMETRY_NAME
PREFLIGHT: Final = "preflight.json"
WINDOWS: Final = "windows.parquet"
SOFT_LABELS: Final = "soft_labels.parquet"
MODELS_DIR: Final = "models"
PREDICTIONS_DIR: Final = "predictions"
RETURNS_DIR: Final = "returns"
REPORT_DIR: Final = "report"
STRESS_DIR: Final = "stress"
SNAPSHOT_DIR: Final = "snapshot"
"""The run's data snapshot (:mod:`sensequant.pipeline.snapshot`), hashed into the manifest."""
CHECKPOINTS_DIR: Final = "checkpoints"
"""Phase checkpoints (:mod:`sensequant.pipeline.checkpoints`); never hashed, deleted at the end."""
SUBDIRS: Final = (MODELS_DIR, PREDICTIONS_DIR, RETURNS_DIR, REPORT_DIR)
"""Folders created with the run directory (``stress/`` is created by the stress phase)."""
STUDENT_MODEL: Final = "student"
"""Stem of the release student in ``models/`` (``student.txt`` and ``student.json``)."""
EQUITY_PLOT: Final = f"{REPORT_DIR}/equity_drawdown.png"
"""The equity/drawdown chart, relative to the run directory (as the briefing links it)."""
MANIFEST: Final = MANIFEST_NAME
BRIEFING_JSON: Final = JSON_NAME
BRIEFING_MD: Final = MD_NAME
REPORT_HTML: Final = "report.html"
UNHASHED: Final = UNHASHED_NAMES
"""Files the manifest does not hash (still being written when the manifest is built)."""


@dataclass(frozen=True)
class RunPaths:
    """Every artifact path of one run directory (see the module docstring for the layout).

    Parameters
    ----------
    root : pathlib.Path
        The run directory, ``<home>/runs/<run_id>``.
    """

    root: Path

    @property
    def config(self) -> Path:
        """``config.yaml``: the effective run configuration."""
        return self.root / CONFIG

    @property
    def telemetry(self) -> Path:
        """``telemetry.jsonl``: one event per line."""
        return self.root / TELEMETRY

    @property
    def preflight(self) -> Path:
        """``preflight.json``: coverage, exclusions and the window plan."""
        return self.root / PREFLIGHT

    @property
    def windows(self) -> Path:
        """``windows.parquet``: every (symbol, window) outcome."""
        return self.root / WINDOWS

    @property
    def soft_labels(self) -> Path:
        """``soft_labels.parquet``: teacher out-of-fold class probabilities."""
        return self.root / SOFT_LABELS

    @property
    def models_dir(self) -> Path:
        """``models/``: teachers, walk-forward students and the release student."""
        return self.root / MODELS_DIR

    @property
    def teachers(self) -> Path:
        """``models/teachers.parquet``: one LightGBM text model per row."""
        return self.models_dir / "teachers.parquet"

    @property
    def teachers_meta(self) -> Path:
        """``models/teachers.json``: teacher metadata."""
        return self.models_dir / "teachers.json"

    @property
    def student_walkforward(self) -> Path:
        """``models/student_walkforward.parquet``: each walk-forward student."""
        return self.models_dir / "student_walkforward.parquet"

    @property
    def release_student(self) -> Path:
        """``models/student.txt``: the release student (LightGBM text format)."""
        return self.models_dir / f"{STUDENT_MODEL}.txt"

    @property
    def student_oos(self) -> Path:
        """``predictions/student_oos.parquet``: the student's OOS predictions."""
        return self.root / PREDICTIONS_DIR / "student_oos.parquet"

    @property
    def teacher_oos(self) -> Path:
        """``predictions/teacher_direct_oos.parquet``: teacher-direct OOS predictions."""
        return self.root / PREDICTIONS_DIR / "teacher_direct_oos.parquet"

    def blend_oos(self, weight: float) -> Path:
        """``predictions/student_blend_<w>.parquet``: a score-student variant's OOS predictions
        (soft-target weight ``w``; 0 = the direct model)."""
        return self.root / PREDICTIONS_DIR / f"student_blend_{weight:g}.parquet"

    def stacked_oos(self) -> Path:
        """``predictions/student_stacked.parquet``: the stacked alternative's OOS predictions
        (``student.stacking``: teacher scores as a feature of the direct model)."""
        return self.root / PREDICTIONS_DIR / "student_stacked.parquet"

    def returns(self, name: str) -> Path:
        """``returns/<name>.parquet`` (``daily``, ``trials``, ``ic_daily``, ``ledger``,
        ``comparison``, ``holdings``, ``cost_components``)."""
        return self.root / RETURNS_DIR / f"{name}.parquet"

    @property
    def equity_plot(self) -> Path:
        """``report/equity_drawdown.png``."""
        return self.root / EQUITY_PLOT

    @property
    def stress_dir(self) -> Path:
        """``stress/``: the stress replay."""
        return self.root / STRESS_DIR

    @property
    def stress_json(self) -> Path:
        """``stress/stress.json``: ``StressReport.to_dict()``."""
        return self.stress_dir / "stress.json"

    @property
    def stress_table(self) -> Path:
        """``stress/stress_table.parquet``: one row per (period, strategy or baseline)."""
        return self.stress_dir / "stress_table.parquet"

    @property
    def stress_daily(self) -> Path:
        """``stress/stress_daily.parquet``: daily returns of every stress row."""
        return self.stress_dir / "stress_daily.parquet"

    @property
    def briefing_json(self) -> Path:
        """``promotion_briefing.json``."""
        return self.root / BRIEFING_JSON

    @property
    def briefing_md(self) -> Path:
        """``promotion_briefing.md``."""
        return self.root / BRIEFING_MD

    @property
    def report_html(self) -> Path:
        """``report.html``."""
        return self.root / REPORT_HTML

    @property
    def manifest(self) -> Path:
        """``manifest.yaml``."""
        return self.root / MANIFEST


def new_run_id(now: dt.datetime, fingerprint: str) -> str:
    """Run id ``YYYYMMDD-HHMMSS-<config fingerprint[:6]>`` (IST wall clock)."""
    return f"{now:%Y%m%d-%H%M%S}-{fingerprint[:6]}"


def create_run_dir(runs_dir: Path, run_id: str) -> Path:
    """Create ``runs_dir/run_id`` (fails if it exists: a run id is never reused)."""
    path = runs_dir / run_id
    try:
        path.mkdir(parents=True, exist_ok=False)
    except FileExistsError:
        raise StoreError(f"run directory {path} already exists", hint="retry in a second") from None
    for sub in SUBDIRS:
        (path / sub).mkdir()
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame atomically, zstd (see :func:`sensequant.fsutil.write_parquet_atomic`)."""
    write_parquet_atomic(frame, path)


@dataclass(frozen=True)
class LoadedRun:
    """A finished run read back from its directory (what ``sensequant stress RUN_ID`` needs).

    Attributes
    ----------
    paths : RunPaths
    config : RunConfig
        ``config.yaml``, validated.
    models : pandas.DataFrame
        ``models/student_walkforward.parquet``: one row per walk-forward student.
    symbols : tuple of str
        The run's usable universe: the briefing's ``universe.symbols``, else pre-flight's
        symbols that were not excluded (in ``preflight.json`` order).
    range_end : pandas.Timestamp or None
        Last session of the run (IST): ``preflight.json``'s ``range_end``, else the
        configuration's ``data.end``; None when neither says.
    student_oos : pandas.DataFrame or None
        ``predictions/student_oos.parquet`` when present.
    """

    paths: RunPaths
    config: RunConfig
    models: pd.DataFrame
    symbols: tuple[str, ...]
    range_end: pd.Timestamp | None
    student_oos: pd.DataFrame | None


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def run_symbols(run_dir: Path) -> list[str]:
    """The run's usable universe: briefing ``universe.symbols``, else pre-flight's symbols.

    Raises
    ------
    DataError
        If neither file names the symbols.
    """
    paths = RunPaths(run_dir)
    brief = _read_json(paths.briefing_json) or {}
    symbols = (brief.get("universe") or {}).get("symbols")
    if symbols:
        return [str(s) for s in symbols]
    pre = _read_json(paths.preflight) or {}
    rows = pre.get("symbols") or []
    symbols = [r["symbol"] for r in rows if isinstance(r, dict) and r.get("excluded") is None]
    if not symbols:
        raise DataError(
            f"{run_dir}: no symbol list in {BRIEFING_JSON} or {PREFLIGHT}",
            hint="run the stress tests on a finished run directory",
        )
    return symbols


def preflight_range_end(run_dir: Path) -> pd.Timestamp | None:
    """A run's last bar as its ``preflight.json`` records it (``range_end``, IST); None when
    the file or the field is missing.

    Raises
    ------
    ValueError
        If the file is not JSON.
    """
    pre = _read_json(RunPaths(run_dir).preflight)
    end = pre.get("range_end") if pre is not None else None
    return pd.Timestamp(end).tz_convert(IST) if end else None


def _range_end(paths: RunPaths, config: RunConfig) -> pd.Timestamp | None:
    recorded = preflight_range_end(paths.root)
    if recorded is not None:
        return recorded
    if config.data.end is not None:
        return pd.Timestamp(config.data.end).tz_localize(IST)
    return None


def load_run(run_dir: Path) -> LoadedRun:
    """Read a finished run directory back: the one place a run is loaded from disk.

    Parameters
    ----------
    run_dir : pathlib.Path
        A finished run directory (``config.yaml``, ``models/student_walkforward.parquet``,
        ``promotion_briefing.json`` or ``preflight.json``).

    Returns
    -------
    LoadedRun

    Raises
    ------
    DataError
        ``config.yaml`` or the walk-forward students are missing, or no file names the
        run's symbols.
    ConfigError
        ``config.yaml`` is not a valid run configuration.
    """
    paths = RunPaths(run_dir)
    for need in (paths.config, paths.student_walkforward):
        if not need.is_file():
            raise DataError(f"{need} is missing", hint="pass a finished run directory")
    try:
        config = RunConfig.model_validate(yaml.safe_load(paths.config.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise ConfigError(f"{paths.config}: invalid run configuration ({exc})") from None
    models = pd.read_parquet(paths.student_walkforward)
    symbols = tuple(run_symbols(run_dir))
    oos = pd.read_parquet(paths.student_oos) if paths.student_oos.is_file() else None
    return LoadedRun(
        paths=paths,
        config=config,
        models=models,
        symbols=symbols,
        range_end=_range_end(paths, config),
        student_oos=oos,
    )
