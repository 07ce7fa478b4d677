"""Tests of stationary-bootstrap CIs of a statistic and of paired differences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sensequant.evaluation.bootstrap import (
    block_length,
    bootstrap_ci,
    bootstrap_difference_ci,
    mean_excess_return_ci,
    mean_ic_ci,
)
from sensequant.evaluation.metrics import sharpe
from sensequant.types import IST


def _series(values: np.ndarray, start: str = "2010-01-01", name: str | None = None) -> pd.Series:
    idx = pd.bdate_range(start, periods=len(values), tz=IST)
    return pd.Series(values, index=idx, name=name)


def test_bootstrap_ci_of_the_mean_is_seeded_and_sensible() -> None:
    rng = np.random.default_rng(1)
    x = _series(rng.normal(0.001, 0.01, 1500))
    ci = bootstrap_ci(x, np.mean, reps=500, confidence=0.9, seed=3)
    assert ci.estimate == pytest.approx(float(x.mean()))
    assert ci.lower < ci.estimate < ci.upper
    se = 0.01 / math.sqrt(1500)
    assert ci.upper - ci.lower == pytest.approx(2 * 1.645 * se, rel=0.25)
    assert (ci.reps, ci.seed, ci.method, ci.confidence) == (500, 3, "percentile", 0.9)
    again = bootstrap_ci(x, np.mean, reps=500, confidence=0.9, seed=3)
    assert (again.lower, again.upper) == (ci.lower, ci.upper)
    other = bootstrap_ci(x, np.mean, reps=500, confidence=0.9, seed=4)
    assert (other.lower, other.upper) != (ci.lower, ci.upper)
    bca = bootstrap_ci(x[:300], np.mean, reps=200, confidence=0.9, seed=3, method="bca")
    assert bca.lower < bca.estimate < bca.upper and bca.method == "bca"


def test_coverage_of_the_mean_on_repeated_draws() -> None:
    rng = np.random.default_rng(12)
    hits = 0
    for i in range(30):
        x = _series(rng.normal(0.001, 0.01, 400))
        ci = bootstrap_ci(x, np.mean, reps=200, confidence=0.9, seed=i)
        hits += ci.lower < 0.001 < ci.upper
    assert 22 <= hits <= 30  # nominal 27 of 30


def test_block_length_follows_autocorrelation() -> None:
    rng = np.random.default_rng(9)
    e = rng.normal(size=3000)
    ar = np.empty_like(e)
    ar[0] = e[0]
    for i in range(1, len(e)):
        ar[i] = 0.7 * ar[i - 1] + e[i]
    assert block_length(e) < block_length(ar)
    assert block_length(np.column_stack([e, ar])) == block_length(ar)  # longest column


def test_paired_difference_is_narrow_for_correlated_series() -> None:
    rng = np.random.default_rng(2)
    common = rng.normal(0.0004, 0.012, 2500)
    a = _series(common + rng.normal(0.0002, 0.002, 2500), name="student")
    b = _series(common, name="teacher")
    diff = bootstrap_difference_ci(a, b, reps=400, confidence=0.95, seed=1)
    assert diff.estimate == pytest.approx(sharpe(a) - sharpe(b))
    assert diff.lower < diff.estimate < diff.upper
    sa = bootstrap_ci(a, lambda v: v.mean() / v.std(ddof=1) * math.sqrt(252), reps=400,
                      confidence=0.95, seed=1)  # fmt: skip
    sb = bootstrap_ci(b, lambda v: v.mean() / v.std(ddof=1) * math.sqrt(252), reps=400,
                      confidence=0.95, seed=1)  # fmt: skip
    unpaired = math.hypot(sa.upper - sa.lower, sb.upper - sb.lower)
    assert diff.upper - diff.lower < 0.3 * unpaired  # same dates resampled for both
    assert diff.lower > 0  # the +2 bp/day edge on the common returns is detected


def test_difference_of_identical_series_and_mean_statistic() -> None:
    rng = np.random.default_rng(4)
    a = _series(rng.normal(0.0005, 0.01, 500))
    same = bootstrap_difference_ci(a, a.copy(), reps=100, confidence=0.9, seed=0)
    assert same.estimate == 0 and same.lower == 0 and same.upper == 0
    b = _series(rng.normal(0.0, 0.01, 600), start="2010-03-01")  # partial overlap
    common = a.index.intersection(b.index)
    res = bootstrap_difference_ci(a, b, statistic="mean", reps=100, confidence=0.9, seed=0)
    assert res.estimate == pytest.approx((a[common].mean() - b[common].mean()) * 252)
    rf = bootstrap_difference_ci(a, b, rf=0.05, reps=100, confidence=0.9, seed=0)
    assert rf.estimate == pytest.approx(sharpe(a[common], rf=0.05) - sharpe(b[common], rf=0.05))


def test_mean_excess_and_mean_ic_wrappers() -> None:
    rng = np.random.default_rng(6)
    r = _series(rng.normal(0.0008, 0.01, 800))
    bench = _series(rng.normal(0.0003, 0.01, 800))
    ci = mean_excess_return_ci(r, bench, reps=200, confidence=0.9, seed=1)
    assert ci.estimate == pytest.approx(float((r - bench).mean() * 252))
    ic = _series(rng.normal(0.03, 0.1, 300))
    ic.iloc[[5, 50]] = np.nan  # undefined IC dates are dropped
    ic_ci = mean_ic_ci(ic, reps=200, confidence=0.9, seed=1)
    assert ic_ci.estimate == pytest.approx(float(ic.dropna().mean()))
    assert ic_ci.lower < ic_ci.estimate < ic_ci.upper


def test_bad_inputs_raise_value_errors() -> None:
    rng = np.random.default_rng(0)
    a = _series(rng.normal(0, 0.01, 100), name="a")
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_ci(a.where(a.index != a.index[7]), np.mean, reps=10, confidence=0.9, seed=0)
    with pytest.raises(ValueError, match="needs 30"):
        bootstrap_ci(a[:20], np.mean, reps=10, confidence=0.9, seed=0)
    late = _series(rng.normal(0, 0.01, 100), start="2020-01-01", name="late")
    with pytest.raises(ValueError, match="no dates in common"):
        bootstrap_difference_ci(a, late, reps=10, confidence=0.9, seed=0)
    with pytest.raises(ValueError, match="zero variance"):
        bootstrap_difference_ci(a * 0, a, reps=10, confidence=0.9, seed=0)
    with pytest.raises(ValueError, match="unknown statistic"):
        bootstrap_difference_ci(a, a, statistic="calmar", reps=10, confidence=0.9, seed=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(a, np.mean, reps=10, confidence=95, seed=0)
