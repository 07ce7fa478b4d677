"""Data-snooping statistics: Hansen's SPA, Romano-Wolf StepM, MCS, and PBO by CSCV.

* SPA (Hansen 2005, "A test for superior predictive ability"), StepM (Romano & Wolf 2005)
  and the model confidence set (Hansen, Lunde & Nason 2011) via ``arch.bootstrap`` with a
  stationary bootstrap. Inputs are LOSSES: here minus the daily NET returns of the benchmark
  and of EVERY configuration tried. H0 of SPA: no configuration beats the benchmark in mean
  return; a small p-value rejects it. Note: arch 8.0 forms the SPA maximum from the raw mean
  loss differentials (the variance estimate only sets the ``consistent`` re-centring
  threshold), so configurations with similar volatility compare most fairly.
* PBO (Bailey, Borwein, Lopez de Prado & Zhu 2017, "The probability of backtest
  overfitting"): the T x N matrix of per-period returns of all N trials is cut into S even
  contiguous blocks (sizes differ by at most one, earlier blocks larger); for each of the
  C(S, S/2) choices J of in-sample (IS) blocks, with the complement out of sample (OOS):
  n* = argmax IS Sharpe, w = rank of n*'s OOS Sharpe among the N / (N + 1),
  lambda = ln(w / (1 - w)); PBO = share of combinations with lambda <= 0.

The minimum track record length is :func:`sensequant.evaluation.stats.min_track_record_length`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Final

import numpy as np
import pandas as pd
from arch.bootstrap import MCS, SPA, StepM

from sensequant.evaluation.bootstrap import MIN_OBS
from sensequant.evaluation.bootstrap import block_length as optimal_block_length
from sensequant.evaluation.metrics import EvaluationInputError

PBO_TIE_RULE: Final = (
    "IS best = highest in-sample Sharpe, ties to the first trial (column order); OOS rank = "
    "average rank among the N trials (ties share the mean of their ranks); a constant slice "
    "scores Sharpe 0; Sharpe ratios are rounded to 12 decimals before ranking; lambda <= 0 "
    "(OOS rank at or below the median) counts as overfit"
)


@dataclass(frozen=True)
class SPAResult:
    """Hansen SPA p-values (H0: no model beats the benchmark) and how they were computed.

    Attributes
    ----------
    pvalue_consistent, pvalue_lower, pvalue_upper : float
        arch's three re-centrings; report ``consistent``.
    reps : int
    block_length : int
        Mean block length of the stationary bootstrap.
    seed : int
    n_models : int
        Configurations tested (every one tried).
    benchmark_name : str
    """

    pvalue_consistent: float
    pvalue_lower: float
    pvalue_upper: float
    reps: int
    block_length: int
    seed: int
    n_models: int
    benchmark_name: str

    def to_dict(self) -> dict[str, Any]:
        """Briefing ``snooping.spa`` entry."""
        return {
            "benchmark": self.benchmark_name, "pvalue_consistent": self.pvalue_consistent,
            "pvalue_lower": self.pvalue_lower, "pvalue_upper": self.pvalue_upper,
            "reps": self.reps, "block_length": self.block_length, "seed": self.seed,
            "n_models": self.n_models,
        }  # fmt: skip


@dataclass(frozen=True)
class PBOResult:
    """Probability of backtest overfitting by CSCV.

    Attributes
    ----------
    pbo : float
        Share of combinations with lambda <= 0, in [0, 1].
    n_splits : int
        S, the number of contiguous blocks.
    n_combinations : int
        C(S, S/2).
    lambdas : numpy.ndarray, shape (n_combinations,)
        Logit of the IS-best trial's relative OOS rank, in ``itertools.combinations`` order
        of the IS block sets.
    tie_rule : str
    """

    pbo: float
    n_splits: int
    n_combinations: int
    lambdas: np.ndarray
    tie_rule: str

    @property
    def lambda_median(self) -> float:
        """Median logit (negative when the IS-best trial is usually below the OOS median)."""
        return float(np.median(self.lambdas))

    def to_dict(self) -> dict[str, Any]:
        """Briefing ``snooping.pbo`` entry."""
        return {
            "pbo": self.pbo, "n_splits": self.n_splits, "n_combinations": self.n_combinations,
            "tie_rule": self.tie_rule, "lambda_median": self.lambda_median,
        }  # fmt: skip


def _losses(benchmark: pd.Series, models: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, str]:
    if not isinstance(models, pd.DataFrame) or models.shape[1] == 0:
        raise EvaluationInputError(
            "models must be a DataFrame with one column per configuration tried",
            hint="pass the daily net returns of every trial, one column each",
        )
    common = benchmark.index.intersection(models.index).sort_values()
    if len(common) < MIN_OBS:
        raise EvaluationInputError(
            f"benchmark and models share {len(common)} dates; SPA needs at least {MIN_OBS}",
            hint="align the benchmark and the trials on the same sessions",
        )
    b = benchmark.loc[common].to_numpy(dtype=float)
    m = models.loc[common].astype(float)
    for name, arr in (("benchmark", b), ("models", m.to_numpy())):
        if not np.isfinite(arr).all():
            raise EvaluationInputError(
                f"{name} returns contain NaN/inf on common dates",
                hint="fill non-trading days with 0 return, drop dates with missing data",
            )
    m.columns = [str(c) for c in m.columns]
    return -b, -m, str(benchmark.name) if benchmark.name is not None else "benchmark"


def _block(bench_loss: np.ndarray, model_loss: pd.DataFrame, given: int | None) -> int:
    if given is not None:
        if given < 1:
            raise EvaluationInputError(f"block_length must be >= 1, got {given}", hint="use 10")
        return int(given)
    return optimal_block_length(bench_loss[:, None] - model_loss.to_numpy())


def spa_test(
    benchmark: pd.Series,
    models: pd.DataFrame,
    *,
    reps: int,
    seed: int,
    block_length: int | None = None,
) -> SPAResult:
    """Hansen's test of superior predictive ability of ``models`` over ``benchmark``.

    Parameters
    ----------
    benchmark : pandas.Series, shape (T,)
        Daily net returns (fractions) of the benchmark, indexed by session; its ``name`` is
        reported.
    models : pandas.DataFrame, shape (T, k)
        Daily net returns of EVERY configuration tried, one column each; common dates only.
    reps : int
        Bootstrap replications (e.g. 1000).
    seed : int
        Seed of the bootstrap (stored).
    block_length : int, optional
        Mean block length of the stationary bootstrap; default the Politis-White optimum of
        the loss differentials (longest over models), not arch's sqrt(T).

    Returns
    -------
    SPAResult

    Raises
    ------
    EvaluationInputError
        (a ``ValueError``) fewer than 30 common dates, NaN/inf, no model columns.
    """
    bench_loss, model_loss, name = _losses(benchmark, models)
    block = _block(bench_loss, model_loss, block_length)
    spa = SPA(bench_loss, model_loss, block_size=block, reps=reps, seed=seed)
    spa.compute()
    p = spa.pvalues
    return SPAResult(
        pvalue_consistent=float(p["consistent"]), pvalue_lower=float(p["lower"]),
        pvalue_upper=float(p["upper"]), reps=reps, block_length=block, seed=seed,
        n_models=model_loss.shape[1], benchmark_name=name,
    )  # fmt: skip


def stepm(
    benchmark: pd.Series,
    models: pd.DataFrame,
    *,
    reps: int,
    seed: int,
    size: float = 0.05,
    block_length: int | None = None,
) -> list[str]:
    """Romano-Wolf StepM: the configurations that beat ``benchmark`` with FWER <= ``size``.

    Parameters are as in :func:`spa_test`; ``size`` is the family-wise error rate.

    Returns
    -------
    list of str
        Column names of the superior configurations (empty when none), in column order.

    Raises
    ------
    EvaluationInputError
        As :func:`spa_test`.
    """
    bench_loss, model_loss, _ = _losses(benchmark, models)
    block = _block(bench_loss, model_loss, block_length)
    test = StepM(bench_loss, model_loss, size=size, block_size=block, reps=reps, seed=seed)
    test.compute()
    superior = {str(c) for c in test.superior_models}
    return [c for c in model_loss.columns if c in superior]


def model_confidence_set(
    models: pd.DataFrame,
    *,
    reps: int,
    seed: int,
    size: float = 0.1,
    block_length: int | None = None,
) -> list[str]:
    """Hansen-Lunde-Nason model confidence set of the best configurations (``R`` method).

    Parameters
    ----------
    models : pandas.DataFrame, shape (T, k >= 2)
        Daily net returns of the configurations (losses = minus returns), no NaN.
    reps, seed, block_length
        As in :func:`spa_test` (block length: longest optimum over the loss columns).
    size : float
        Test size: the set holds the best model with probability >= 1 - size.

    Returns
    -------
    list of str
        Column names in the confidence set, in column order.

    Raises
    ------
    EvaluationInputError
        Fewer than 2 columns or 30 rows, NaN/inf.
    """
    if models.shape[1] < 2:
        raise EvaluationInputError(
            f"the model confidence set needs >= 2 models, got {models.shape[1]}",
            hint="pass every configuration tried",
        )
    _, frame, _ = _losses(pd.Series(0.0, index=models.index), models)
    block = _block(np.zeros(len(frame)), frame, block_length)
    mcs = MCS(frame, size=size, reps=reps, block_size=int(block), seed=seed)
    mcs.compute()
    included = {str(c) for c in mcs.included}
    return [c for c in frame.columns if c in included]


def _block_stats(x: np.ndarray, n_splits: int) -> tuple[np.ndarray, ...]:
    """Per-block count, centred sum and sum of squares, min and max: shapes (S,), (S, N)."""
    mu = x.mean(axis=0)
    c = x - mu
    blocks = np.array_split(np.arange(x.shape[0]), n_splits)
    n = np.array([len(b) for b in blocks], dtype=float)
    s1 = np.stack([c[b].sum(axis=0) for b in blocks])
    s2 = np.stack([(c[b] ** 2).sum(axis=0) for b in blocks])
    lo = np.stack([x[b].min(axis=0) for b in blocks])
    hi = np.stack([x[b].max(axis=0) for b in blocks])
    return mu, n, s1, s2, lo, hi


def _sharpe_of_sets(mask: np.ndarray, stats: tuple[np.ndarray, ...]) -> np.ndarray:
    """Per-period Sharpe (ddof=1) of every trial over the union of the masked blocks."""
    mu, n_b, s1_b, s2_b, lo_b, hi_b = stats
    w = mask.astype(float)
    n = (w @ n_b)[:, None]
    s1 = w @ s1_b
    s2 = w @ s2_b
    var = np.maximum(s2 - s1**2 / n, 0.0) / (n - 1.0)
    lo = np.where(mask[:, :, None], lo_b[None], np.inf).min(axis=1)
    hi = np.where(mask[:, :, None], hi_b[None], -np.inf).max(axis=1)
    constant = (hi - lo == 0.0) | ~(var > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sr = (s1 / n + mu) / np.sqrt(var)
    return np.round(np.where(constant, 0.0, sr), 12)


def pbo_cscv(trial_returns: pd.DataFrame, *, n_splits: int = 16) -> PBOResult:
    """Probability of backtest overfitting by combinatorially symmetric CV (vectorised).

    Parameters
    ----------
    trial_returns : pandas.DataFrame, shape (T, N)
        Per-period (daily) returns of ALL N trials on the same dates, rows in time order,
        no NaN.
    n_splits : int
        S, even, >= 2 (Bailey et al. suggest 10-16); C(16, 8) = 12,870 combinations.

    Returns
    -------
    PBOResult
        See :data:`PBO_TIE_RULE` for ties. The Sharpe ratio is per period,
        ``mean / std(ddof=1)`` (annualising does not change ranks).

    Raises
    ------
    EvaluationInputError
        (a ``ValueError``) N < 2, T < 2 S, odd or small S, NaN/inf.
    """
    x = np.asarray(trial_returns, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise EvaluationInputError(
            f"PBO needs at least 2 trials (columns), got shape {x.shape}",
            hint="log every configuration's OOS returns; with one trial there is no selection",
        )
    if isinstance(n_splits, bool) or n_splits < 2 or n_splits % 2:
        raise EvaluationInputError(
            f"n_splits must be even and >= 2, got {n_splits}", hint="use n_splits=16"
        )
    t, n_trials = x.shape
    if t < 2 * n_splits:
        raise EvaluationInputError(
            f"PBO with {n_splits} blocks needs at least {2 * n_splits} rows, got {t}",
            hint="lower n_splits or pass a longer return history",
        )
    if not np.isfinite(x).all():
        raise EvaluationInputError(
            "trial returns contain NaN/inf", hint="fill non-trading days with 0 return"
        )
    stats = _block_stats(x, n_splits)
    combos = np.array(list(combinations(range(n_splits), n_splits // 2)))
    is_mask = np.zeros((len(combos), n_splits), dtype=bool)
    np.put_along_axis(is_mask, combos, True, axis=1)
    sr_is = _sharpe_of_sets(is_mask, stats)
    sr_oos = _sharpe_of_sets(~is_mask, stats)
    best = np.argmax(sr_is, axis=1)
    oos_best = np.take_along_axis(sr_oos, best[:, None], axis=1)
    below = (sr_oos < oos_best).sum(axis=1)
    equal = (sr_oos == oos_best).sum(axis=1)
    rank = below + (equal + 1) / 2.0
    w = rank / (n_trials + 1.0)
    lambdas = np.log(w / (1.0 - w))
    return PBOResult(
        pbo=float(np.mean(lambdas <= 0.0)), n_splits=n_splits,
        n_combinations=math.comb(n_splits, n_splits // 2), lambdas=lambdas,
        tie_rule=PBO_TIE_RULE,
    )  # fmt: skip
