"""Tests of PSR, DSR, MinTRL and the stationary-bootstrap Sharpe CI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sensequant.evaluation.metrics import sharpe
from sensequant.evaluation.stats import (
    bootstrap_sharpe_ci,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    min_track_record_length,
    probabilistic_sharpe_ratio,
)
from sensequant.types import IST

GAMMA = 0.5772156649


def _series(values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=pd.bdate_range("2005-01-03", periods=len(values), tz=IST))


def _psr_by_hand(x: np.ndarray, sr_star: float) -> float:
    sr = x.mean() / x.std(ddof=1)
    g3 = sps.skew(x)
    g4 = sps.kurtosis(x, fisher=False)  # raw kurtosis, 3 if normal
    z = (sr - sr_star) * math.sqrt(len(x) - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    return float(sps.norm.cdf(z))


def test_psr_matches_hand_calculation() -> None:
    rng = np.random.default_rng(2024)
    x = rng.standard_t(4, 600) * 0.01 + 0.0006
    r = _series(x)
    for sr_star in (0.0, 0.02, 0.05):
        assert probabilistic_sharpe_ratio(r, sr_star) == pytest.approx(
            _psr_by_hand(x, sr_star), abs=1e-12
        )
    assert probabilistic_sharpe_ratio(r, 0.0) > probabilistic_sharpe_ratio(r, 0.05)


def test_dsr_cross_check_scenario() -> None:
    # evaluation.md: T = 1000 t(5) returns, N = 50 trials, sd of the trials' SR = 0.03
    rng = np.random.default_rng(7)
    x = rng.standard_t(5, 1000) * 0.01 + 0.001
    r = _series(x)
    raw = rng.normal(size=50)
    trials = 0.03 * (raw - raw.mean()) / raw.std(ddof=1)  # sample sd exactly 0.03
    n = len(trials)
    sr0 = 0.03 * (
        (1 - GAMMA) * sps.norm.ppf(1 - 1 / n) + GAMMA * sps.norm.ppf(1 - 1 / (n * math.e))
    )
    assert expected_max_sharpe(trials.tolist()) == pytest.approx(sr0, abs=1e-12)
    res = deflated_sharpe_ratio(r, trials.tolist())
    assert res.dsr == pytest.approx(_psr_by_hand(x, sr0), abs=1e-12)
    assert res.psr_zero == pytest.approx(_psr_by_hand(x, 0.0), abs=1e-12)
    assert res.n_trials == 50 and res.trial_sr_variance == pytest.approx(0.03**2)
    assert res.sharpe_per_period == pytest.approx(x.mean() / x.std(ddof=1))
    assert res.dsr < res.psr_zero  # deflation for 50 trials bites


def test_single_trial_means_no_deflation() -> None:
    rng = np.random.default_rng(3)
    r = _series(rng.normal(0.0005, 0.01, 400))
    assert expected_max_sharpe([0.04]) == 0.0
    res = deflated_sharpe_ratio(r, [0.04])
    assert res.sr0_per_period == 0.0 and res.trial_sr_variance == 0.0
    assert res.dsr == pytest.approx(res.psr_zero)
    assert res.dsr == pytest.approx(probabilistic_sharpe_ratio(r, 0.0))
    with pytest.raises(ValueError, match="non-empty"):
        expected_max_sharpe([])


def test_min_track_record_length_reaches_the_confidence() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(0.001, 0.01, 800)
    r = _series(x)
    mtrl = min_track_record_length(r, 0.0, 0.95)
    sr, g3, g4 = x.mean() / x.std(ddof=1), sps.skew(x), sps.kurtosis(x, fisher=False)
    z = sr * math.sqrt(mtrl - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    assert sps.norm.cdf(z) == pytest.approx(0.95)
    assert min_track_record_length(_series(-x), 0.0) == math.inf


def test_degenerate_and_nan_inputs() -> None:
    assert math.isnan(probabilistic_sharpe_ratio(_series(np.full(50, 0.001))))
    bad = _series(np.array([0.01, np.nan, 0.02, 0.0]))
    with pytest.raises(ValueError, match="NaN"):
        probabilistic_sharpe_ratio(bad)
    with pytest.raises(ValueError, match="at least 10"):
        bootstrap_sharpe_ci(_series(np.array([0.01, 0.02])), reps=100, confidence=0.9, seed=1)


def test_bootstrap_ci_contains_estimate_narrows_and_is_seeded() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_t(5, 4000) * 0.01 + 0.0005
    long, short = _series(x), _series(x[:500])
    ci_long = bootstrap_sharpe_ci(long, reps=300, confidence=0.9, seed=1)
    ci_short = bootstrap_sharpe_ci(short, reps=300, confidence=0.9, seed=1)
    for ci, r in ((ci_long, long), (ci_short, short)):
        assert ci.estimate == pytest.approx(sharpe(r))
        assert ci.lower < ci.estimate < ci.upper
        assert ci.block_length >= 1 and ci.method == "bca" and ci.seed == 1 and ci.reps == 300
    assert ci_long.upper - ci_long.lower < ci_short.upper - ci_short.lower
    again = bootstrap_sharpe_ci(short, reps=300, confidence=0.9, seed=1)
    assert (again.lower, again.upper) == (ci_short.lower, ci_short.upper)
    other = bootstrap_sharpe_ci(short, reps=300, confidence=0.9, seed=2)
    assert (other.lower, other.upper) != (ci_short.lower, ci_short.upper)
    pct = bootstrap_sharpe_ci(short, reps=300, confidence=0.9, seed=1, method="percentile")
    assert pct.lower < pct.estimate < pct.upper and pct.method == "percentile"


def test_bootstrap_block_length_grows_with_autocorrelation() -> None:
    rng = np.random.default_rng(9)
    e = rng.normal(0, 0.01, 3000)
    ar = np.empty_like(e)
    ar[0] = e[0]
    for t in range(1, len(e)):
        ar[t] = 0.6 * ar[t - 1] + e[t]
    iid = bootstrap_sharpe_ci(_series(e + 0.0003), reps=100, confidence=0.9, seed=0,
                              method="percentile")  # fmt: skip
    dep = bootstrap_sharpe_ci(_series(ar + 0.0003), reps=100, confidence=0.9, seed=0,
                              method="percentile")  # fmt: skip
    assert dep.block_length > iid.block_length


def _scenario() -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """evaluation.md cross-check: T = 1000 t(5) returns, N = 50 trials, sd of trial SR 0.03."""
    rng = np.random.default_rng(7)
    x = rng.standard_t(5, 1000) * 0.01 + 0.001
    raw = rng.normal(size=50)
    return x, _series(x), 0.03 * (raw - raw.mean()) / raw.std(ddof=1)


def test_psr_matches_quantstats(monkeypatch: pytest.MonkeyPatch) -> None:
    """quantstats' PSR uses pandas' bias-corrected skew/kurtosis (excess, + 3 -> raw); ours
    uses population moments (scipy bias=True). At T = 1000 they agree to 1e-6; with
    quantstats switched to population moments they agree to rounding."""
    qss = pytest.importorskip("quantstats.stats")
    _, r, _ = _scenario()
    ours = probabilistic_sharpe_ratio(r, 0.0)
    assert qss.probabilistic_sharpe_ratio(r) == pytest.approx(ours, abs=1e-6)
    monkeypatch.setattr(qss, "skew", lambda s, prepare_returns=True: sps.skew(s))
    monkeypatch.setattr(qss, "kurtosis", lambda s, prepare_returns=True: sps.kurtosis(s))
    assert qss.probabilistic_sharpe_ratio(r) == pytest.approx(ours, abs=1e-12)


def test_dsr_matches_vectorbt() -> None:
    """vectorbt's DSR kernel (``vectorbt.returns.metrics.deflated_sharpe_ratio``) takes the
    per-period SR, V[SR_n] and RAW kurtosis -> same value. Its accessor passes scipy's default
    EXCESS kurtosis into the raw-kurtosis formula (and annualised SRs divided by ann_factor),
    so it equals the formula with g4 - 3 instead."""
    pytest.importorskip("vectorbt")
    from vectorbt.returns import metrics as vbt_metrics

    x, r, trials = _scenario()
    ours = deflated_sharpe_ratio(r, trials.tolist())
    sr = x.mean() / x.std(ddof=1)
    ref = vbt_metrics.deflated_sharpe_ratio(
        est_sharpe=np.array([sr]), var_sharpe=float(np.var(trials, ddof=1)), nb_trials=50,
        backtest_horizon=len(x), skew=np.array([sps.skew(x)]),
        kurtosis=np.array([sps.kurtosis(x, fisher=False)]),
    )  # fmt: skip
    assert float(ref[0]) == pytest.approx(ours.dsr, abs=1e-6)
    acc = pd.DataFrame({"s": r}).vbt.returns(freq="D", year_freq="252D")
    got = float(acc.deflated_sharpe_ratio(var_sharpe=0.03**2 * 252, nb_trials=50).iloc[0])
    g3, g4_excess = sps.skew(x), sps.kurtosis(x)
    z = (sr - ours.sr0_per_period) * math.sqrt(len(x) - 1)
    z /= math.sqrt(1 - g3 * sr + (g4_excess - 1) / 4 * sr**2)
    assert got == pytest.approx(float(sps.norm.cdf(z)), abs=1e-9)
    assert abs(got - ours.dsr) > 1e-6  # the convention difference is real, not rounding
