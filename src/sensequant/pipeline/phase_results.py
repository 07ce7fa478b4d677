"""Typed results the orchestrator hands from one phase to the next (see
:mod:`sensequant.pipeline.run`)."""

from __future__ import annotations

from dataclasses import dataclass

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
    """

    bars: dict[str, pd.DataFrame]
    frames: dict[str, SymbolFrame]


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
        Teacher out-of-fold class probabilities the student learned from.
    """

    student: WalkForwardResult
    teacher_pred: pd.DataFrame
    panel: pd.DataFrame
    soft_labels: pd.DataFrame
