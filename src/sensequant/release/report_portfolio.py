"""What the strategy held: exposure and time in market, holdings over time (top names, sector
weights) and turnover, from ``returns/daily.parquet``, ``returns/holdings.parquet`` and
``returns/ledger.parquet`` (see :mod:`sensequant.release.report`)."""

from __future__ import annotations

from typing import Final

import pandas as pd

from sensequant.release import charts
from sensequant.release.briefing import STUDENT
from sensequant.release.report_card import max_invested
from sensequant.release.report_common import _esc, _figure, _na, _p, _Run, _table, fmt_number

TOP_NAMES: Final = 15
"""Rows of the top-names table."""
AREA_NAMES: Final = 10
"""Symbols drawn separately in the holdings chart (the rest are summed as "other stocks")."""
LOW_EXPOSURE: Final = 0.8
"""Mean exposure below which the report warns that the comparison with NIFTY is unequal."""
_HELD: Final = 1e-9
NO_INDUSTRY: Final = (
    "no industries recorded for this run's stocks: the catalog's symbol master had none "
    "(import NSE's constituent list, `sensequant data import FOLDER/ind_nifty100list.csv`, "
    "before the run)"
)


def _exposure(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    if "student_exposure" not in run.daily:
        return _na("returns/daily.parquet has no student_exposure column")
    expo = run.series("student_exposure")
    mean, cash = float(expo.mean()), float((expo <= _HELD).mean())
    full = float((expo >= 0.95).mean())
    bench, equal = run.labels.benchmark, run.labels.equal_weight
    ew = run.perf(equal) or {}
    out = []
    sentence = (
        f"On average the strategy held {fmt_number(mean, 'pct')} of its equity in stocks and "
        f"was all in cash on {fmt_number(cash, 'pct')} of sessions; {_esc(bench)} is "
        "always 100 % invested. Cash earns nothing here, so a low exposure lowers both risk "
        "and return: compare risk-adjusted numbers (Sharpe), not total returns alone."
    )
    out.append(_p(sentence, "alert" if mean < LOW_EXPOSURE else ""))
    uni = run.b.get("universe") or {}
    ceiling = max_invested(run.section("portfolio"), int(uni.get("n_symbols") or 0))
    rows = [
        ["mean exposure (invested fraction)", fmt_number(mean, "pct"), "100.0 %",
         run.v(ew, "exposure", "pct", f"performance.{equal}")],
        ["median exposure", fmt_number(float(expo.median()), "pct"), "100.0 %", ""],
        ["time in market (sessions with exposure > 0)", fmt_number(1.0 - cash, "pct"),
         "100.0 %", run.v(ew, "time_in_market", "pct", f"performance.{equal}")],
        ["sessions all in cash", fmt_number(cash, "pct"), "0.0 %", ""],
        ["sessions at least 95 % invested", fmt_number(full, "pct"), "100.0 %", ""],
        ["lowest / highest exposure",
         f"{fmt_number(float(expo.min()), 'pct')} / {fmt_number(float(expo.max()), 'pct')}",
         "", ""],
    ]  # fmt: skip
    if ceiling is not None:
        rows.append(["most the portfolio rule can invest", fmt_number(ceiling, "pct"), "", ""])
    table = _table(["", STUDENT, bench, equal], rows, align="lrrr")
    chart = charts.line_chart(
        {"student exposure": expo, "21-session mean": expo.rolling(21, min_periods=1).mean()},
        "chart-exposure",
        yaxis="invested",
        percent=True,
        fill_first=True,
        hline=1.0,
        height=320,
    )
    caption = (
        "Gross weight held at each session's close (returns/daily.parquet, student_exposure); "
        f"dotted line = fully invested, like {_esc(run.labels.benchmark_short)}."
    )
    return "".join(out) + table + _figure(chart, caption)


def _holdings_frame(run: _Run) -> tuple[pd.DataFrame | None, str]:
    frame, why = run.returns_frame("holdings")
    if frame is None:
        return None, why + " (runs made before holdings were saved)"
    if run.daily is not None:
        frame = frame.reindex(run.daily.index).fillna(0.0)
    return frame.astype(float).clip(lower=0.0), ""


def _monthly(frame: pd.DataFrame) -> pd.DataFrame:
    idx = pd.DatetimeIndex(frame.index)
    naive = idx.tz_localize(None) if idx.tz is not None else idx
    return frame.set_axis(naive).resample("MS").mean()


def _with_cash(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(cash=(1.0 - frame.sum(axis=1)).clip(lower=0.0))


def _holdings(run: _Run) -> str:
    frame, why = _holdings_frame(run)
    if frame is None:
        return _na(why)
    if not (frame > _HELD).any().any():
        return _na("the strategy never held a stock")
    industries = (run.b.get("universe") or {}).get("industries") or {}
    held = frame > _HELD
    order = frame.mean().sort_values(ascending=False).index
    rows = [
        [
            _esc(sym),
            _esc(industries.get(sym) or "") if industries else "",
            fmt_number(float(frame[sym].mean()), "pct"),
            fmt_number(float(held[sym].mean()), "pct"),
            fmt_number(float(frame[sym].max()), "pct"),
            fmt_number(float(frame[sym].iloc[-1]), "pct"),
        ]
        for sym in order[:TOP_NAMES]
    ]
    headers = ["stock", "industry", "mean weight", "sessions held", "max weight", "at OOS end"]
    out = [
        "<h3>Top names</h3>",
        _table(headers, rows, align="llrrrr"),
        _p(
            f"{int(held.any().sum())} of {frame.shape[1]} stocks were held at some point; "
            f"{fmt_number(float(held.sum(axis=1).mean()), 'gain')} names on an average "
            "session. Weights are fractions of that session's equity at the close "
            "(returns/holdings.parquet).",
            "note",
        ),
    ]
    top = list(order[:AREA_NAMES])
    shown = frame[top].copy()
    rest = [c for c in frame.columns if c not in top]
    if rest:
        shown["other stocks"] = frame[rest].sum(axis=1)
    chart = charts.stacked_area(
        _with_cash(_monthly(shown)), "chart-holdings", yaxis="weight (monthly mean)"
    )
    out.append(_figure(chart, "Monthly mean weight of each stock and of cash (stacked to 100 %)."))
    out.append("<h3>Sector weights</h3>")
    out.append(_sectors(frame, industries))
    return "".join(out)


def _sectors(frame: pd.DataFrame, industries: dict[str, str | None]) -> str:
    if not any(industries.get(s) for s in frame.columns):
        return _p(_na(NO_INDUSTRY))
    names = {s: industries.get(s) or "unknown industry" for s in frame.columns}
    sectors = frame.T.groupby(pd.Series(names)).sum().T
    order = sectors.mean().sort_values(ascending=False).index
    sectors = sectors[order]
    rows = [
        [
            _esc(sec),
            str(sum(1 for v in names.values() if v == sec)),
            fmt_number(float(sectors[sec].mean()), "pct"),
            fmt_number(float(sectors[sec].max()), "pct"),
            fmt_number(float(sectors[sec].iloc[-1]), "pct"),
        ]
        for sec in order
    ]
    table = _table(
        ["industry", "stocks in universe", "mean weight", "max weight", "at OOS end"],
        rows,
        align="lrrrr",
    )
    chart = charts.stacked_area(
        _with_cash(_monthly(sectors)), "chart-sectors", yaxis="weight (monthly mean)"
    )
    caption = "Industry = the NIFTY 100 list's Industry column (the catalog's symbol master)."
    return table + _figure(chart, caption)


def _turnover(run: _Run) -> str:
    if run.daily is None:
        return _na(run.daily_reason)
    if "student_turnover" not in run.daily:
        return _na("returns/daily.parquet has no student_turnover column")
    t = run.series("student_turnover")
    idx = pd.DatetimeIndex(t.index)
    naive = idx.tz_localize(None) if idx.tz is not None else idx
    monthly = t.set_axis(naive).resample("MS").sum()
    annual = float(t.mean()) * run.periods
    trade_days = int((t > 0).sum())
    out = [
        _p(
            f"Annualised turnover {fmt_number(annual, 'multiple')} of equity (buys plus sells, "
            f"so replacing the whole book once counts 2x); trades on {trade_days} of "
            f"{len(t)} sessions ({fmt_number(trade_days / max(len(t), 1), 'pct')})."
        )
    ]
    chart = charts.bar_chart(
        list(pd.DatetimeIndex(monthly.index).strftime("%Y-%m")),
        {"turnover (sum over the month)": monthly.to_numpy()},
        "chart-turnover",
        yaxis="traded notional / equity",
        height=320,
    )
    out.append(
        _figure(
            chart,
            "Traded notional as a multiple of equity, summed per calendar month "
            "(returns/daily.parquet, student_turnover).",
        )
    )
    by_year = t.groupby(naive.year)
    total, traded, size = by_year.sum(), (t > 0).groupby(naive.year).sum(), by_year.size()
    rows = [
        [str(y), fmt_number(float(total[y]), "multiple"), str(int(traded[y])), str(int(size[y]))]
        for y in total.index
    ]
    out.append(_table(["year", "turnover", "sessions with trades", "sessions"], rows, align="lrrr"))
    return "".join(out)
