"""Time units in the run configuration, converted to bars of the run's interval.

Bar counts in the config (``labels.horizon``, ``labels.vol_lookback``,
``portfolio.rebalance_every`` and each trial's) may be written with a unit; the run
configuration converts them to bars of ``data.interval`` when it is validated, so the saved
``config.yaml`` holds the bars actually used::

    5            5 bars (sessions on daily bars), as before
    30min        minutes: 6 bars at 5minute, 30 at 1minute, 1 at 30minute
    2h           hours (120 minutes)
    1session     a regular session: 1 at 1day, 13 at 30minute, 75 at 5minute, 375 at 1minute
    5d           5 sessions (trading days), same as ``5sessions``

A duration that is not a whole number of bars (``7min`` at 5minute), or shorter than one
daily bar (``30min`` at 1day), is refused naming the key. A regular NSE session is 09:15-15:30
IST (375 minutes); special sessions are shorter, so ``1session`` is a count of bars, not a
promise to reach the close (``labels.to_close`` labels to the close).
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = [
    "BARS_PER_SESSION",
    "BAR_MINUTES",
    "INTERVAL_ALIASES",
    "convert_time_units",
    "to_bars",
]

INTERVAL_ALIASES: Final[dict[str, str]] = {
    "1d": "1day",
    "day": "1day",
    "daily": "1day",
    "30m": "30minute",
    "30min": "30minute",
    "5m": "5minute",
    "5min": "5minute",
    "1m": "1minute",
    "1min": "1minute",
}
"""Accepted spellings of ``data.interval`` (``--interval``) -> the store's interval name."""
BAR_MINUTES: Final[dict[str, int]] = {"30minute": 30, "5minute": 5, "1minute": 1}
BARS_PER_SESSION: Final[dict[str, int]] = {
    "1day": 1,
    "30minute": 13,
    "5minute": 75,
    "1minute": 375,
}
"""Bars of a regular 09:15-15:30 session (the last 30-minute bar is 15 minutes long)."""
SESSION_MINUTES: Final = 375

_DURATION = re.compile(
    r"^\s*(\d+)\s*(bars?|m|mins?|minutes?|h|hours?|d|days?|sessions?)\s*$", re.IGNORECASE
)
_KEYS: Final = (
    ("labels", "horizon"),
    ("labels", "vol_lookback"),
    ("portfolio", "rebalance_every"),
)


def to_bars(value: int | str, interval: str, *, key: str = "value") -> int:
    """Convert a bar count or a duration with a unit to bars of ``interval``.

    Parameters
    ----------
    value : int or str
        Bars (int, or digits) or a duration: ``30min``, ``2h``, ``1session``, ``5d``.
    interval : str
        ``1day``, ``30minute``, ``5minute`` or ``1minute`` (aliases accepted).
    key : str
        The config key, for the error message.

    Returns
    -------
    int
        Bars (>= 1).

    Raises
    ------
    ValueError
        Unknown unit, or a duration that is not a whole number of bars of ``interval``.
    """
    interval = INTERVAL_ALIASES.get(interval, interval)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    m = _DURATION.match(text)
    if m is None:
        raise ValueError(
            f"{key} {value!r}: write bars (5) or a duration with a unit (30min, 2h, 1session, 5d)"
        )
    n, unit = int(m.group(1)), m.group(2).lower()
    if unit.startswith("bar"):
        return n
    if unit.startswith(("d", "s")):
        return n * BARS_PER_SESSION[interval]
    minutes = n * 60 if unit.startswith("h") else n
    if interval == "1day":
        if minutes % SESSION_MINUTES:
            raise ValueError(
                f"{key} {value!r} is not a whole number of daily bars (a session is "
                f"{SESSION_MINUTES} minutes); use sessions (5d) or an intraday interval"
            )
        return minutes // SESSION_MINUTES
    bar = BAR_MINUTES[interval]
    if minutes % bar:
        raise ValueError(f"{key} {value!r} is not a whole number of {interval} bars ({bar} min)")
    return minutes // bar


def convert_time_units(raw: Any) -> Any:
    """Replace durations with units in a raw run-config mapping by bars of its interval.

    Parameters
    ----------
    raw : Any
        The mapping given to ``RunConfig`` (other values are returned unchanged).

    Returns
    -------
    Any
        A copy with :data:`_KEYS` and every ``backtest.trials[i].rebalance_every`` in bars.

    Raises
    ------
    ValueError
        As :func:`to_bars` (pydantic reports it under the config's root).
    """
    if not isinstance(raw, dict):
        return raw
    data = raw.get("data")
    interval = "1day"
    if isinstance(data, dict):
        interval = str(data.get("interval", "1day"))
    elif data is not None and hasattr(data, "interval"):
        interval = str(data.interval)
    out = dict(raw)
    for section, key in _KEYS:
        sec = out.get(section)
        if isinstance(sec, dict) and isinstance(sec.get(key), str):
            out[section] = {**sec, key: to_bars(sec[key], interval, key=f"{section}.{key}")}
    bt = out.get("backtest")
    if isinstance(bt, dict) and isinstance(bt.get("trials"), list):
        trials = []
        for i, t in enumerate(bt["trials"]):
            if isinstance(t, dict) and isinstance(t.get("rebalance_every"), str):
                where = f"backtest.trials[{i}].rebalance_every"
                t = {**t, "rebalance_every": to_bars(t["rebalance_every"], interval, key=where)}
            trials.append(t)
        out["backtest"] = {**bt, "trials": trials}
    return out
