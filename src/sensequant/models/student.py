"""Walk-forward student: one LightGBM model across symbols, distilled from teacher soft labels.

For each test period ``[T, T + test_period_days)`` the student is fitted on teacher soft labels
that were fully known before ``T`` and predicts every panel row of the period out of sample:

* eligible soft-label rows come from windows with ``window_end < T`` and
  ``window_end >= T - train_lookback_days`` whose **every** row has ``t1 < T`` (the teacher
  that produced a soft label trained on the other rows of its window, so one late label end
  anywhere in the window would leak; for windows holding only rows with ``t1 <= window_end``
  this is the same as ``window_end < T``); the row's own ``t1 < T`` follows (purge);
* a (symbol, timestamp) covered by several eligible (overlapping) windows gets the mean of
  their soft labels;
* the target is ``q = alpha * soft + (1 - alpha) * one_hot(label)`` (alpha =
  ``cfg.soft_label_weight``; rows without a hard label use ``q = soft``), optionally times
  reward weights (:mod:`sensequant.models.reward`) computed from these rows only.

The distillation itself (soft targets by row replication) is :mod:`sensequant.models.distill`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd

from sensequant.errors import InsufficientSamplesError
from sensequant.models.distill import distillation_target, fit_distilled
from sensequant.models.reward import reward_weights
from sensequant.models.teacher import check_feature_names, load_booster, predict_proba
from sensequant.settings import StudentConfig
from sensequant.types import IST, PROBA_COLUMNS, FloatArray, IntArray

MIN_STUDENT_TRAIN_ROWS: Final = 200
"""A period with fewer training samples (or fewer than 2 * min_data_in_leaf) is skipped."""
PREDICTION_COLUMNS: Final = ("symbol", "timestamp", *PROBA_COLUMNS, "period_id")
_DAY_NS: Final = 86_400 * 10**9


@dataclass(frozen=True)
class StudentPeriod:
    """One fitted walk-forward period.

    Attributes
    ----------
    period_id : int
        0-based position in the period plan (skipped periods keep their ids).
    test_start, test_end : pandas.Timestamp
        Test span ``[test_start, test_end)`` in IST; ``test_end`` is exclusive
        (``test_start + test_period_days``).
    train_start : pandas.Timestamp
        Earliest training sample timestamp.
    train_end : pandas.Timestamp
        Latest label end ``t1`` of any training sample; always ``< test_start``.
    max_window_end : pandas.Timestamp
        Latest ``window_end`` of any teacher window used; always ``< test_start``.
    n_train, n_test : int
        Training samples (before replication) and predicted rows.
    model_text : str
        The fitted student in LightGBM's text format.
    """

    period_id: int
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    max_window_end: pd.Timestamp
    n_train: int
    n_test: int
    model_text: str


@dataclass(frozen=True)
class SkippedPeriod:
    """A planned period that was not fitted (no predictions), with the reason."""

    period_id: int
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    n_train: int
    reason: str


@dataclass(frozen=True)
class WalkForwardResult:
    """Out-of-sample student predictions.

    Attributes
    ----------
    predictions : pandas.DataFrame
        Columns ``symbol, timestamp, p_down, p_flat, p_up, period_id``, sorted by
        (timestamp, symbol).
    periods : tuple of StudentPeriod
        Fitted periods, in time order.
    skipped : tuple of SkippedPeriod
        Planned periods without a fit (too few training rows, no test rows).
    """

    predictions: pd.DataFrame
    periods: tuple[StudentPeriod, ...]
    skipped: tuple[SkippedPeriod, ...] = ()


def student_params(cfg: StudentConfig, *, seed: int) -> dict[str, Any]:
    """LightGBM parameters of a student fit (2 threads, deterministic, silent).

    Parameters
    ----------
    cfg : StudentConfig
        Student section of the run configuration.
    seed : int
        LightGBM seed.

    Returns
    -------
    dict
    """
    return {
        "objective": "multiclass",
        "num_class": 3,
        "learning_rate": cfg.learning_rate,
        "num_leaves": cfg.num_leaves,
        "min_data_in_leaf": cfg.min_data_in_leaf,
        "feature_fraction": cfg.feature_fraction,
        "lambda_l2": cfg.lambda_l2,
        "max_bin": 63,
        "deterministic": True,
        "seed": seed,
        "num_threads": 2,
        "verbose": -1,
        "force_row_wise": True,
    }


def _ns(values: Any, what: str, *, allow_nat: bool = False) -> IntArray:
    idx = pd.DatetimeIndex(values)
    if idx.tz is None:
        raise ValueError(f"{what} must be tz-aware (Asia/Kolkata), got naive timestamps")
    if idx.hasnans and not allow_nat:
        raise ValueError(f"{what} contains NaT")
    out = np.asarray(idx.as_unit("ns").asi8, dtype=np.int64)
    return np.where(idx.isna(), np.iinfo(np.int64).max, out) if allow_nat else out


def _require(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}")


def _ts(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert(IST)


def _period_starts(cfg: StudentConfig, first_soft_ns: int | None, last_ns: int) -> list[int]:
    if cfg.first_test_start is not None:
        start = int(pd.Timestamp(cfg.first_test_start).tz_localize(IST).value)
    elif first_soft_ns is None:
        return []
    else:
        start = int((_ts(first_soft_ns) + pd.Timedelta(days=cfg.min_train_days)).ceil("D").value)
    step = cfg.test_period_days * _DAY_NS
    return list(range(start, last_ns + 1, step)) if start <= last_ns else []


@dataclass(frozen=True)
class _Arrays:
    """Panel and soft labels as aligned numpy arrays (built once per run)."""

    features: list[str]
    p_ts: IntArray
    p_sym: npt.NDArray[np.object_]
    p_t1: IntArray
    p_label: FloatArray
    p_ret: FloatArray
    p_x: FloatArray
    rid: IntArray
    s_wend: IntArray
    s_t1: IntArray
    s_wmax: IntArray
    s_p: FloatArray


def _prepare(
    panel: pd.DataFrame, soft_labels: pd.DataFrame, feature_names: Sequence[str]
) -> _Arrays:
    features = list(check_feature_names(feature_names))
    _require(panel, ["symbol", "timestamp", "label", "fwd_return", "t1", *features], "panel")
    _require(
        soft_labels,
        ["symbol", "timestamp", "window_id", "window_end", "t1", *PROBA_COLUMNS],
        "soft_labels",
    )
    p_ts = _ns(panel["timestamp"], "panel.timestamp")
    p_sym = panel["symbol"].astype(str).to_numpy()
    pkeys = pd.MultiIndex.from_arrays([p_sym, p_ts])
    if pkeys.has_duplicates:
        raise ValueError("panel repeats (symbol, timestamp) pairs; deduplicate it")
    s_sym = soft_labels["symbol"].astype(str).to_numpy()
    rid_all = pkeys.get_indexer(
        pd.MultiIndex.from_arrays([s_sym, _ns(soft_labels["timestamp"], "soft.timestamp")])
    )
    s_t1_all = _ns(soft_labels["t1"], "soft_labels.t1")
    wmax = (
        pd.Series(s_t1_all)
        .groupby([s_sym, soft_labels["window_id"].astype(str).to_numpy()])
        .transform("max")
        .to_numpy(dtype=np.int64)
    )
    ok = rid_all >= 0
    p_label = panel["label"].to_numpy(dtype=np.float64)
    bad = np.isfinite(p_label) & ~np.isin(p_label, (0.0, 1.0, 2.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"panel.label of {p_sym[i]} at {_ts(int(p_ts[i]))} is {p_label[i]!r}; "
            "classes are 0 (down), 1 (flat), 2 (up) or NaN"
        )
    return _Arrays(
        features=features,
        p_ts=p_ts,
        p_sym=p_sym,
        p_t1=_ns(panel["t1"], "panel.t1", allow_nat=True),
        p_label=p_label,
        p_ret=panel["fwd_return"].to_numpy(dtype=np.float64),
        p_x=np.ascontiguousarray(panel[features].to_numpy(dtype=np.float64)),
        rid=rid_all[ok].astype(np.int64),
        s_wend=_ns(soft_labels["window_end"], "soft_labels.window_end")[ok],
        s_t1=s_t1_all[ok],
        s_wmax=wmax[ok],
        s_p=soft_labels[list(PROBA_COLUMNS)].to_numpy(dtype=np.float64)[ok],
    )


@dataclass(frozen=True)
class _TrainingSet:
    rows: IntArray
    """Panel row positions of the training samples."""
    target: FloatArray
    weight: FloatArray | None
    train_end: int
    max_window_end: int


def _training_set(a: _Arrays, T: int, cfg: StudentConfig) -> _TrainingSet | None:
    """Samples the student may learn from for a test period starting at ``T`` (ns, IST).

    None when no soft label is eligible. Applies the purge described in the module docstring
    and checks that no hard label used ends at or after ``T``.

    Raises
    ------
    ValueError
        If a panel label ends at or after ``T`` although its soft label ends before it.
    """
    mask = (
        (a.s_wend < T)
        & (a.s_wend >= T - cfg.train_lookback_days * _DAY_NS)
        & (a.s_wmax < T)
        & (a.s_t1 < T)
    )
    if not mask.any():
        return None
    rows, inv = np.unique(a.rid[mask], return_inverse=True)
    cnt = np.bincount(inv, minlength=rows.size).astype(np.float64)
    soft = (
        np.column_stack(
            [np.bincount(inv, weights=a.s_p[mask, c], minlength=rows.size) for c in range(3)]
        )
        / cnt[:, None]
    )
    soft /= soft.sum(axis=1, keepdims=True)
    label = a.p_label[rows]
    known = np.isfinite(label)
    if np.any(a.p_t1[rows][known] >= T):
        bad = rows[known][np.argmax(a.p_t1[rows][known] >= T)]
        raise ValueError(
            f"panel label of {a.p_sym[bad]} at {_ts(int(a.p_ts[bad]))} ends at or after "
            f"the test start {_ts(T)} although its soft label ends before it; "
            "panel.t1 and soft_labels.t1 disagree"
        )
    train_end = int(max(a.s_t1[mask].max(), a.p_t1[rows][known].max(initial=0)))
    weight = None
    if cfg.reward_weighting:
        assert train_end < T, "reward weights may only use returns realised before T"
        weight = reward_weights(soft, a.p_ret[rows])
    return _TrainingSet(
        rows=rows,
        target=distillation_target(soft, label, alpha=cfg.soft_label_weight),
        weight=weight,
        train_end=train_end,
        max_window_end=int(a.s_wend[mask].max()),
    )


def walk_forward_student(
    panel: pd.DataFrame,
    soft_labels: pd.DataFrame,
    *,
    cfg: StudentConfig,
    horizon: int,
    seed: int,
    feature_names: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> WalkForwardResult:
    """Fit the student walk-forward and predict each test period out of sample.

    Periods are consecutive blocks of ``cfg.test_period_days`` calendar days from
    ``cfg.first_test_start`` (or, if None, the earliest soft-label timestamp plus
    ``cfg.min_train_days``, rounded up to midnight IST) until the panel's last timestamp.
    A period is skipped (recorded in ``WalkForwardResult.skipped``) when it has fewer than
    ``max(MIN_STUDENT_TRAIN_ROWS, 2 * cfg.min_data_in_leaf)`` training samples or no panel
    row to predict. Purging is done on timestamps (see the module docstring).

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per (symbol, timestamp): ``symbol``, ``timestamp`` (tz IST), the feature
        columns, ``label`` (float class, NaN allowed), ``fwd_return`` (fraction), ``t1``
        (label end, NaT allowed where the label is unknown).
    soft_labels : pandas.DataFrame
        Teacher OOF outputs, one row per (window, sample): ``symbol``, ``timestamp``,
        ``window_id``, ``window_end`` (tz IST), ``t1``, ``p_down``, ``p_flat``, ``p_up``.
        Rows without a matching panel row are ignored.
    cfg : StudentConfig
        Period plan, lookback, alpha, reward weighting and tree parameters.
    horizon : int
        Label horizon h (sessions). Informational: the purge uses the ``t1`` timestamps, which
        already end h sessions after each sample, so no extra row embargo is applied.
    seed : int
        LightGBM seed; deterministic for a fixed seed.
    feature_names : sequence of str
        Feature columns of ``panel`` the student uses, in order.
    progress : callable, optional
        ``progress(done, total)`` after each planned period.

    Returns
    -------
    WalkForwardResult

    Raises
    ------
    ValueError
        If columns are missing, timestamps are naive, (symbol, timestamp) repeats in the
        panel, or a soft label's hard label in the panel ends at or after the test start.
    """
    del horizon  # purge is exact on t1 timestamps (documented above)
    a = _prepare(panel, soft_labels, feature_names)
    starts = _period_starts(
        cfg,
        int(a.p_ts[a.rid].min()) if a.rid.size else None,
        int(a.p_ts.max()) if a.p_ts.size else -1,
    )
    params = student_params(cfg, seed=seed)
    period_ns = cfg.test_period_days * _DAY_NS
    min_rows = max(MIN_STUDENT_TRAIN_ROWS, 2 * cfg.min_data_in_leaf)
    fitted: list[StudentPeriod] = []
    skipped: list[SkippedPeriod] = []
    preds: list[pd.DataFrame] = []
    for k, T in enumerate(starts):
        T_end = T + period_ns
        ts = _training_set(a, T, cfg)
        n_rows = 0 if ts is None else int(ts.rows.size)
        test = np.flatnonzero((a.p_ts >= T) & (a.p_ts < T_end))
        reason = None
        if ts is None or n_rows < min_rows:
            reason = f"{n_rows} training samples (need >= {min_rows})"
        elif test.size == 0:
            reason = "no panel rows in the test period"
        if reason is not None or ts is None:
            skipped.append(SkippedPeriod(k, _ts(T), _ts(T_end), n_rows, str(reason)))
        else:
            model = fit_distilled(
                a.p_x[ts.rows],
                ts.target,
                params=params,
                num_boost_round=cfg.num_boost_round,
                sample_weight=ts.weight,
                feature_names=a.features,
            )
            proba = model.predict(a.p_x[test])
            preds.append(
                pd.DataFrame(
                    {
                        "symbol": a.p_sym[test],
                        "timestamp": panel["timestamp"].array[test],
                        **{c: np.asarray(proba)[:, j] for j, c in enumerate(PROBA_COLUMNS)},
                        "period_id": k,
                    }
                )
            )
            fitted.append(
                StudentPeriod(
                    period_id=k,
                    test_start=_ts(T),
                    test_end=_ts(T_end),
                    train_start=_ts(int(a.p_ts[ts.rows].min())),
                    train_end=_ts(ts.train_end),
                    max_window_end=_ts(ts.max_window_end),
                    n_train=n_rows,
                    n_test=int(test.size),
                    model_text=model.model_to_string(),
                )
            )
        if progress is not None:
            progress(k + 1, len(starts))
    return WalkForwardResult(_collect(preds, panel), tuple(fitted), tuple(skipped))


def fit_release_student(
    panel: pd.DataFrame,
    soft_labels: pd.DataFrame,
    *,
    cfg: StudentConfig,
    horizon: int,
    seed: int,
    feature_names: Sequence[str],
    as_of: pd.Timestamp,
) -> tuple[str, dict[str, Any]]:
    """Fit the release student: the model a reviewer would deploy after ``as_of``.

    It is fitted exactly like a walk-forward period starting the day after ``as_of``
    (same purge, lookback, target and weights), so the walk-forward OOS record is the
    evidence for it. It predicts nothing in this run.

    Parameters
    ----------
    panel, soft_labels, cfg, horizon, seed, feature_names
        As for :func:`walk_forward_student`.
    as_of : pandas.Timestamp
        Last session of the run (tz IST).

    Returns
    -------
    model_text : str
        LightGBM text format.
    metadata : dict
        ``as_of, train_start, train_end, max_window_end, n_train, params, num_boost_round``.

    Raises
    ------
    InsufficientSamplesError
        If fewer than ``max(MIN_STUDENT_TRAIN_ROWS, 2 * min_data_in_leaf)`` samples qualify.
    """
    del horizon
    a = _prepare(panel, soft_labels, feature_names)
    T = int((pd.Timestamp(as_of).tz_convert(IST).normalize() + pd.Timedelta(days=1)).value)
    ts = _training_set(a, T, cfg)
    min_rows = max(MIN_STUDENT_TRAIN_ROWS, 2 * cfg.min_data_in_leaf)
    if ts is None or ts.rows.size < min_rows:
        n = 0 if ts is None else int(ts.rows.size)
        raise InsufficientSamplesError(
            f"release student as of {pd.Timestamp(as_of).date()}: {n} training samples "
            f"(need >= {min_rows})",
            hint="use a longer range or lower student.min_data_in_leaf",
        )
    params = student_params(cfg, seed=seed)
    model = fit_distilled(
        a.p_x[ts.rows],
        ts.target,
        params=params,
        num_boost_round=cfg.num_boost_round,
        sample_weight=ts.weight,
        feature_names=a.features,
    )
    meta = {
        "role": "release student (distilled from teacher soft labels)",
        "as_of": pd.Timestamp(as_of).isoformat(),
        "train_start": _ts(int(a.p_ts[ts.rows].min())).isoformat(),
        "train_end": _ts(ts.train_end).isoformat(),
        "max_window_end": _ts(ts.max_window_end).isoformat(),
        "n_train": int(ts.rows.size),
        "params": params,
        "num_boost_round": cfg.num_boost_round,
        "seed": seed,
        "classes": ["down", "flat", "up"],
    }
    return model.model_to_string(), meta


def _collect(preds: list[pd.DataFrame], panel: pd.DataFrame) -> pd.DataFrame:
    if not preds:
        empty = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in PREDICTION_COLUMNS})
        empty["symbol"] = pd.Series(dtype=object)
        empty["timestamp"] = pd.Series(dtype=panel["timestamp"].dtype)
        empty["period_id"] = pd.Series(dtype=np.int64)
        return empty
    out = pd.concat(preds, ignore_index=True)
    return out.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)


def teacher_direct_predictions(
    panel: pd.DataFrame, teachers: pd.DataFrame, periods: Sequence[StudentPeriod]
) -> pd.DataFrame:
    """Baseline: each symbol's latest teacher (window_end < test_start) predicts the period.

    For every period and symbol, the main model of the symbol's teacher with the latest
    ``window_end < test_start`` predicts the symbol's panel rows in
    ``[test_start, test_end)``. A teacher's main model trained only on rows with
    ``t1 <`` its first validation timestamp ``<= window_end``, so it saw nothing from the test
    period. Symbols without such a teacher get no prediction in that period. Boosters are
    loaded once per teacher.

    Parameters
    ----------
    panel : pandas.DataFrame
        ``symbol``, ``timestamp`` (tz IST) and every feature column the teachers use.
    teachers : pandas.DataFrame
        ``symbol``, ``window_id``, ``window_end`` (tz IST), ``model_text``; one row per
        trained teacher.
    periods : sequence of StudentPeriod
        The student's fitted periods (same OOS dates as the student).

    Returns
    -------
    pandas.DataFrame
        Columns ``symbol, timestamp, p_down, p_flat, p_up, period_id``, sorted by
        (timestamp, symbol).
    """
    _require(panel, ["symbol", "timestamp"], "panel")
    _require(teachers, ["symbol", "window_id", "window_end", "model_text"], "teachers")
    p_ts = _ns(panel["timestamp"], "panel.timestamp")
    p_sym = panel["symbol"].astype(str).to_numpy()
    t_sym = teachers["symbol"].astype(str).to_numpy()
    t_end = _ns(teachers["window_end"], "teachers.window_end")
    texts = teachers["model_text"].to_numpy()
    cache: dict[int, lgb.Booster] = {}
    preds: list[pd.DataFrame] = []
    for period in periods:
        T, T_end = int(period.test_start.value), int(period.test_end.value)
        in_test = (p_ts >= T) & (p_ts < T_end)
        for sym in np.unique(p_sym[in_test]):
            cand = np.flatnonzero((t_sym == sym) & (t_end < T))
            if cand.size == 0:
                continue
            j = int(cand[np.argmax(t_end[cand])])
            if j not in cache:
                cache[j] = load_booster(str(texts[j]))
            model = cache[j]
            rows = np.flatnonzero(in_test & (p_sym == sym))
            proba = predict_proba(model, panel.iloc[rows][list(model.feature_name())])
            preds.append(
                pd.DataFrame(
                    {
                        "symbol": p_sym[rows],
                        "timestamp": panel["timestamp"].array[rows],
                        **{c: proba[:, i] for i, c in enumerate(PROBA_COLUMNS)},
                        "period_id": period.period_id,
                    }
                )
            )
    return _collect(preds, panel)
