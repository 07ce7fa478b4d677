"""Stress-test scoring: baselines, per-row metrics, resilience score, failure modes, shocks.

Pure computation used by :mod:`sensequant.evaluation.stress` (which documents the timing and
the rows); every threshold lives in :class:`StressRules` and is written into the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.errors import DataError
from sensequant.evaluation import metrics as m
from sensequant.settings import StressConfig

STUDENT: Final = "student"
NIFTY: Final = "NIFTY 50 (price index)"
EQUAL: Final = "equal-weight universe (rebalanced daily, no costs)"
SIXTY_FORTY: Final = "60/40 NIFTY/cash"
CASH: Final = "cash"
ROW_NAMES: Final = (STUDENT, NIFTY, EQUAL, SIXTY_FORTY, CASH)
RESILIENCE_FORMULA: Final = (
    "100 * (0.5 * clip(1 - DD_s / max(DD_b, 0.01), 0, 1) "
    "+ 0.5 * clip(0.5 + (R_s - R_b) / (2 * max(DD_b, 0.01)), 0, 1)); "
    "DD = max drawdown (positive fraction), R = total return over the period, "
    "s = student (net of costs), b = NIFTY 50 (price index)"
)


@dataclass(frozen=True)
class StressRules:
    """Parameters of the baselines, the resilience score and the failure-mode rules.

    Resilience score (0-100, :data:`RESILIENCE_FORMULA`): half for the share of the NIFTY's
    drawdown avoided, half for the return relative to the NIFTY in units of twice its
    drawdown (50 % of that half for matching it). Holding the index scores 25, cash in a
    crash close to 100. The failure mode is the first rule that matches, in this order:

    1. ``resilient``: score >= ``resilient_score``.
    2. ``tail event``: the NIFTY lost ``<= tail_day_return`` close to close on some session of
       the period, the student lost money, and at least ``tail_loss_share`` of its log loss
       came on those sessions.
    3. ``regime change``: annualised NIFTY volatility in the period > ``vol_ratio`` x that of
       the ``trailing_sessions`` sessions before it.
    4. ``overfit``: over the ``trailing_sessions`` before the period the walk-forward student's
       'up' precision beat the base rate of 'up' labels by ``>= precision_edge`` (labels that
       ended before the period only), but inside the period it did not beat the base rate by
       more than ``precision_collapse``.
    5. ``unexplained``: none of the above (lost to the index without a market-wide cause or a
       measured loss of edge).
    """

    cash_rate: float = StressConfig().cash_rate
    """Annual rate of the cash leg of the 60/40 and cash baselines (fraction)."""
    min_sessions: int = 5
    tail_day_return: float = -0.05
    tail_loss_share: float = 0.5
    vol_ratio: float = 2.0
    trailing_sessions: int = 252
    precision_edge: float = 0.02
    precision_collapse: float = 0.0
    resilient_score: float = 50.0
    periods_per_year: int = 252
    risk_free_rate: float = 0.0

    def rules_text(self) -> dict[str, str]:
        """The failure-mode rules with this instance's thresholds, for reports."""
        return {
            "resilient": f"resilience score >= {self.resilient_score:g}",
            "tail event": (
                f"a NIFTY session <= {self.tail_day_return:.0%} in the period, the student lost, "
                f"and >= {self.tail_loss_share:.0%} of its log loss came on such sessions"
            ),
            "regime change": (
                f"NIFTY annualised volatility in the period > {self.vol_ratio:g} x that of the "
                f"{self.trailing_sessions} sessions before it"
            ),
            "overfit": (
                f"pre-period walk-forward 'up' precision minus base rate >= "
                f"{self.precision_edge:.0%} but in-period precision minus base rate "
                f"<= {self.precision_collapse:.0%}"
            ),
            "unexplained": "none of the above",
        }


@dataclass(frozen=True)
class StressRow:
    """Metrics of one strategy or baseline over one period (fractions; see module doc)."""

    name: str
    total_return: float
    max_drawdown: float
    sharpe: float | None
    sortino: float | None
    hit_rate: float | None
    precision: float | None = None
    recall: float | None = None
    n_sessions: int = 0
    na_reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (None for undefined values, reasons in ``na_reasons``)."""
        keys = ("total_return", "max_drawdown", "sharpe", "sortino", "hit_rate")
        out: dict[str, Any] = {"name": self.name}
        out |= {k: json_number(getattr(self, k)) for k in (*keys, "precision", "recall")}
        return out | {"n_sessions": self.n_sessions, "na_reasons": dict(self.na_reasons)}


def json_number(x: Any) -> Any:
    """A float, or None for NaN/inf (JSON has no NaN); anything else unchanged."""
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(float(x)) else None
    return x


def _entry_returns(
    open_px: pd.DataFrame, close_px: pd.DataFrame, fill: str, *, ffill: bool
) -> pd.DataFrame:
    """Session returns after the decision session (row 0): day 1 from the entry, then c-to-c."""
    close = close_px.ffill() if ffill else close_px
    r = (close / close.shift(1) - 1.0).iloc[1:].copy()
    if fill == "next_open":
        r.iloc[0] = (close_px.iloc[1] / open_px.iloc[1] - 1.0).to_numpy()
    else:
        r.iloc[0] = np.where(close_px.iloc[1].notna(), 0.0, np.nan)
    return r


def baseline_returns(
    open_px: pd.DataFrame,
    close_px: pd.DataFrame,
    bench_open: pd.Series,
    bench_close: pd.Series,
    *,
    fill: str,
    rules: StressRules,
) -> pd.DataFrame:
    """Daily returns of the four baselines over the sessions after the decision session.

    Parameters
    ----------
    open_px, close_px : pandas.DataFrame
        Session x symbol prices, row 0 = the first decision session, then the period.
    bench_open, bench_close : pandas.Series
        NIFTY 50 on the same sessions (missing sessions are carried flat).
    fill : {"next_open", "next_close"}
    rules : StressRules
        ``cash_rate`` and ``periods_per_year``.

    Returns
    -------
    pandas.DataFrame
        Index = the period sessions; columns NIFTY, EQUAL, SIXTY_FORTY, CASH (fractions).
    """
    idx = close_px.index
    nifty_o = bench_open.reindex(idx).to_frame(NIFTY)
    nifty_c = bench_close.reindex(idx).to_frame(NIFTY)
    nifty_o.iloc[1] = nifty_o.iloc[1].fillna(nifty_c.ffill().iloc[0])
    nifty = _entry_returns(nifty_o, nifty_c, fill, ffill=True)[NIFTY].fillna(0.0)
    ew = _entry_returns(open_px, close_px, fill, ffill=False).mean(axis=1, skipna=True)
    cash = m.per_period_rf(rules.cash_rate, rules.periods_per_year)
    out = pd.DataFrame({NIFTY: nifty, EQUAL: ew.fillna(0.0)}, index=idx[1:])
    out[SIXTY_FORTY] = 0.6 * out[NIFTY] + 0.4 * cash
    out[CASH] = cash
    return out


def row_metrics(
    name: str, r: pd.Series, rules: StressRules, *, scores: dict[str, float] | None = None
) -> StressRow:
    """Metrics of one daily return series over a period (see the module docstring).

    Parameters
    ----------
    name : str
    r : pandas.Series
        Daily simple returns (fractions), no NaN, at least one session.
    rules : StressRules
        ``min_sessions``, ``periods_per_year``, ``risk_free_rate``.
    scores : dict, optional
        ``precision`` and ``recall`` of the student's 'up' calls.

    Returns
    -------
    StressRow
        Undefined values (too few sessions, zero variance, no 'up' call ...) are None, with
        the reason under the metric's name in ``na_reasons``.
    """
    n = len(r)
    why: dict[str, str] = {}
    rf, periods = rules.risk_free_rate, rules.periods_per_year
    sharpe: float | None = None
    sortino: float | None = None
    if n < rules.min_sessions:
        few = f"{n} session(s) < {rules.min_sessions}: too few to annualise"
        why["sharpe"] = why["sortino"] = few
    else:
        sharpe = m.sharpe(r, rf=rf, periods=periods)
        sortino = m.sortino(r, rf=rf, periods=periods)
        if not math.isfinite(sharpe):
            why["sharpe"] = "zero variance of daily returns"
        if not math.isfinite(sortino):
            why["sortino"] = "no session below the risk-free rate"
    hit = m.hit_rate(r)
    if not math.isfinite(hit):
        why["hit_rate"] = "no session with a non-zero return (flat all period)"
    prec = rec = None
    if scores is None:
        why["precision"] = why["recall"] = "baseline: no predictions"
    else:
        prec, rec = scores["precision"], scores["recall"]
        if not math.isfinite(prec):
            why["precision"] = "no 'up' call with a known label in the period"
        if not math.isfinite(rec):
            why["recall"] = "no realised 'up' label in the period"
    return StressRow(
        name=name,
        total_return=float(np.prod(1.0 + r.to_numpy(dtype=float)) - 1.0),
        max_drawdown=max(0.0, -m.max_drawdown(r).depth) + 0.0,
        sharpe=_defined(sharpe),
        sortino=_defined(sortino),
        hit_rate=_defined(hit),
        precision=_defined(prec),
        recall=_defined(rec),
        n_sessions=n,
        na_reasons=why,
    )


def _defined(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def resilience_score(student: StressRow, benchmark: StressRow) -> float:
    """Resilience score 0-100 of ``student`` against ``benchmark`` (:data:`RESILIENCE_FORMULA`)."""
    dd_b = max(benchmark.max_drawdown, 0.01)
    avoided = float(np.clip(1.0 - student.max_drawdown / dd_b, 0.0, 1.0))
    relative = (student.total_return - benchmark.total_return) / (2.0 * dd_b)
    return 100.0 * (0.5 * avoided + 0.5 * float(np.clip(0.5 + relative, 0.0, 1.0)))


def classify_failure(
    score: float, student_r: pd.Series, diag: dict[str, Any], rules: StressRules
) -> tuple[str, str]:
    """First matching failure mode of :class:`StressRules` and the rule text with the numbers.

    Parameters
    ----------
    score : float
        Resilience score.
    student_r : pandas.Series
        Student daily net returns in the period.
    diag : dict
        ``nifty_worst_return``, ``tail_days`` (list of sessions), ``vol_period``,
        ``vol_trailing``, ``pre_precision_lift``, ``period_precision_lift`` (NaN = unknown).
    rules : StressRules

    Returns
    -------
    (mode, rule) : tuple of str
    """
    if score >= rules.resilient_score:
        return "resilient", f"resilience score {score:.1f} >= {rules.resilient_score:g}"
    logs = np.log1p(student_r.clip(lower=-0.999999))
    total = float(logs.sum())
    tail_days = diag.get("tail_days", [])
    if tail_days and total < 0:
        on_tail = float(logs.loc[logs.index.isin(tail_days)].sum())
        if on_tail / total >= rules.tail_loss_share:
            return "tail event", (
                f"NIFTY fell {diag['nifty_worst_return']:.1%} on {diag['nifty_worst_day']} "
                f"(<= {rules.tail_day_return:.0%}); the student's log return on such sessions "
                f"was {on_tail:.1%} against {total:.1%} over the period (>= "
                f"{rules.tail_loss_share:.0%} of its loss)"
            )
    v, vt = diag.get("vol_period", math.nan), diag.get("vol_trailing", math.nan)
    if math.isfinite(v) and math.isfinite(vt) and vt > 0 and v > rules.vol_ratio * vt:
        return "regime change", (
            f"NIFTY volatility {v:.1%}/yr in the period > {rules.vol_ratio:g} x the trailing "
            f"{rules.trailing_sessions} sessions' {vt:.1%}/yr"
        )
    pre, now = diag.get("pre_precision_lift", math.nan), diag.get("period_precision_lift", math.nan)
    known = math.isfinite(pre) and math.isfinite(now)
    if known and pre >= rules.precision_edge and now <= rules.precision_collapse:
        return "overfit", (
            f"'up' precision beat the base rate by {pre:+.1%} before the period "
            f"(>= {rules.precision_edge:.0%}) but by {now:+.1%} in it "
            f"(<= {rules.precision_collapse:.0%})"
        )
    return "unexplained", (
        f"resilience score {score:.1f} < {rules.resilient_score:g} and no tail-event, "
        "regime-change or overfit rule matched"
    )


def inject_gap_down(
    open_px: pd.DataFrame, close_px: pd.DataFrame, day: pd.Timestamp, shock: float = -0.10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shocked copies of wide prices: every column gaps by ``shock`` at ``day``'s open.

    Every open and close from ``day`` on is multiplied by ``1 + shock``; earlier prices are
    unchanged, so the close-to-open move into ``day`` is ``(1 + shock) x`` the original one and
    every later return is unchanged.

    Parameters
    ----------
    open_px, close_px : pandas.DataFrame
        Session x symbol prices (a benchmark can be passed as a one-column frame).
    day : pandas.Timestamp
        Session of the gap (tz IST).
    shock : float, default -0.10
        Relative gap (fraction, > -1).

    Returns
    -------
    (open_px, close_px) : tuple of pandas.DataFrame

    Raises
    ------
    DataError
        If ``shock <= -1`` or ``day`` is not a session of the frames.
    """
    if not shock > -1.0:
        raise DataError(f"gap-down shock {shock} must be > -1", hint="pass e.g. -0.10 for -10 %")
    if day not in close_px.index:
        raise DataError(f"shock day {day} is not a session of the prices", hint="pick a session")
    after = close_px.index >= day
    o, c = open_px.copy(), close_px.copy()
    o.loc[after] *= 1.0 + shock
    c.loc[after] *= 1.0 + shock
    return o, c


def shock_bars(bars: pd.DataFrame, day: pd.Timestamp, shock: float = -0.10) -> pd.DataFrame:
    """Bars (``timestamp``, OHLC ...) with open/high/low/close scaled by ``1 + shock`` from ``day``.

    Used to rebuild features for a synthetic shock exactly like :func:`inject_gap_down` moves
    the prices (volume and other columns unchanged).
    """
    out = bars.copy()
    after = np.asarray(pd.DatetimeIndex(out["timestamp"]) >= day)
    for col in ("open", "high", "low", "close"):
        out.loc[after, col] = out.loc[after, col].astype(float) * (1.0 + shock)
    return out
