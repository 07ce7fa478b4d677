"""Rules that fit a run to its universe: the benchmark of a universe, and tiny universes.

* A packaged universe may name its own benchmark (``resources/universes.yaml``: the metals
  ETFs use ``equal-weight``, an index of their own equal-weight basket, since the NIFTY 50
  stock index does not describe gold and silver). :func:`universe_benchmark` applies it when
  the run keeps the default benchmark.
* :class:`BasketBenchmarkStore` serves that basket as if it were a stored series, so every
  phase reads the benchmark the same way (open and close of an equal-weight basket of the
  run's symbols, rebalanced every bar, no costs).
* :func:`fit_portfolio` caps ``top_k`` of the portfolio rule and its trials below the universe
  size: with 2 ETFs a top-10 rule would hold both, always, and the model would choose nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.market import to_ist
from sensequant.data.reference import packaged_universes
from sensequant.data.store import BarStore, DataFingerprint
from sensequant.dataset import MIN_VALID_PER_DATE
from sensequant.evaluation.baselines import BaselineSeries, buy_and_hold_baseline
from sensequant.evaluation.costs import FeeSchedule
from sensequant.pipeline.intraday import (
    INTRADAY_CONVENTIONS,
    check_span,
    intraday_benchmark,
    intraday_profile,
    session_completeness,
)
from sensequant.pipeline.preflight import PreflightReport, preflight, top_k_warnings
from sensequant.settings import BacktestConfig, RunConfig
from sensequant.types import BENCHMARK_SYMBOL

__all__ = [
    "EQUAL_WEIGHT_BENCHMARK",
    "BasketBenchmarkStore",
    "basket_bars",
    "fit_portfolio",
    "preflight_for_universe",
    "run_store",
    "single_symbol_holds",
    "universe_benchmark",
]

SMALL_UNIVERSE: Final = 5
"""Universes of at most this many symbols also get each symbol's buy-and-hold baseline."""
EQUAL_WEIGHT_BENCHMARK: Final = "equal-weight"
"""``data.benchmark`` value meaning: the equal-weight basket of the run's own symbols."""


def preflight_for_universe(
    config: RunConfig, store: BarStore, catalog: Catalog, warn: Callable[[str], None]
) -> tuple[RunConfig, BarStore, PreflightReport]:
    """Pre-flight with the interval's and the universe's rules.

    Intraday defaults (:func:`sensequant.pipeline.intraday.intraday_profile`), the universe's
    benchmark, the benchmark at the interval, pre-flight, then the portfolio fitted to the
    universe's size and, on intraday bars, the incomplete sessions listed.

    Parameters
    ----------
    config : RunConfig
    store : BarStore
        The run's store; wrapped in a :class:`BasketBenchmarkStore` when the benchmark is
        :data:`EQUAL_WEIGHT_BENCHMARK`.
    catalog : Catalog
    warn : callable
        Called with each note (the reporter's ``warn``).

    Returns
    -------
    (RunConfig, BarStore, PreflightReport)
        The adapted config (the one the run saves) and store, and the pre-flight report,
        whose ``notes`` carry every change (preflight.json, the briefing's data notes).

    Raises
    ------
    NoDataError, UnknownUniverseError, UsageError
        As :func:`sensequant.pipeline.preflight.preflight`.
    """
    config, notes = intraday_profile(config)
    config, bench_note = universe_benchmark(config)
    config, interval_note = intraday_benchmark(config, store)
    pf = preflight(config, store, catalog)
    config, fit_notes = fit_portfolio(config, len(pf.symbols))
    # pre-flight's top-k warnings were about the rule before the cap: say what still holds
    pf.warnings[:] = top_k_warnings(config, len(pf.symbols))
    notes += [n for n in (bench_note, interval_note) if n] + fit_notes
    if config.data.interval != "1day":
        iv = config.data.interval
        notes.append(INTRADAY_CONVENTIONS)
        if pf.symbols:  # none usable: the run stops with too_few_sessions_hint instead
            notes += [n for n in [check_span(config, pf.range_start, pf.range_end)] if n]
        notes += session_completeness(store, pf.symbols, iv, pf.range_start, pf.range_end)
    for note in notes:
        warn(note)
    pf.notes.extend(notes)
    if config.data.benchmark == EQUAL_WEIGHT_BENCHMARK:
        store = BasketBenchmarkStore(store, EQUAL_WEIGHT_BENCHMARK, pf.symbols)
    return config, store, pf


def run_store(store: BarStore, config: RunConfig, symbols: Sequence[str]) -> BarStore:
    """``store`` as a finished run read it: the basket served as the benchmark when the run's
    benchmark is :data:`EQUAL_WEIGHT_BENCHMARK` and ``store`` does not hold it (a run's
    snapshot holds it already; the live store does not)."""
    name = config.data.benchmark
    if name != EQUAL_WEIGHT_BENCHMARK or store.exists(name, config.data.interval):
        return store
    return BasketBenchmarkStore(store, name, symbols)


def universe_benchmark(config: RunConfig) -> tuple[RunConfig, str | None]:
    """Apply the benchmark a packaged universe names, when the run keeps the default one.

    Parameters
    ----------
    config : RunConfig

    Returns
    -------
    (RunConfig, str or None)
        The config (``data.benchmark`` replaced, or unchanged) and a note saying why (None
        when unchanged). An explicit non-default ``data.benchmark`` is always kept.
    """
    entry = packaged_universes().get(config.data.universe.strip().lower())
    wanted = None if entry is None else entry.get("benchmark")
    if not wanted or config.data.benchmark != BENCHMARK_SYMBOL or wanted == BENCHMARK_SYMBOL:
        return config, None
    new = config.with_overrides(benchmark=str(wanted))
    note = (
        f"benchmark: universe '{config.data.universe}' names '{wanted}' (the equal-weight "
        "basket of its own symbols, rebalanced every bar, no costs) instead of the NIFTY 50 "
        "stock index; the report's benchmark rows are labelled as that basket"
    )
    return new, note


def fit_portfolio(config: RunConfig, n_symbols: int) -> tuple[RunConfig, list[str]]:
    """Fit the target and the portfolio rule to a small universe.

    With fewer than ``MIN_VALID_PER_DATE`` (5) symbols a cross-sectional target would be NaN
    on every date: the target becomes ``ts_volscaled`` and per-date feature normalisation is
    switched off (each says so). Then ``top_k`` of the portfolio rule and of every trial is
    capped at ``n_symbols - 1``, and ``hold_buffer`` so that ``top_k + hold_buffer`` stays
    below the universe size (else a held name could never drop out).

    A top-k rule with ``k >= n`` holds the whole universe at every rebalance: the strategy is
    the equal-weight basket whatever the model says. Capping at ``n - 1`` (1 for 2 symbols)
    keeps a choice; duplicate trials left by the cap are dropped later (the trial list keeps
    distinct rules only). A universe of ONE symbol keeps ``top_k = 1`` (long or flat).

    Parameters
    ----------
    config : RunConfig
    n_symbols : int
        Symbols that passed pre-flight.

    Returns
    -------
    (RunConfig, list of str)
        The config (unchanged when every ``top_k < n_symbols``) and one warning per change.
    """
    cap = max(1, n_symbols - 1)
    notes: list[str] = []

    def capped(rule: Any, where: str) -> Any:
        if rule.top_k > cap:
            notes.append(
                f"{where}.top_k {rule.top_k} >= {n_symbols} symbols in the universe: capped at "
                f"{cap} (a top-{rule.top_k} rule would hold every symbol, always)"
            )
            rule = rule.model_copy(update={"top_k": cap})
        buffer = max(0, cap - rule.top_k)
        if rule.top_k + rule.hold_buffer > cap and rule.hold_buffer > buffer:
            notes.append(
                f"{where}.hold_buffer {rule.hold_buffer} -> {buffer}: a held name ranked within "
                f"top_k + hold_buffer >= {n_symbols} would never be sold"
            )
            rule = rule.model_copy(update={"hold_buffer": buffer})
        return rule

    if n_symbols < MIN_VALID_PER_DATE and config.labels.target in ("cs_rank", "cs_zscore"):
        notes.append(
            f"labels.target {config.labels.target} needs at least {MIN_VALID_PER_DATE} symbols "
            f"per date ({n_symbols} in the universe): using ts_volscaled (each symbol's own "
            "forward return over sigma * sqrt(h)) instead"
        )
        config = config.model_copy(
            update={"labels": config.labels.model_copy(update={"target": "ts_volscaled"})}
        )
    if n_symbols < MIN_VALID_PER_DATE and config.features.cs_normalize != "none":
        notes.append(
            f"features.cs_normalize {config.features.cs_normalize} over {n_symbols} symbols "
            "per date would leave only their order: using none (raw feature values)"
        )
        features = config.features.model_copy(update={"cs_normalize": "none"})
        config = config.model_copy(update={"features": features})
    portfolio = capped(config.portfolio, "portfolio")
    trials = [capped(t, f"backtest.trials[{i}]") for i, t in enumerate(config.backtest.trials)]
    if config.portfolio == portfolio and config.backtest.trials == trials:
        return config, notes
    distinct: list[Any] = []
    for t in trials:
        if t not in distinct:
            distinct.append(t)
    backtest = config.backtest.model_copy(update={"trials": distinct})
    return config.model_copy(update={"portfolio": portfolio, "backtest": backtest}), notes


def basket_bars(store: BarStore, members: Sequence[str], interval: str) -> pd.DataFrame:
    """Bars of the equal-weight basket of ``members`` (an index starting at 100).

    Parameters
    ----------
    store : BarStore
        Holds the members' bars at ``interval``.
    members : sequence of str
        At least one of them stored at ``interval`` (the others are left out).
    interval : str

    Returns
    -------
    pandas.DataFrame
        ``timestamp, open, high, low, close, volume`` over the union of the members' bars:
        ``close_t = close_{t-1} * (1 + mean_i r_i,t)`` with ``r`` each member's close-to-close
        return (members without a bar at t or t-1 left out of the mean), ``open_t =
        close_{t-1} * (1 + mean_i (open_i,t / close_i,t-1 - 1))``; high/low the max/min of
        open and close; volume NaN. Indices and an equal-weight basket carry no dividends.
    """
    opens, closes = {}, {}
    for s in members:
        if not store.exists(s, interval):  # e.g. a member with intraday bars only
            continue
        b = store.read(s, interval, columns=["timestamp", "open", "close"])
        ix = pd.DatetimeIndex(b["timestamp"])
        opens[s] = pd.Series(b["open"].to_numpy(dtype=float), index=ix)
        closes[s] = pd.Series(b["close"].to_numpy(dtype=float), index=ix)
    o, c = pd.DataFrame(opens).sort_index(), pd.DataFrame(closes).sort_index()
    prev = c.ffill().shift(1)  # a member's last close before t (a gap bar is skipped)
    r_close = (c / prev - 1.0).mean(axis=1, skipna=True).fillna(0.0).to_numpy()
    r_open = (o / prev - 1.0).mean(axis=1, skipna=True).fillna(0.0).to_numpy()
    close = 100.0 * np.cumprod(1.0 + r_close)
    prev_close = np.concatenate(([100.0], close[:-1]))
    open_ = prev_close * (1.0 + r_open)
    return pd.DataFrame(
        {
            "timestamp": c.index,
            "open": open_,
            "high": np.maximum(open_, close),
            "low": np.minimum(open_, close),
            "close": close,
            "volume": np.full(len(close), np.nan),
        }
    )


class BasketBenchmarkStore(BarStore):
    """A read view of a store that also serves ``name`` as the equal-weight basket of ``members``.

    Every other read, and every other attribute, goes to the wrapped store.

    Parameters
    ----------
    inner : BarStore
        The run's store (e.g. an ``AdjustedBarStore``).
    name : str
        The benchmark name the run's config carries (:data:`EQUAL_WEIGHT_BENCHMARK`).
    members : sequence of str
        The run's symbols.
    """

    def __init__(self, inner: BarStore, name: str, members: Sequence[str]) -> None:
        # a view: no super().__init__ (no lock, no folder of its own)
        self._inner = inner
        self._name = name
        self._members = list(members)
        self.root = inner.root
        self._cache: dict[str, pd.DataFrame] = {}

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.__dict__["_inner"], attr)

    def exists(self, symbol: str, interval: str) -> bool:
        """As :meth:`BarStore.exists`; the basket exists at an interval where any member does
        (an intraday run's members may have no daily bars)."""
        if symbol == self._name:
            return any(self._inner.exists(m, interval) for m in self._members)
        return self._inner.exists(symbol, interval)

    def read(
        self,
        symbol: str,
        interval: str,
        *,
        start: Any = None,
        end: Any = None,
        columns: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> pd.DataFrame:
        """As :meth:`BarStore.read`; the basket is computed over the whole history, then cut."""
        if symbol != self._name:
            return self._inner.read(
                symbol, interval, start=start, end=end, columns=columns, **kwargs
            )
        if interval not in self._cache:
            self._cache[interval] = basket_bars(self._inner, self._members, interval)
        frame = self._cache[interval]
        ts = pd.DatetimeIndex(frame["timestamp"])
        keep = np.ones(len(frame), dtype=bool)
        if start is not None:
            keep &= ts >= to_ist(start)
        if end is not None:  # a midnight end means the whole day, as in BarStore.read
            e = to_ist(end)
            keep &= (ts < e + pd.Timedelta(days=1)) if e == e.normalize() else (ts <= e)
        out = frame.loc[keep].reset_index(drop=True)
        if columns is not None:
            out = out.loc[:, ["timestamp", *[c for c in columns if c != "timestamp"]]]
        return out

    def fingerprint(self, symbol: str, interval: str) -> DataFingerprint:
        """As :meth:`BarStore.fingerprint`; the basket's hash covers its members' hashes."""
        if symbol != self._name:
            return self._inner.fingerprint(symbol, interval)
        parts = [self._inner.fingerprint(s, interval) for s in self._members]
        digest = hashlib.sha256(b"equal-weight basket v1\0")
        for p in parts:
            digest.update(f"{p.symbol}\0{p.sha256}\0".encode())
        frame = self.read(symbol, interval, columns=["timestamp"])
        return DataFingerprint(
            symbol=symbol,
            interval=interval,
            first=frame["timestamp"].iloc[0],
            last=frame["timestamp"].iloc[-1],
            bars=len(frame),
            sha256=digest.hexdigest(),
        )


def single_symbol_holds(
    open_px: pd.DataFrame,
    close_px: pd.DataFrame,
    start: pd.Timestamp,
    *,
    fees: FeeSchedule,
    cfg: BacktestConfig,
    end: pd.Timestamp,
) -> dict[str, BaselineSeries]:
    """Each symbol bought once and held, for a small universe (e.g. each metals ETF).

    Parameters
    ----------
    open_px, close_px : pandas.DataFrame
        Session x symbol prices (rupees), as the backtest phase reads them.
    start, end : pandas.Timestamp
        First OOS decision session and the last session.
    fees : FeeSchedule
    cfg : BacktestConfig

    Returns
    -------
    dict of str to BaselineSeries
        ``"<SYMBOL> bought and held"`` -> the baseline (costs of the one purchase included);
        empty for a universe of more than :data:`SMALL_UNIVERSE` symbols, and a symbol without
        a close at ``start`` is left out.
    """
    if close_px.shape[1] > SMALL_UNIVERSE:
        return {}
    out: dict[str, BaselineSeries] = {}
    if start not in close_px.index:
        return out
    at_start = close_px.loc[start].to_numpy(dtype=np.float64)
    for sym, px in zip(close_px.columns, at_start, strict=True):
        if not np.isfinite(px):
            continue
        name = f"{sym} bought and held"
        out[name] = buy_and_hold_baseline(
            open_px[[sym]], close_px[[sym]], start, fees=fees, cfg=cfg, end=end, name=name
        )
    return out
