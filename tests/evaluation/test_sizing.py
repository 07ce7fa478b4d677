"""portfolio_weights: the configured sizing rule, cadence and cap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.evaluation.sizing import portfolio_weights
from sensequant.settings import PortfolioConfig


def _preds(n_days: int = 6, n_sym: int = 8, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2024-01-01", periods=n_days, tz="Asia/Kolkata")
    rows = []
    for day in days:
        p_up = rng.uniform(0.2, 0.7, n_sym)
        p_down = (1 - p_up) * rng.uniform(0.2, 0.8, n_sym)
        for i in range(n_sym):
            rows.append((f"S{i}", day, p_down[i], 1 - p_up[i] - p_down[i], p_up[i]))
    return pd.DataFrame(rows, columns=["symbol", "timestamp", "p_down", "p_flat", "p_up"])


@pytest.mark.parametrize("sizing", ["top_k", "threshold", "scaled"])
def test_every_rule_respects_cadence_exposure_and_cap(sizing: str) -> None:
    preds = _preds()
    cfg = PortfolioConfig(
        sizing=sizing,
        top_k=4,
        min_probability=0.35,
        rebalance_every=2,
        max_weight_per_symbol=0.2,
    )
    w = portfolio_weights(preds, cfg)
    days = sorted(preds["timestamp"].unique())
    assert list(w.index) == days[::2]
    assert (w.to_numpy() >= 0).all()
    assert (w.to_numpy() <= 0.2 + 1e-12).all()
    assert (w.sum(axis=1) <= 1 + 1e-12).all()
    held = (w > 0).sum(axis=1)
    if sizing != "scaled":
        assert (held <= 4).all()


def test_top_k_without_cap_matches_target_weights() -> None:
    from sensequant.evaluation.portfolio import target_weights

    preds = _preds()
    cfg = PortfolioConfig(top_k=3, min_probability=0.3)
    pd.testing.assert_frame_equal(portfolio_weights(preds, cfg), target_weights(preds, cfg))
