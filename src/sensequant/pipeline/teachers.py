"""Teacher phase: every (symbol, window) teacher trained in parallel, and its outcomes.

Everything here is in-process and typed: per-symbol frames
(:class:`~sensequant.dataset.SymbolFrame`, assembled in :mod:`sensequant.dataset.frame`) go to
worker processes through joblib (the worker function,
:func:`sensequant.models.teacher_tasks.run_teacher_task`, lives in the models layer so workers
import only the model stack), results come back as :class:`WindowOutcome` objects (no stdout
parsing, no files).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sensequant.dataset import WindowStatus
from sensequant.models.teacher_tasks import TeacherTask, WindowOutcome, run_teacher_task
from sensequant.parallel import parallel_map, release_workers
from sensequant.settings import RunConfig
from sensequant.types import PROBA_COLUMNS

__all__ = [
    "TeacherTask",
    "WindowOutcome",
    "run_teacher_task",
    "soft_label_frame",
    "teacher_frame",
    "train_teachers",
    "validation_summary",
]


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
    trained = [o for o in outcomes if o.status is WindowStatus.TRAINED and o.oof is not None]
    oofs = [o.oof for o in trained if o.oof is not None]
    values = ["score"] if oofs and "score" in oofs[0].columns else list(PROBA_COLUMNS)
    cols = ["symbol", "timestamp", "window_id", "window_end", "t1", *values]
    if not oofs:
        return pd.DataFrame(columns=cols)
    # column by column, one allocation each (no per-window copies, no concat of frames)
    sizes = [len(f) for f in oofs]
    out = pd.DataFrame(
        {
            "symbol": np.repeat(np.array([o.window.symbol for o in trained], dtype=object), sizes),
            "timestamp": pd.concat([f["timestamp"] for f in oofs], ignore_index=True),
            "window_id": np.repeat(
                np.array([o.window.window_id for o in trained], dtype=object), sizes
            ),
            "window_end": pd.DatetimeIndex([o.window.end for o in trained]).repeat(sizes),
            "t1": pd.concat([f["t1"] for f in oofs], ignore_index=True),
            **{v: np.concatenate([f[v].to_numpy() for f in oofs]) for v in values},
        }
    )
    return out


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
