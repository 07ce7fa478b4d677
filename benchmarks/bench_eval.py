"""Benchmark: backtest throughput (ours vs vectorbt) and stationary-bootstrap Sharpe CI time.

Prints figures; asserts nothing about timings. Run from the project root::

    .venv/bin/python benchmarks/bench_eval.py [--data ../shared/data] [--symbols 50] [--years 20]

Prices: the daily CSVs in ``<data>/nse_daily_yf`` (read with pandas directly; the last
``--years`` years, zero-volume stale holiday rows dropped, dates kept where at least half the
symbols trade, interior gaps carried forward) when that folder exists, else a seeded synthetic
panel of the same size. Signals: 20-session momentum, top 10 names at 10 % each, decided at
every close. Both engines run the same book with zero costs and next-open fills; vectorbt gets
the targets shifted one bar (it fills at the signal bar's own price, see
``tests/evaluation/test_backtest_vectorbt.py``). vectorbt is a dev-only dependency.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sensequant.evaluation.backtest import BacktestResult, run_backtest
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.stats import bootstrap_sharpe_ci
from sensequant.settings import BacktestConfig
from sensequant.types import IST

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ZERO_FEES = FeeSchedule.from_mapping(
    {
        "version": 1,
        "currency": "INR",
        "charges": [
            {"charge": "stt", "segment": "delivery", "side": "both", "rate": 0.0,
             "valid_from": dt.date(1990, 1, 1), "valid_to": None, "source": "benchmark",
             "gst_applies": False}
        ],
        "gst": [{"rate": 0.0, "valid_from": dt.date(1990, 1, 1), "valid_to": None,
                 "source": "benchmark"}],
    }
)  # fmt: skip


def load_real(folder: Path, n_symbols: int, years: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide open/close frames (session x symbol) from the Yahoo daily CSVs."""
    opens, closes = {}, {}
    for path in sorted(folder.glob("*.csv"))[:n_symbols]:
        raw = pd.read_csv(path, usecols=["Date", "Open", "Close", "Volume"], parse_dates=["Date"])
        raw = raw.loc[(raw["Volume"] > 0) & (raw["Date"].dt.dayofweek < 5)]
        raw = raw.drop_duplicates("Date").set_index("Date").sort_index()
        opens[path.stem], closes[path.stem] = raw["Open"], raw["Close"]
    open_, close = pd.DataFrame(opens).sort_index(), pd.DataFrame(closes).sort_index()
    start = close.index.max() - pd.DateOffset(years=years)
    keep = (close.index > start) & (close.notna().sum(axis=1) >= close.shape[1] / 2)
    open_, close = open_.loc[keep].ffill(), close.loc[keep].ffill()
    index = pd.DatetimeIndex(close.index).tz_localize(IST)
    return open_.set_axis(index), close.set_axis(index)


def synthetic(n_symbols: int, years: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded geometric random walks (1.8 % daily volatility, 0.8 % open gaps)."""
    rng = np.random.default_rng(seed)
    n = 252 * years
    idx = pd.bdate_range("2004-01-01", periods=n, tz=IST)
    cols = [f"S{i:02d}" for i in range(n_symbols)]
    close = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.018, (n, n_symbols)), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.008, (n, n_symbols)))
    return pd.DataFrame(open_, index=idx, columns=cols), pd.DataFrame(
        close, index=idx, columns=cols
    )


def momentum_top_k(close: pd.DataFrame, lookback: int = 20, k: int = 10) -> pd.DataFrame:
    """Equal-weight top-k by trailing return, decided at each close (0 where not held)."""
    mom = close / close.shift(lookback) - 1.0
    rank = mom.rank(axis=1, ascending=False, method="first")
    return (rank <= k).astype(float) / k


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Fastest wall time of ``repeat`` calls and the last call's result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def vectorbt_runner(
    weights: pd.DataFrame, open_: pd.DataFrame, close: pd.DataFrame
) -> tuple[float, Callable[[], pd.Series]] | None:
    """(import seconds, a call returning vectorbt's value series) or None if not installed."""
    t0 = time.perf_counter()
    try:
        import vectorbt as vbt
    except ImportError:
        return None
    t_import = time.perf_counter() - t0
    # vectorbt values positions at every bar: give listed-later symbols their first price
    # before listing (never held there: their momentum is NaN, target 0)
    price, mark = open_.bfill(), close.bfill()
    size = weights.shift(1)  # decided at t's close -> order on bar t+1, at its open

    def call() -> pd.Series:
        pf = vbt.Portfolio.from_orders(
            mark, size=size, size_type="targetpercent", price=price, val_price=price,
            init_cash=1.0, cash_sharing=True, group_by=True, call_seq="auto", fees=0.0,
            freq="1D",
        )  # fmt: skip
        value: pd.Series = pf.value()
        return value

    return t_import, call


def main() -> None:
    """Parse arguments, run the benchmarks, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--symbols", type=int, default=50)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3, help="timed repetitions (best is shown)")
    ap.add_argument("--reps", type=int, default=10_000, help="bootstrap replications")
    ap.add_argument("--boot-days", type=int, default=5_000)
    args = ap.parse_args()

    folder = args.data / "nse_daily_yf"
    if folder.is_dir():
        open_, close = load_real(folder, args.symbols, args.years)
        source = f"real ({folder})"
    else:
        open_, close = synthetic(args.symbols, args.years)
        source = "synthetic (seeded; no real data found)"
    weights = momentum_top_k(close)
    n_days, n_sym = close.shape
    sym_days = n_days * n_sym
    print(f"prices: {source}")
    print(
        f"panel: {n_sym} symbols x {n_days} sessions ({close.index[0].date()} .. "
        f"{close.index[-1].date()}), {sym_days:,} symbol-days; signal: 20-day momentum top-10, "
        "decided every close, next-open fills"
    )

    zero = BacktestConfig(fill="next_open", slippage_bps=0.0)
    costed = BacktestConfig(fill="next_open", slippage_bps=5.0)
    nse = FeeSchedule.load()

    def ours_zero() -> BacktestResult:
        return run_backtest(weights, open_, close, fees=ZERO_FEES, cfg=zero)

    def ours_costed() -> BacktestResult:
        return run_backtest(weights, open_, close, fees=nse, cfg=costed, tolerance=0.02)

    t_ours, res = best_of(ours_zero, args.repeat)
    t_costed, res_costed = best_of(ours_costed, args.repeat)
    rows: list[tuple[str, float]] = [
        ("sensequant run_backtest, zero cost", t_ours),
        ("sensequant run_backtest, NSE fees + 5 bp, band 2 %", t_costed),
    ]
    vbt_out = vectorbt_runner(weights, open_, close)
    if vbt_out is not None:
        t_import, call = vbt_out
        t_first, _ = best_of(call, 1)
        t_vbt, value = best_of(call, args.repeat)
        rows += [("vectorbt from_orders, first call (numba compile)", t_first),
                 ("vectorbt from_orders, warm", t_vbt)]  # fmt: skip

    print(f"\n{'backtest':<52} {'seconds':>9} {'symbol-days/s':>15} {'vs ours':>9}")
    for name, sec in rows:
        print(f"{name:<52} {sec:9.3f} {sym_days / sec:15,.0f} {sec / t_ours:8.2f}x")
    if vbt_out is not None:
        rel = (value.reindex(res.equity.index) / res.equity - 1.0).abs().max()
        print(
            f"vectorbt import: {t_import:.1f} s; ratio warm vectorbt / ours: {t_vbt / t_ours:.2f}"
        )
        print(
            f"equity agreement, ours vs vectorbt: max relative diff {rel:.1e} over "
            f"{len(res.equity):,} points (the engines snap near-zero orders to zero with "
            "different float tolerances); "
            f"final equity {res.equity.iloc[-1]:.4f} vs {value.iloc[-1]:.4f}"
        )
    else:
        print("vectorbt not installed: comparison skipped (pip install -e '.[dev]')")
    print(f"final equity: zero-cost {res.equity.iloc[-1]:.3f}, with NSE costs "
          f"{res_costed.equity.iloc[-1]:.3f} (multiple of starting capital)")  # fmt: skip

    r = res_costed.returns_net.iloc[-args.boot_days :]
    print(
        f"\n{'bootstrap Sharpe CI':<38} {'seconds':>9} {'estimate':>9} {'95% CI':>17} {'block':>6}"
    )
    times = {}
    for method in ("percentile", "bca"):
        t0 = time.perf_counter()
        ci = bootstrap_sharpe_ci(r, reps=args.reps, confidence=0.95, seed=0, method=method)
        times[method] = time.perf_counter() - t0
        print(
            f"{f'{method}, {args.reps:,} reps, {len(r):,} days':<38} {times[method]:9.2f} "
            f"{ci.estimate:9.3f} [{ci.lower:6.3f}, {ci.upper:6.3f}] {ci.block_length:6.0f}"
        )
    print(f"ratio bca / percentile: {times['bca'] / times['percentile']:.2f}")


if __name__ == "__main__":
    main()
