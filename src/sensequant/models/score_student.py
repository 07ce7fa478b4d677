"""The score student: one pooled LightGBM model on cross-sectional targets, walk-forward.

Per test period ``[T, T + test_period_days)`` (the plan of :mod:`sensequant.models.student`):

1. Training samples: panel rows whose teacher soft score is eligible (teacher window ended
   before ``T`` and within the lookback, every label of the window ended before ``T``; the
   class student's purge, :func:`sensequant.models.student_data.training_set`) and whose own
   label ended before ``T``. The soft score of a row is the mean OOF score of the teachers
   whose windows hold it. Optionally every ``sample_every``-th session only (labels of
   neighbouring sessions overlap by ``h - 1`` sessions, so little is lost and fits are faster).
2. For each blend weight ``a`` of the grid, the target is ``a * soft + (1 - a) * hard``
   (hard = the row's own cross-sectional target): ``a = 0`` is the *direct* pooled model that
   ignores the teachers, ``a = 1`` pure distillation. Every weight is fitted and predicts the
   period, so all variants are compared on identical OOS rows (and each is a trial).
   ``StudentConfig.objective``: L2 ``regression`` on the target, or ``lambdarank`` /
   ``rank_xendcg`` on its per-date grades 0..4, one group per date (:mod:`.score_rank`).
3. The *student* of the period uses the weight chosen on a purged validation slice that ends
   before ``T``: the earlier periods' OOS predictions whose labels ended before ``T``; the
   weight with the highest mean daily Rank IC there wins (ties: the first in grid order). The
   first period, with no slice yet, uses ``StudentConfig.soft_label_weight``.

Predictions carry a ``score`` column (higher = better expected cross-sectional rank; the raw
model output, which for a ranking objective has no unit).
Reference for the rank-normalised target: Qlib's ``CSRankNorm`` processor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from sensequant.errors import ModelError
from sensequant.models.lgbm import fit_booster, tree_params
from sensequant.models.score_collect import chosen_predictions, collect_variants
from sensequant.models.score_rank import rank_label, rank_training
from sensequant.models.student import SkippedPeriod, StudentPeriod
from sensequant.models.student_data import (
    DAY_NS,
    align_soft_rows,
    feature_matrix,
    ist_time,
    period_starts,
    require_columns,
    to_ns,
)
from sensequant.models.teacher import check_feature_names
from sensequant.settings import StudentConfig
from sensequant.types import FloatArray, IntArray

__all__ = [
    "ScoreWalkForward",
    "fit_release_score_student",
    "score_student_params",
    "walk_forward_score_student",
]

MIN_ROWS = 200
"""Fewest training rows for a period to be fitted."""


@dataclass(frozen=True)
class ScoreWalkForward:
    """Result of :func:`walk_forward_score_student`.

    Attributes
    ----------
    predictions : pandas.DataFrame
        The student: ``symbol, timestamp, score, period_id, blend`` (the weight used).
    variants : dict of float to pandas.DataFrame
        OOS predictions of every blend weight (same rows and columns, ``blend`` constant).
    periods : tuple of StudentPeriod
        Fitted periods; ``model_text`` is the student's (chosen weight) model.
    skipped : tuple of SkippedPeriod
    blend_choice : pandas.DataFrame
        Per period: ``period_id, blend, validation_rows`` and ``rank_ic_<w>`` per weight.
    """

    predictions: pd.DataFrame
    variants: dict[float, pd.DataFrame]
    periods: tuple[StudentPeriod, ...]
    skipped: tuple[SkippedPeriod, ...]
    blend_choice: pd.DataFrame


def score_student_params(cfg: StudentConfig, *, seed: int) -> dict[str, Any]:
    """LightGBM parameters of a score-student fit (``cfg.objective``, 2 threads, deterministic).

    Ranking objectives keep LightGBM's default ``label_gain`` (grades 0..4 are within it).
    """
    return tree_params(cfg, objective=cfg.objective, seed=seed, threads=2)


@dataclass(frozen=True)
class _Arrays:
    ts: IntArray
    sym: npt.NDArray[np.object_]
    t1: IntArray
    hard: FloatArray
    ret: FloatArray
    x: FloatArray
    day: IntArray
    rid: IntArray
    s_wend: IntArray
    s_wmax: IntArray
    s_t1: IntArray
    s_score: FloatArray


def _arrays(
    panel: pd.DataFrame, soft: pd.DataFrame, features: list[str], x: FloatArray | None = None
) -> _Arrays:
    need = ["symbol", "timestamp", "target", "fwd_return", "t1"]
    require_columns(panel, need if x is not None else [*need, *features], "panel")
    if x is not None and x.shape != (len(panel), len(features)):
        raise ModelError(
            f"feature matrix of shape {x.shape} does not fit the panel "
            f"({len(panel)} rows x {len(features)} features)"
        )
    require_columns(
        soft, ["symbol", "timestamp", "window_id", "window_end", "t1", "score"], "soft_scores"
    )
    ts = to_ns(panel["timestamp"], "panel.timestamp")
    sym = panel["symbol"].astype(str).to_numpy()
    rid, s_t1, wmax = align_soft_rows(sym, ts, soft)
    ok = rid >= 0
    t1_ns = to_ns(panel["t1"], "panel.t1", allow_nat=True)  # NaT -> never known
    _, day = np.unique(ts, return_inverse=True)
    return _Arrays(
        ts=ts,
        sym=sym,
        t1=t1_ns,
        hard=panel["target"].to_numpy(dtype=np.float64),
        ret=panel["fwd_return"].to_numpy(dtype=np.float64),
        x=x
        if x is not None and x.dtype == np.float32
        else feature_matrix(panel, features, np.float32),
        day=day.astype(np.int64),
        rid=rid[ok].astype(np.int64),
        s_wend=to_ns(soft["window_end"], "soft.window_end")[ok],
        s_wmax=wmax[ok],
        s_t1=s_t1[ok],
        s_score=soft["score"].to_numpy(dtype=np.float64)[ok],
    )


def _training(a: _Arrays, T: int, cfg: StudentConfig, every: int) -> tuple[IntArray, FloatArray]:
    """Panel rows (sorted) and their mean soft score for a period starting at ``T``."""
    mask = (
        (a.s_wend < T)
        & (a.s_wend >= T - cfg.train_lookback_days * DAY_NS)
        & (a.s_wmax < T)
        & (a.s_t1 < T)
    )
    if not mask.any():
        return np.empty(0, np.int64), np.empty(0)
    rows, inv = np.unique(a.rid[mask], return_inverse=True)
    soft = np.bincount(inv, weights=a.s_score[mask]) / np.bincount(inv)
    keep = (a.t1[rows] < T) & np.isfinite(a.hard[rows]) & np.isfinite(soft)
    if every > 1:
        keep &= a.day[rows] % every == 0
    return rows[keep], soft[keep]


def _daily_rank_ics(score: FloatArray, ret: FloatArray, day: IntArray) -> pd.Series:
    """Spearman correlation of score and forward return on each day (vectorised).

    Returns a Series indexed by day number; days with fewer than two ranked rows or no
    spread are left out. Rows with a NaN score or return are dropped first.
    """
    frame = pd.DataFrame({"s": score, "r": ret, "d": day}).dropna()
    if frame.empty:
        return pd.Series(dtype=np.float64)
    g = frame.groupby("d")
    rs, rr = g["s"].rank(), g["r"].rank()
    x = rs - rs.groupby(frame["d"]).transform("mean")
    y = rr - rr.groupby(frame["d"]).transform("mean")
    num = (x * y).groupby(frame["d"]).sum()
    den = ((x * x).groupby(frame["d"]).sum() * (y * y).groupby(frame["d"]).sum()) ** 0.5
    return (num / den.where(den > 0)).dropna()


def _fit(
    x: FloatArray,
    y: FloatArray,
    params: dict[str, Any],
    rounds: int,
    names: list[str],
    group: IntArray | None = None,
) -> lgb.Booster:
    ds = lgb.Dataset(x, label=y, group=group, params=params, feature_name=names)
    return fit_booster(params, ds, rounds)


def walk_forward_score_student(
    panel: pd.DataFrame,
    soft_scores: pd.DataFrame,
    *,
    cfg: StudentConfig,
    seed: int,
    feature_names: Sequence[str],
    blend_grid: Sequence[float],
    sample_every: int = 1,
    progress: Callable[[int, int], None] | None = None,
    x: FloatArray | None = None,
) -> ScoreWalkForward:
    """Fit the score student walk-forward (see the module docstring) and predict OOS.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per (symbol, timestamp), sorted by timestamp: the features, ``target``
        (cross-sectional, NaN allowed), ``fwd_return`` (fraction), ``t1`` (NaT allowed).
    soft_scores : pandas.DataFrame
        Teacher OOF scores: ``symbol, timestamp, window_id, window_end, t1, score``.
    cfg : StudentConfig
        Period plan, lookback, objective, tree parameters; ``soft_label_weight`` = first
        period's blend.
    seed : int
        LightGBM seed.
    feature_names : sequence of str
        Feature columns, in order.
    blend_grid : sequence of float
        Soft-target weights in [0, 1] to fit each period (e.g. ``(0.0, 0.5, 1.0)``).
    sample_every : int, default 1
        Keep every k-th session of the training rows (1 = all).
    progress : callable, optional
        ``progress(done, total)`` after each planned period.
    x : ndarray of float32, shape (len(panel), len(feature_names)), optional
        The panel's features as a matrix (:func:`sensequant.dataset.panel_with_matrix`);
        the panel then need not carry feature columns. Default: built from the panel.

    Returns
    -------
    ScoreWalkForward

    Raises
    ------
    ModelError
        Missing columns, duplicate (symbol, timestamp), naive timestamps or a bad grid.
    """
    grid = [float(w) for w in blend_grid]
    if not grid or any(not 0.0 <= w <= 1.0 for w in grid) or len(set(grid)) != len(grid):
        raise ModelError(f"blend grid {grid} must be distinct weights in [0, 1]")
    features = list(check_feature_names(list(feature_names)))
    a = _arrays(panel, soft_scores, features, x)
    starts = period_starts(
        cfg, int(a.ts[a.rid].min()) if a.rid.size else None, int(a.ts.max()) if a.ts.size else -1
    )
    params = score_student_params(cfg, seed=seed)
    span = cfg.test_period_days * DAY_NS
    preds: dict[float, list[pd.DataFrame]] = {w: [] for w in grid}
    blend_of: dict[int, float] = {}
    fitted: list[StudentPeriod] = []
    skipped: list[SkippedPeriod] = []
    choices: list[dict[str, float]] = []
    # per earlier test day: its latest label end, its row count and each weight's Rank IC
    day_t1: list[pd.Series] = []
    day_rows: list[pd.Series] = []
    day_ic: dict[float, list[pd.Series]] = {w: [] for w in grid}
    for k, T in enumerate(starts):
        rows, soft = _training(a, T, cfg, sample_every)
        rows, soft, groups = rank_training(rows, soft, a.day, cfg.objective)
        test = np.flatnonzero((a.ts >= T) & (a.ts < T + span))
        if rows.size < MIN_ROWS or test.size == 0:
            why = (
                f"{rows.size} training samples (need >= {MIN_ROWS})"
                if rows.size < MIN_ROWS
                else "no panel rows in the test period"
            )
            skipped.append(SkippedPeriod(k, ist_time(T), ist_time(T + span), int(rows.size), why))
            if progress:
                progress(k + 1, len(starts))
            continue
        # the blend weight: best Rank IC on earlier OOS rows whose labels ended before T
        choice: dict[str, float] = {"period_id": float(k)}
        blend = float(cfg.soft_label_weight) if cfg.soft_label_weight in grid else grid[0]
        if day_t1:
            known = pd.concat(day_t1)
            known = known[known < T].index  # days whose every label ended before T
            choice["validation_rows"] = float(pd.concat(day_rows).reindex(known).sum())
            if choice["validation_rows"] >= MIN_ROWS:
                ics = {}
                for w in grid:
                    daily = pd.concat(day_ic[w]).reindex(known).dropna()
                    ics[w] = float(daily.mean()) if len(daily) else float("nan")
                    choice[f"rank_ic_{w:g}"] = ics[w]
                finite = {w: v for w, v in ics.items() if np.isfinite(v)}
                if finite:
                    blend = max(finite, key=lambda w: (finite[w], -grid.index(w)))
        choice["blend"] = blend
        choices.append(choice)
        # one binned dataset per period, shared by every blend weight (only the label changes)
        ds = lgb.Dataset(
            a.x[rows], label=rank_label(a.hard[rows], a.day[rows], groups), params=params,
            feature_name=features, free_raw_data=False,
        ).construct()  # fmt: skip
        if groups is not None:
            ds.set_group(groups)
        models: dict[float, lgb.Booster] = {}
        for w in grid:
            ds.set_label(rank_label(w * soft + (1.0 - w) * a.hard[rows], a.day[rows], groups))
            models[w] = fit_booster(params, ds, cfg.num_boost_round)
            score = np.asarray(models[w].predict(a.x[test]), dtype=np.float64)
            day_ic[w].append(_daily_rank_ics(score, a.ret[test], a.day[test]))
            preds[w].append(
                pd.DataFrame(
                    {
                        "symbol": a.sym[test],
                        "timestamp": panel["timestamp"].array[test],
                        "score": score,
                        "period_id": k,
                        "blend": w,
                    }
                )
            )
        days = pd.Series(a.t1[test]).groupby(a.day[test])
        day_t1.append(days.max())
        day_rows.append(days.size())
        blend_of[k] = blend
        fitted.append(
            StudentPeriod(
                period_id=k,
                test_start=ist_time(T),
                test_end=ist_time(T + span),
                train_start=ist_time(int(a.ts[rows].min())),
                train_end=ist_time(int(a.t1[rows].max())),
                max_window_end=ist_time(int(a.s_wend[a.s_wend < T].max())),
                n_train=int(rows.size),
                n_test=int(test.size),
                model_text=models[blend].model_to_string(),
            )
        )
        if progress:
            progress(k + 1, len(starts))

    variants = collect_variants(preds)  # one weight at a time (module score_collect)
    return ScoreWalkForward(
        predictions=chosen_predictions(variants, blend_of),
        variants=variants,
        periods=tuple(fitted),
        skipped=tuple(skipped),
        blend_choice=pd.DataFrame(choices),
    )


def fit_release_score_student(
    panel: pd.DataFrame,
    soft_scores: pd.DataFrame,
    *,
    cfg: StudentConfig,
    seed: int,
    feature_names: Sequence[str],
    blend: float,
    sample_every: int = 1,
    x: FloatArray | None = None,
) -> tuple[lgb.Booster, int]:
    """The release model: the student's recipe on every eligible sample up to the data's end.

    Returns the booster and its number of training rows (after a ranking objective's
    small-date drop). It predicts nothing here; the walk-forward periods are the
    out-of-sample evidence. ``x``: as for :func:`walk_forward_score_student`.
    """
    features = list(check_feature_names(list(feature_names)))
    a = _arrays(panel, soft_scores, features, x)
    T = int(a.ts.max()) + DAY_NS
    rows, soft = _training(a, T, cfg, sample_every)
    rows, soft, groups = rank_training(rows, soft, a.day, cfg.objective)
    if rows.size < MIN_ROWS:
        raise ModelError(
            f"{rows.size} training samples for the release student (need >= {MIN_ROWS})"
        )
    y = rank_label(blend * soft + (1.0 - blend) * a.hard[rows], a.day[rows], groups)
    params = score_student_params(cfg, seed=seed)
    model = _fit(a.x[rows], y, params, cfg.num_boost_round, features, groups)
    return model, int(rows.size)
