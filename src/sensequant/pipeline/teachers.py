"""Teacher phase: every (symbol, window) teacher trained in parallel, and its outcomes.

Everything here is in-process and typed: per-symbol frames
(:class:`~sensequant.dataset.SymbolFrame`, assembled in :mod:`sensequant.dataset.frame`) go to
worker processes through joblib, results come back as :class:`WindowOutcome` objects (no
stdout parsing, no files).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sensequant.dataset import (
    SKIP_TOO_FEW_SAMPLES,
    SymbolFrame,
    Window,
    WindowSkip,
    WindowSource,
    WindowStatus,
)
from sensequant.errors import InsufficientSamplesError
from sensequant.models.score_teacher import ScoreTeacherResult, train_score_teacher
from sensequant.models.teacher import TeacherResult, train_teacher
from sensequant.parallel import parallel_map, release_workers
from sensequant.settings import RunConfig
from sensequant.types import PROBA_COLUMNS


@dataclass
class WindowOutcome:
    """What happened to one (symbol, window): trained, skipped (with reason) or failed.

    ``oof`` holds the teacher's out-of-fold class probabilities (soft labels) with columns
    timestamp, t1, p_down, p_flat, p_up -- or, for a score teacher (cross-sectional target),
    timestamp, t1, score; ``model_text`` the LightGBM model.
    """

    window: Window
    status: WindowStatus
    reason: str | None = None
    n_train: int = 0
    n_val: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    model_text: str | None = None
    oof: pd.DataFrame | None = None

    def record(self) -> dict[str, object]:
        """Flat row for ``windows.parquet`` and telemetry (no model text, no OOF)."""
        return {
            "symbol": self.window.symbol,
            "window_id": self.window.window_id,
            "start": self.window.start,
            "end": self.window.end,
            "status": self.status.value,
            "reason": self.reason,
            "n_train": self.n_train,
            "n_val": self.n_val,
            **{f"val_{k}": v for k, v in self.metrics.items()},
        }


@dataclass
class TeacherTask:
    """All windows of one symbol: one task per symbol keeps inter-process traffic small."""

    frame: SymbolFrame
    windows: list[Window]
    unservable: dict[str, str]


def run_teacher_task(task: TeacherTask, config: RunConfig) -> list[WindowOutcome]:
    """Train every window of one symbol (runs in a worker process).

    Each window is ``trained``, ``skipped`` (a :class:`WindowSkip` or
    :class:`InsufficientSamplesError`, with the reason) or ``failed`` (any other exception,
    with its traceback as the reason). Failures never stop the other windows.
    """
    out: list[WindowOutcome] = []
    fr = task.frame
    scored = config.labels.target != "class3"
    source: WindowSource | None = None  # prepared once per symbol, on the first window
    for w in task.windows:
        if w.window_id in task.unservable:
            out.append(WindowOutcome(w, WindowStatus.SKIPPED, task.unservable[w.window_id]))
            continue
        try:
            if source is None:
                source = WindowSource(fr.features, fr.labels, "target" if scored else "label")
            samples = source.samples(
                w,
                min_samples=config.windows.min_samples,
                first_bar=fr.first_bar,
                last_bar=fr.last_bar,
            )
            h, tc, seed = config.labels.horizon, config.teacher, config.seed
            res: ScoreTeacherResult | TeacherResult = (
                train_score_teacher(
                    samples.X,
                    samples.y.astype(np.float64),
                    samples.t1,
                    cfg=tc,
                    horizon=h,
                    seed=seed,
                )
                if scored
                else train_teacher(
                    samples.X, samples.y.astype(np.int64), samples.t1, cfg=tc, horizon=h, seed=seed
                )
            )
        except WindowSkip as skip:
            out.append(WindowOutcome(w, WindowStatus.SKIPPED, f"{skip.reason}: {skip.detail}"))
            continue
        except InsufficientSamplesError as exc:
            out.append(
                WindowOutcome(w, WindowStatus.SKIPPED, f"{SKIP_TOO_FEW_SAMPLES}: {exc.message}")
            )
            continue
        except Exception as exc:  # a failed window is recorded, never fatal by itself
            tb = traceback.format_exc(limit=4)
            out.append(WindowOutcome(w, WindowStatus.FAILED, f"{exc!r}\n{tb}"))
            continue
        values = (
            {"score": res.oof_score.to_numpy()}
            if isinstance(res, ScoreTeacherResult)
            else {c: res.oof_proba[c].to_numpy() for c in res.oof_proba.columns}
        )
        oof = pd.DataFrame({"timestamp": samples.X.index, **values, "t1": samples.t1.to_numpy()})
        out.append(
            WindowOutcome(
                w,
                WindowStatus.TRAINED,
                None,
                n_train=res.n_train,
                n_val=res.n_val,
                metrics=dict(res.val_metrics),
                model_text=res.model_text,
                oof=oof,
            )
        )
    return out


def train_teachers(
    tasks: list[TeacherTask],
    config: RunConfig,
    on_symbol: Callable[[list[WindowOutcome]], None] | None = None,
) -> list[WindowOutcome]:
    """Train all teacher windows, symbols in parallel (``config.executor``: joblib or a Dask
    cluster), outcomes in plan order."""
    results = parallel_map(
        run_teacher_task,
        tasks,
        n_jobs=config.n_jobs,
        on_result=on_symbol,
        extra_args=(config,),
        executor=config.executor.kind,
        address=config.executor.address,
    )
    release_workers()  # idle workers would hold their memory through the later phases
    return [o for per_symbol in results for o in per_symbol]


def soft_label_frame(outcomes: list[WindowOutcome]) -> pd.DataFrame:
    """Long frame of teacher soft labels for the student.

    Returns
    -------
    pandas.DataFrame
        Columns symbol, timestamp, window_id, window_end, t1, then p_down, p_flat, p_up (class
        teachers) or score (score teachers); one row per (window, sample) — samples in
        overlapping windows appear once per window.
    """
    parts = []
    for o in outcomes:
        if o.status is WindowStatus.TRAINED and o.oof is not None:
            part = o.oof.copy()
            part.insert(0, "symbol", o.window.symbol)
            part["window_id"] = o.window.window_id
            part["window_end"] = o.window.end
            parts.append(part)
    values = ["score"] if parts and "score" in parts[0].columns else list(PROBA_COLUMNS)
    cols = ["symbol", "timestamp", "window_id", "window_end", "t1", *values]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def teacher_frame(outcomes: list[WindowOutcome]) -> pd.DataFrame:
    """Trained teachers: symbol, window_id, window_start, window_end, model_text."""
    rows = [
        {
            "symbol": o.window.symbol,
            "window_id": o.window.window_id,
            "window_start": o.window.start,
            "window_end": o.window.end,
            "model_text": o.model_text,
        }
        for o in outcomes
        if o.status is WindowStatus.TRAINED
    ]
    return pd.DataFrame(
        rows, columns=["symbol", "window_id", "window_start", "window_end", "model_text"]
    )


def validation_summary(outcomes: list[WindowOutcome]) -> dict[str, float]:
    """Mean and median of teacher validation metrics over trained windows."""
    trained = [o.metrics for o in outcomes if o.status is WindowStatus.TRAINED and o.metrics]
    out: dict[str, float] = {}
    for key in ("accuracy", "precision", "recall", "f1", "rmse", "spearman"):
        vals = np.array([m[key] for m in trained if key in m], dtype=float)
        if len(vals):
            out[f"mean_{key}"] = float(np.nanmean(vals))
            out[f"median_{key}"] = float(np.nanmedian(vals))
    out["windows"] = float(len(trained))
    return out
