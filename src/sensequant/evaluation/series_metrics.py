"""Rolling and calendar series of daily returns: growth of 1, underwater, monthly returns,
rolling Sharpe and rolling beta (pure functions, no plotting).

Each follows the definition of its scalar in :mod:`sensequant.evaluation.metrics`
(``docs/methodology.md``): the minimum of :func:`underwater` is ``max_drawdown(r).depth``, the
last value of :func:`rolling_sharpe` is ``sharpe`` of the last ``window`` sessions, the last
value of :func:`rolling_beta` is the beta of ``alpha_beta`` over them. Returns are daily
simple returns as fractions; the risk-free rate is annual and converted geometrically with
:func:`~sensequant.evaluation.metrics.per_period_rf`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sensequant.evaluation.metrics import PERIODS_PER_YEAR, per_period_rf

__all__ = ["growth_of_one", "monthly_returns", "rolling_beta", "rolling_sharpe", "underwater"]


def growth_of_one(r: pd.Series) -> pd.Series:
    """Compounded wealth ``P_t = prod_{s<=t} (1 + r_s)`` (``P_0 = 1`` before the first return).

    Parameters
    ----------
    r : pandas.Series
        Daily simple returns (fractions), indexed by session; NaN days are treated as 0.

    Returns
    -------
    pandas.Series
        Growth of 1, same index (the last value is ``1 + total return``).
    """
    return (1.0 + r.astype(float).fillna(0.0)).cumprod()


def underwater(r: pd.Series) -> pd.Series:
    """Drawdown ``P_t / max(1, max_{s<=t} P_s) - 1`` (fraction <= 0), as in ``max_drawdown``.

    Parameters
    ----------
    r : pandas.Series
        Daily simple returns (fractions); NaN days are treated as 0.

    Returns
    -------
    pandas.Series
        Same index; its minimum equals ``metrics.max_drawdown(r).depth``.
    """
    wealth = growth_of_one(r)
    peak = np.maximum(wealth.cummax().to_numpy(), 1.0)
    return pd.Series(wealth.to_numpy() / peak - 1.0, index=r.index, name=r.name)


def monthly_returns(r: pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar month, as a year x month table.

    Parameters
    ----------
    r : pandas.Series
        Daily simple returns (fractions) indexed by session timestamps (IST); NaN read as 0.

    Returns
    -------
    pandas.DataFrame
        Index: year (int); columns 1..12 (month); value ``prod(1 + r) - 1`` over the month's
        sessions, NaN for months without sessions; plus column ``"year"``: the compounded
        return of the year's sessions.
    """
    idx = pd.DatetimeIndex(r.index)
    x = pd.Series(r.astype(float).fillna(0.0).to_numpy(), index=idx)
    growth = (1.0 + x).groupby([idx.year, idx.month]).prod() - 1.0
    table = growth.unstack().reindex(columns=range(1, 13))
    table.index = table.index.astype(int)
    yearly = (1.0 + x).groupby(idx.year).prod() - 1.0
    table["year"] = yearly.to_numpy()
    return table


def rolling_sharpe(
    r: pd.Series, window: int = 252, *, rf: float = 0.0, periods: int = PERIODS_PER_YEAR
) -> pd.Series:
    """Rolling annualised Sharpe, ``metrics.sharpe`` over each trailing ``window`` sessions.

    ``mean(x) / std(x, ddof=1) * sqrt(periods)``, ``x = r - rf_p`` with ``rf_p`` from
    :func:`~sensequant.evaluation.metrics.per_period_rf`; NaN before ``window`` sessions and
    where the window has (numerically) zero variance.

    Parameters
    ----------
    r : pandas.Series
        Daily simple returns (fractions), no NaN expected (NaN windows give NaN).
    window : int
        Sessions per window.
    rf : float
        Annual risk-free rate (fraction).
    periods : int
        Periods per year.

    Returns
    -------
    pandas.Series
        Same index as ``r``.
    """
    x = r.astype(float) - per_period_rf(rf, periods)
    roll = x.rolling(window, min_periods=window)
    sd = roll.std(ddof=1)
    scale = np.maximum(1.0, x.abs().rolling(window, min_periods=window).max())
    out = roll.mean() / sd * np.sqrt(periods)
    return out.where(sd > 1e-15 * scale)


def rolling_beta(
    r: pd.Series,
    benchmark: pd.Series,
    window: int = 252,
    *,
    rf: float = 0.0,
    periods: int = PERIODS_PER_YEAR,
) -> pd.Series:
    """Rolling OLS beta of ``r - rf_p`` on ``benchmark - rf_p`` (``metrics.alpha_beta``).

    ``cov(y, x, ddof=1) / var(x, ddof=1)`` over each trailing ``window`` sessions; NaN before
    ``window`` sessions and where the benchmark is constant.

    Parameters
    ----------
    r, benchmark : pandas.Series
        Daily simple returns (fractions) on the same index.
    window : int
        Sessions per window.
    rf : float
        Annual risk-free rate (fraction).
    periods : int
        Periods per year.

    Returns
    -------
    pandas.Series
        Same index as ``r``.
    """
    rf_p = per_period_rf(rf, periods)
    y, x = r.astype(float) - rf_p, benchmark.astype(float).reindex(r.index) - rf_p
    var = x.rolling(window, min_periods=window).var(ddof=1)
    cov = y.rolling(window, min_periods=window).cov(x, ddof=1)
    return (cov / var).where(var > 0)
