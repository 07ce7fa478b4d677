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
* :func:`check_span`: a span too short for the teacher windows and the student's warm-up is
  refused at pre-flight, naming the settings and the shipped ``intraday_1min`` configuration;
  a span under :data:`SHORT_SPAN_SESSIONS` sessions runs with a data note that it is far too
  short for evidence. :func:`too_few_sessions_hint` is the hint when every symbol has fewer
  sessions than ``data.min_history_sessions``.
* Backtest: :mod:`sensequant.pipeline.intraday_evidence`. Stress: the daily crisis replay does
  not apply to bars; :mod:`sensequant.pipeline.intraday_stress` replays intraday shocks.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

import pandas as pd

from sensequant.data.market import expected_bars, nse_sessions
from sensequant.data.store import BarStore
from sensequant.errors import PipelineError
from sensequant.settings import PortfolioConfig, RunConfig
from sensequant.time_units import BAR_MINUTES, to_bars

__all__ = [
    "INTRADAY_CONVENTIONS",
    "INTRADAY_SETS",
    "SHORT_SPAN_CONFIG",
    "SHORT_SPAN_SESSIONS",
    "check_span",
    "intraday_benchmark",
    "intraday_profile",
    "session_completeness",
    "too_few_sessions_hint",
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
SHORT_SPAN_SESSIONS: Final = 60
"""An intraday run over fewer sessions (about three months) gets the short-span data note."""
SHORT_SPAN_CONFIG: Final = "intraday_1min"
"""The shipped configuration for a few weeks of 1-minute bars (``configs/intraday_1min.yaml``)."""


def _use_config(interval: str) -> str:
    """The hint's pointer to the shipped short-span configuration, at the run's interval."""
    return (
        "for a few weeks of bars start from the shipped configuration: `sensequant run "
        f"--config configs/{SHORT_SPAN_CONFIG}.yaml --interval {interval}` (or `sensequant "
        f"config init --from {SHORT_SPAN_CONFIG}` to write an editable copy)"
    )


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
        # every 15 minutes of bars: 3 at 5minute, 15 at 1minute (at least 3)
        ("student", "sample_every"): max(3, 15 // BAR_MINUTES[iv]),
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


def too_few_sessions_hint(config: RunConfig) -> str:
    """The hint when no symbol has ``data.min_history_sessions`` sessions in the range.

    Parameters
    ----------
    config : RunConfig
        The run's (adapted) configuration.

    Returns
    -------
    str
        Names ``data.min_history_sessions`` and, on intraday bars, the shipped configuration
        for short spans.
    """
    dc = config.data
    hint = f"widen --start/--end or lower data.min_history_sessions (now {dc.min_history_sessions})"
    if dc.interval == "1day":
        return hint
    return f"{hint}; {_use_config(dc.interval)}"


def check_span(config: RunConfig, range_start: pd.Timestamp, range_end: pd.Timestamp) -> str | None:
    """Refuse an intraday range too short to train anything; note one too short for evidence.

    The teacher windows (``windows.length_days`` calendar days) must fit in the range, and
    the student's first test period starts ``student.min_train_days`` calendar days after
    the first soft label, so that must leave sessions to test on. Checked at pre-flight,
    before a run directory exists (otherwise the teacher or student phase fails later with
    no window trained or no test period).

    Parameters
    ----------
    config : RunConfig
        An intraday run's configuration (daily runs: None, nothing checked).
    range_start, range_end : pandas.Timestamp
        The run's range (IST).

    Returns
    -------
    str or None
        The short-span data note (fewer than :data:`SHORT_SPAN_SESSIONS` sessions), else None.

    Raises
    ------
    PipelineError
        The range is not longer than ``windows.length_days`` or ``student.min_train_days``;
        the message names both, and the hint the shipped short-span configuration.
    """
    if config.data.interval == "1day":
        return None
    days = (range_end.normalize() - range_start.normalize()).days + 1
    n = len(nse_sessions(range_start, range_end))
    win, warm = config.windows.length_days, config.student.min_train_days
    if days <= max(win, warm):
        raise PipelineError(
            f"the range {range_start.date()}..{range_end.date()} ({days} calendar days, {n} "
            f"sessions) is too short for windows.length_days {win} and student.min_train_days "
            f"{warm}: no teacher window fits, or no session is left out of sample",
            hint=f"lower windows.length_days, windows.step_days and student.min_train_days "
            f"(calendar days) below {days}; {_use_config(config.data.interval)}",
        )
    if n >= SHORT_SPAN_SESSIONS:
        return None
    first_test = range_start.normalize() + pd.Timedelta(days=warm)
    oos = len(nse_sessions(first_test, range_end))
    return (
        f"short span: {n} sessions ({range_start.date()}..{range_end.date()}) of "
        f"{config.data.interval} bars is far too short for evidence: after the student's "
        f"{warm}-day warm-up (student.min_train_days) at most about {oos} sessions are out of "
        "sample, so the Sharpe ratio, its interval, the DSR and the IC t-statistics are weak, "
        "several tests (bootstrap, SPA, PBO) may be not computable and the out-of-sample-days "
        "gate fails; read this run as a check that the pipeline runs on these bars, not as "
        "evidence for the strategy"
    )
