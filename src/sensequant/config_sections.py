"""Model and evaluation sections of the run configuration: teacher and student trees,
portfolio rule, backtest, statistics, stress, release gates and review (re-exported by
:mod:`sensequant.run_config` and :mod:`sensequant.settings`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "BacktestConfig",
    "ExecutorConfig",
    "GateConfig",
    "PortfolioConfig",
    "ReviewConfig",
    "Section",
    "StatsConfig",
    "StressConfig",
    "StudentConfig",
    "TeacherConfig",
]


class Section(BaseModel):
    """Base of every configuration section: unknown keys are errors, values are frozen; each
    field's docstring is its description (``sensequant config init`` writes it as a comment)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ExecutorConfig(Section):
    """Where parallel work runs (:func:`sensequant.parallel.parallel_map`): the teachers (also
    a sweep point's) and the stress replay's periods.

    Results do not depend on it (only where and how fast the work runs), so it is left out of
    :meth:`~sensequant.run_config.RunConfig.fingerprint`.
    """

    kind: Literal["joblib", "dask"] = "joblib"
    """``joblib``: worker processes on this machine (``n_jobs``); ``dask``: tasks go to a
    ``dask.distributed`` scheduler (``address``), or to a temporary local cluster of ``n_jobs``
    worker processes when no address is given."""
    address: str | None = Field(None, max_length=300)
    """Scheduler address for ``kind: dask``, e.g. ``tcp://10.0.0.5:8786``."""

    @model_validator(mode="after")
    def _check_address(self) -> ExecutorConfig:
        if self.address is not None and self.kind != "dask":
            raise ValueError("executor.address needs executor.kind: dask")
        return self


class PortfolioConfig(Section):
    """How probabilities become target weights."""

    sizing: Literal["top_k", "threshold", "scaled"] = "top_k"
    """``top_k``: the k best-scoring qualifying symbols at 1/k each (buffered, see
    ``hold_buffer``); ``threshold``: equal weight among every qualifying symbol (at most
    ``top_k``), fully invested; ``scaled``: weights proportional to the score above the floor."""
    top_k: int = Field(10, ge=1, le=2000)  # bound: about every NSE-listed equity
    """Hold the k symbols with the highest score, equal weight (the cap on positions for the
    other sizing rules)."""
    min_probability: float | None = Field(0.40, ge=0, le=1)
    """Only symbols with p_up at least this enter the portfolio (else cash); None = no
    probability floor (rank-only). With ``score="score"`` it defaults to None and must stay
    None (a generic score has no probability)."""
    score: Literal["p_up", "p_up_minus_p_down", "score"] = "p_up_minus_p_down"
    """Ranking score: ``p_up``, ``p_up - p_down``, or ``score`` = a generic score column of the
    predictions (any model's or baseline's; predictions then need only symbol, timestamp,
    score) ranked with no probability floor -- a calibration-free top-k comparison."""
    rebalance_every: int = Field(5, ge=1, le=252)  # bound: once a year
    """Decide only on every n-th prediction session (counted from the first OOS session);
    between decisions the book drifts. 5 = the label horizon, so each decision is held for
    the span the model predicts; 1 = rebalance daily."""
    max_weight_per_symbol: float | None = Field(None, gt=0, le=1)
    """Per-symbol cap on the target weight (the excess stays in cash); None = no cap."""
    hold_buffer: int = Field(10, ge=0, le=2000)  # bound: as top_k
    """Hysteresis: a held symbol stays while it still qualifies and ranks within
    ``top_k + hold_buffer``; only the free slots go to the best new names. 0 = pure top-k,
    which trades on every small change of rank."""

    @model_validator(mode="before")
    @classmethod
    def _rank_only_floor(cls, data: Any) -> Any:
        """``score="score"``: no probability floor by default; an explicit one is an error."""
        if isinstance(data, dict) and data.get("score") == "score":
            if "min_probability" not in data:
                return {**data, "min_probability": None}
            if data["min_probability"] is not None:
                raise ValueError(
                    "score='score' ranks a generic score without probabilities: "
                    "set min_probability to null (no probability floor)"
                )
        return data


class BacktestConfig(Section):
    """Backtest execution and costs."""

    fill: Literal["next_open", "next_close"] = "next_open"
    capital_inr: float = Field(1_000_000.0, gt=0, le=1e12)  # bound: 1 lakh crore rupees
    """Starting capital in rupees (fixed charges such as the DP charge depend on it)."""
    slippage_bps: float = Field(5.0, ge=0, le=1000)  # bound: 10 % a side
    """Slippage per side, basis points of traded notional."""
    cost_segment: Literal["delivery", "intraday"] = "delivery"
    rebalance_tolerance: float = Field(0.02, ge=0, lt=1)
    """No-trade band: a held position whose drifted weight is within this absolute distance
    of its (non-zero) target is not traded, so daily drift does not pay a DP charge and
    brokerage on every trim. 0 = rebalance to exact weights every decision day."""
    trials: list[PortfolioConfig] = Field(
        default_factory=lambda: [
            PortfolioConfig(top_k=5, min_probability=0.40),
            PortfolioConfig(top_k=10, min_probability=0.40),
            PortfolioConfig(top_k=10, min_probability=0.34, score="p_up"),
            PortfolioConfig(top_k=20, min_probability=0.34),
            PortfolioConfig(top_k=10, min_probability=0.40, rebalance_every=1, hold_buffer=0),
            PortfolioConfig(
                sizing="scaled", top_k=50, min_probability=0.34, max_weight_per_symbol=0.10
            ),
        ]
    )
    """Other portfolio configurations evaluated on the same OOS predictions: every one counts
    as a trial for the deflated Sharpe ratio (the primary one is counted too)."""


class IntradayConfig(Section):
    """Intraday execution rules, used when ``data.interval`` is not ``1day``
    (:mod:`sensequant.evaluation.intraday_backtest`)."""

    square_off: bool = True
    """Close every position at the open of the session's last bar (decided at the bar
    before); no position is ever held across a session boundary (NSE MIS)."""
    no_entry_minutes: int = Field(15, ge=0, le=375)  # bound: a whole session
    """No new position (nor an added one) is filled in the session's last N minutes."""
    long_short: bool = False
    """Long the top_k and short the bottom_k scores, half the gross book each (short sales are
    intraday only on NSE cash equity)."""
    max_gross: float = Field(1.0, gt=0, le=1.0)
    """Cap on the gross exposure sum |w| (no leverage)."""


class StatsConfig(Section):
    """Statistical evaluation."""

    periods_per_year: int = Field(252, ge=1, le=100_000)  # bound: 1-minute bars (~94,500)
    risk_free_rate: float = Field(0.0, ge=0, le=1)  # bound: 100 % a year
    """Annual risk-free rate (fraction) for Sharpe/Sortino/alpha; 0 = excess over zero."""
    bootstrap_reps: int = Field(2000, ge=100, le=100_000)  # bound: minutes, not days
    confidence: float = Field(0.95, gt=0.5, lt=1)
    spa_reps: int = Field(1000, ge=100, le=100_000)  # bound: as bootstrap_reps
    """Bootstrap repetitions of Hansen's SPA test and StepM."""
    stepm_size: float = Field(0.05, gt=0, lt=0.5)
    """Family-wise error rate of StepM."""
    pbo_splits: int = Field(16, ge=4, le=32)  # bound: C(32, 16) = 6e8 combinations
    """S, the number of contiguous blocks of the CSCV probability of backtest overfitting
    (even)."""


class StressConfig(Section):
    """Stress tests over named crisis periods (see ``configs/stress_periods.yaml``)."""

    enabled: bool = True
    periods_file: Path | None = None
    """YAML of named periods; None = the packaged list (``configs/stress_periods.yaml``)."""
    cash_rate: float = Field(0.065, ge=0, le=1)  # bound: 100 % a year
    """Annual return of cash in the 60/40 and cash baselines (fraction)."""
    synthetic_shock: float = Field(-0.10, gt=-1, lt=0)
    """Gap-down injected into every symbol for the synthetic shock scenario."""


class GateConfig(Section):
    """Release gates: all must pass for ``ready-for-review``."""

    min_sharpe_excess_vs_benchmark: float | None = 0.0
    """OOS Sharpe minus the NIFTY 50 Sharpe over the same dates must exceed this."""
    min_sharpe_excess_vs_equal_weight: float | None = 0.0
    """OOS Sharpe minus the equal-weight universe Sharpe (the no-skill, survivorship-biased
    basket) must exceed this."""
    min_dsr: float | None = Field(0.95, ge=0, le=1)  # bound: a probability
    max_drawdown: float | None = Field(0.35, gt=0, le=1)  # bound: a loss of 100 %
    """Largest tolerated OOS max drawdown, as a positive fraction."""
    min_sharpe_ci_lower: float | None = None
    min_excess_sharpe_ci_lower: float | None = 0.0
    """Lower bound of the paired stationary-bootstrap CI of (OOS Sharpe - NIFTY 50 Sharpe)
    must exceed this: the edge over the benchmark must survive sampling error."""
    max_stress_loss: float | None = Field(0.40, gt=0, le=1)  # bound: a loss of 100 %
    """Worst strategy loss over the covered stress periods, as a positive fraction."""
    min_oos_days: int | None = Field(250, ge=1, le=100_000)  # bound: ~400 years of sessions


class ReviewConfig(Section):
    """Review policy of the run's candidate (read from the run's own, hashed configuration)."""

    require_second_person: bool = True
    """Four-eyes: the OS user who produced the run may not approve it."""


class TeacherConfig(Section):
    """Per-(symbol, window) LightGBM teacher."""

    validation_fraction: float = Field(0.25, gt=0.05, lt=0.5)
    """Tail share of the window held out (after an embargo of h sessions) for metrics."""
    oof_folds: int = Field(2, ge=2, le=10)
    """Contiguous purged folds used to produce out-of-fold soft labels."""
    num_boost_round: int = Field(50, ge=1, le=100_000)  # bound: LightGBM hours
    learning_rate: float = Field(0.1, gt=0, le=1)  # bound: a step of 1 is the full fit
    num_leaves: int = Field(7, ge=2, le=131_072)  # bound: LightGBM's own maximum
    min_data_in_leaf: int = Field(8, ge=1, le=1_000_000)  # bound: > any window
    feature_fraction: float = Field(0.8, gt=0, le=1)
    lambda_l2: float = Field(1.0, ge=0, le=1e6)  # bound: beyond it every leaf is 0
    max_bin: int = Field(63, ge=3, le=255)  # bound: LightGBM's one-byte bins
    """Most histogram bins per feature. A window holds ~90 training rows, so with
    ``min_data_in_leaf`` 8 finer bins only add split candidates (and time), not resolution."""


class StudentConfig(Section):
    """Cross-sectional student distilled from teacher soft labels."""

    test_period_days: int = Field(90, ge=5, le=3650)  # bound: 10 years
    """Calendar days predicted out of sample by each walk-forward student fit."""
    train_lookback_days: int = Field(1095, ge=180, le=36_500)  # bound: 100 years
    """Calendar days of teacher windows (ending before the test period) used to train."""
    first_test_start: dt.date | None = None
    """First OOS date; None = first date with ``min_train_days`` of soft labels behind it."""
    min_train_days: int = Field(730, ge=5, le=36_500)  # bound: 100 years
    # lower bound 5: short intraday spans (configs/intraday_1min.yaml: 14 days)
    soft_label_weight: float = Field(1.0, ge=0, le=1)
    """alpha in target = alpha * teacher_soft + (1 - alpha) * one_hot(hard label)."""
    reward_weighting: bool = False
    """Weight training samples by realised reward (inside the training period only)."""
    num_boost_round: int = Field(100, ge=1, le=100_000)  # bound: LightGBM hours
    learning_rate: float = Field(0.1, gt=0, le=1)  # bound: a step of 1 is the full fit
    num_leaves: int = Field(15, ge=2, le=131_072)  # bound: LightGBM's own maximum
    min_data_in_leaf: int = Field(100, ge=1, le=10_000_000)  # bound: > any panel
    feature_fraction: float = Field(0.8, gt=0, le=1)
    lambda_l2: float = Field(1.0, ge=0, le=1e6)  # bound: beyond it every leaf is 0
    max_bin: int = Field(63, ge=3, le=255)  # bound: LightGBM's one-byte bins
    """Most histogram bins per feature."""
    bagging_fraction: float = Field(1.0, gt=0, le=1)
    """Fraction of the training rows each boosting iteration samples (LightGBM bagging,
    re-drawn every iteration from the run's seed); 1 = every row. Below 1 it regularises and
    cuts the histogram work in proportion."""
    blend_grid: list[float] = Field(default_factory=lambda: [0.0, 0.5, 1.0], min_length=1)
    """Score student (cross-sectional targets): soft-target weights fitted every period; the
    student uses the one with the best purged Rank IC on earlier OOS periods (0 = the direct
    model without teachers, 1 = pure distillation)."""
    sample_every: int = Field(1, ge=1, le=20)
    """Score student: train on every k-th session only (labels of neighbouring sessions
    overlap by ``horizon - 1`` sessions); 1 = every session."""
    stacking: bool = False
    """Score student: also fit the stacked alternative walk-forward on the same periods (the
    hard target, and the features plus ``teacher_score``: the row's symbol's latest teacher
    that ended before the row, normalised across the universe per date like the other
    features); it is compared with the student, teacher-direct and the direct model and counts
    as a trial. The released model stays the blend choice."""
    objective: Literal["regression", "lambdarank", "rank_xendcg"] = "regression"
    """Score student's LightGBM objective: ``regression`` (L2 on the blended soft/hard
    target) or a ranking objective with one query group per date and the date's quantile
    grade 0..4 of the blended target as the label (dates with fewer than 5 training rows
    dropped); the score is the model's raw output either way. The class student
    (``labels.target: class3``) ignores it."""

    @field_validator("blend_grid")
    @classmethod
    def _check_grid(cls, grid: list[float]) -> list[float]:
        if any(not 0.0 <= w <= 1.0 for w in grid) or len(set(grid)) != len(grid):
            raise ValueError(f"blend weights must be distinct values in [0, 1], got {grid}")
        return grid
