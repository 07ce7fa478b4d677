"""Bar-interval names as people type them: ``1d``, ``5min``, ``30m`` ... to the stored names.

The store, the catalog and every layer below the CLI use the canonical names of
:data:`sensequant.types.INTERVALS` (``1day``, ``30minute``, ``5minute``, ``1minute``);
:func:`parse_interval` maps the usual spellings onto them, once, at the command line.
"""

from __future__ import annotations

import difflib
import re
from typing import Final

from sensequant.errors import UsageError
from sensequant.types import INTERVALS

__all__ = ["INTERVAL_ALIASES", "parse_interval"]

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

INTERVAL_ALIASES: Final[dict[str, str]] = {
    "daily": "1day",
    "day": "1day",
    "eod": "1day",
}
"""Whole-word spellings without a number (``daily`` -> ``1day``)."""


def parse_interval(text: str, *, option: str = "--interval") -> str:
    """The canonical interval name for a typed one (case and spaces ignored).

    Parameters
    ----------
    text : str
        ``1day``/``1d``/``daily``, ``30minute``/``30min``/``30m``, ``5minute``/``5min``/``5m``,
        ``1minute``/``1min``/``1m`` (also ``5 minutes``, ``5T``).
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
    close = difflib.get_close_matches(raw, INTERVALS, n=1, cutoff=0.6)
    guess = f"; did you mean {close[0]!r}?" if close else ""
    raise UsageError(
        f"{option} {text!r} is not a bar interval{guess}",
        hint=f"use one of {', '.join(INTERVALS)} (or 1d, 30m/30min, 5m/5min, 1m/1min)",
    )
