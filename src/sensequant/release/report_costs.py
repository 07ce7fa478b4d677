"""Gross vs net returns and the rupees paid per NSE charge, from ``returns/daily.parquet``
(``student_gross``, ``student_net``, ``student_costs``) and ``returns/cost_components.parquet``
(the ledger's trades split by the fee schedule; see
:mod:`sensequant.pipeline.cost_components`). Part of :mod:`sensequant.release.report`."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from sensequant.evaluation import metrics
from sensequant.evaluation import series_metrics as sm
from sensequant.release import charts
from sensequant.release.report_common import (
    _esc,
    _figure,
    _finite,
    _na,
    _p,
    _Run,
    _table,
    fmt_number,
)

COMPONENT_LABELS: Final[dict[str, str]] = {
    "stt": "STT (securities transaction tax)",
    "exchange_txn": "exchange transaction charge (NSE)",
    "ipft": "IPFT (investor protection fund trust)",
    "sebi_fee": "SEBI turnover fee",
    "stamp_duty": "stamp duty (buys)",
    "brokerage": "brokerage",
    "dp_charge": "DP charge (per stock per sell day)",
    "gst": "GST (on brokerage, exchange, SEBI and DP charges)",
    "slippage": "slippage (modelled, per side)",
}
"""Display name of every column of ``returns/cost_components.parquet``, in table order."""
NAMES: Final = ("cost_components", "ledger")


def _rupees(x: float) -> str:
    return f"Rs {x:,.0f}" if abs(x) >= 100 else f"Rs {x:,.2f}"


def _gross_net(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    need = [c for c in ("student_gross", "student_net", "student_costs") if c not in run.daily]
    if need:
        return _na(f"returns/daily.parquet has no {', '.join(need)} column")
    gross, net = run.series("student_gross"), run.series("student_net")
    cost = run.series("student_costs")
    p, rf = run.periods, run.rf
    rows = []
    for label, fn, kind in (
        ("total return", lambda r: float((1.0 + r).prod() - 1.0), "pct"),
        ("CAGR", lambda r: metrics.cagr(r, periods=p), "pct"),
        ("Sharpe", lambda r: metrics.sharpe(r, rf=rf, periods=p), "ratio"),
        ("volatility", lambda r: metrics.annual_volatility(r, periods=p), "pct"),
    ):
        g, n = fn(gross), fn(net)
        diff = g - n if _finite(g) and _finite(n) else float("nan")
        rows.append(
            [label]
            + [fmt_number(v, kind) if _finite(v) else _na("undefined") for v in (g, n, diff)]
        )
    drag = float(cost.mean()) * p
    rows.append(["costs per year (fraction of equity, arithmetic)", "", "",
                 fmt_number(drag, "pct2")])  # fmt: skip
    table = _table(["", "gross (before costs)", "net (after costs)", "gross - net"], rows,
                   align="lrrr")  # fmt: skip
    chart = charts.line_chart(
        {"student net": sm.growth_of_one(net), "student gross": sm.growth_of_one(gross)},
        "chart-gross-net",
        yaxis="growth of 1",
        height=340,
    )
    caption = (
        "Gross = the same trades without any charge or slippage; net = after every cost "
        "(returns/daily.parquet)."
    )
    return table + _figure(chart, caption)


def _components(run: _Run) -> str:
    path, ledger_path = (run.run_dir / "returns" / f"{n}.parquet" for n in NAMES)
    if not path.is_file():
        ledger = pd.read_parquet(ledger_path) if ledger_path.is_file() else None
        total = (
            f" The trade ledger's total cost is {_rupees(float(ledger['cost_inr'].sum()))}."
            if ledger is not None and "cost_inr" in ledger
            else ""
        )
        why = f"returns/{NAMES[0]}.parquet not in the run directory (runs made before costs "
        return _p(_na(why + "were split by charge)") + total)
    frame = pd.read_parquet(path)
    if frame.empty:
        return _p(_na("the strategy never traded: no cost was paid"))
    cols = [c for c in COMPONENT_LABELS if c in frame]
    totals = frame[cols].sum()
    paid = float(frame["cost_inr"].sum())
    notional = float(frame["notional_inr"].sum())
    rows = [
        [
            _esc(COMPONENT_LABELS[c]),
            _rupees(float(totals[c])),
            fmt_number(float(totals[c]) / paid, "pct") if paid > 0 else _na("nothing paid"),
            f"{float(totals[c]) / notional * 1e4:.2f}" if notional > 0 else "",
        ]
        for c in cols
    ]
    rows.append(
        ["<b>total</b>", f"<b>{_rupees(float(totals.sum()))}</b>", "100.0 %",
         f"{paid / notional * 1e4:.2f}" if notional > 0 else ""]
    )  # fmt: skip
    capital = float(run.section("backtest").get("capital_inr") or 0.0)
    n_buy = int((frame["side"] == "buy").sum())
    out = [
        _p(
            f"{len(frame):,} trades ({n_buy:,} buys, {len(frame) - n_buy:,} sells), "
            f"{_rupees(notional)} traded in all; {_rupees(paid)} paid"
            + (f", {fmt_number(paid / capital, 'pct')} of the starting capital" if capital else "")
            + ". Rupees are at the backtest's compounding equity (starting capital "
            + (_rupees(capital) if capital else "unknown")
            + "): they scale with it, except the fixed DP charge."
        ),
        _table(
            ["charge", "rupees paid", "share of costs", "bp of traded notional"], rows, align="lrrr"
        ),
    ]
    stamp = pd.DatetimeIndex(frame["date"])
    years = (stamp.tz_localize(None) if stamp.tz is not None else stamp).year
    by_year = frame[cols].groupby(np.asarray(years)).sum()
    chart = charts.bar_chart(
        [str(y) for y in by_year.index],
        {COMPONENT_LABELS[c]: by_year[c].to_numpy() for c in cols if totals[c] > 0},
        "chart-costs",
        yaxis="rupees paid",
        stacked=True,
        height=340,
    )
    out.append(_figure(chart, "Rupees paid per charge and calendar year."))
    gap = abs(float(totals.sum()) - paid)
    out.append(
        _p(
            "Each trade's charges follow the effective-dated NSE fee schedule for its date and "
            "side (returns/cost_components.parquet); slippage is the ledger's cost minus those "
            f"charges. The components add up to the ledger's {_rupees(paid)} "
            f"(difference {_rupees(gap)}).",
            "note",
        )
    )
    return "".join(out)


def _costs(run: _Run) -> str:
    return (
        "<h3>Gross vs net returns</h3>"
        + _gross_net(run)
        + "<h3>Rupees paid per charge</h3>"
        + _components(run)
    )
