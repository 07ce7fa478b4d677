"""One table comparing strategies and baselines with the project's own metric definitions.

Every number comes from :func:`~sensequant.evaluation.metrics.summarize` (Sharpe, CAGR,
drawdown, exposure, time in market, turnover) and
:func:`~sensequant.evaluation.signal.ic_summary` (IC, Rank IC, ICIR), so the table reads
exactly like the rest of the report. Pure computation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sensequant.errors import DataError
from sensequant.evaluation.metrics import PERIODS_PER_YEAR, summarize
from sensequant.evaluation.signal import ic_summary

__all__ = ["COMPARISON_COLUMNS", "ComparisonEntry", "comparison_table"]

ComparisonEntry = (
    tuple[pd.Series, pd.Series | None, pd.DataFrame | None]
    | tuple[pd.Series, pd.Series | None, pd.DataFrame | None, pd.Series | None]
)
"""``(returns, exposure, ic_daily[, turnover])`` of one series (see :func:`comparison_table`)."""

COMPARISON_COLUMNS = (
    "mean_ic",
    "rank_ic",
    "icir",
    "sharpe",
    "annual_return",
    "max_drawdown",
    "mean_exposure",
    "time_in_market",
    "annual_turnover",
    "n_days",
)


def comparison_table(
    series: Mapping[str, Sequence[object]],
    *,
    common_dates: bool = True,
    rf: float = 0.0,
    periods: int = PERIODS_PER_YEAR,
) -> pd.DataFrame:
    """Rows per series: signal quality, net Sharpe, return, drawdown, exposure, turnover.

    Parameters
    ----------
    series : mapping of str to tuple
        Name -> ``(returns, exposure, ic_daily)`` or ``(returns, exposure, ic_daily,
        turnover)`` (a :data:`ComparisonEntry`; :meth:`BaselineSeries.as_comparison
        <sensequant.evaluation.baselines.BaselineSeries.as_comparison>` gives one):
        ``returns`` daily net simple returns (fractions) by session; ``exposure`` daily gross
        exposure (fraction invested, 0..1) or None; ``ic_daily`` a
        :func:`~sensequant.evaluation.signal.daily_ic` frame (``ic``, ``rank_ic``) for series
        with a score, else None; ``turnover`` daily traded notional / equity or None.
    common_dates : bool, default True
        Restrict every series to the sessions all of them share (so the Sharpe ratios cover
        the same period); False = each series on its own dates. IC is never restricted.
    rf : float
        Annual risk-free rate (fraction).
    periods : int
        Periods per year.

    Returns
    -------
    pandas.DataFrame
        Index = the names (in order), columns :data:`COMPARISON_COLUMNS`: ``mean_ic``,
        ``rank_ic`` (mean daily Rank IC), ``icir`` (not annualised), ``sharpe`` (annualised,
        net), ``annual_return`` (CAGR), ``max_drawdown`` (depth, <= 0), ``mean_exposure``,
        ``time_in_market`` (share of sessions with exposure > 0), ``annual_turnover`` (mean
        daily turnover x periods), ``n_days``. NaN where a value is not available.

    Raises
    ------
    DataError
        An entry of the wrong length, an empty mapping, or no common dates.
    EvaluationInputError
        NaN in a series on the dates used (from :func:`summarize`).
    """
    if not series:
        raise DataError("comparison_table needs at least one series", hint="pass a mapping")
    entries: dict[str, tuple[pd.Series, pd.Series | None, pd.DataFrame | None, pd.Series | None]]
    entries = {}
    for name, entry in series.items():
        if len(entry) not in (3, 4):
            raise DataError(
                f"comparison entry {name!r} has {len(entry)} items",
                hint="pass (returns, exposure, ic_daily) or (returns, exposure, ic_daily, "
                "turnover)",
            )
        parts = list(entry) + [None] * (4 - len(entry))
        entries[name] = (parts[0], parts[1], parts[2], parts[3])  # type: ignore[assignment]
    dates: pd.Index | None = None
    if common_dates:
        for returns, *_ in entries.values():
            dates = returns.index if dates is None else dates.intersection(returns.index)
        if dates is None or len(dates) == 0:
            raise DataError("the series share no dates", hint="pass series over a common period")
    rows = {}
    for name, (returns, exposure, ic_daily, turnover) in entries.items():
        on = dates if dates is not None else returns.index

        def cut(s: pd.Series | None, on: pd.Index = on) -> pd.Series | None:
            return None if s is None else s.reindex(on)

        summ = summarize(
            returns.reindex(on), turnover=cut(turnover), exposure=cut(exposure),
            rf=rf, periods=periods,
        )  # fmt: skip
        ic = ic_summary(ic_daily) if ic_daily is not None else None
        rows[name] = {
            "mean_ic": ic.mean_ic if ic is not None else np.nan,
            "rank_ic": ic.mean_rank_ic if ic is not None else np.nan,
            "icir": ic.icir if ic is not None else np.nan,
            "sharpe": summ.sharpe,
            "annual_return": summ.cagr,
            "max_drawdown": summ.max_drawdown.depth,
            "mean_exposure": _or_nan(summ.mean_exposure),
            "time_in_market": _or_nan(summ.time_in_market),
            "annual_turnover": _or_nan(summ.annual_turnover),
            "n_days": summ.n_days,
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(COMPARISON_COLUMNS))


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)
