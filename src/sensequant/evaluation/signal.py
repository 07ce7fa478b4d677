"""Signal quality: daily cross-sectional IC, Rank IC and ICIR (as in Qlib's reports).

* IC_t = Pearson corr(score_{i,t}, forward return_{i,t}) across the symbols i of date t.
* Rank IC_t = Spearman corr (Pearson of average ranks, ties averaged) across symbols.
* ICIR = mean(IC_t) / std(IC_t, ddof=1) over dates -- NOT annualised (Qlib's convention;
  Qlib's LightGBM on Alpha158 / CSI300: IC 0.0448, ICIR 0.366, Rank IC 0.0469).
* t-stat = mean / (std / sqrt(n_days)) = ICIR * sqrt(n_days). It assumes independent days;
  with h-session forward returns the daily ICs overlap and are autocorrelated, so the true
  t-statistic is smaller (roughly by sqrt(h)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sensequant.errors import DataError


@dataclass(frozen=True)
class ICSummary:
    """Aggregate of daily IC over the dates with a defined IC (see module docstring).

    Attributes
    ----------
    mean_ic, mean_rank_ic : float
    icir, rank_icir : float
        mean / std (ddof=1) of the daily series, not annualised.
    t_stat : float
        ``icir * sqrt(n_days)`` (ignores autocorrelation of overlapping labels).
    n_days : int
        Dates with a defined IC.
    positive_share : float
        Share of those dates with IC > 0.
    """

    mean_ic: float
    mean_rank_ic: float
    icir: float
    rank_icir: float
    t_stat: float
    n_days: int
    positive_share: float


def _corr_by_date(frame: pd.DataFrame, x: str, y: str) -> pd.Series:
    """Pearson correlation of columns x and y within each timestamp group (vectorised)."""
    g = frame.groupby("timestamp", sort=True)
    xd = frame[x] - g[x].transform("mean")
    yd = frame[y] - g[y].transform("mean")
    parts = (
        pd.DataFrame({"timestamp": frame["timestamp"], "xy": xd * yd, "xx": xd * xd, "yy": yd * yd})
        .groupby("timestamp", sort=True)[["xy", "xx", "yy"]]
        .sum()
    )
    denom = np.sqrt(parts["xx"] * parts["yy"])
    scale = np.maximum(np.maximum(parts["xx"], parts["yy"]), 1e-300)
    ok = denom > 1e-12 * scale
    return (parts["xy"] / denom).where(ok)


def daily_ic(
    predictions: pd.DataFrame,
    score_col: str,
    forward: pd.DataFrame,
    return_col: str = "fwd_return",
    min_symbols: int = 5,
) -> pd.DataFrame:
    """Daily cross-sectional IC and Rank IC of a score against forward returns.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Long frame with ``symbol``, ``timestamp`` and ``score_col`` (e.g. ``p_up``).
    score_col : str
    forward : pandas.DataFrame
        Long frame with ``symbol``, ``timestamp`` (same decision bar) and ``return_col``: the
        forward return realised AFTER that bar (e.g. next open to close h sessions later).
    return_col : str
    min_symbols : int
        Dates with fewer symbols having both values are dropped.

    Returns
    -------
    pandas.DataFrame
        Index ``timestamp``; columns ``ic`` (Pearson), ``rank_ic`` (Spearman), ``n``. IC is
        NaN on a date where the score or the return is constant across symbols.

    Raises
    ------
    DataError
        Missing columns or duplicate (symbol, timestamp) rows.
    """
    merged = _merge_scores(predictions, score_col, forward, return_col)
    counts = merged.groupby("timestamp")["s"].transform("size")
    merged = merged.loc[counts >= min_symbols].reset_index(drop=True)
    if merged.empty:
        return pd.DataFrame(
            {"ic": pd.Series(dtype=float), "rank_ic": pd.Series(dtype=float),
             "n": pd.Series(dtype=int)}
        ).rename_axis("timestamp")  # fmt: skip
    grouped = merged.groupby("timestamp")
    merged["rs"] = grouped["s"].rank(method="average")
    merged["rf"] = grouped["f"].rank(method="average")
    out = pd.DataFrame(
        {
            "ic": _corr_by_date(merged, "s", "f"),
            "rank_ic": _corr_by_date(merged, "rs", "rf"),
            "n": merged.groupby("timestamp", sort=True).size(),
        }
    )
    out.index.name = "timestamp"
    return out


def ic_summary(ic: pd.DataFrame) -> ICSummary:
    """Summarise a :func:`daily_ic` frame (dates with NaN IC are left out).

    Returns
    -------
    ICSummary
        NaN fields when fewer than 2 dates have a defined IC.
    """
    daily = ic["ic"].dropna()
    ranks = ic["rank_ic"].dropna()
    n = int(daily.size)

    def ratio(s: pd.Series) -> float:
        if s.size < 2:
            return float("nan")
        sd = float(s.std(ddof=1))
        return float(s.mean() / sd) if sd > 0 else float("nan")

    icir = ratio(daily)
    return ICSummary(
        mean_ic=float(daily.mean()) if n else float("nan"),
        mean_rank_ic=float(ranks.mean()) if ranks.size else float("nan"),
        icir=icir,
        rank_icir=ratio(ranks),
        t_stat=icir * math.sqrt(n) if n >= 2 else float("nan"),
        n_days=n,
        positive_share=float((daily > 0).mean()) if n else float("nan"),
    )


def ic_by_year(
    ic_daily: pd.DataFrame, ic_col: str = "ic", rank_col: str = "rank_ic"
) -> pd.DataFrame:
    """Mean IC and Rank IC per calendar year (IST) of a :func:`daily_ic` frame.

    Parameters
    ----------
    ic_daily : pandas.DataFrame
        Indexed by ``timestamp`` (or with a ``timestamp`` column), with ``ic_col`` and
        ``rank_col``; dates with NaN IC are left out of that year's mean and count.
    ic_col, rank_col : str
        Column names (e.g. ``student_ic``, ``student_rank_ic`` in ``returns/ic_daily.parquet``).

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (int), ``mean_ic``, ``mean_rank_ic``, ``n_days`` (dates with a
        defined IC), one row per year in order.

    Raises
    ------
    DataError
        Missing columns.
    """
    need = [c for c in (ic_col, rank_col) if c not in ic_daily.columns]
    if need:
        raise DataError(f"IC frame lacks column(s) {need}", hint="pass a daily_ic() frame")
    ts = (
        pd.DatetimeIndex(ic_daily["timestamp"]) if "timestamp" in ic_daily.columns
        else pd.DatetimeIndex(ic_daily.index)
    )  # fmt: skip
    frame = pd.DataFrame(
        {"ic": ic_daily[ic_col].to_numpy(dtype=float),
         "rank_ic": ic_daily[rank_col].to_numpy(dtype=float), "year": ts.year}
    )  # fmt: skip
    out = frame.groupby("year", sort=True).agg(
        mean_ic=("ic", "mean"), mean_rank_ic=("rank_ic", "mean"), n_days=("ic", "count")
    )
    out = out.reset_index()
    out["year"] = out["year"].astype(int)
    out["n_days"] = out["n_days"].astype(int)
    return out


DECILE_MIN_SYMBOLS = 10
"""Fewest symbols with a forward return for a date to enter the decile returns."""


def decile_returns(
    predictions: pd.DataFrame,
    score_col: str,
    forward: pd.DataFrame,
    return_col: str = "fwd_return",
    n_bins: int = 10,
    min_symbols: int = DECILE_MIN_SYMBOLS,
) -> pd.DataFrame:
    """Mean forward return of each cross-sectional score quantile, averaged over dates.

    On each date the symbols with both a score and a forward return are ranked by score
    (ties broken by symbol name, ``rank(method="first")`` after sorting by symbol) and cut into
    ``n_bins`` equal-count bins as ``pandas.qcut(ranks, n_bins)`` defines them (bin 1 = lowest
    scores), with the edges ``1 + (n-1) i / n_bins`` computed in exact integer arithmetic
    (pandas' floating-point edges can push a rank lying exactly on an edge, e.g. rank 64 of
    91, into the next bin). Each bin's mean forward return is taken per date, then averaged
    over dates with equal weight per date. A date with fewer than ``max(n_bins, min_symbols)``
    symbols is SKIPPED (with fewer symbols than bins some bins would be empty).

    Parameters
    ----------
    predictions : pandas.DataFrame
        Long frame with ``symbol``, ``timestamp`` and ``score_col``.
    score_col : str
    forward : pandas.DataFrame
        Long frame with ``symbol``, ``timestamp`` and ``return_col`` (fraction), as in
        :func:`daily_ic`.
    return_col : str
    n_bins : int
        Number of quantile bins (10 = deciles), >= 2.
    min_symbols : int
        Fewest symbols for a date to count.

    Returns
    -------
    pandas.DataFrame
        Columns ``decile`` (1..n_bins), ``mean_fwd_return`` (fraction), ``n_dates``; empty
        (with those columns) when no date qualifies.

    Raises
    ------
    DataError
        Missing columns, duplicate (symbol, timestamp) rows, ``n_bins < 2``.
    """
    if n_bins < 2:
        raise DataError(f"n_bins must be >= 2, got {n_bins}", hint="use n_bins=10")
    merged = _merge_scores(predictions, score_col, forward, return_col)
    counts = merged.groupby("timestamp")["s"].transform("size")
    merged = merged.loc[counts >= max(n_bins, min_symbols)]
    if merged.empty:
        return pd.DataFrame(
            {"decile": pd.Series(dtype=int), "mean_fwd_return": pd.Series(dtype=float),
             "n_dates": pd.Series(dtype=int)}
        )  # fmt: skip
    merged = merged.sort_values(["timestamp", "symbol"], kind="mergesort")
    g = merged.groupby("timestamp", sort=False)
    rank = g["s"].rank(method="first").to_numpy(dtype=np.int64)
    n = g["s"].transform("size").to_numpy(dtype=np.int64)
    # pandas.qcut edges on ranks 1..n are 1 + (n-1) i / B; rank r falls in the first bin i with
    # r <= edge_i, i.e. ceil((r-1) B / (n-1)), with r = 1 in bin 1 (include_lowest).
    decile = np.maximum(1, -((-(rank - 1) * n_bins) // (n - 1)))
    per_date = (
        pd.DataFrame({"timestamp": merged["timestamp"].array, "decile": decile,
                      "f": merged["f"].to_numpy()})
        .groupby(["timestamp", "decile"])["f"].mean()
    )  # fmt: skip
    out = per_date.groupby(level="decile").agg(["mean", "count"])
    return pd.DataFrame(
        {"decile": out.index.astype(int), "mean_fwd_return": out["mean"].to_numpy(),
         "n_dates": out["count"].to_numpy(dtype=int)}
    )  # fmt: skip


def decile_spread(deciles: pd.DataFrame) -> float:
    """Top minus bottom bin mean forward return of a :func:`decile_returns` frame.

    Every qualifying date fills every bin, so this equals the date-average of the daily
    top-minus-bottom spread. NaN when ``deciles`` is empty.
    """
    if deciles.empty:
        return float("nan")
    ordered = deciles.sort_values("decile")
    return float(ordered["mean_fwd_return"].iloc[-1] - ordered["mean_fwd_return"].iloc[0])


def _merge_scores(
    predictions: pd.DataFrame, score_col: str, forward: pd.DataFrame, return_col: str
) -> pd.DataFrame:
    """Inner join of scores ``s`` and forward returns ``f`` on (symbol, timestamp), finite."""
    for name, frame, col in (
        ("predictions", predictions, score_col),
        ("forward", forward, return_col),
    ):
        need = [c for c in ("symbol", "timestamp", col) if c not in frame.columns]
        if need:
            raise DataError(f"{name} lack column(s) {need}", hint="pass long frames")
        if frame.duplicated(["symbol", "timestamp"]).any():
            raise DataError(
                f"{name} hold duplicate (symbol, timestamp) rows",
                hint="one row per symbol and decision bar",
            )
    merged = predictions[["symbol", "timestamp", score_col]].merge(
        forward[["symbol", "timestamp", return_col]], on=["symbol", "timestamp"], how="inner"
    )
    merged = merged.rename(columns={score_col: "s", return_col: "f"})
    return merged[np.isfinite(merged["s"]) & np.isfinite(merged["f"])].reset_index(drop=True)
