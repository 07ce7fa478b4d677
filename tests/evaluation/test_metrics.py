"""Tests of the performance metrics (definitions in sensequant.evaluation.metrics)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sensequant.evaluation import metrics
from sensequant.evaluation import series_metrics as sm
from sensequant.evaluation.metrics import (
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
from sensequant.types import IST


def _series(values: list[float] | np.ndarray, start: str = "2024-01-01") -> pd.Series:
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values), tz=IST), dtype=float)


@pytest.fixture()
def returns() -> pd.Series:
    rng = np.random.default_rng(42)
    return _series(rng.normal(0.0005, 0.012, 750))


def test_sharpe_and_rf_conversion(returns: pd.Series) -> None:
    x = returns.to_numpy()
    assert sharpe(returns) == pytest.approx(x.mean() / x.std(ddof=1) * math.sqrt(252))
    assert sharpe(returns, periods=250) == pytest.approx(x.mean() / x.std(ddof=1) * math.sqrt(250))
    rf_p = 1.065 ** (1 / 252) - 1  # geometric de-annualisation of 6.5 %
    assert per_period_rf(0.065) == pytest.approx(rf_p)
    assert sharpe(returns, rf=0.065) == pytest.approx(
        (x - rf_p).mean() / (x - rf_p).std(ddof=1) * math.sqrt(252)
    )
    assert sharpe(returns, rf=0.065) < sharpe(returns)


def test_sortino_volatility_cagr(returns: pd.Series) -> None:
    x = returns.to_numpy()
    dd = math.sqrt(np.mean(np.minimum(x, 0) ** 2))
    assert sortino(returns) == pytest.approx(x.mean() / dd * math.sqrt(252))
    assert annual_volatility(returns) == pytest.approx(x.std(ddof=1) * math.sqrt(252))
    assert cagr(_series([0.001] * 504)) == pytest.approx(1.001**252 - 1)
    assert cagr(returns) == pytest.approx(np.prod(1 + x) ** (252 / 750) - 1)


def test_max_drawdown_hand_example() -> None:
    r = _series([0.1, -0.2, 0.05, 0.3, -0.01])
    # wealth: 1, 1.1, 0.88, 0.924, 1.2012, 1.189188 -> peak 1.1 (day 0), trough 0.88 (day 1)
    dd = max_drawdown(r)
    assert dd.depth == pytest.approx(0.88 / 1.1 - 1)
    assert dd.peak == r.index[0] and dd.trough == r.index[1] and dd.recovery == r.index[3]
    assert dd.duration_days == (r.index[3] - r.index[0]).days
    assert calmar(r) == pytest.approx(cagr(r) / 0.2)


def test_drawdown_from_the_start_and_unrecovered() -> None:
    r = _series([-0.1, 0.05, -0.08])
    dd = max_drawdown(r)
    # the first loss counts: P_0 = 1 before the first return; the peak is the starting capital
    assert dd.depth == pytest.approx(0.9 * 1.05 * 0.92 - 1)
    assert dd.peak == r.index[0] and dd.trough == r.index[2] and dd.recovery is None
    assert dd.duration_days == (r.index[-1] - r.index[0]).days
    flat = max_drawdown(_series([0.01, 0.0, 0.02]))
    assert flat.depth == 0.0 and flat.duration_days == 0


def test_hit_rate_and_profit_factor() -> None:
    r = _series([0.01, -0.02, 0.0, 0.03, 0.0, -0.01])
    assert hit_rate(r) == pytest.approx(2 / 4)  # zero (cash) days excluded
    assert profit_factor(r) == pytest.approx(0.04 / 0.03)
    assert profit_factor(_series([0.01, 0.0])) == math.inf
    assert math.isnan(hit_rate(_series([0.0, 0.0])))


def test_alpha_beta_arithmetic_annualisation() -> None:
    rng = np.random.default_rng(1)
    b = _series(rng.normal(0.0003, 0.01, 500))
    a_daily = 0.0002
    r = a_daily + 1.5 * b
    alpha, beta = alpha_beta(r, b)
    assert beta == pytest.approx(1.5) and alpha == pytest.approx(a_daily * 252)
    # with rf: (r - rf_p) = (a + 0.5 rf_p) + 1.5 (b - rf_p)
    rf_p = per_period_rf(0.06)
    alpha_rf, beta_rf = alpha_beta(r, b, rf=0.06)
    assert beta_rf == pytest.approx(1.5) and alpha_rf == pytest.approx((a_daily + 0.5 * rf_p) * 252)


def test_information_ratio_on_common_dates() -> None:
    rng = np.random.default_rng(2)
    r = _series(rng.normal(0.001, 0.01, 300))
    b = _series(rng.normal(0.0005, 0.01, 320))  # longer: only the common 300 dates count
    active = r.to_numpy() - b.to_numpy()[:300]
    expected = active.mean() / active.std(ddof=1) * math.sqrt(252)
    assert information_ratio(r, b) == pytest.approx(expected)


def test_bad_inputs() -> None:
    r = _series([0.01, np.nan, 0.02, np.nan])
    with pytest.raises(ValueError, match=r"2 NaN value\(s\), first on 2024-01-02"):
        sharpe(r)
    with pytest.raises(ValueError, match="NaN"):
        summarize(r)
    good = _series([0.01, -0.01, 0.02])
    other = _series([0.01, 0.02], start="2010-01-01")
    with pytest.raises(ValueError, match="no dates in common"):
        alpha_beta(good, other)
    with pytest.raises(ValueError, match="no dates in common"):
        summarize(good, benchmark=other)


def test_degenerate_series_give_nan_sharpe_with_a_note() -> None:
    one = summarize(_series([0.01]))
    assert math.isnan(one.sharpe) and any("fewer than 2" in n for n in one.notes)
    const = summarize(_series([0.001] * 10))
    assert math.isnan(const.sharpe) and any("zero variance" in n for n in const.notes)
    assert const.total_return == pytest.approx(1.001**10 - 1)


def test_summarize_collects_everything(returns: pd.Series) -> None:
    rng = np.random.default_rng(3)
    bench = _series(rng.normal(0.0003, 0.01, 700))  # shorter than the returns
    turnover = pd.Series(0.1, index=returns.index)
    exposure = pd.Series(0.8, index=returns.index)
    s = summarize(returns, benchmark=bench, turnover=turnover, exposure=exposure, rf=0.05)
    assert s.n_days == 750 and s.start == returns.index[0] and s.end == returns.index[-1]
    assert s.sharpe == pytest.approx(sharpe(returns, rf=0.05))
    assert s.annual_turnover == pytest.approx(0.1 * 252) and s.mean_exposure == pytest.approx(0.8)
    assert (s.alpha, s.beta) == pytest.approx(alpha_beta(returns, bench, rf=0.05))
    assert s.max_drawdown == max_drawdown(returns)
    assert any("700 of 750" in n for n in s.notes)
    json.dumps(s.to_dict())  # serialisable for the briefing
    bare = summarize(returns)
    assert bare.alpha is None and bare.annual_turnover is None


# --------------------------------------------------------------------------- series metrics


def test_series_metrics_follow_the_scalar_definitions() -> None:
    rng = np.random.default_rng(5)
    idx = pd.bdate_range("2020-01-01", periods=400, tz=IST)
    r = pd.Series(rng.normal(0.0005, 0.01, 400), index=idx)
    b = pd.Series(rng.normal(0.0003, 0.01, 400), index=idx) + 0.5 * r
    assert sm.growth_of_one(r).iloc[-1] == pytest.approx(np.prod(1 + r))
    assert sm.underwater(r).min() == pytest.approx(metrics.max_drawdown(r).depth)
    rs = sm.rolling_sharpe(r, 252, rf=0.05)
    assert rs.iloc[:251].isna().all()
    assert rs.iloc[-1] == pytest.approx(metrics.sharpe(r.iloc[-252:], rf=0.05))
    assert rs.iloc[300] == pytest.approx(metrics.sharpe(r.iloc[49:301], rf=0.05))
    rb = sm.rolling_beta(r, b, 252, rf=0.05)
    assert rb.iloc[-1] == pytest.approx(
        metrics.alpha_beta(r.iloc[-252:], b.iloc[-252:], rf=0.05)[1]
    )
    table = sm.monthly_returns(r)
    feb = r[(idx.year == 2020) & (idx.month == 2)]
    assert table.loc[2020, 2] == pytest.approx(np.prod(1 + feb) - 1)
    assert table.loc[2020, "year"] == pytest.approx(np.prod(1 + r[idx.year == 2020]) - 1)
    assert np.isnan(table.to_numpy()[-1, 11])  # December 2021: no sessions yet
    assert sm.rolling_sharpe(pd.Series(np.zeros(300), index=idx[:300]), 252).isna().all()
