"""Teacher scores as a stacked feature: each row scored by its symbol's latest finished teacher.

The alternative to distillation through soft targets (issue: "teacher scores as stacked
features"): the student keeps the hard cross-sectional target and gets one more feature, the
score of the row's symbol under the main model of that symbol's teacher whose window ended
most recently BEFORE the row's session: ``window_end`` is the IST midnight of the window's last
date and its samples run to the end of that date, so a teacher is used from
``window_end + 1 day`` on. Every value is out of sample for its row: the teacher's main model
trained only on samples whose labels ended before its validation rows, all before
``window_end + 1 day <= timestamp``. Training and test rows get the feature by
the same rule, so the student sees at training time exactly what it sees when predicting.
The raw teacher scores are put on the other features' scale by the run's cross-sectional
normalisation (:func:`sensequant.dataset.features.cs_normalize`) in the caller.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from sensequant.errors import ModelError
from sensequant.models.lgbm import is_score_model
from sensequant.models.student_data import DAY_NS, require_columns, to_ns
from sensequant.models.teacher import load_booster
from sensequant.types import FloatArray

__all__ = ["STACKED_FEATURE", "latest_teacher_scores"]

STACKED_FEATURE = "teacher_score"
"""Column name of the stacked teacher score."""


def latest_teacher_scores(panel: pd.DataFrame, teachers: pd.DataFrame) -> FloatArray:
    """Score every panel row with its symbol's latest teacher that ended before the row's day.

    Parameters
    ----------
    panel : pandas.DataFrame
        ``symbol``, ``timestamp`` (tz-aware IST) and every feature column the teachers use;
        any row order.
    teachers : pandas.DataFrame
        ``symbol``, ``window_end`` (tz-aware IST), ``model_text`` of SCORE teachers (one row
        per trained teacher).

    Returns
    -------
    ndarray of float64, shape (len(panel),)
        Teacher score in target units (the cross-sectional target's scale); NaN where the
        symbol has no teacher that ended before the row.

    Raises
    ------
    ModelError
        Missing columns, naive timestamps, a class (3-output) teacher, or a teacher feature
        the panel lacks.
    """
    require_columns(panel, ["symbol", "timestamp"], "panel")
    require_columns(teachers, ["symbol", "window_end", "model_text"], "teachers")
    out = np.full(len(panel), np.nan)
    if teachers.empty or panel.empty:
        return out
    p_ts = to_ns(panel["timestamp"], "panel.timestamp")
    p_sym = panel["symbol"].astype(str).to_numpy()
    t_sym = teachers["symbol"].astype(str).to_numpy()
    t_end = to_ns(teachers["window_end"], "teachers.window_end")
    texts = teachers["model_text"].to_numpy()
    matrices: dict[tuple[str, ...], np.ndarray] = {}
    for sym in np.unique(t_sym):
        rows = np.flatnonzero(p_sym == sym)
        if rows.size == 0:
            continue
        mine = np.flatnonzero(t_sym == sym)
        mine = mine[np.argsort(t_end[mine], kind="stable")]
        ends = t_end[mine]
        # the latest teacher whose window's last DAY ended before the row: a window's samples
        # run to the end of its window_end date (IST midnight), so window_end + 1 day <= ts
        # (for daily bars the same as window_end < ts; for intraday bars it excludes that day)
        k = np.searchsorted(ends + DAY_NS, p_ts[rows], side="right")
        for j in np.unique(k[k > 0]):
            use = rows[k == j]
            model: lgb.Booster = load_booster(str(texts[mine[j - 1]]))
            if not is_score_model(model):
                raise ModelError("stacked teacher scores need score teachers (a cs target)")
            names = tuple(model.feature_name())
            if names not in matrices:
                missing = [c for c in names if c not in panel.columns]
                if missing:
                    raise ModelError(f"panel lacks teacher feature column(s) {missing[:10]}")
                matrices[names] = np.ascontiguousarray(panel[list(names)].to_numpy(np.float64))
            out[use] = np.asarray(model.predict(matrices[names][use]), dtype=np.float64)
    return out
