"""Typed results the orchestrator hands from one phase to the next (see
:mod:`sensequant.pipeline.run`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sensequant.dataset import SymbolFrame
from sensequant.models.student import WalkForwardResult


@dataclass(frozen=True)
class FeaturesResult:
    """The features phase: bars and features/labels per usable symbol (``pf.symbols`` order).

    Attributes
    ----------
    bars : dict of str to pandas.DataFrame
        Bars up to the run's range end, as read from the store.
    frames : dict of str to SymbolFrame
        Features and labels built from ``bars``.
    sectors : dict of str to str or None
        Symbol -> the catalog's industry, as handed to the panel step (empty when the
        configuration has no panel step).
    """

    bars: dict[str, pd.DataFrame]
    frames: dict[str, SymbolFrame]
    sectors: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class StudentPhaseResult:
    """The student phase: walk-forward student, teacher-direct predictions and their inputs.

    Attributes
    ----------
    student : WalkForwardResult
        Walk-forward fits and OOS predictions.
    teacher_pred : pandas.DataFrame
        Teacher-direct OOS predictions on the student's test periods.
    panel : pandas.DataFrame
        The (symbol, timestamp) panel of features and labels over the run's range.
    soft_labels : pandas.DataFrame
        Teacher out-of-fold class probabilities (or scores) the student learned from.
    variants : dict of float to pandas.DataFrame
        Score student only: OOS predictions of every blend weight (0 = the direct model).
    blend_choice : pandas.DataFrame or None
        Score student only: the blend weight chosen per period and its validation Rank ICs.
    alternatives : dict of str to pandas.DataFrame
        Other model designs fitted on the same periods, by display name (the stacked
        alternative, ``student.stacking``); each is compared and counts as a trial.
    x : ndarray of float32 or None
        The panel's features as one C-ordered matrix (rows as ``panel``) when the panel
        carries no feature columns (:func:`~sensequant.pipeline.phases.student_panel`).
    """

    student: WalkForwardResult
    teacher_pred: pd.DataFrame
    panel: pd.DataFrame
    soft_labels: pd.DataFrame
    variants: dict[float, pd.DataFrame] = field(default_factory=dict)
    blend_choice: pd.DataFrame | None = None
    alternatives: dict[str, pd.DataFrame] = field(default_factory=dict)
    x: np.ndarray | None = None


@dataclass(frozen=True)
class RunResult:
    """What ``run_pipeline`` returns: where the run is and its verdict."""

    run_id: str
    run_dir: Path
    decision: str
    headline: dict[str, float | str | None]
    phase_seconds: dict[str, float]
