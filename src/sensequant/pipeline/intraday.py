"""The intraday run: its defaults, its pre-flight checks, its benchmark.

``sensequant run --interval 5minute`` runs the same phases as the daily job; what differs:

* :func:`intraday_profile`: settings left at their DAILY defaults get intraday values (a
  30-minute label horizon inside the session, one session of volatility lookback, the
  ``intraday`` + ``returns`` + ``daily`` + ``cross_sectional`` feature sets, 60-day teacher
  windows, a 90-day student warm-up, rebalancing every 30 minutes, MIS costs); every value
  changed is listed in the pre-flight notes. A setting the user changed is kept.
* :func:`session_completeness`: sessions with fewer bars than the grid expects (the store's
  :func:`sensequant.data.market.expected_bars`: 75 at 5 minutes, Muhurat and special sessions
  included) are listed per symbol.
* :func:`intraday_benchmark`: the benchmark at the run's interval; the NIFTY 50 index where the
  store has it, else the equal-weight basket of the run's symbols over the same bars (said so).
* Backtest: :mod:`sensequant.pipeline.intraday_evidence`. Stress: the daily crisis replay does
  not apply to bars; :mod:`sensequant.pipeline.intraday_stress` replays intraday shocks.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

import pandas as pd

from sensequant.data.market import expected_bars
from sensequant.data.store import BarStore
from sensequant.settings import PortfolioConfig, RunConfig
from sensequant.time_units import to_bars

__all__ = [
    "INTRADAY_CONVENTIONS",
    "INTRADAY_SETS",
    "intraday_benchmark",
    "intraday_profile",
    "session_completeness",
]

_BAR_KEYS: Final = frozenset({"horizon", "vol_lookback", "rebalance_every", "sample_every"})
INTRADAY_SETS: Final[list[str]] = ["intraday", "returns", "daily", "cross_sectional"]
"""The intraday run's default feature sets."""


INTRADAY_CONVENTIONS: Final = (
    "intraday conventions: decided at a bar's close, filled at the next bar's open of the same "
    "session, NSE intraday (MIS) costs per order plus slippage, every position squared off at "
    "the session's last bar (no overnight position), no new entries in the last "
    "intraday.no_entry_minutes; labels inside the session; bar returns compounded per session "
    "and every statistic (Sharpe, volatility, drawdown, DSR) computed from session returns x "
    "stats.periods_per_year; turnover per session; IC per bar and per session"
)
"""The note every intraday run's briefing carries (its data notes)."""


def _trials(every: int) -> list[PortfolioConfig]:
    fast = max(1, every // 2)
    return [
        PortfolioConfig(score="score", top_k=3, rebalance_every=every, hold_buffer=1),
        PortfolioConfig(score="score", top_k=5, rebalance_every=every, hold_buffer=2),
        PortfolioConfig(score="score", top_k=8, rebalance_every=every, hold_buffer=2),
        PortfolioConfig(score="score", top_k=5, rebalance_every=fast, hold_buffer=0),
    ]


def intraday_profile(config: RunConfig) -> tuple[RunConfig, list[str]]:
    """Give settings left at their daily defaults their intraday values.

    Parameters
    ----------
    config : RunConfig
        With an intraday ``data.interval`` (a daily config is returned unchanged).

    Returns
    -------
    (RunConfig, list of str)
        The config and one note per changed setting (``labels.horizon 5 -> 6 bars (30min)``).
    """
    iv = config.data.interval
    if iv == "1day":
        return config, []
    base = RunConfig()
    raw = config.model_dump()
    notes: list[str] = []
    every = to_bars("30min", iv)
    wanted: dict[tuple[str, str], Any] = {
        ("labels", "horizon"): every,
        ("labels", "vol_lookback"): to_bars("1session", iv),
        ("features", "sets"): INTRADAY_SETS,
        ("windows", "length_days"): 60,
        ("windows", "step_days"): 30,
        ("windows", "min_samples"): 300,
        ("student", "test_period_days"): 30,
        ("student", "train_lookback_days"): 180,
        ("student", "min_train_days"): 90,
        ("student", "sample_every"): 3,
        ("portfolio", "top_k"): 5,
        ("portfolio", "rebalance_every"): every,
        ("portfolio", "hold_buffer"): 2,
        ("backtest", "cost_segment"): "intraday",
        ("backtest", "rebalance_tolerance"): 0.0,
        ("data", "min_history_sessions"): 100,
        ("data", "start"): None,
    }
    default = base.model_dump()
    for (section, key), value in wanted.items():
        if raw[section][key] == default[section][key] and raw[section][key] != value:
            unit = " bars" if key in _BAR_KEYS else ""
            notes.append(f"{section}.{key} {raw[section][key]} -> {value}{unit} (intraday default)")
            raw[section][key] = value
    if raw["backtest"]["trials"] == default["backtest"]["trials"]:
        raw["backtest"]["trials"] = [t.model_dump() for t in _trials(every)]
        notes.append(f"backtest.trials -> top 3/5/8 every {every} bars, top 5 every "
                     f"{max(1, every // 2)} bars (intraday default)")  # fmt: skip
    if config.stress.enabled and config.stress.periods_file is None:
        notes.append("stress: the daily crisis periods are replaced by intraday shocks")
    return RunConfig.model_validate(raw), notes


def intraday_benchmark(config: RunConfig, store: BarStore) -> tuple[RunConfig, str | None]:
    """The benchmark at the run's interval: kept when stored, else the equal-weight basket.

    Returns
    -------
    (RunConfig, str or None)
        The config and a note when the benchmark was replaced.
    """
    dc = config.data
    if (
        dc.interval == "1day"
        or dc.benchmark == "equal-weight"
        or store.exists(dc.benchmark, dc.interval)
    ):
        return config, None
    note = (
        f"benchmark: {dc.benchmark} has no {dc.interval} bars in the store (absent); the "
        f"benchmark rows show the equal-weight basket of the run's symbols over the same bars "
        "(rebalanced every bar, no costs) instead"
    )
    return config.with_overrides(benchmark="equal-weight"), note


def session_completeness(
    store: BarStore, symbols: list[str], interval: str, start: pd.Timestamp, end: pd.Timestamp
) -> list[str]:
    """Per symbol, the sessions with fewer bars than the session grid expects.

    Parameters
    ----------
    store : BarStore
    symbols : list of str
    interval : str
        An intraday interval.
    start, end : pandas.Timestamp
        The run's range.

    Returns
    -------
    list of str
        One note per symbol with incomplete sessions (the first three named, with their
        bar counts), then one line of sessions incomplete in most symbols.
    """
    notes: list[str] = []
    common: Counter[str] = Counter()
    for s in symbols:
        ts = pd.DatetimeIndex(
            store.read(s, interval, start=start, end=end, columns=["timestamp"])["timestamp"]
        )
        counts = pd.Series(1, index=ts.normalize()).groupby(level=0).sum()
        short = []
        for day, n in counts.items():
            want = expected_bars(interval, pd.Timestamp(str(day)).date())
            if want is not None and n < want:
                short.append(f"{pd.Timestamp(str(day)).date()} {n}/{want}")
        if short:
            common.update(x.split()[0] for x in short)
            more = f" and {len(short) - 3} more" if len(short) > 3 else ""
            notes.append(f"{s}: {len(short)} incomplete session(s): {', '.join(short[:3])}{more}")
    shared = sorted(d for d, k in common.items() if k > len(symbols) / 2)
    if shared:
        notes.append(f"incomplete in most symbols: {', '.join(shared[:10])}")
    return notes
