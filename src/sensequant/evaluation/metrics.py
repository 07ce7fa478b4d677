"""Performance metrics of daily simple returns -- each definition written once, here.

Conventions (``docs/methodology.md``)
------------------------------------------------------
* ``r_t`` are daily simple returns (fractions); ``periods`` = periods per year, default 252
  (NSE has ~245-250 sessions a year; 252 is the convention -- configurable, always stated).
* Risk-free rate ``rf`` is ANNUAL and is converted to a per-period rate GEOMETRICALLY:
  ``rf_p = (1 + rf) ** (1 / periods) - 1`` (empyrical's convention; quantstats divides).
* Sharpe = mean(r - rf_p) / std(r - rf_p, ddof=1) * sqrt(periods).
* Sortino = mean(r - MAR) / sqrt(mean(min(r - MAR, 0)^2)) * sqrt(periods), MAR = rf_p.
* CAGR = prod(1 + r) ** (periods / n) - 1 (compounded; years = n / periods, not calendar).
* Max drawdown = min_t P_t / max_{s<=t} P_s - 1 with P_0 = 1 before the first return.
* Alpha/beta: OLS of (r - rf_p) on (b - rf_p); alpha annualised ARITHMETICALLY,
  ``alpha_daily * periods`` (quantstats' convention; empyrical compounds instead).
* Information ratio = mean(r - b) / std(r - b, ddof=1) * sqrt(periods) (annualised).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sensequant.errors import DataError

PERIODS_PER_YEAR = 252


class EvaluationInputError(DataError, ValueError):
    """Returns or benchmark series unusable for a metric (NaNs, no overlap...).

    A :class:`~sensequant.errors.DataError` (so the CLI prints it with its hint) that is also
    a :class:`ValueError`.
    """


@dataclass(frozen=True)
class Drawdown:
    """The deepest peak-to-trough fall of the compounded equity curve.

    Attributes
    ----------
    depth : float
        ``min_t P_t / max_{s<=t} P_s - 1`` (<= 0; -0.25 == a 25 % fall).
    peak, trough : pandas.Timestamp
        Session of the running maximum before the trough, and of the trough. When the peak is
        the starting capital (P_0, before the first return), ``peak`` is the first session.
    recovery : pandas.Timestamp or None
        First session after the trough with ``P >= P_peak``; None if not recovered.
    duration_days : int
        Calendar days from peak to recovery (or to the last session if not recovered).
    """

    depth: float
    peak: pd.Timestamp
    trough: pd.Timestamp
    recovery: pd.Timestamp | None
    duration_days: int


@dataclass(frozen=True)
class PerformanceSummary:
    """Every headline metric of one return series (see the module docstring for formulas).

    ``alpha``, ``beta``, ``information_ratio``, ``benchmark_*`` are None without a benchmark;
    ``annual_turnover`` (mean daily one-way turnover x periods) is None without turnover;
    ``mean_exposure`` (mean gross exposure = mean invested fraction) and ``time_in_market``
    (share of sessions with exposure > 0) are None without an exposure series. NaN marks an
    undefined value, explained in ``notes``.
    """

    n_days: int
    start: pd.Timestamp
    end: pd.Timestamp
    periods_per_year: int
    risk_free_rate: float
    total_return: float
    cagr: float
    annual_volatility: float
    sharpe: float
    sortino: float
    max_drawdown: Drawdown
    calmar: float
    hit_rate: float
    profit_factor: float
    alpha: float | None = None
    beta: float | None = None
    information_ratio: float | None = None
    benchmark_sharpe: float | None = None
    benchmark_cagr: float | None = None
    annual_turnover: float | None = None
    mean_exposure: float | None = None
    time_in_market: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (timestamps as ISO strings, NaN kept as float NaN)."""
        out = asdict(self)
        for key in ("start", "end"):
            out[key] = getattr(self, key).isoformat()
        dd = out["max_drawdown"]
        for key in ("peak", "trough", "recovery"):
            dd[key] = dd[key].isoformat() if dd[key] is not None else None
        out["notes"] = list(self.notes)
        return out


def _check(r: pd.Series, what: str = "returns") -> np.ndarray:
    values = np.asarray(r, dtype=float)
    nan = np.isnan(values)
    if nan.any():
        raise EvaluationInputError(
            f"{what} contain {int(nan.sum())} NaN value(s), "
            f"first on {r.index[int(np.argmax(nan))]}",
            hint="drop or fill the NaN days explicitly before computing metrics",
        )
    return values


def per_period_rf(rf: float, periods: int = PERIODS_PER_YEAR) -> float:
    """Geometric de-annualisation of an annual risk-free rate: ``(1 + rf)^(1/periods) - 1``."""
    return float((1.0 + rf) ** (1.0 / periods) - 1.0)


def sharpe(r: pd.Series, *, rf: float = 0.0, periods: int = PERIODS_PER_YEAR) -> float:
    """Annualised Sharpe ratio ``mean(x) / std(x, ddof=1) * sqrt(periods)``, x = r - rf_p.

    Parameters
    ----------
    r : pandas.Series
        Daily simple returns (fractions), no NaN.
    rf : float
        Annual risk-free rate (fraction), de-annualised with :func:`per_period_rf`.
    periods : int
        Periods per year.

    Returns
    -------
    float
        NaN with fewer than 2 returns or zero variance.

    Raises
    ------
    EvaluationInputError
        NaN in ``r`` (the message names the first NaN date).
    """
    x = _check(r) - per_period_rf(rf, periods)
    if x.size < 2:
        return float("nan")
    sd = float(np.std(x, ddof=1))
    if not sd > 1e-15 * max(1.0, float(np.abs(x).max())):
        return float("nan")
    return float(np.mean(x) / sd * math.sqrt(periods))


def sortino(r: pd.Series, *, rf: float = 0.0, periods: int = PERIODS_PER_YEAR) -> float:
    """Annualised Sortino ratio with MAR = rf_p.

    ``mean(r - MAR) / sqrt(mean(min(r - MAR, 0)^2)) * sqrt(periods)``; the downside deviation
    averages over ALL periods (zeros included). NaN if empty or no period is below MAR.
    """
    x = _check(r) - per_period_rf(rf, periods)
    if x.size == 0:
        return float("nan")
    dd = math.sqrt(float(np.mean(np.minimum(x, 0.0) ** 2)))
    return float(np.mean(x) / dd * math.sqrt(periods)) if dd > 0 else float("nan")


def cagr(r: pd.Series, *, periods: int = PERIODS_PER_YEAR) -> float:
    """Compound annual growth rate ``prod(1 + r) ** (periods / n) - 1``; NaN if empty."""
    x = _check(r)
    if x.size == 0:
        return float("nan")
    growth = float(np.prod(1.0 + x))
    return growth ** (periods / x.size) - 1.0 if growth > 0 else -1.0


def annual_volatility(r: pd.Series, *, periods: int = PERIODS_PER_YEAR) -> float:
    """``std(r, ddof=1) * sqrt(periods)``; NaN with fewer than 2 returns."""
    x = _check(r)
    return float(np.std(x, ddof=1) * math.sqrt(periods)) if x.size >= 2 else float("nan")


def max_drawdown(r: pd.Series) -> Drawdown:
    """Deepest drawdown of ``P_t = prod_{s<=t}(1 + r_s)``, ``P_0 = 1`` (see :class:`Drawdown`).

    Raises
    ------
    EvaluationInputError
        NaN in ``r`` or an empty series.
    """
    x = _check(r)
    if x.size == 0:
        raise EvaluationInputError("max_drawdown needs at least one return", hint="pass returns")
    idx = pd.DatetimeIndex(r.index)
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + x)])
    running = np.maximum.accumulate(wealth)
    dd = wealth / running - 1.0
    trough = int(np.argmin(dd))
    depth = float(dd[trough])

    def at(i: int) -> pd.Timestamp:
        return idx[max(i - 1, 0)]  # wealth position i is after return i-1

    if depth >= 0:
        return Drawdown(0.0, at(0), at(0), at(0), 0)
    peak = int(np.flatnonzero(wealth[: trough + 1] == running[trough])[-1])
    later = np.flatnonzero(wealth[trough:] >= wealth[peak])
    recovery = at(trough + int(later[0])) if later.size else None
    end = recovery if recovery is not None else idx[-1]
    return Drawdown(depth, at(peak), at(trough), recovery, int((end - at(peak)).days))


def calmar(r: pd.Series, *, periods: int = PERIODS_PER_YEAR) -> float:
    """``cagr / |max drawdown depth|``; NaN when there is no drawdown."""
    depth = max_drawdown(r).depth
    return cagr(r, periods=periods) / abs(depth) if depth < 0 else float("nan")


def hit_rate(r: pd.Series) -> float:
    """Share of days with ``r > 0`` among days with ``r != 0`` (flat/cash days excluded)."""
    x = _check(r)
    active = int((x != 0).sum())
    return float((x > 0).sum() / active) if active else float("nan")


def profit_factor(r: pd.Series) -> float:
    """``sum(r[r > 0]) / |sum(r[r < 0])|``; inf with gains and no losses, NaN with neither."""
    x = _check(r)
    gains, losses = float(x[x > 0].sum()), float(-x[x < 0].sum())
    if losses == 0:
        return float("inf") if gains > 0 else float("nan")
    return gains / losses


def _align(r: pd.Series, benchmark: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    joined = pd.concat([r.rename("r"), benchmark.rename("b")], axis=1, join="inner")
    if joined.empty:
        raise EvaluationInputError(
            "the benchmark has no dates in common with the returns "
            f"(returns {r.index.min()}..{r.index.max()}, "
            f"benchmark {benchmark.index.min()}..{benchmark.index.max()})",
            hint="use a benchmark covering the same sessions (same time zone)",
        )
    return _check(joined["r"]), _check(joined["b"], "benchmark returns")


def alpha_beta(
    r: pd.Series, benchmark: pd.Series, *, rf: float = 0.0, periods: int = PERIODS_PER_YEAR
) -> tuple[float, float]:
    """CAPM alpha (annualised arithmetically) and beta by OLS on the common dates.

    ``(r - rf_p) = a + beta * (b - rf_p) + e``; returns ``(a * periods, beta)``.
    NaN for both with fewer than 2 common dates or a constant benchmark.

    Raises
    ------
    EvaluationInputError
        No common dates, or NaN on a common date.
    """
    y, xb = _align(r, benchmark)
    rf_p = per_period_rf(rf, periods)
    y, xb = y - rf_p, xb - rf_p
    if y.size < 2 or np.var(xb) == 0:
        return float("nan"), float("nan")
    beta = float(np.cov(y, xb, ddof=1)[0, 1] / np.var(xb, ddof=1))
    return float((y.mean() - beta * xb.mean()) * periods), beta


def information_ratio(
    r: pd.Series, benchmark: pd.Series, *, periods: int = PERIODS_PER_YEAR
) -> float:
    """Annualised ``mean(r - b) / std(r - b, ddof=1) * sqrt(periods)`` on common dates."""
    y, xb = _align(r, benchmark)
    active = y - xb
    if active.size < 2 or np.std(active) == 0:
        return float("nan")
    return float(active.mean() / np.std(active, ddof=1) * math.sqrt(periods))


def summarize(
    returns: pd.Series,
    *,
    benchmark: pd.Series | None = None,
    turnover: pd.Series | None = None,
    exposure: pd.Series | None = None,
    rf: float = 0.0,
    periods: int = PERIODS_PER_YEAR,
) -> PerformanceSummary:
    """All metrics of one daily return series in a :class:`PerformanceSummary`.

    Parameters
    ----------
    returns : pandas.Series
        Daily simple returns indexed by session timestamp, no NaN, at least one value.
    benchmark : pandas.Series, optional
        Daily benchmark returns; alpha/beta/IR use the common dates only (noted when fewer).
    turnover : pandas.Series, optional
        Daily one-way turnover (traded notional / equity); ``annual_turnover`` = mean x periods.
    exposure : pandas.Series, optional
        Daily gross exposure (fraction of equity invested, ``sum |w|``); reported as its mean
        (``mean_exposure``) and as the share of sessions with exposure > 0
        (``time_in_market``). Report both with every Sharpe: a book in cash half the time
        is a different bet from a fully invested one.
    rf : float
        Annual risk-free rate (fraction).
    periods : int
        Periods per year.

    Raises
    ------
    EvaluationInputError
        NaN anywhere, an empty series, or a benchmark with no common dates.
    """
    x = _check(returns)
    if x.size == 0:
        raise EvaluationInputError("summarize needs at least one return", hint="pass returns")
    notes: list[str] = [
        f"annualised with {periods} periods per year; rf {rf:.4f} annual, "
        "de-annualised geometrically"
    ]
    sr = sharpe(returns, rf=rf, periods=periods)
    if math.isnan(sr):
        notes.append(
            "Sharpe undefined: fewer than 2 returns" if x.size < 2
            else "Sharpe undefined: returns have zero variance"
        )  # fmt: skip
    dd = max_drawdown(returns)
    extra: dict[str, Any] = {}
    if benchmark is not None:
        common = returns.index.intersection(benchmark.index)
        if len(common) < x.size:
            notes.append(
                f"benchmark covers {len(common)} of {x.size} return dates; alpha, beta and "
                "information ratio use the common dates"
            )
        a, b = alpha_beta(returns, benchmark, rf=rf, periods=periods)
        bench = benchmark.loc[common]
        extra = {
            "alpha": a, "beta": b,
            "information_ratio": information_ratio(returns, benchmark, periods=periods),
            "benchmark_sharpe": sharpe(bench, rf=rf, periods=periods),
            "benchmark_cagr": cagr(bench, periods=periods),
        }  # fmt: skip
    if turnover is not None:
        extra["annual_turnover"] = float(_check(turnover, "turnover").mean() * periods)
    if exposure is not None:
        expo = _check(exposure, "exposure")
        extra["mean_exposure"] = float(expo.mean())
        extra["time_in_market"] = float((expo > 0).mean()) if expo.size else float("nan")
    idx = pd.DatetimeIndex(returns.index)
    return PerformanceSummary(
        n_days=int(x.size), start=idx[0], end=idx[-1], periods_per_year=periods,
        risk_free_rate=rf, total_return=float(np.prod(1.0 + x) - 1.0),
        cagr=cagr(returns, periods=periods),
        annual_volatility=annual_volatility(returns, periods=periods),
        sharpe=sr, sortino=sortino(returns, rf=rf, periods=periods), max_drawdown=dd,
        calmar=cagr(returns, periods=periods) / abs(dd.depth) if dd.depth < 0 else float("nan"),
        hit_rate=hit_rate(returns), profit_factor=profit_factor(returns),
        notes=tuple(notes), **extra,
    )  # fmt: skip
