"""Evaluation sections of the run configuration: portfolio rule, backtest, statistics, stress
and release gates (re-exported by :mod:`sensequant.run_config` and :mod:`sensequant.settings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "BacktestConfig",
    "GateConfig",
    "PortfolioConfig",
    "ReviewConfig",
    "Section",
    "StatsConfig",
    "StressConfig",
]


class Section(BaseModel):
    """Base of every configuration section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
