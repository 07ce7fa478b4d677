"""Evaluation layer: NSE costs, portfolio construction, backtest, metrics, signal and statistics.

All pure computation; the packaged fee schedule (``resources/nse_fees.yaml``) is the only file
read (by :meth:`FeeSchedule.load`).
"""

from __future__ import annotations

from sensequant.evaluation.backtest import (
    BacktestResult,
    equal_weight_returns,
    index_returns,
    run_backtest,
)
from sensequant.evaluation.baselines import (
    BaselineSeries,
    buy_and_hold_baseline,
    index_baseline,
    momentum_scores,
    month_start_decisions,
    monthly_rebalanced_baseline,
    reversal_scores,
)
from sensequant.evaluation.comparison import comparison_table
from sensequant.evaluation.costs import CostBreakdown, FeeRow, FeeSchedule, GstRow
from sensequant.evaluation.metrics import (
    Drawdown,
    EvaluationInputError,
    PerformanceSummary,
    alpha_beta,
    annual_volatility,
    cagr,
    calmar,
    hit_rate,
    information_ratio,
    max_drawdown,
    per_period_rf,
    profit_factor,
    sharpe,
    sortino,
    summarize,
)
from sensequant.evaluation.portfolio import target_weights
from sensequant.evaluation.series_metrics import (
    growth_of_one,
    monthly_returns,
    rolling_beta,
    rolling_sharpe,
    underwater,
)
from sensequant.evaluation.signal import ICSummary, daily_ic, ic_summary
from sensequant.evaluation.stats import (
    BootstrapCI,
    DSRResult,
    bootstrap_sharpe_ci,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    min_track_record_length,
    probabilistic_sharpe_ratio,
)

__all__ = [
    "BacktestResult",
    "BaselineSeries",
    "BootstrapCI",
    "CostBreakdown",
    "DSRResult",
    "Drawdown",
    "EvaluationInputError",
    "FeeRow",
    "FeeSchedule",
    "GstRow",
    "ICSummary",
    "PerformanceSummary",
    "alpha_beta",
    "annual_volatility",
    "bootstrap_sharpe_ci",
    "buy_and_hold_baseline",
    "cagr",
    "calmar",
    "comparison_table",
    "daily_ic",
    "deflated_sharpe_ratio",
    "equal_weight_returns",
    "expected_max_sharpe",
    "growth_of_one",
    "hit_rate",
    "ic_summary",
    "index_baseline",
    "index_returns",
    "information_ratio",
    "max_drawdown",
    "min_track_record_length",
    "momentum_scores",
    "month_start_decisions",
    "monthly_rebalanced_baseline",
    "monthly_returns",
    "per_period_rf",
    "probabilistic_sharpe_ratio",
    "profit_factor",
    "reversal_scores",
    "rolling_beta",
    "rolling_sharpe",
    "run_backtest",
    "sharpe",
    "sortino",
    "summarize",
    "target_weights",
    "underwater",
]
