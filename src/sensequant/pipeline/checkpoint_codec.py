"""Explicit serialisers of the checkpointed types (format: :mod:`.checkpoint_files`).

Each type is written as a versioned JSON manifest (scalars, reports, window plans, model
periods) plus Parquet data parts (frames; LightGBM models as a ``model_text`` string column):

============  ====================================  ==============================================
kind          manifest                              Parquet parts
============  ====================================  ==============================================
preflight     the whole :class:`PreflightReport`    none
teachers      one symbol's :class:`WindowOutcome`   ``oof`` (every window's OOF frame, stacked;
              list without OOF frames and models    ``oof_rows`` per window slices it back),
                                                    ``models`` (``outcome``, ``model_text``)
student       periods, skipped periods, blend       ``predictions``, ``teacher_pred``,
              weights, alternative names            ``variant_<i>``, ``blend_choice``,
                                                    ``alternative_<i>``, ``plain`` (plain
                                                    student), ``models``
============  ====================================  ==============================================

The student's panel and soft labels are not written: they are rebuilt from the features
phase's frames and the teachers' outcomes (``panel_frame`` / ``soft_label_frame``, both
deterministic), so a 6-million-bar intraday panel is never serialised a second time.

A change to any of these layouts bumps the kind's ``*_VERSION``; a checkpoint of another version
is then ignored (recomputed), never misread.
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from sensequant.dataset import Window, WindowStatus
from sensequant.models import SkippedPeriod, StudentPeriod, WalkForwardResult
from sensequant.pipeline.checkpoint_files import (
    CheckpointFormatError,
    date_from_text,
    date_text,
    ts_from_text,
    ts_text,
)
from sensequant.pipeline.phase_results import StudentPhaseResult
from sensequant.pipeline.preflight import PreflightReport, SymbolCoverage
from sensequant.pipeline.teachers import WindowOutcome

__all__ = [
    "PREFLIGHT_VERSION",
    "STUDENT_VERSION",
    "TEACHERS_VERSION",
    "outcomes_from_parts",
    "outcomes_to_parts",
    "preflight_from_meta",
    "preflight_to_meta",
    "student_from_parts",
    "student_to_parts",
]

PREFLIGHT_VERSION: Final = 1
TEACHERS_VERSION: Final = 1
STUDENT_VERSION: Final = 2

Parts = tuple[dict[str, Any], dict[str, pd.DataFrame]]
"""A manifest's content and its data frames by part name."""


def _ts(text: object) -> pd.Timestamp:
    ts = ts_from_text(text)
    if ts is None:
        raise CheckpointFormatError("a required timestamp is missing")
    return ts


# -- pre-flight ---------------------------------------------------------------------------------


def _window_meta(w: Window) -> dict[str, Any]:
    return {
        "symbol": w.symbol,
        "window_id": w.window_id,
        "start": ts_text(w.start),
        "end": ts_text(w.end),
    }


def _window(d: dict[str, Any]) -> Window:
    return Window(str(d["symbol"]), str(d["window_id"]), _ts(d["start"]), _ts(d["end"]))


def _coverage_meta(c: SymbolCoverage) -> dict[str, Any]:
    return {
        "symbol": c.symbol,
        "first": ts_text(c.first),
        "last": ts_text(c.last),
        "sessions_in_range": c.sessions_in_range,
        "missing_sessions": c.missing_sessions,
        "excluded": c.excluded,
        "missing_dates": [ts_text(d) for d in c.missing_dates],
        "listing_date": date_text(c.listing_date),
        "industry": c.industry,
    }


def _coverage(d: dict[str, Any]) -> SymbolCoverage:
    return SymbolCoverage(
        symbol=str(d["symbol"]),
        first=ts_from_text(d["first"]),
        last=ts_from_text(d["last"]),
        sessions_in_range=int(d["sessions_in_range"]),
        missing_sessions=int(d["missing_sessions"]),
        excluded=None if d["excluded"] is None else str(d["excluded"]),
        missing_dates=tuple(_ts(t) for t in d["missing_dates"]),
        listing_date=date_from_text(d["listing_date"]),
        industry=None if d["industry"] is None else str(d["industry"]),
    )


def preflight_to_meta(pf: PreflightReport) -> dict[str, Any]:
    """The pre-flight report as manifest content (every field; see :func:`preflight_from_meta`).

    ``breaks`` rows are kept as they are (text, numbers, None: what the catalog holds).
    """
    return {
        "universe": pf.universe,
        "range_start": ts_text(pf.range_start),
        "range_end": ts_text(pf.range_end),
        "coverage": [_coverage_meta(c) for c in pf.coverage],
        "windows": {s: [_window_meta(w) for w in ws] for s, ws in pf.windows.items()},
        "unservable": dict(pf.unservable),
        "benchmark_first": ts_text(pf.benchmark_first),
        "benchmark_last": ts_text(pf.benchmark_last),
        "breaks": [dict(b) for b in pf.breaks],
        "warnings": list(pf.warnings),
        "notes": list(pf.notes),
    }


def preflight_from_meta(meta: dict[str, Any]) -> PreflightReport:
    """Inverse of :func:`preflight_to_meta`.

    Raises
    ------
    CheckpointFormatError, KeyError, TypeError, ValueError
        If ``meta`` is not such a manifest.
    """
    return PreflightReport(
        universe=str(meta["universe"]),
        range_start=_ts(meta["range_start"]),
        range_end=_ts(meta["range_end"]),
        coverage=[_coverage(c) for c in meta["coverage"]],
        windows={str(s): [_window(w) for w in ws] for s, ws in meta["windows"].items()},
        unservable={str(k): str(v) for k, v in meta["unservable"].items()},
        benchmark_first=ts_from_text(meta["benchmark_first"]),
        benchmark_last=ts_from_text(meta["benchmark_last"]),
        breaks=[{str(k): v for k, v in b.items()} for b in meta["breaks"]],
        warnings=[str(w) for w in meta["warnings"]],
        notes=[str(n) for n in meta["notes"]],
    )


# -- teachers -----------------------------------------------------------------------------------


def _models_frame(texts: dict[int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "outcome": pd.Series(list(texts), dtype="int64"),
            "model_text": pd.Series(list(texts.values()), dtype=object),
        }
    )


def _models(frames: dict[str, pd.DataFrame]) -> dict[int, str]:
    table = frames.get("models")
    if table is None:
        return {}
    return {int(i): str(t) for i, t in zip(table["outcome"], table["model_text"], strict=True)}


def _stack(parts: list[pd.DataFrame], what: str) -> pd.DataFrame:
    """Frames of one schema (columns, dtypes, default index) stacked, for slicing back."""
    first = parts[0]
    for p in parts:
        same = list(p.columns) == list(first.columns) and p.dtypes.equals(first.dtypes)
        if not same or not p.index.equals(pd.RangeIndex(len(p))):
            raise CheckpointFormatError(f"{what} frames differ in columns, dtypes or index")
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else first


def outcomes_to_parts(outcomes: list[WindowOutcome]) -> Parts:
    """One symbol's window outcomes as manifest content and ``oof``/``models`` frames.

    Raises
    ------
    CheckpointFormatError
        If the OOF frames differ in schema (they never do within one run).
    """
    rows: list[dict[str, Any]] = []
    oofs: list[pd.DataFrame] = []
    texts: dict[int, str] = {}
    for i, o in enumerate(outcomes):
        rows.append(
            {
                "window": _window_meta(o.window),
                "status": o.status.value,
                "reason": o.reason,
                "n_train": o.n_train,
                "n_val": o.n_val,
                "metrics": dict(o.metrics),
                "oof_rows": None if o.oof is None else len(o.oof),
            }
        )
        if o.oof is not None:
            oofs.append(o.oof)
        if o.model_text is not None:
            texts[i] = o.model_text
    frames = {"models": _models_frame(texts)}
    if oofs:
        frames["oof"] = _stack(oofs, "OOF")
    symbol = outcomes[0].window.symbol if outcomes else None
    return {"symbol": symbol, "outcomes": rows}, frames


def outcomes_from_parts(
    meta: dict[str, Any], frames: dict[str, pd.DataFrame]
) -> list[WindowOutcome]:
    """Inverse of :func:`outcomes_to_parts`.

    Raises
    ------
    CheckpointFormatError, KeyError, TypeError, ValueError
        If the parts do not fit together.
    """
    texts = _models(frames)
    stacked = frames.get("oof")
    start, out = 0, []
    for i, row in enumerate(meta["outcomes"]):
        oof = None
        if row["oof_rows"] is not None:
            if stacked is None:
                raise CheckpointFormatError("an outcome has OOF rows but there is no oof part")
            stop = start + int(row["oof_rows"])
            oof = stacked.iloc[start:stop].reset_index(drop=True)
            start = stop
        metrics = {str(k): float(v) for k, v in row["metrics"].items()}
        out.append(
            WindowOutcome(
                window=_window(row["window"]),
                status=WindowStatus(row["status"]),
                reason=None if row["reason"] is None else str(row["reason"]),
                n_train=int(row["n_train"]),
                n_val=int(row["n_val"]),
                metrics=metrics,
                model_text=texts.get(i),
                oof=oof,
            )
        )
    if stacked is not None and start != len(stacked):
        raise CheckpointFormatError(f"the oof part has {len(stacked)} rows, outcomes use {start}")
    return out


# -- student ------------------------------------------------------------------------------------


def _period_meta(p: StudentPeriod) -> dict[str, Any]:
    return {
        "period_id": p.period_id,
        **{k: ts_text(getattr(p, k)) for k in _PERIOD_TIMES},
        "n_train": p.n_train,
        "n_test": p.n_test,
    }


_PERIOD_TIMES: Final = ("test_start", "test_end", "train_start", "train_end", "max_window_end")


def student_to_parts(sp: StudentPhaseResult, plain: pd.DataFrame | None) -> Parts:
    """The student phase result and the plain student's predictions as manifest and frames."""
    wf = sp.student
    meta = {
        "periods": [_period_meta(p) for p in wf.periods],
        "skipped": [
            {
                "period_id": s.period_id,
                "test_start": ts_text(s.test_start),
                "test_end": ts_text(s.test_end),
                "n_train": s.n_train,
                "reason": s.reason,
            }
            for s in wf.skipped
        ],
        "variants": [float(w) for w in sp.variants],
        "alternatives": list(sp.alternatives),
        "blend_choice": sp.blend_choice is not None,
        "plain": plain is not None,
    }
    frames = {
        "predictions": wf.predictions,
        "teacher_pred": sp.teacher_pred,
        **{f"variant_{i}": f for i, f in enumerate(sp.variants.values())},
        **{f"alternative_{i}": f for i, f in enumerate(sp.alternatives.values())},
        "models": _models_frame({i: p.model_text for i, p in enumerate(wf.periods)}),
    }
    if sp.blend_choice is not None:
        frames["blend_choice"] = sp.blend_choice
    if plain is not None:
        frames["plain"] = plain
    return meta, frames


def student_from_parts(
    meta: dict[str, Any], frames: dict[str, pd.DataFrame]
) -> tuple[StudentPhaseResult, pd.DataFrame | None]:
    """Inverse of :func:`student_to_parts`.

    Raises
    ------
    CheckpointFormatError, KeyError, TypeError, ValueError
        If the parts do not fit together.
    """
    texts = _models(frames)
    periods = tuple(
        StudentPeriod(
            period_id=int(p["period_id"]),
            **{k: _ts(p[k]) for k in _PERIOD_TIMES},
            n_train=int(p["n_train"]),
            n_test=int(p["n_test"]),
            model_text=texts[i],
        )
        for i, p in enumerate(meta["periods"])
    )
    skipped = tuple(
        SkippedPeriod(
            int(s["period_id"]),
            _ts(s["test_start"]),
            _ts(s["test_end"]),
            int(s["n_train"]),
            str(s["reason"]),
        )
        for s in meta["skipped"]
    )
    names = meta["alternatives"]
    sp = StudentPhaseResult(
        student=WalkForwardResult(frames["predictions"], periods, skipped),
        teacher_pred=frames["teacher_pred"],
        panel=pd.DataFrame(),  # rebuilt by the caller from the frames (module docstring)
        soft_labels=pd.DataFrame(),
        variants={float(w): frames[f"variant_{i}"] for i, w in enumerate(meta["variants"])},
        blend_choice=frames["blend_choice"] if meta["blend_choice"] else None,
        alternatives={str(n): frames[f"alternative_{i}"] for i, n in enumerate(names)},
    )
    return sp, frames["plain"] if meta["plain"] else None
