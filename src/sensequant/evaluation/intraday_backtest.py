"""Intraday backtest: decide at a bar's close, fill at the next bar's open, square off daily.

Timing (no look-ahead)
----------------------
``weights`` row ``t`` (a bar START timestamp) is decided from bars up to ``t``'s close and filled
at the OPEN of the next bar ``t+1`` of the SAME session; a decision on a session's last bar is
never filled (the next session would trade on yesterday's close). Per bar ``j``::

    the carried book earns close_{j-1} -> open_j          (g1; nothing is carried overnight
                                                           with square_off)
    at open_j the book is traded to the target            (costs c, fraction of equity)
    the new book earns open_j -> close_j                  (g2)
    net = g1 * (1 - c) * g2 - 1

Session rules (:class:`~sensequant.config_sections.IntradayConfig`)
-------------------------------------------------------------------
* ``square_off``: at the open of the session's last bar every position is closed (decided at
  the close of the bar before), so the book is flat over the last bar and the night.
* ``no_entry_minutes``: a fill whose bar starts within the session's last N minutes may only
  reduce positions (no new name, no added weight).
* A symbol without a bar at the fill (a gap inside the day) is not traded then; the square-off
  closes it at its last known price.

Costs
-----
Every order is costed in rupees with the NSE intraday (MIS) schedule of its trade date,
:meth:`~sensequant.evaluation.costs.FeeSchedule.order_costs` (brokerage min(0.03 %, Rs 20) per
order, STT on sells, stamp duty on buys, exchange, SEBI, IPFT, GST), plus ``slippage_bps`` per
side, on the order's notional ``|delta w| x equity``; equity compounds from ``capital_inr``.

Per-session series (:func:`per_session`): returns compounded over the session's bars, costs
and turnover summed, exposure averaged over the bars; index = the session date (IST midnight).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sensequant.config_sections import IntradayConfig
from sensequant.errors import DataError
from sensequant.evaluation.backtest import LEDGER_COLUMNS, BacktestResult
from sensequant.evaluation.costs import FeeSchedule, Side
from sensequant.settings import BacktestConfig

__all__ = ["IntradayBacktest", "per_session", "run_intraday_backtest"]

_EPS = 1e-12


@dataclass(frozen=True)
class IntradayBacktest:
    """Result of :func:`run_intraday_backtest`.

    Attributes
    ----------
    bars : BacktestResult
        Per-bar series (index = bar start); ``holdings`` are the weights held at each bar's
        close; ``ledger`` one row per order with ``cost_inr`` in rupees.
    sessions : BacktestResult
        The same aggregated per session (:func:`per_session`).
    """

    bars: BacktestResult
    sessions: BacktestResult


def _session_layout(idx: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    day = idx.normalize().asi8
    new = np.concatenate(([True], day[1:] != day[:-1]))
    session = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    last = np.append(starts[1:] - 1, len(day) - 1)[session]
    return session, last, new


def run_intraday_backtest(
    weights: pd.DataFrame,
    open_px: pd.DataFrame,
    close_px: pd.DataFrame,
    *,
    fees: FeeSchedule,
    cfg: BacktestConfig,
    rules: IntradayConfig,
    bar_minutes: int,
) -> IntradayBacktest:
    """Simulate target weights on intraday bars (see the module docstring).

    Parameters
    ----------
    weights : pandas.DataFrame
        Target weights (decision bar x symbol, fractions of equity, ``sum |w| <=
        rules.max_gross``); negative weights are short positions (intraday only).
    open_px, close_px : pandas.DataFrame
        Bar x symbol prices (rupees), the same sorted index (a superset of ``weights``'
        bars) and columns (a superset of ``weights``'); NaN = no bar for that symbol.
    fees : FeeSchedule
    cfg : BacktestConfig
        ``capital_inr`` and ``slippage_bps`` (the segment is always intraday here).
    rules : IntradayConfig
    bar_minutes : int
        Bar length (5 for 5minute), to place the no-entry window.

    Returns
    -------
    IntradayBacktest

    Raises
    ------
    DataError
        Unsorted prices, decision bars that are not price bars, or weights above the cap.
    """
    idx = pd.DatetimeIndex(close_px.index)
    if not (idx.is_monotonic_increasing and idx.is_unique):
        raise DataError("intraday prices must have sorted unique bar timestamps")
    weights = weights.sort_index().fillna(0.0)
    pos = idx.get_indexer(weights.index)
    if (pos < 0).any():
        bad = weights.index[pos < 0][0]
        raise DataError(f"decision bar {bad} is not a price bar", hint="align weights to bars")
    gross = weights.abs().sum(axis=1).to_numpy()
    if (gross > rules.max_gross + 1e-9).any():
        raise DataError(
            f"weights exceed intraday.max_gross {rules.max_gross} (max {gross.max():.3f})",
            hint="scale the targets down",
        )
    symbols = list(weights.columns)
    o = open_px[symbols].to_numpy(dtype=float)
    c = close_px[symbols].to_numpy(dtype=float)
    c_c = pd.DataFrame(c).ffill().to_numpy()
    o_c = np.where(np.isfinite(o), o, c_c)  # a gap bar: carried at the last close
    n, m = c.shape
    session, last, first_bar = _session_layout(idx)
    local = idx.tz_convert("Asia/Kolkata")
    start_min = np.asarray(local.hour * 60 + local.minute)
    close_min = start_min[last] + bar_minutes
    late = (close_min - start_min) <= rules.no_entry_minutes

    fill = np.full(n, -1, dtype=np.int64)  # row of `weights` filled at bar j
    f = pos + 1
    ok = (f < n) & (session[np.minimum(f, n - 1)] == session[pos])
    fill[f[ok]] = np.flatnonzero(ok)
    w = weights.to_numpy(dtype=float)

    r_net, r_gross = np.zeros(n), np.zeros(n)
    costs, turnover, held = np.zeros(n), np.zeros(n), np.zeros((n, m))
    rows: list[tuple[pd.Timestamp, str, str, float, float, float, float, float]] = []
    h, equity = np.zeros(m), 1.0
    slip = cfg.slippage_bps / 1e4
    for j in range(n):
        g1 = 1.0
        if j > 0 and (not first_bar[j] or h.any()):  # overnight only without square-off
            with np.errstate(invalid="ignore", divide="ignore"):
                ret = np.nan_to_num(o_c[j] / c_c[j - 1] - 1.0)
            g1 = 1.0 + float(h @ ret)
            h = h * (1.0 + ret) / g1 if g1 > 0 else h
        equity *= g1
        tgt = None
        if rules.square_off and j == last[j]:
            tgt = np.zeros(m)
            tradable = np.ones(m, dtype=bool)
        elif fill[j] >= 0:
            tgt = w[fill[j]].copy()
            tradable = np.isfinite(o[j])
            if late[j]:  # no new entries: only reduce, never add or flip
                same = np.sign(tgt) == np.sign(h)
                tgt = np.where(same & (np.abs(tgt) <= np.abs(h)), tgt, np.where(same, h, 0.0))
        cost = 0.0
        if tgt is not None:
            tgt = np.where(tradable, tgt, h)
            delta = tgt - h
            delta[np.abs(delta) < _EPS] = 0.0
            eq_inr = equity * cfg.capital_inr
            day = idx[j]
            for i in np.flatnonzero(delta):
                side: Side = "buy" if delta[i] > 0 else "sell"
                notional = abs(float(delta[i])) * eq_inr
                fee = fees.order_costs(notional, side, day, "intraday").total
                cost_inr = fee + slip * notional
                cost += cost_inr
                rows.append(
                    (day, symbols[i], side, abs(float(delta[i])), notional, float(o_c[j, i]),
                     cost_inr, eq_inr)
                )  # fmt: skip
            turnover[j] = float(np.abs(delta).sum())
            cost = min(cost / eq_inr, 1.0) if eq_inr > 0 else 0.0
            h = tgt
        with np.errstate(invalid="ignore", divide="ignore"):
            r_in = np.nan_to_num(c_c[j] / o_c[j] - 1.0)
        g2 = 1.0 + float(h @ r_in)
        h = h * (1.0 + r_in) / g2 if g2 > 0 else np.zeros(m)
        costs[j] = cost
        r_gross[j] = g1 * g2 - 1.0
        r_net[j] = g1 * (1.0 - cost) * g2 - 1.0
        equity *= (1.0 - cost) * max(g2, 0.0)
        held[j] = h
    bars = _result(idx, symbols, r_net, r_gross, costs, turnover, held, rows, cfg)
    return IntradayBacktest(bars=bars, sessions=per_session(bars))


def _result(
    idx: pd.DatetimeIndex,
    symbols: list[str],
    r_net: np.ndarray,
    r_gross: np.ndarray,
    costs: np.ndarray,
    turnover: np.ndarray,
    held: np.ndarray,
    rows: list[tuple[pd.Timestamp, str, str, float, float, float, float, float]],
    cfg: BacktestConfig,
) -> BacktestResult:
    holdings = pd.DataFrame(held, index=idx, columns=symbols)
    ledger = pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))
    return BacktestResult(
        returns_gross=pd.Series(r_gross, index=idx, name="returns_gross"),
        returns_net=pd.Series(r_net, index=idx, name="returns_net"),
        costs=pd.Series(costs, index=idx, name="costs"),
        turnover=pd.Series(turnover, index=idx, name="turnover"),
        equity=pd.Series(np.cumprod(1.0 + r_net), index=idx, name="equity"),
        exposure=holdings.abs().sum(axis=1).rename("exposure"),
        holdings=holdings,
        ledger=ledger,
        fill="next_open",
        segment="intraday",
        capital_inr=cfg.capital_inr,
    )


def per_session(bars: BacktestResult) -> BacktestResult:
    """Aggregate a per-bar result per session (IST date).

    Parameters
    ----------
    bars : BacktestResult
        Per-bar series (index = bar starts, tz IST).

    Returns
    -------
    BacktestResult
        ``returns_*`` compounded over the session's bars, ``costs`` and ``turnover`` summed
        (fractions of equity; turnover per session), ``exposure`` the mean gross exposure over
        the bars, ``holdings`` the weights at the session's last close (all 0 with
        square-off), ``equity`` at each session's close; the ledger is unchanged.
    """
    key = pd.DatetimeIndex(bars.returns_net.index).normalize()

    def compound(s: pd.Series) -> pd.Series:
        return (1.0 + s).groupby(key).prod() - 1.0

    net = compound(bars.returns_net)
    holdings = bars.holdings.groupby(key).last()
    return BacktestResult(
        returns_gross=compound(bars.returns_gross).rename("returns_gross"),
        returns_net=net.rename("returns_net"),
        costs=bars.costs.groupby(key).sum().rename("costs"),
        turnover=bars.turnover.groupby(key).sum().rename("turnover"),
        equity=(1.0 + net).cumprod().rename("equity"),
        exposure=bars.exposure.groupby(key).mean().rename("exposure"),
        holdings=holdings,
        ledger=bars.ledger,
        fill=bars.fill,
        segment=bars.segment,
        capital_inr=bars.capital_inr,
    )
