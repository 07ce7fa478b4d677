"""Score baselines: naive, look-ahead-free prediction series to rank like a model's scores.

* :func:`reversal_scores` -- short-term reversal, ``-(close_t / close_{t-L} - 1)``, L = 5;
* :func:`momentum_scores` -- 12-1 month momentum (Jegadeesh & Titman, 1993, "Returns to
  Buying Winners and Selling Losers", J. Finance 48(1)), ``close_{t-21} / close_{t-252} - 1``.

Both return a long frame ``symbol, timestamp, score`` like the model predictions (NaN rows
dropped), computed from closes up to the decision bar's close only, on the given decision
dates. Rank them with ``PortfolioConfig(score="score")`` (top-k, no probability floor) and
measure them with :func:`~sensequant.evaluation.signal.daily_ic`. Lags count sessions of the
close frame's calendar; a symbol without a close at either end of its window has no score
that day. Pure computation.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from sensequant.errors import DataError

__all__ = ["momentum_scores", "reversal_scores"]


def _long_scores(score_wide: pd.DataFrame, dates: pd.Index | list[pd.Timestamp]) -> pd.DataFrame:
    """Rows of a session x symbol score frame at ``dates`` as a long frame, NaN dropped."""
    wanted = pd.DatetimeIndex(dates)
    outside = wanted.difference(pd.DatetimeIndex(score_wide.index))
    if len(outside):
        raise DataError(
            f"{len(outside)} decision date(s) are not sessions of the close prices, "
            f"first {outside[0]}",
            hint="pass decision dates taken from the close frame's index",
        )
    picked = score_wide.loc[wanted.sort_values().unique()]
    framed = picked.rename_axis(index="timestamp", columns="symbol")
    long = cast(pd.Series, framed.stack(future_stack=True))
    out = long.rename("score").reset_index()[["symbol", "timestamp", "score"]]
    out = out.loc[np.isfinite(out["score"].to_numpy(dtype=float))]
    return out.sort_values(["timestamp", "symbol"], kind="mergesort").reset_index(drop=True)


def _check_close(close_wide: pd.DataFrame) -> pd.DataFrame:
    idx = close_wide.index
    if not (idx.is_monotonic_increasing and idx.is_unique):
        raise DataError(
            "close prices must have a sorted, unique session index",
            hint="pass a wide frame (session timestamp x symbol) sorted by session",
        )
    return close_wide.astype(float)


def reversal_scores(
    close_wide: pd.DataFrame,
    dates: pd.Index | list[pd.Timestamp],
    lookback: int = 5,
) -> pd.DataFrame:
    """Short-term reversal score ``-(close_t / close_{t-lookback} - 1)`` at each decision date.

    Parameters
    ----------
    close_wide : pandas.DataFrame
        Session x symbol closes (rupees), sorted unique session index; NaN = no price.
    dates : sequence of pandas.Timestamp
        Decision dates (sessions of ``close_wide``); the score at t uses closes up to t only.
    lookback : int, default 5
        Sessions back (``t - lookback`` counts rows of the session calendar).

    Returns
    -------
    pandas.DataFrame
        Long frame ``symbol, timestamp, score`` (fraction; last week's losers score highest),
        sorted by timestamp then symbol; rows with no close at t or at ``t - lookback``
        dropped.

    Raises
    ------
    DataError
        Unsorted index or a decision date that is not a session.
    ValueError
        ``lookback < 1``.
    """
    if lookback < 1:
        raise ValueError(f"lookback must be >= 1, got {lookback}")
    px = _check_close(close_wide)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = -(px / px.shift(lookback) - 1.0)
    return _long_scores(score, dates)


def momentum_scores(
    close_wide: pd.DataFrame,
    dates: pd.Index | list[pd.Timestamp],
    *,
    skip: int = 21,
    lookback: int = 252,
) -> pd.DataFrame:
    """12-1 month momentum ``close_{t-skip} / close_{t-lookback} - 1`` (Jegadeesh-Titman).

    Parameters
    ----------
    close_wide : pandas.DataFrame
        Session x symbol closes (rupees), sorted unique session index; NaN = no price.
    dates : sequence of pandas.Timestamp
        Decision dates (sessions of ``close_wide``); closes after ``t - skip`` are not used.
    skip, lookback : int, default 21 and 252
        Sessions back of the end and start of the formation window (one month skipped to
        avoid the short-term reversal; about twelve months of formation).

    Returns
    -------
    pandas.DataFrame
        Long frame ``symbol, timestamp, score`` (fraction; past winners score highest),
        sorted by timestamp then symbol; rows lacking either close dropped (so the first
        ``lookback`` sessions of a symbol have no score).

    Raises
    ------
    DataError
        Unsorted index or a decision date that is not a session.
    ValueError
        ``skip < 0`` or ``lookback <= skip``.
    """
    if skip < 0 or lookback <= skip:
        raise ValueError(f"need 0 <= skip < lookback, got skip={skip}, lookback={lookback}")
    px = _check_close(close_wide)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = px.shift(skip) / px.shift(lookback) - 1.0
    return _long_scores(score, dates)
