"""Cross-check of evaluation/metrics.py against empyrical-reloaded (dev-only oracle).

Conventions (metrics.py module docstring):
* risk-free: ours takes an ANNUAL rate and de-annualises geometrically; empyrical subtracts a
  PER-PERIOD rate, so we pass it ``per_period_rf(rf)``;
* alpha: ours annualises arithmetically (``alpha_daily * periods``), empyrical compounds
  (``(1 + alpha_daily) ** periods - 1``) -- same daily alpha, converted below;
* information ratio: empyrical's ``excess_sharpe`` is NOT annualised; ours is (x sqrt(periods)).
Sharpe, Sortino (downside deviation over all periods), max drawdown (with the starting capital
as first peak), annual volatility, CAGR (``annual_return``), Calmar and beta coincide.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sensequant.evaluation import metrics as m
from sensequant.types import IST

empyrical = pytest.importorskip("empyrical")

RF = 0.065  # annual
PERIODS = 252


@pytest.fixture(scope="module")
def returns() -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(42)
    idx = pd.bdate_range("2015-01-01", periods=1300, tz=IST)
    bench = pd.Series(rng.standard_t(4, len(idx)) * 0.009 + 0.0003, index=idx)
    r = 0.8 * bench + pd.Series(rng.normal(0.0004, 0.006, len(idx)), index=idx)
    r.iloc[:5] = -0.03  # start in a drawdown from the starting capital
    return r, bench


def test_sharpe_sortino_volatility(returns: tuple[pd.Series, pd.Series]) -> None:
    r, _ = returns
    rf_p = m.per_period_rf(RF, PERIODS)
    assert m.sharpe(r, rf=RF) == pytest.approx(empyrical.sharpe_ratio(r, risk_free=rf_p), rel=1e-10)
    assert m.sharpe(r) == pytest.approx(empyrical.sharpe_ratio(r), rel=1e-10)
    assert m.sortino(r, rf=RF) == pytest.approx(
        empyrical.sortino_ratio(r, required_return=rf_p), rel=1e-10
    )
    assert m.annual_volatility(r) == pytest.approx(empyrical.annual_volatility(r), rel=1e-10)


def test_cagr_drawdown_calmar(returns: tuple[pd.Series, pd.Series]) -> None:
    r, _ = returns
    assert m.cagr(r) == pytest.approx(empyrical.annual_return(r), rel=1e-10)
    assert m.cagr(r) == pytest.approx(empyrical.cagr(r), rel=1e-10)
    assert m.max_drawdown(r).depth == pytest.approx(empyrical.max_drawdown(r), rel=1e-10)
    assert m.max_drawdown(r[:5]).depth == pytest.approx(empyrical.max_drawdown(r[:5]), rel=1e-10)
    assert m.calmar(r) == pytest.approx(empyrical.calmar_ratio(r), rel=1e-10)


def test_alpha_beta_information_ratio(returns: tuple[pd.Series, pd.Series]) -> None:
    r, bench = returns
    rf_p = m.per_period_rf(RF, PERIODS)
    alpha, beta = m.alpha_beta(r, bench, rf=RF)
    e_alpha, e_beta = empyrical.alpha_beta(r, bench, risk_free=rf_p)
    assert beta == pytest.approx(e_beta, rel=1e-10)
    assert e_alpha == pytest.approx((1 + alpha / PERIODS) ** PERIODS - 1, rel=1e-10)
    assert alpha != pytest.approx(e_alpha, rel=1e-3)  # arithmetic vs compounded: they differ
    ir = m.information_ratio(r, bench)
    assert ir == pytest.approx(empyrical.excess_sharpe(r, bench) * math.sqrt(PERIODS), rel=1e-10)
