"""The stacked alternative to distillation: teacher scores as a feature of the direct model.

``student.stacking: true`` fits, on the score student's own walk-forward periods, the direct
pooled model (hard cross-sectional target) with one more feature, ``teacher_score``
(:func:`sensequant.models.stacking.latest_teacher_scores`: each row scored by its symbol's
latest teacher that ended before it, out of sample for that row), put on the other features'
scale by the run's per-date normalisation (``features.cs_normalize``). Its OOS predictions are
compared with the student, teacher-direct and the direct model on identical dates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sensequant.dataset.features import cs_normalize
from sensequant.models.score_student import walk_forward_score_student
from sensequant.models.stacking import STACKED_FEATURE, latest_teacher_scores
from sensequant.settings import RunConfig

__all__ = ["STACKED", "stacked_alternatives"]

STACKED = "stacked (teacher score as a feature)"
"""Display name of the stacked alternative in the comparison and the trials."""


def stacked_alternatives(
    config: RunConfig,
    panel: pd.DataFrame,
    soft: pd.DataFrame,
    names: Sequence[str],
    teachers: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """OOS predictions of the stacked alternative, or nothing when it is not configured.

    Parameters
    ----------
    config : RunConfig
        ``student.stacking`` switches it on; ``student`` gives the period plan and trees,
        ``features.cs_normalize`` the scaling of the new feature.
    panel : pandas.DataFrame
        The student's panel (features, ``target``, ``fwd_return``, ``t1``).
    soft : pandas.DataFrame
        Teacher OOF scores (they decide which rows are eligible, as for the student).
    names : sequence of str
        The student's feature columns.
    teachers : pandas.DataFrame
        Trained score teachers: ``symbol, window_end, model_text``.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``{STACKED: predictions}`` (``symbol, timestamp, score, period_id, blend``), or ``{}``
        when ``student.stacking`` is off or the target is the 3-class label.
    """
    if not config.student.stacking or config.labels.target == "class3":
        return {}
    raw = pd.DataFrame({STACKED_FEATURE: latest_teacher_scores(panel, teachers)})
    key = pd.DatetimeIndex(panel["timestamp"]).asi8
    scaled = cs_normalize(raw, key, config.features.cs_normalize)
    stacked_panel = panel.assign(**{STACKED_FEATURE: scaled[STACKED_FEATURE].to_numpy(np.float64)})
    result = walk_forward_score_student(
        stacked_panel,
        soft,
        cfg=config.student,
        seed=config.seed,
        feature_names=[*names, STACKED_FEATURE],
        blend_grid=[0.0],  # the hard target: the teachers enter through the feature only
        sample_every=config.student.sample_every,
    )
    return {STACKED: result.predictions}
