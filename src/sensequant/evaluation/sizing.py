"""Target weights for a :class:`~sensequant.settings.PortfolioConfig`: one entry point that
dispatches to the sizing rule, applies the decision cadence and the per-symbol cap."""

from __future__ import annotations

import pandas as pd

from sensequant.evaluation.portfolio import (
    apply_caps,
    probability_scaled_weights,
    probability_threshold_weights,
    target_weights,
)
from sensequant.settings import PortfolioConfig


def portfolio_weights(predictions: pd.DataFrame, cfg: PortfolioConfig) -> pd.DataFrame:
    """Long-only target weights (decision date x symbol) for the configured sizing rule.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Long OOS predictions: ``symbol, timestamp, p_down, p_flat, p_up``.
    cfg : PortfolioConfig
        ``sizing`` picks :func:`~sensequant.evaluation.portfolio.target_weights` (buffered
        top-k), :func:`~sensequant.evaluation.portfolio.probability_threshold_weights` or
        :func:`~sensequant.evaluation.portfolio.probability_scaled_weights`; decisions are
        taken every ``rebalance_every`` prediction dates; ``max_weight_per_symbol`` caps
        each weight (excess in cash).

    Returns
    -------
    pandas.DataFrame
        Weights decided at each decision date's close (the backtest fills them next session).
    """
    if cfg.sizing == "top_k":
        weights = target_weights(predictions, cfg)
    else:
        dates = pd.Index(sorted(predictions["timestamp"].unique()))
        decisions = dates[:: cfg.rebalance_every]
        pred = predictions.loc[predictions["timestamp"].isin(decisions)]
        if cfg.sizing == "threshold":
            weights = probability_threshold_weights(
                pred,
                min_probability=cfg.min_probability,
                max_positions=cfg.top_k,
                score=cfg.score,
            )
        else:
            weights = probability_scaled_weights(
                pred, min_probability=cfg.min_probability, score=cfg.score
            )
    if cfg.max_weight_per_symbol is not None:
        weights = apply_caps(weights, max_weight_per_symbol=cfg.max_weight_per_symbol)
    return weights
