"""Teacher-direct baseline: each symbol's latest teacher predicts the student's test periods.

The baseline the student must beat: no distillation, no pooling across symbols.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import lightgbm as lgb
import numpy as np
import pandas as pd

from sensequant.errors import ModelError
from sensequant.models.lgbm import is_score_model
from sensequant.models.student import StudentPeriod
from sensequant.models.student_data import collect_predictions, require_columns, to_ns
from sensequant.models.teacher import load_booster, predict_proba
from sensequant.types import PROBA_COLUMNS


def teacher_direct_predictions(
    panel: pd.DataFrame,
    teachers: pd.DataFrame,
    periods: Sequence[StudentPeriod],
    *,
    features: Mapping[str, pd.DataFrame] | None = None,
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
    features : mapping of str to pandas.DataFrame, optional
        Symbol -> the teachers' own feature frame (index = bar timestamps, float64), from
        which the rows are taken instead of the panel: the teachers then see exactly the
        values they were trained on when the panel's features are float32
        (:func:`sensequant.dataset.panel_frame` ``dtype``).

    Returns
    -------
    pandas.DataFrame
        Columns ``symbol, timestamp, p_down, p_flat, p_up, period_id`` (class teachers) or
        ``symbol, timestamp, score, period_id`` (score teachers), sorted by (timestamp, symbol).

    Raises
    ------
    ModelError
        If columns are missing, timestamps are naive or missing, or the panel lacks a
        teacher's feature columns.
    """
    require_columns(panel, ["symbol", "timestamp"], "panel")
    require_columns(teachers, ["symbol", "window_id", "window_end", "model_text"], "teachers")
    p_ts = to_ns(panel["timestamp"], "panel.timestamp")
    p_sym = panel["symbol"].astype(str).to_numpy()
    p_code, sym_names = pd.factorize(p_sym)
    t_sym = teachers["symbol"].astype(str).to_numpy()
    t_end = to_ns(teachers["window_end"], "teachers.window_end")
    texts = teachers["model_text"].to_numpy()
    cache: dict[int, lgb.Booster] = {}
    used: set[int] = set()
    # feature matrix per feature list, once, over the OOS rows only (positions: ``oos``)
    matrices: dict[tuple[str, ...], np.ndarray] = {}
    lo = min((int(p.test_start.value) for p in periods), default=0)
    hi = max((int(p.test_end.value) for p in periods), default=0)
    oos = np.flatnonzero((p_ts >= lo) & (p_ts < hi))
    # gathered per (period, symbol) and assembled into one frame at the end
    all_rows: list[np.ndarray] = []
    all_values: list[np.ndarray] = []
    all_periods: list[np.ndarray] = []
    score_model: bool | None = None
    for period in periods:
        # boosters of the previous period only: a loaded booster holds its trees in C memory
        # (a 95-symbol 5-minute run would otherwise keep ~4,000 of them, over 1 GB)
        cache = {j: b for j, b in cache.items() if j in used}
        used = set()
        T, T_end = int(period.test_start.value), int(period.test_end.value)
        in_test = np.flatnonzero((p_ts >= T) & (p_ts < T_end))
        codes = p_code[in_test]
        for code in np.unique(codes):
            sym = str(sym_names[code])
            cand = np.flatnonzero((t_sym == sym) & (t_end < T))
            if cand.size == 0:
                continue
            j = int(cand[np.argmax(t_end[cand])])
            if j not in cache:
                cache[j] = load_booster(str(texts[j]))
            used.add(j)
            model = cache[j]
            rows = in_test[codes == code]
            names = tuple(model.feature_name())
            if features is not None:
                own = features[sym]
                at = own.index.get_indexer(pd.DatetimeIndex(panel["timestamp"].array[rows]))
                if (at < 0).any():
                    raise ModelError(f"{sym}: panel rows missing from its feature frame")
                X = np.ascontiguousarray(own.iloc[at][list(names)].to_numpy(np.float64))
            elif names not in matrices:
                missing = [c for c in names if c not in panel.columns]
                if missing:
                    raise ModelError(f"panel lacks teacher feature column(s) {missing[:10]}")
                block = panel[list(names)].iloc[oos]
                matrices[names] = np.ascontiguousarray(block.to_numpy(np.float64))
            if features is None:
                X = matrices[names][np.searchsorted(oos, rows)]
            is_score = is_score_model(model)
            if score_model is not None and is_score != score_model:
                raise ModelError("teachers mix score and class models; one run has one kind")
            score_model = is_score
            if is_score:  # score teacher (regression)
                values = np.asarray(model.predict(X), dtype=np.float64)[:, None]
            else:
                values = predict_proba(model, pd.DataFrame(X, columns=list(names)))
            all_rows.append(rows)
            all_values.append(values)
            all_periods.append(np.full(rows.size, period.period_id, dtype=np.int64))
    if not all_rows:
        return collect_predictions([], panel)
    rows = np.concatenate(all_rows)
    values = np.concatenate(all_values)
    columns = ["score"] if score_model else list(PROBA_COLUMNS)
    frame = pd.DataFrame(
        {
            "symbol": p_sym[rows],
            "timestamp": panel["timestamp"].array[rows],
            **{c: values[:, i] for i, c in enumerate(columns)},
            "period_id": np.concatenate(all_periods),
        }
    )
    return collect_predictions([frame], panel)
