"""Models layer: per-window LightGBM teachers, the walk-forward student, the teacher-direct
baseline, reward weights and model files (LightGBM text + JSON metadata; never pickle)."""

from __future__ import annotations

from sensequant.dataset import purged_fold_indices, purged_split_indices
from sensequant.models.distill import distillation_target, fit_distilled
from sensequant.models.reward import reward_weights
from sensequant.models.score_student import (
    ScoreWalkForward,
    fit_release_score_student,
    walk_forward_score_student,
)
from sensequant.models.score_teacher import ScoreTeacherResult, train_score_teacher
from sensequant.models.serialize import load_model, save_model
from sensequant.models.student import (
    SkippedPeriod,
    StudentPeriod,
    WalkForwardResult,
    fit_release_student,
    walk_forward_student,
)
from sensequant.models.teacher import (
    TeacherResult,
    load_booster,
    predict_proba,
    train_teacher,
)
from sensequant.models.teacher_direct import teacher_direct_predictions

__all__ = [
    "ScoreTeacherResult",
    "ScoreWalkForward",
    "SkippedPeriod",
    "StudentPeriod",
    "TeacherResult",
    "WalkForwardResult",
    "distillation_target",
    "fit_distilled",
    "fit_release_score_student",
    "fit_release_student",
    "load_booster",
    "load_model",
    "predict_proba",
    "purged_fold_indices",
    "purged_split_indices",
    "reward_weights",
    "save_model",
    "teacher_direct_predictions",
    "train_score_teacher",
    "train_teacher",
    "walk_forward_score_student",
    "walk_forward_student",
]
