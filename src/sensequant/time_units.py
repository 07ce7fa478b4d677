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

import difflib
import re
from typing import Any, Final

from sensequant.errors import UsageError
from sensequant.types import INTERVAL_MINUTES, INTERVALS, SESSION_MINUTES

__all__ = [
    "BARS_PER_SESSION",
    "BAR_MINUTES",
    "INTERVAL_ALIASES",
    "canonical_interval",
    "convert_time_units",
    "durations_written",
    "parse_interval",
    "restore_durations",
    "to_bars",
]

INTERVAL_ALIASES: Final[dict[str, str]] = {
    "1d": "1day",
    "d": "1day",
    "day": "1day",
    "daily": "1day",
    "eod": "1day",
    "30m": "30minute",
    "30min": "30minute",
    "5m": "5minute",
    "5min": "5minute",
    "1m": "1minute",
    "1min": "1minute",
}
"""Accepted spellings of a bar interval -> the store's name (:data:`sensequant.types.INTERVALS`).

The ONE alias table: ``data.interval`` in a config, every ``--interval`` option
(:func:`parse_interval`) and the data commands read it. Numbered spellings not listed here
(``5 minutes``, ``5T``, ``1D``) are read by :func:`canonical_interval`."""
_UNITS: Final[dict[str, str]] = {
    "d": "day",
    "day": "day",
    "days": "day",
    "m": "minute",
    "min": "minute",
    "mins": "minute",
    "minute": "minute",
    "minutes": "minute",
    "t": "minute",  # pandas' offset alias for minutes
}
_SPELLING = re.compile(r"^(\d+)\s*([a-z]+)$")


def canonical_interval(text: str) -> str | None:
    """The store's interval name for a typed one (case and spaces ignored), else None.

    Parameters
    ----------
    text : str
        ``1day``/``1d``/``daily``, ``30minute``/``30min``/``30m``, ``5minute``/``5min``/``5m``,
        ``1minute``/``1min``/``1m`` (also ``5 minutes``, ``5T``).

    Returns
    -------
    str or None
        One of :data:`sensequant.types.INTERVALS`; None for anything else.

    Examples
    --------
    >>> canonical_interval("5m"), canonical_interval(" 1D "), canonical_interval("2h")
    ('5minute', '1day', None)
    """
    raw = text.strip().lower()
    if raw in INTERVALS:
        return raw
    if raw in INTERVAL_ALIASES:
        return INTERVAL_ALIASES[raw]
    match = _SPELLING.match(raw)
    if match and match.group(2) in _UNITS:
        name = f"{int(match.group(1))}{_UNITS[match.group(2)]}"
        if name in INTERVALS:
            return name
    return None


def parse_interval(text: str, *, option: str = "--interval") -> str:
    """The store's interval name for a typed one, or a usage error (every ``--interval``).

    Parameters
    ----------
    text : str
        As :func:`canonical_interval`.
    option : str, default "--interval"
        The option named in the error message.

    Returns
    -------
    str
        One of :data:`sensequant.types.INTERVALS`.

    Raises
    ------
    UsageError
        Naming the value, the closest known interval when there is one, and the choices
        (exit code 2).
    """
    name = canonical_interval(text)
    if name is not None:
        return name
    close = difflib.get_close_matches(text.strip().lower(), INTERVALS, n=1, cutoff=0.6)
    guess = f"; did you mean {close[0]!r}?" if close else ""
    raise UsageError(
        f"{option} {text!r} is not a bar interval{guess}",
        hint=f"use one of {', '.join(INTERVALS)} (or 1d, 30m/30min, 5m/5min, 1m/1min)",
    )


BAR_MINUTES: Final[dict[str, int]] = INTERVAL_MINUTES
"""Bar length of each intraday interval in minutes (:data:`sensequant.types.INTERVAL_MINUTES`)."""
BARS_PER_SESSION: Final[dict[str, int]] = {
    "1day": 1,
    **{iv: -(-SESSION_MINUTES // m) for iv, m in INTERVAL_MINUTES.items()},
}
"""Bars of a regular 09:15-15:30 session (the last 30-minute bar is 15 minutes long): 13, 75,
375."""

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
    interval = canonical_interval(interval) or interval
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


def _duration_slots(raw: dict[str, Any]) -> list[tuple[str, str, int | None, str]]:
    """``(section, key, trial index or None, dotted name)`` of every key that takes a unit."""
    slots: list[tuple[str, str, int | None, str]] = [
        (section, key, None, f"{section}.{key}") for section, key in _KEYS
    ]
    bt = raw.get("backtest")
    if isinstance(bt, dict) and isinstance(bt.get("trials"), list):
        slots += [
            ("backtest", "rebalance_every", i, f"backtest.trials[{i}].rebalance_every")
            for i in range(len(bt["trials"]))
        ]
    return slots


def _slot(raw: dict[str, Any], section: str, key: str, index: int | None) -> Any:
    sec = raw.get(section)
    if index is not None:
        trials = sec.get("trials") if isinstance(sec, dict) else None
        sec = trials[index] if isinstance(trials, list) and index < len(trials) else None
    return sec.get(key) if isinstance(sec, dict) else None


def durations_written(raw: Any) -> dict[str, str]:
    """The durations with a unit a raw run-config mapping holds, before conversion to bars.

    Kept beside the validated config so a later change of ``data.interval`` (``--interval``)
    converts them again at the new interval (:func:`restore_durations`) instead of keeping
    bars counted at the file's interval.

    Returns
    -------
    dict of str to str
        Dotted key (``labels.horizon``, ``backtest.trials[2].rebalance_every``) -> the text
        written (``30min``); empty when ``raw`` is not a mapping or holds plain bar counts.
    """
    if not isinstance(raw, dict):
        return {}
    out: dict[str, str] = {}
    for section, key, index, name in _duration_slots(raw):
        value = _slot(raw, section, key, index)
        if isinstance(value, str) and not value.strip().isdigit():
            out[name] = value
    return out


def restore_durations(raw: dict[str, Any], durations: dict[str, str]) -> dict[str, Any]:
    """``raw`` (a dumped config, bars) with the written durations put back, for re-conversion.

    Parameters
    ----------
    raw : dict
        ``RunConfig.model_dump()`` output (possibly with a new ``data.interval``); changed in
        place and returned.
    durations : dict of str to str
        From :func:`durations_written` of the mapping the config was validated from.

    Returns
    -------
    dict
        ``raw``, whose duration keys hold the written text again (validation converts them at
        ``raw['data']['interval']``).
    """
    for section, key, index, name in _duration_slots(raw):
        if name not in durations:
            continue
        sec = raw.get(section)
        if index is not None:
            sec = sec["trials"][index] if isinstance(sec, dict) else None
        if isinstance(sec, dict):
            sec[key] = durations[name]
    return raw
