"""Inputs of a stress replay, the choice of the frozen student and its predictions.

:class:`StressInputs` holds everything :func:`sensequant.evaluation.stress.replay_period` needs;
:func:`select_model` picks the walk-forward student trained strictly before a period (see
:mod:`sensequant.evaluation.stress` for the model choice); :func:`predict_span` and
:func:`walk_forward_predictions` score the panel with it. All in memory.

Two kinds of student are replayed: class models (3-class boosters, predictions ``p_down,
p_flat, p_up``) and score models (one-output regression boosters of
:mod:`sensequant.models.score_student`, predictions a ``score`` column: higher = better
expected cross-sectional rank). The kind is read from the booster
(:func:`is_score_model`); the portfolio ranks a score model's ``score`` with
``PortfolioConfig(score="score")``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import precision_score, recall_score

from sensequant.errors import DataError, ModelError
from sensequant.evaluation.costs import FeeSchedule
from sensequant.models.lgbm import is_score_model
from sensequant.models.teacher import load_booster, predict_proba
from sensequant.settings import BacktestConfig, PortfolioConfig
from sensequant.types import PROBA_COLUMNS

_MODEL_COLUMNS: Final = ("period_id", "test_start", "test_end", "train_end", "model_text")
SCORE_COLUMN: Final = "score"


@dataclass(frozen=True)
class StressInputs:
    """Everything a replay needs (all in memory; see :mod:`sensequant.pipeline.stress_phase`).

    Attributes
    ----------
    panel : pandas.DataFrame
        Long (symbol, timestamp) frame with every model feature and ``label`` (0/1/2 or NaN),
        ``t1`` (label end, NaT allowed); covering at least the trailing sessions before each
        period and the period itself.
    models : pandas.DataFrame
        Walk-forward students: ``period_id, test_start, test_end`` (exclusive), ``train_end``
        (tz IST) and ``model_text`` (LightGBM text of a 3-class booster, or of a one-output
        regression booster for score models: see :func:`is_score_model`).
    open_px, close_px : pandas.DataFrame
        Session x symbol prices of the universe (NaN = no bar), one sorted calendar.
    bench_open, bench_close : pandas.Series
        NIFTY 50 opens and closes by session.
    fees : FeeSchedule
    portfolio : PortfolioConfig
        ``score="score"`` for score models (ranks the ``score`` column; no probability floor).
    backtest : BacktestConfig
    """

    panel: pd.DataFrame
    models: pd.DataFrame
    open_px: pd.DataFrame
    close_px: pd.DataFrame
    bench_open: pd.Series
    bench_close: pd.Series
    fees: FeeSchedule
    portfolio: PortfolioConfig
    backtest: BacktestConfig
    boosters: dict[int, lgb.Booster] = field(default_factory=dict, compare=False, repr=False)
    cache: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        missing = [c for c in _MODEL_COLUMNS if c not in self.models.columns]
        missing += [c for c in ("symbol", "timestamp", "label", "t1") if c not in self.panel]
        if missing:
            raise DataError(
                f"stress inputs lack column(s) {missing}",
                hint="models = models/student_walkforward.parquet; panel = features + labels",
            )

    def booster(self, period_id: int) -> lgb.Booster:
        """The walk-forward student of ``period_id`` (loaded once)."""
        if period_id not in self.boosters:
            text = self.models.loc[self.models["period_id"] == period_id, "model_text"].iloc[0]
            self.boosters[period_id] = load_booster(str(text))
        return self.boosters[period_id]


def _predict_score(model: lgb.Booster, X: pd.DataFrame) -> np.ndarray:
    """Scores of a one-output booster on float32 features, as the score student predicts."""
    if [str(c) for c in X.columns] != list(model.feature_name()):
        raise ModelError("feature columns do not match the model's")
    if len(X) == 0:
        return np.empty(0)
    x = np.ascontiguousarray(X.to_numpy(dtype=np.float32))
    return np.asarray(model.predict(x), dtype=np.float64).reshape(len(X))


def select_model(models: pd.DataFrame, start: pd.Timestamp) -> pd.Series | None:
    """The walk-forward student with the latest ``train_end`` strictly before ``start``.

    Parameters
    ----------
    models : pandas.DataFrame
        ``period_id``, ``train_end`` (tz IST) and any other columns.
    start : pandas.Timestamp
        First day of the stress period (tz IST).

    Returns
    -------
    pandas.Series or None
        The chosen row (ties on ``train_end``: the highest ``period_id``); None if none.
    """
    before = models.loc[models["train_end"] < start]
    if before.empty:
        return None
    return before.sort_values(["train_end", "period_id"], kind="stable").iloc[-1]


def predict_span(
    inputs: StressInputs, period_id: int, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Predictions of walk-forward student ``period_id`` for the panel rows in ``[start, end)``.

    Parameters
    ----------
    inputs : StressInputs
    period_id : int
        Row of ``inputs.models``.
    start, end : pandas.Timestamp
        Half-open span of decision timestamps (tz IST).

    Returns
    -------
    pandas.DataFrame
        Class model: ``symbol, timestamp, p_down, p_flat, p_up, label, t1``; score model
        (:func:`is_score_model`): ``symbol, timestamp, score, label, t1`` (score predicted on
        float32 features, as :func:`~sensequant.models.score_student.walk_forward_score_student`
        does). Label and t1 from the panel.
    """
    ts = inputs.panel["timestamp"]
    part = inputs.panel.loc[((ts >= start) & (ts < end)).to_numpy()]
    model = inputs.booster(period_id)
    out = pd.DataFrame({"symbol": part["symbol"].to_numpy(), "timestamp": part["timestamp"].array})
    if is_score_model(model):
        out[SCORE_COLUMN] = _predict_score(model, part[list(model.feature_name())])
    else:
        if part.empty:
            proba = np.empty((0, len(PROBA_COLUMNS)))
        else:
            proba = predict_proba(model, part[list(model.feature_name())])
        for j, col in enumerate(PROBA_COLUMNS):
            out[col] = proba[:, j]
    out["label"] = part["label"].to_numpy(dtype=float)
    out["t1"] = part["t1"].array
    return out


def _up_calls(known: pd.DataFrame) -> np.ndarray:
    """1 where a prediction calls 'up': argmax class is up, or (score model) the score is above
    the median score of its date (a ranking statement, whatever the objective's scale)."""
    if all(c in known.columns for c in PROBA_COLUMNS):
        return (np.argmax(known[list(PROBA_COLUMNS)].to_numpy(), axis=1) == 2).astype(int)
    if SCORE_COLUMN in known.columns:
        score = known[SCORE_COLUMN].astype(float)
        median = score.groupby(known["timestamp"]).transform("median")
        return (score > median).to_numpy().astype(int)
    raise DataError(
        f"predictions have neither {list(PROBA_COLUMNS)} nor {SCORE_COLUMN!r}",
        hint="pass predict_span output (class probabilities or a score column)",
    )


def _up_scores(pred: pd.DataFrame) -> dict[str, float]:
    """Precision/recall of 'up' calls vs ``label == 2``, and the base rate.

    An 'up' call is the argmax class being up for class models; for score models
    (a ``score`` column, no ``p_*``) it is a score above its date's median score: the raw
    output of a ranking objective (lambdarank, rank_xendcg) has no zero point, only an order,
    so the call is "ranked in the top half of the universe that day". The truth is the same for
    both kinds (the class label ``up``), so precision minus base rate reads as "how much more
    often the called names went up than names in general".
    """
    known = pred.loc[pred["label"].notna()]
    if known.empty:
        return {"precision": math.nan, "recall": math.nan, "base_rate": math.nan, "n": 0.0}
    truth = (known["label"].to_numpy() == 2).astype(int)
    call = _up_calls(known)
    return {
        "precision": float(precision_score(truth, call, zero_division=np.nan)),
        "recall": float(recall_score(truth, call, zero_division=np.nan)),
        "base_rate": float(truth.mean()),
        "n": float(len(known)),
    }


def walk_forward_predictions(inputs: StressInputs) -> pd.DataFrame:
    """Out-of-sample predictions: every walk-forward student on its own test span (cached).

    Reproduces the run's ``predictions/student_oos.parquet`` on the panel rows given.

    Returns
    -------
    pandas.DataFrame
        As :func:`predict_span` (``p_*`` or ``score`` columns by the students' kind), plus
        ``period_id``.
    """
    if "oos" not in inputs.cache:
        parts = [
            predict_span(inputs, int(r["period_id"]), r["test_start"], r["test_end"]).assign(
                period_id=int(r["period_id"])
            )
            for _, r in inputs.models.iterrows()
        ]
        parts = [p for p in parts if len(p)]
        scored = not inputs.models.empty and is_score_model(
            inputs.booster(int(inputs.models["period_id"].iloc[0]))
        )
        values = [SCORE_COLUMN] if scored else list(PROBA_COLUMNS)
        cols = ["symbol", "timestamp", *values, "label", "t1", "period_id"]
        inputs.cache["oos"] = (
            pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
        )
    return inputs.cache["oos"]


def _pre_period_scores(
    inputs: StressInputs, trailing: pd.DatetimeIndex, start: pd.Timestamp
) -> dict[str, float]:
    """Walk-forward (out-of-sample) 'up' scores on ``trailing`` sessions, labels ended < start."""
    oos = walk_forward_predictions(inputs)
    lo = trailing[0] if len(trailing) else start
    keep = (oos["timestamp"] >= lo) & (oos["timestamp"] < start)
    keep &= oos["t1"].notna() & (oos["t1"] < start)
    return _up_scores(oos.loc[keep])
