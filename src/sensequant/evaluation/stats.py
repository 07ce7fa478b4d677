"""Honest statistics on out-of-sample returns: bootstrap CI, PSR, DSR, MinTRL.

Formulas (Bailey & Lopez de Prado 2012, "The Sharpe Ratio Efficient Frontier"; 2014, "The
Deflated Sharpe Ratio"; ``docs/methodology.md``), with SR^ the PER-PERIOD
(not annualised) Sharpe ratio ``mean(r) / std(r, ddof=1)``, T observations, g3 the skewness
and g4 the RAW kurtosis (3 if normal), both as population moments (``scipy.stats.skew`` and
``scipy.stats.kurtosis(fisher=False)`` with their default ``bias=True``)::

    PSR(SR*) = Phi( (SR^ - SR*) sqrt(T - 1) / sqrt(1 - g3 SR^ + (g4 - 1)/4 SR^2) )
    SR0      = sqrt(V[SR_n]) ((1 - gamma) Zinv(1 - 1/N) + gamma Zinv(1 - 1/(N e)))
    DSR      = PSR(SR0)
    MinTRL   = 1 + (1 - g3 SR^ + (g4 - 1)/4 SR^2) (Zinv(confidence) / (SR^ - SR*))^2

gamma = Euler-Mascheroni constant, N = number of trials (EVERY configuration the run tried,
the reported one included), V[SR_n] = sample variance (ddof=1) of the trials' per-period
Sharpe ratios. Pass EXCESS returns if a non-zero risk-free rate matters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd
from arch.bootstrap import StationaryBootstrap, optimal_block_length
from scipy import stats as sps

from sensequant.evaluation.metrics import EvaluationInputError, _check, per_period_rf

EULER_GAMMA: Final = 0.5772156649015329
MIN_BOOTSTRAP_OBS: Final = 10


@dataclass(frozen=True)
class BootstrapCI:
    """Stationary-bootstrap confidence interval of the annualised Sharpe ratio.

    Attributes
    ----------
    estimate : float
        Sharpe ratio of the sample (annualised, as :func:`~sensequant.evaluation.metrics.sharpe`).
    lower, upper : float
        Two-sided interval bounds.
    confidence : float
    reps : int
    block_length : float
        Mean block length used (Politis-White optimal ``stationary`` length, rounded up).
    seed : int
    method : str
        ``percentile`` or ``bca`` (arch's ``conf_int`` method).
    """

    estimate: float
    lower: float
    upper: float
    confidence: float
    reps: int
    block_length: float
    seed: int
    method: str


@dataclass(frozen=True)
class DSRResult:
    """Deflated Sharpe ratio and its ingredients (all Sharpe ratios per period).

    Attributes
    ----------
    dsr : float
        ``PSR(SR0)``: probability that the true SR exceeds the best of N unskilled trials.
    psr_zero : float
        ``PSR(0)``.
    sr0_per_period : float
        Expected maximum Sharpe ratio of N trials under the null (0 when N == 1).
    n_trials : int
    trial_sr_variance : float
        V[SR_n] (0 when N == 1).
    sharpe_per_period : float
        SR^ of the returns tested.
    """

    dsr: float
    psr_zero: float
    sr0_per_period: float
    n_trials: int
    trial_sr_variance: float
    sharpe_per_period: float


def _moments(r: pd.Series) -> tuple[float, int, float, float]:
    """(SR^ per period, T, skewness g3, raw kurtosis g4); SR^ is NaN if degenerate."""
    x = _check(r)
    t = int(x.size)
    if t < 3:
        return float("nan"), t, float("nan"), float("nan")
    sd = float(np.std(x, ddof=1))
    if not sd > 1e-15 * max(1.0, float(np.abs(x).max())):
        return float("nan"), t, float("nan"), float("nan")
    return (
        float(np.mean(x) / sd),
        t,
        float(sps.skew(x)),
        float(sps.kurtosis(x, fisher=False)),
    )


def _psr(sr: float, t: int, g3: float, g4: float, sr_star: float) -> float:
    var = 1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr**2
    if not (math.isfinite(sr) and var > 0):
        return float("nan")
    return float(sps.norm.cdf((sr - sr_star) * math.sqrt(t - 1) / math.sqrt(var)))


def probabilistic_sharpe_ratio(r: pd.Series, sr_benchmark: float = 0.0) -> float:
    """Probability that the true per-period Sharpe ratio exceeds ``sr_benchmark``.

    Parameters
    ----------
    r : pandas.Series
        Daily (excess) returns, no NaN.
    sr_benchmark : float
        SR* per period (NOT annualised; divide an annual SR by sqrt(periods)).

    Returns
    -------
    float
        PSR in [0, 1]; NaN with fewer than 3 returns or zero variance.

    Raises
    ------
    EvaluationInputError
        NaN in ``r``.
    """
    sr, t, g3, g4 = _moments(r)
    return _psr(sr, t, g3, g4, sr_benchmark)


def expected_max_sharpe(trial_sharpes_per_period: Sequence[float]) -> float:
    """SR0: expected maximum per-period Sharpe ratio of N unskilled trials.

    Parameters
    ----------
    trial_sharpes_per_period : sequence of float, length N >= 1
        Per-period Sharpe ratios of every trial (the reported one included).

    Returns
    -------
    float
        0.0 when N == 1 (V[SR_n] = 0, nothing to deflate for).

    Raises
    ------
    EvaluationInputError
        Empty or non-finite trial Sharpe ratios.
    """
    sr = np.asarray(trial_sharpes_per_period, dtype=float)
    if sr.size == 0 or not np.isfinite(sr).all():
        raise EvaluationInputError(
            "trial Sharpe ratios must be a non-empty list of finite numbers, "
            f"got {sr.tolist()[:5]}",
            hint="log every trial's OOS returns and pass each one's per-period Sharpe ratio",
        )
    n = int(sr.size)
    if n == 1:
        return 0.0
    v = float(np.var(sr, ddof=1))
    z1 = sps.norm.ppf(1.0 - 1.0 / n)
    z2 = sps.norm.ppf(1.0 - 1.0 / (n * math.e))
    return float(math.sqrt(v) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def deflated_sharpe_ratio(r: pd.Series, trial_sharpes_per_period: Sequence[float]) -> DSRResult:
    """Deflated Sharpe ratio ``PSR(SR0)`` of ``r`` given all trials tried.

    Parameters
    ----------
    r : pandas.Series
        Daily (excess) returns of the reported configuration, no NaN.
    trial_sharpes_per_period : sequence of float
        Per-period Sharpe ratios of ALL N configurations tried (including ``r``'s). With one
        trial, V = 0, SR0 = 0 and DSR = PSR(0).

    Returns
    -------
    DSRResult

    Raises
    ------
    EvaluationInputError
        NaN in ``r`` or bad trial Sharpe ratios.
    """
    sr, t, g3, g4 = _moments(r)
    trials = np.asarray(trial_sharpes_per_period, dtype=float)
    sr0 = expected_max_sharpe(trials.tolist())
    return DSRResult(
        dsr=_psr(sr, t, g3, g4, sr0),
        psr_zero=_psr(sr, t, g3, g4, 0.0),
        sr0_per_period=sr0,
        n_trials=int(trials.size),
        trial_sr_variance=float(np.var(trials, ddof=1)) if trials.size > 1 else 0.0,
        sharpe_per_period=sr,
    )


def min_track_record_length(
    r: pd.Series, sr_benchmark: float = 0.0, confidence: float = 0.95
) -> float:
    """Minimum number of periods for PSR(sr_benchmark) to reach ``confidence``.

    Returns
    -------
    float
        MinTRL in periods; inf when SR^ <= SR*; NaN if SR^ is undefined.
    """
    sr, _, g3, g4 = _moments(r)
    if not math.isfinite(sr):
        return float("nan")
    if sr <= sr_benchmark:
        return float("inf")
    var = 1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr**2
    return float(1.0 + var * (sps.norm.ppf(confidence) / (sr - sr_benchmark)) ** 2)


def bootstrap_sharpe_ci(
    r: pd.Series,
    *,
    reps: int,
    confidence: float,
    seed: int,
    periods: int = 252,
    rf: float = 0.0,
    method: Literal["percentile", "bca"] = "bca",
) -> BootstrapCI:
    """Stationary-bootstrap (Politis-Romano) CI of the annualised Sharpe ratio (``arch``).

    The mean block length is ``arch.bootstrap.optimal_block_length(x)["stationary"]``
    (Politis-White 2004, Patton et al. 2009), rounded up, at least 1.

    Parameters
    ----------
    r : pandas.Series
        Daily simple returns, no NaN, at least 10.
    reps : int
        Bootstrap replications.
    confidence : float
        Two-sided coverage, e.g. 0.95.
    seed : int
        Seed of the bootstrap's random generator (stored in the result).
    periods : int
        Periods per year for annualising.
    rf : float
        Annual risk-free rate (de-annualised geometrically).
    method : {"percentile", "bca"}
        ``bca`` (default; bias-corrected and accelerated) adds a jackknife over all T
        observations: about 0.8 s for 2000 reps on 5,000 days vs 0.3 s for ``percentile``.

    Returns
    -------
    BootstrapCI

    Raises
    ------
    EvaluationInputError
        NaN in ``r``, fewer than 10 returns, or zero variance.
    """
    x = _check(r) - per_period_rf(rf, periods)
    if x.size < MIN_BOOTSTRAP_OBS or not np.std(x) > 0:
        raise EvaluationInputError(
            f"bootstrap needs at least {MIN_BOOTSTRAP_OBS} returns with non-zero variance, "
            f"got {x.size}",
            hint="run the backtest over a longer out-of-sample period",
        )
    block = max(1, math.ceil(float(optimal_block_length(x)["stationary"].iloc[0])))
    scale = math.sqrt(periods)

    def stat(data: np.ndarray) -> np.ndarray:
        sd = data.std(ddof=1)
        return np.array([data.mean() / sd * scale if sd > 0 else 0.0])

    bs = StationaryBootstrap(block, x, seed=np.random.default_rng(seed))
    ci = bs.conf_int(stat, reps=reps, method=method, size=confidence)
    return BootstrapCI(
        estimate=float(stat(x)[0]),
        lower=float(ci[0, 0]),
        upper=float(ci[1, 0]),
        confidence=confidence,
        reps=reps,
        block_length=float(block),
        seed=seed,
        method=method,
    )
