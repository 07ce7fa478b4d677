"""One symbol's teacher windows, trained in a worker process (joblib or Dask).

:func:`run_teacher_task` is what :func:`sensequant.pipeline.teachers.train_teachers` sends to
the workers. It lives in the models layer so that a worker imports only the model stack
(LightGBM, pandas, the dataset code): a function of ``sensequant.pipeline`` would make every
worker import the whole pipeline (report, registry, plotting, Dask), about 0.1 GiB more per
worker for nothing.
"""

from __future__ import annotations

import traceback
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
from sensequant.settings import RunConfig

__all__ = ["TeacherTask", "WindowOutcome", "run_teacher_task"]


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
