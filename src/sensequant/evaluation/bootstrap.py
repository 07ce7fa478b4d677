"""Stationary-bootstrap confidence intervals of any statistic and of paired differences.

Politis & Romano (1994) stationary bootstrap as implemented by
``arch.bootstrap.StationaryBootstrap``; the mean block length is the Politis-White (2004,
corrected by Patton, Politis & White 2009) optimum, ``arch.bootstrap.optimal_block_length``
column ``stationary``, rounded up (at least 1). With several series the LONGEST of their
optimal lengths is used, so the dependence of every series survives resampling.

Paired differences resample the SAME dates for both series (one index draw per replication),
so the interval accounts for their correlation: the honest way to ask "does the student beat
teacher-direct / the benchmarks / the plain student" (``docs/methodology.md``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, Literal

import numpy as np
import pandas as pd
from arch.bootstrap import StationaryBootstrap, optimal_block_length

from sensequant.evaluation.metrics import PERIODS_PER_YEAR, EvaluationInputError, per_period_rf
from sensequant.evaluation.stats import BootstrapCI

MIN_OBS: Final = 30
"""Fewest observations a bootstrap interval is computed from."""

Method = Literal["percentile", "bca", "basic"]
DiffStatistic = Literal["sharpe", "mean"]


def block_length(data: np.ndarray) -> int:
    """Politis-White optimal mean block length (``stationary`` column), max over columns.

    Parameters
    ----------
    data : numpy.ndarray, shape (T,) or (T, k)

    Returns
    -------
    int
        ``ceil(max_j b_j)``, at least 1.
    """
    table = optimal_block_length(np.asarray(data, dtype=float))
    value = float(np.nanmax(table["stationary"].to_numpy()))
    return max(1, math.ceil(value)) if math.isfinite(value) else 1


def _values(x: pd.Series, what: str) -> np.ndarray:
    values = np.asarray(x, dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        first = x.index[int(np.argmax(bad))]
        raise EvaluationInputError(
            f"{what} has {int(bad.sum())} NaN/inf value(s), first on {first}",
            hint="drop or fill those dates explicitly before bootstrapping",
        )
    if values.size < MIN_OBS:
        raise EvaluationInputError(
            f"{what} has {values.size} observations; a bootstrap interval needs {MIN_OBS}",
            hint="evaluate over a longer out-of-sample period",
        )
    return values


def _check_options(reps: int, confidence: float) -> None:
    if reps < 1 or not 0.0 < confidence < 1.0:
        raise EvaluationInputError(
            f"need reps >= 1 and 0 < confidence < 1, got reps={reps}, confidence={confidence}",
            hint="e.g. reps=2000, confidence=0.95",
        )


def bootstrap_ci(
    x: pd.Series,
    statistic: Callable[[np.ndarray], float],
    *,
    reps: int,
    confidence: float,
    seed: int,
    method: Method = "percentile",
) -> BootstrapCI:
    """Stationary-bootstrap CI of ``statistic(x)``.

    Typical uses: mean daily IC (``statistic=np.mean`` on the IC series) and annualised mean
    excess return (see :func:`mean_excess_return_ci`).

    Parameters
    ----------
    x : pandas.Series, shape (T,)
        Daily observations in time order (returns as fractions, ICs...), no NaN, T >= 30.
    statistic : callable
        Maps a 1-D array (a resample of ``x``) to a float.
    reps : int
        Bootstrap replications.
    confidence : float
        Two-sided coverage in (0, 1), e.g. 0.95.
    seed : int
        Seed of the bootstrap's ``numpy.random.Generator`` (stored in the result).
    method : {"percentile", "bca", "basic"}
        ``arch``'s ``conf_int`` method; ``bca`` adds a jackknife over all T observations.

    Returns
    -------
    BootstrapCI
        ``estimate = statistic(x)``; ``block_length`` the mean block length used.

    Raises
    ------
    EvaluationInputError
        (a ``ValueError``) NaN/inf, fewer than 30 observations, bad reps/confidence.
    """
    _check_options(reps, confidence)
    values = _values(x, "series")
    block = block_length(values)

    def func(data: np.ndarray) -> np.ndarray:
        return np.array([float(statistic(data))])

    bs = StationaryBootstrap(block, values, seed=np.random.default_rng(seed))
    ci = bs.conf_int(func, reps=reps, method=method, size=confidence)
    return BootstrapCI(
        estimate=float(statistic(values)), lower=float(ci[0, 0]), upper=float(ci[1, 0]),
        confidence=confidence, reps=reps, block_length=float(block), seed=seed, method=method,
    )  # fmt: skip


def mean_excess_return_ci(
    r: pd.Series,
    benchmark: pd.Series,
    *,
    periods: int = PERIODS_PER_YEAR,
    reps: int,
    confidence: float,
    seed: int,
    method: Method = "percentile",
) -> BootstrapCI:
    """CI of the annualised arithmetic mean excess return ``mean(r - b) * periods``.

    Parameters
    ----------
    r, benchmark : pandas.Series
        Daily simple returns (fractions) indexed by session; only common dates are used.
    periods : int
        Periods per year.
    reps, confidence, seed, method
        As in :func:`bootstrap_ci`.

    Returns
    -------
    BootstrapCI
        In annual return units (0.05 == 5 %/yr).

    Raises
    ------
    EvaluationInputError
        No common dates, NaN on a common date, fewer than 30 common dates.
    """
    a, b = _paired(r, benchmark)
    excess = pd.Series(a - b, index=_common_index(r, benchmark))
    return bootstrap_ci(
        excess, lambda d: float(np.mean(d) * periods),
        reps=reps, confidence=confidence, seed=seed, method=method,
    )  # fmt: skip


def mean_ic_ci(
    ic: pd.Series, *, reps: int, confidence: float, seed: int, method: Method = "percentile"
) -> BootstrapCI:
    """CI of the mean daily IC; dates with an undefined (NaN) IC are dropped first.

    The stationary bootstrap keeps the autocorrelation of daily ICs computed on overlapping
    h-session forward returns, which the plain t-statistic ignores.

    Raises
    ------
    EvaluationInputError
        Fewer than 30 dates with a defined IC.
    """
    return bootstrap_ci(
        ic.dropna(), lambda d: float(np.mean(d)),
        reps=reps, confidence=confidence, seed=seed, method=method,
    )  # fmt: skip


def _common_index(a: pd.Series, b: pd.Series) -> pd.Index:
    return a.index.intersection(b.index).sort_values()


def _paired(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    common = _common_index(a, b)
    if len(common) == 0:
        raise EvaluationInputError(
            f"series {a.name!r} and {b.name!r} have no dates in common",
            hint="compare series over the same sessions (same time zone)",
        )
    return _values(a.loc[common], f"series {a.name!r}"), _values(
        b.loc[common], f"series {b.name!r}"
    )


def bootstrap_difference_ci(
    a: pd.Series,
    b: pd.Series,
    *,
    statistic: DiffStatistic = "sharpe",
    periods: int = PERIODS_PER_YEAR,
    reps: int,
    confidence: float,
    seed: int,
    rf: float = 0.0,
    method: Method = "percentile",
) -> BootstrapCI:
    """Paired stationary-bootstrap CI of ``statistic(a) - statistic(b)`` on common dates.

    Parameters
    ----------
    a, b : pandas.Series
        Daily simple returns (fractions) indexed by session, e.g. student net and
        teacher-direct net; only their common dates are used, resampled jointly.
    statistic : {"sharpe", "mean"}
        ``sharpe``: annualised Sharpe ``mean(x) / std(x, ddof=1) * sqrt(periods)`` with
        ``x = r - rf_p`` (:func:`~sensequant.evaluation.metrics.sharpe`; a resample with zero
        variance scores 0). ``mean``: annualised arithmetic mean ``mean(r) * periods``.
    periods : int
        Periods per year.
    reps, confidence, seed, method
        As in :func:`bootstrap_ci`.
    rf : float
        Annual risk-free rate, de-annualised geometrically (Sharpe only).

    Returns
    -------
    BootstrapCI
        ``estimate`` = the difference on the sample; an interval above 0 says ``a`` beats
        ``b`` at that confidence.

    Raises
    ------
    EvaluationInputError
        No common dates, NaN on a common date, fewer than 30 common dates, a series with zero
        variance (Sharpe undefined, e.g. a strategy that never traded), unknown statistic.
    """
    _check_options(reps, confidence)
    if statistic not in ("sharpe", "mean"):
        raise EvaluationInputError(
            f"unknown statistic {statistic!r}", hint="use 'sharpe' or 'mean'"
        )
    x, y = _paired(a, b)
    if statistic == "sharpe":
        x, y = x - per_period_rf(rf, periods), y - per_period_rf(rf, periods)
        for name, v in ((a.name, x), (b.name, y)):
            if not np.std(v) > 1e-15 * max(1.0, float(np.abs(v).max())):
                raise EvaluationInputError(
                    f"series {name!r} has zero variance on the common dates; its Sharpe "
                    "ratio is undefined",
                    hint="report the comparison as undefined (e.g. the strategy never traded)",
                )
    scale = math.sqrt(periods) if statistic == "sharpe" else float(periods)

    def one(v: np.ndarray) -> float:
        if statistic == "mean":
            return float(v.mean() * scale)
        sd = float(v.std(ddof=1))
        return float(v.mean() / sd * scale) if sd > 0 else 0.0

    def func(u: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.array([one(u) - one(w)])

    block = block_length(np.column_stack([x, y]))
    bs = StationaryBootstrap(block, x, y, seed=np.random.default_rng(seed))
    ci = bs.conf_int(func, reps=reps, method=method, size=confidence)
    return BootstrapCI(
        estimate=float(func(x, y)[0]), lower=float(ci[0, 0]), upper=float(ci[1, 0]),
        confidence=confidence, reps=reps, block_length=float(block), seed=seed, method=method,
    )  # fmt: skip
