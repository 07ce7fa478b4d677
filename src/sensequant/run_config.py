"""The run configuration (YAML): what a ``sensequant run`` does, validated by pydantic.

:class:`RunConfig` and its sections, and :func:`load_run_config`. The effective config is saved
with every run (``runs/<run_id>/config.yaml``). Re-exported by :mod:`sensequant.settings`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import typing
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from sensequant.config_sections import (
    BacktestConfig,
    ExecutorConfig,
    GateConfig,
    IntradayConfig,
    PortfolioConfig,
    ReviewConfig,
    Section,
    StatsConfig,
    StressConfig,
    StudentConfig,
    TeacherConfig,
)
from sensequant.config_yaml import load_yaml_unique, over_defaults
from sensequant.errors import ConfigError
from sensequant.time_units import (
    canonical_interval,
    convert_time_units,
    durations_written,
    restore_durations,
)

__all__ = [
    "BacktestConfig",
    "DataConfig",
    "ExecutorConfig",
    "FeatureConfig",
    "GateConfig",
    "IntradayConfig",
    "LabelConfig",
    "PortfolioConfig",
    "ReviewConfig",
    "RunConfig",
    "StatsConfig",
    "StressConfig",
    "StudentConfig",
    "TeacherConfig",
    "WindowConfig",
    "load_run_config",
    "load_yaml_unique",
]  # time units and interval aliases: sensequant.time_units


class DataConfig(Section):
    """Which bars a run uses."""

    universe: str = "nifty50"
    """Universe name (``nifty50``, ``nifty100``) or comma-separated symbols."""
    interval: Literal["1day", "30minute", "5minute", "1minute"] = "1day"
    """Bar interval (aliases ``1d``, ``30m``, ``5m``, ``1m``). An intraday interval runs the
    intraday path (:mod:`sensequant.pipeline.intraday`): session-bounded labels, fills at the
    next bar's open, MIS costs, square-off at the session's last bar."""
    start: dt.date | dt.datetime | None = dt.date(2004, 1, 1)
    """First session of the window grid and of out-of-sample evaluation (inclusive); None =
    the earliest stored bar. Features still use all history before it for warm-up. The
    default skips 1996-2003, when the daily set holds only a handful of symbols."""
    end: dt.date | dt.datetime | None = None
    """Last session used (inclusive); None = the last stored bar. ``start`` and ``end`` may
    be timestamps (naive = IST) on intraday bars; a date means the whole session."""
    benchmark: str = "NIFTY 50"
    min_history_sessions: int = Field(300, ge=10, le=20_000)  # bound: ~80 years
    """A symbol with fewer sessions in the range is excluded at pre-flight (with the reason).
    Intraday runs may go as low as 10 sessions (``configs/intraday_1min.yaml``: 20); such a
    span is far too short for evidence, and the run says so."""

    @field_validator("interval", mode="before")
    @classmethod
    def _interval_alias(cls, value: Any) -> Any:
        return (canonical_interval(value) or value) if isinstance(value, str) else value


FeatureSetName = Literal[
    "technical", "levels", "returns", "cross_sectional", "sector", "market", "intraday", "daily"
]
"""Named feature sets (see :mod:`sensequant.dataset.features.sets`)."""
_DEFAULT_SETS: list[FeatureSetName] = ["technical", "levels"]


class FeatureConfig(Section):
    """Which named feature sets a run uses (see :mod:`sensequant.dataset.features.sets`)."""

    sets: list[FeatureSetName] = Field(default_factory=lambda: _DEFAULT_SETS.copy())
    """Feature sets, in column order; the default is the original 29 features."""
    cs_normalize: Literal["none", "rank", "zscore"] = "none"
    """Per-date cross-sectional normalisation of the per-symbol sets (technical, levels,
    returns): ``rank`` = percentile rank - 0.5, ``zscore`` = robust z clipped to +/-5."""

    @model_validator(mode="after")
    def _check_sets(self) -> FeatureConfig:
        if not self.sets:
            raise ValueError("features.sets is empty; name at least one feature set")
        if len(set(self.sets)) != len(self.sets):
            raise ValueError(f"features.sets {self.sets} names a set twice")
        return self


class LabelConfig(Section):
    """Forward-return labels (see :mod:`sensequant.dataset.labels`)."""

    horizon: int = Field(5, ge=1, le=20_000)  # bound: ~53 sessions of 1-minute bars
    """h: bars (sessions on daily bars) from the next bar's open to the close h bars later.
    Also written with a unit, converted per ``data.interval``: ``30min``, ``2h``,
    ``1session``, ``5d`` (see :mod:`sensequant.time_units`)."""
    vol_lookback: int = Field(20, ge=5, le=200_000)  # bound: 10 years of 5-minute bars
    """Bars of past close-to-close returns used for the volatility scale (units as for
    ``horizon``)."""
    session_bound: bool = True
    """Intraday bars only: a label whose horizon would cross the session's close is NaN (the
    horizon never spans the night); false lets labels run into the next session."""
    to_close: bool = False
    """Intraday bars only: label every bar to the session's close (from the next bar's open to
    the last bar's close) instead of ``horizon`` bars ahead."""
    threshold_k: float = Field(0.5, gt=0, le=10)  # bound: 10 sigma labels nothing
    """A forward return beyond +/- k * sigma_t * sqrt(h) is 'up' / 'down', else 'flat'."""
    method: Literal["fixed_horizon", "triple_barrier"] = "fixed_horizon"
    """``triple_barrier``: barriers at +/- k * sigma_t * sqrt(h) from the entry open and a
    vertical barrier at session t+h; the first barrier touched sets the label and t1."""
    barrier_k: float | None = Field(None, gt=0, le=10)  # bound: as threshold_k
    """Triple barrier only: k of the horizontal barriers (and of the ``threshold`` column);
    None = ``threshold_k``. Barriers touched intraday are hit far more often than a 5-day
    close is beyond the same threshold, so a larger k keeps the classes balanced."""
    target: Literal["class3", "cs_rank", "cs_zscore", "ts_volscaled"] = "class3"
    """Training target: the 3-class label, or a per-date cross-sectional transform of
    ``fwd_return`` (see :mod:`sensequant.dataset.targets`), or ``ts_volscaled``: the
    symbol's own forward return over sigma_t * sqrt(h), clipped to +/-3 (for universes too
    small for a cross-section: a run on fewer than 5 symbols switches to it, saying so)."""


class WindowConfig(Section):
    """Rolling teacher windows (see :mod:`sensequant.dataset.windows`)."""

    length_days: int = Field(180, ge=5, le=7300)  # bound: 20 years
    """Window length in calendar days (from 5: a week of 1-minute bars is ~1,900 rows)."""
    step_days: int = Field(90, ge=1, le=7300)  # bound: 20 years
    """Calendar days between window starts."""
    min_samples: int = Field(60, ge=10, le=1_000_000)  # bound: > any window
    """A window with fewer labelled samples is skipped ('too few samples')."""
    max_failure_rate: float = Field(0.05, ge=0, le=1)
    """The run fails if more than this share of planned windows FAILED (skips don't count)."""


def _rank_only_trials() -> list[PortfolioConfig]:
    """The default portfolio trials of a score model: rank-only top-k variants."""
    return [
        PortfolioConfig(score="score", top_k=5),
        PortfolioConfig(score="score", top_k=10),
        PortfolioConfig(score="score", top_k=20),
        PortfolioConfig(score="score", top_k=10, rebalance_every=1, hold_buffer=0),
    ]


class RunConfig(Section):
    """Everything ``sensequant run`` does, validated. Load with :func:`load_run_config`."""

    name: str = "default"
    seed: int = 20240607
    n_jobs: int = Field(-1, le=1024, description="joblib workers; -1 = all cores")
    executor: ExecutorConfig = ExecutorConfig()
    # bound: 1024 workers (negative values count back from all cores, as in joblib)
    data: DataConfig = DataConfig()
    features: FeatureConfig = FeatureConfig(
        sets=["technical", "levels", "returns", "cross_sectional", "sector", "market"],
        cs_normalize="rank",
    )
    labels: LabelConfig = LabelConfig(target="cs_rank")
    windows: WindowConfig = WindowConfig()
    teacher: TeacherConfig = TeacherConfig()
    student: StudentConfig = StudentConfig(
        test_period_days=180,
        train_lookback_days=3650,
        soft_label_weight=0.5,
        num_boost_round=50,
        learning_rate=0.1,
        sample_every=5,
    )
    portfolio: PortfolioConfig = PortfolioConfig(score="score")
    backtest: BacktestConfig = BacktestConfig(trials=_rank_only_trials())
    intraday: IntradayConfig = IntradayConfig()
    stats: StatsConfig = StatsConfig()
    stress: StressConfig = StressConfig()
    gates: GateConfig = GateConfig()
    review: ReviewConfig = ReviewConfig()

    @model_validator(mode="after")
    def _check_dates(self) -> RunConfig:
        start, end = self.data.start, self.data.end
        if start and end and pd.Timestamp(start) > pd.Timestamp(end):
            raise ValueError(
                f"data.start {self.data.start} is after data.end {self.data.end}; swap them"
            )
        return self

    @model_validator(mode="after")
    def _check_scores(self) -> RunConfig:
        scored = self.labels.target != "class3"
        rules = [("portfolio", self.portfolio)] + [
            (f"backtest.trials[{i}]", t) for i, t in enumerate(self.backtest.trials)
        ]
        for where, rule in rules:
            if scored and rule.score != "score":
                raise ValueError(
                    f"{where}.score is {rule.score!r} but labels.target {self.labels.target!r} "
                    "makes score models (no class probabilities); set score: score"
                )
            if not scored and rule.score == "score":
                raise ValueError(
                    f"{where}.score 'score' needs a cross-sectional target "
                    "(labels.target: cs_rank or cs_zscore)"
                )
        if self.student.stacking and self.data.interval != "1day":
            raise ValueError(
                "student.stacking is for daily bars only (the intraday evaluation does not "
                "compare the stacked alternative yet); set student.stacking: false"
            )
        return self

    _durations: dict[str, str] = PrivateAttr(default_factory=dict)  # 30min as written

    @model_validator(mode="wrap")
    @classmethod
    def _time_units(cls, raw: Any, handler: Any) -> Any:
        cfg = handler(convert_time_units(raw))
        if isinstance(raw, dict) and isinstance(cfg, RunConfig):
            cfg._durations = durations_written(raw)
        return cfg

    def with_overrides(self, **data_fields: Any) -> RunConfig:
        """Return a copy with ``data`` fields replaced (CLI ``--universe/--start/--end``).

        Raises
        ------
        ConfigError
            If the result is invalid (e.g. start after end).
        """
        merged = self.as_written()
        merged["data"].update({k: v for k, v in data_fields.items() if v is not None})
        return _validate(merged, source="command-line options")

    def as_written(self, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """``model_dump(mode=...)`` with durations as written (``labels.horizon: 30min``), so
        validating it after ``data.interval`` changed converts them at the new interval."""
        return restore_durations(self.model_dump(mode=mode), self._durations)

    def with_executor(self, spec: str) -> RunConfig:
        """A copy running its parallel work on ``spec``: ``joblib``, ``dask`` (a local cluster)
        or a Dask scheduler address ``tcp://HOST:PORT`` (``--executor``).

        Raises
        ------
        ConfigError
            Any other value.
        """
        if spec in ("joblib", "dask"):
            section = {"kind": spec, "address": None}
        elif "://" in spec:
            section = {"kind": "dask", "address": spec}
        else:
            raise ConfigError(
                f"--executor {spec!r} is not joblib, dask or a scheduler address",
                hint="e.g. --executor tcp://10.0.0.5:8786",
            )
        return _validate(self.as_written() | {"executor": section}, source="--executor")

    def fingerprint(self) -> str:
        """SHA-256 (first 16 hex) of the canonical JSON of this config (``executor`` left out:
        where the work runs does not change a result)."""
        text = json.dumps(self.model_dump(mode="json", exclude={"executor"}), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_yaml(self) -> str:
        """The effective config as YAML (what a run directory stores)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def _validate(raw: dict[str, Any], *, source: str, text: str | None = None) -> RunConfig:
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_problem(e["loc"], e["msg"], e["type"], text) for e in exc.errors())
        raise ConfigError(
            f"invalid run configuration from {source}: {problems}",
            hint="`sensequant config show` prints every key with its default",
        ) from None


def _problem(loc: tuple[Any, ...], msg: str, kind: str, text: str | None) -> str:
    """``line 7: data.univers: unknown key; did you mean 'universe'?`` for one pydantic error."""
    where = ".".join(str(p) for p in loc) or "(root)"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _known_keys(loc[:-1]), n=1, cutoff=0.6)
        msg = "unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
    line = _line_of(text, loc) if text is not None else None
    return f"{'' if line is None else f'line {line}: '}{where}: {msg}"


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys of the section at ``loc`` (``('backtest', 'trials', 0)`` -> PortfolioConfig)."""
    model: Any = RunConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        args = typing.get_args(field.annotation) or (field.annotation,)
        model = next((a for a in args if hasattr(a, "model_fields")), None)
    return list(getattr(model, "model_fields", {}))


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the key (or item) at ``loc`` in YAML ``text``; None when not there."""
    try:
        node: Any = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if pair is None:
                return line
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def load_run_config(path: Path | None = None, **data_overrides: Any) -> RunConfig:
    """Load and validate a run configuration.

    Parameters
    ----------
    path : pathlib.Path, optional
        YAML file; None gives the defaults.
    **data_overrides
        ``data`` keys from the command line (``interval=``, ``universe=`` ...; None = not
        given), applied before validation so durations such as ``labels.horizon: 30min``
        are converted to bars of the FINAL interval.

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        If the file is missing, not YAML, holds a key twice in one mapping (naming the key and
        both lines), or fails validation (the message names each key).

    Notes
    -----
    The file's values are laid over the built-in defaults key by key (``student: {stacking:
    true}`` changes that one key); lists such as ``backtest.trials`` are replaced whole.
    """
    if path is None:
        return RunConfig().with_overrides(**data_overrides) if data_overrides else RunConfig()
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist", hint="pass an existing YAML file")
    try:
        text = path.read_text(encoding="utf-8")
        raw = load_yaml_unique(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}", hint=exc.hint) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    # the file's values over the built-in defaults, key by key: a section the file names only
    # in part keeps the run's defaults for its other keys (not the section class's)
    merged = over_defaults(RunConfig().model_dump(), raw)
    given = {k: v for k, v in data_overrides.items() if v is not None}
    if given:
        merged["data"] = {**merged["data"], **given}
    source = f"{path} with command-line options" if given else str(path)
    return _validate(merged, source=source, text=text)
