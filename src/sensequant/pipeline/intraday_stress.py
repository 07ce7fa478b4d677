"""Intraday stress: a named event inside the data and two synthetic intraday shocks.

The daily replay (:mod:`sensequant.pipeline.stress_phase`) re-scores the walk-forward students
over multi-week crises of daily bars; it does not apply to intraday bars. An intraday run
reports instead (in the stress section's notes, each with the student's book and the
equal-weight basket, both with the run's intraday execution and MIS costs):

* named events inside the out-of-sample bars (:data:`INTRADAY_EVENTS`, e.g. the 2024-06-04
  election-result session): the session's net return and its intraday drawdown (from the
  session's open equity to its worst bar close);
* a synthetic -5 % gap at the open of the last out-of-sample session: every price of that
  session is 5 % lower; an intraday book is flat over the night, so the gap costs it only what
  the session's re-entries at lower prices change, while a book held overnight loses the 5 %;
* a synthetic -3 % fall within ten minutes: from 11:00 IST in the same session prices fall
  linearly to -3 % over the next ten minutes of bars (two 5-minute bars, ten 1-minute bars; one
  bar where a bar is longer) and stay there.

The student's decisions are held FIXED in the shocks (the predictions the run made for that
session; the models are not re-scored on shocked features), which the notes say.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.data.store import BarStore
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.intraday_backtest import run_intraday_backtest
from sensequant.evaluation.stress_report import (
    IntradayScenario,
    Skipped,
    StressReport,
    StressRules,
)
from sensequant.pipeline.series_labels import series_labels
from sensequant.settings import RunConfig
from sensequant.time_units import BAR_MINUTES

__all__ = ["INTRADAY_EVENTS", "intraday_stress", "shock_session"]

INTRADAY_EVENTS: Final[dict[str, str]] = {
    "2024-06-04 election-result session": "2024-06-04",
}
"""Named intraday events (display name -> session date)."""
GAP: Final = -0.05
FALL: Final = -0.03
FALL_AT: Final = "11:00"
FALL_MINUTES: Final = 10
"""The synthetic fall reaches ``FALL`` over this many minutes of bars (at least one bar)."""


def fall_bars(bar_minutes: int) -> int:
    """Bars over which the synthetic fall reaches ``FALL`` at this bar length."""
    return max(1, round(FALL_MINUTES / bar_minutes))


def shock_session(px: pd.DataFrame, kind: str, bar_minutes: int = 5) -> pd.DataFrame:
    """One session's bar prices with a synthetic shock (see the module docstring).

    Parameters
    ----------
    px : pandas.DataFrame
        Bar x symbol prices of ONE session (rupees).
    kind : {"gap", "fall"}
    bar_minutes : int, default 5
        Bar length: the fall spreads over :func:`fall_bars` bars.

    Returns
    -------
    pandas.DataFrame
        Shocked prices (a copy).
    """
    if kind == "gap":
        return px * (1.0 + GAP)
    idx = pd.DatetimeIndex(px.index)
    at = (idx.tz_convert("Asia/Kolkata").strftime("%H:%M") >= FALL_AT).astype(float)
    step = np.cumsum(at) * (FALL / fall_bars(bar_minutes))
    return px.mul(1.0 + np.maximum(step, FALL), axis=0)


def _book(
    config: RunConfig,
    weights: pd.DataFrame,
    open_px: pd.DataFrame,
    close_px: pd.DataFrame,
    fees: FeeSchedule,
) -> tuple[float, float]:
    """(session net return, intraday drawdown) of ``weights`` on one session's bars."""
    res = run_intraday_backtest(
        weights.reindex(columns=close_px.columns).fillna(0.0), open_px, close_px, fees=fees,
        cfg=config.backtest.model_copy(update={"cost_segment": "intraday"}),
        rules=config.intraday, bar_minutes=BAR_MINUTES[config.data.interval],
    )  # fmt: skip
    equity = (1.0 + res.bars.returns_net).cumprod()
    drawdown = float((equity / np.maximum.accumulate(np.concatenate(([1.0], equity)))[1:]).min())
    return float(equity.iloc[-1] - 1.0), drawdown - 1.0


def _session_books(
    source: Any, day: pd.Timestamp, fees: FeeSchedule, kind: str | None
) -> tuple[float, float, float, float]:
    from sensequant.pipeline.intraday_evidence import intraday_weights

    config: RunConfig = source.config
    opens, closes = {}, {}
    for sym, bars in source.bars.items():
        ts = pd.DatetimeIndex(bars["timestamp"])
        keep = ts.normalize() == day
        opens[sym] = pd.Series(bars["open"].to_numpy(dtype=float)[keep], index=ts[keep])
        closes[sym] = pd.Series(bars["close"].to_numpy(dtype=float)[keep], index=ts[keep])
    o, c = pd.DataFrame(opens).sort_index(), pd.DataFrame(closes).sort_index()
    if kind is not None:
        minutes = BAR_MINUTES[config.data.interval]
        o, c = shock_session(o, kind, minutes), shock_session(c, kind, minutes)
    pred = source.student_oos
    today = pred[pd.DatetimeIndex(pred["timestamp"]).normalize() == day]
    student = _book(config, intraday_weights(today, config.portfolio, config), o, c, fees)
    first = c.index[:1]
    basket = pd.DataFrame(config.intraday.max_gross / c.shape[1], index=first, columns=c.columns)
    ew = _book(config, basket, o, c, fees)
    return (*student, *ew)


def intraday_stress(source: Any, store: BarStore) -> StressReport:
    """The stress report of an intraday run (see the module docstring).

    Parameters
    ----------
    source : StressSource
        The run in memory: config, bars per symbol, OOS student predictions.
    store : BarStore
        Unused (the bars are the run's own, in ``source``).

    Returns
    -------
    StressReport
        No daily period; the intraday events and shocks as ``intraday`` scenarios (and one
        note each), events outside the out-of-sample bars as skipped. The gate's worst stress
        loss is the worst student session return over the events and shocks
        (:meth:`~sensequant.evaluation.stress_report.StressReport.worst_loss`).
    """
    config: RunConfig = source.config
    rules = StressRules(
        cash_rate=config.stress.cash_rate,
        periods_per_year=config.stats.periods_per_year,
        risk_free_rate=config.stats.risk_free_rate,
    )
    bench = series_labels(config).benchmark
    if source.student_oos is None or source.student_oos.empty:
        why = "no out-of-sample student predictions: no intraday scenario replayed"
        return StressReport([], [], rules, notes=[why], benchmark=bench)
    fees = FeeSchedule.load()
    oos_days = pd.DatetimeIndex(source.student_oos["timestamp"]).normalize().unique().sort_values()
    notes = [
        "intraday run: the daily crisis periods do not apply to bars; intraday events and "
        "shocks below (the student's book as decided in the run, and the equal-weight basket, "
        "intraday execution and MIS costs; decisions held fixed in the synthetic shocks)"
    ]
    skipped = []
    scenarios: list[IntradayScenario] = []

    def line(name: str, day: pd.Timestamp, shock: str | None, kind: Any) -> str:
        s_ret, s_dd, e_ret, e_dd = _session_books(source, day, fees, shock)
        scenarios.append(
            IntradayScenario(name, day.date().isoformat(), kind, s_ret, s_dd, e_ret, e_dd)
        )
        return (
            f"{name} ({day.date()}): student {s_ret:+.2%} (intraday drawdown {s_dd:.2%}), "
            f"equal-weight basket {e_ret:+.2%} (drawdown {e_dd:.2%})"
        )

    for name, date in INTRADAY_EVENTS.items():
        day = pd.Timestamp(date).tz_localize("Asia/Kolkata")
        if day not in oos_days:
            skipped.append(Skipped(name=name, reason=f"{date} is not an out-of-sample session"))
            continue
        notes.append(line(name, day, None, "event"))
    if len(oos_days):
        last = oos_days[-1]
        notes.append(line("last OOS session as recorded", last, None, "recorded"))
        notes.append(
            line(f"synthetic {GAP:.0%} gap at the open", last, "gap", "synthetic")
            + f"; a book held overnight would lose {GAP:.0%} at the open"
        )
        minutes = fall_bars(BAR_MINUTES[config.data.interval]) * BAR_MINUTES[config.data.interval]
        fall = f"synthetic {FALL:.0%} fall in {minutes} minutes from {FALL_AT}"
        notes.append(line(fall, last, "fall", "synthetic"))
    return StressReport(
        periods=[],
        skipped=skipped,
        rules=rules,
        notes=notes,
        intraday=scenarios,
        benchmark=bench,
    )
