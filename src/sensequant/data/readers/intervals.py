"""The bar interval of a file, detected from its timestamps (or checked against a given one)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from sensequant.errors import InputFileError
from sensequant.types import INTERVALS

__all__ = ["SPACING_INTERVALS", "detect_interval"]

SPACING_INTERVALS: Final[dict[int, str]] = {60: "1minute", 300: "5minute", 1800: "30minute"}
"""Modal within-session bar spacing in seconds -> interval name."""


def detect_interval(path: Path, ts: pd.Series, given: str | None) -> str:
    """Interval from the timestamps; checks a given interval against them."""
    if given is not None and given not in INTERVALS:
        raise InputFileError(path, f"unknown interval {given!r}", hint=f"use one of {INTERVALS}")
    days = ts.dt.normalize()
    midnight = bool((ts == days).all())
    values = np.sort(ts.to_numpy(dtype="datetime64[ns]").astype(np.int64))
    day_values = np.sort(days.to_numpy(dtype="datetime64[ns]").astype(np.int64))
    steps = np.diff(values) // 1_000_000_000
    same_day = np.diff(day_values) == 0
    spacing = steps[same_day & (steps > 0)]
    if midnight or spacing.size == 0:
        detected = "1day"
        if given not in (None, "1day") and not midnight:
            return str(given)  # one bar per day at a time of day: cannot tell, trust caller
        gaps = np.diff(np.unique(day_values)) // (86_400 * 1_000_000_000)
        if gaps.size >= 2 and float(np.median(gaps)) > 5:
            raise InputFileError(
                path,
                f"daily stamps lie a median {float(np.median(gaps)):.0f} days apart: "
                "weekly or monthly bars are not supported",
                hint="import daily (or 1/5/30-minute) bars",
            )
    else:
        modes, counts = np.unique(spacing, return_counts=True)
        mode = int(modes[np.argmax(counts)])
        if mode not in SPACING_INTERVALS:
            raise InputFileError(
                path,
                f"unsupported bar spacing of {mode} s (modal spacing within a session)",
                hint="supported: 1day, 30minute (1800 s), 5minute (300 s), 1minute (60 s)",
            )
        detected = SPACING_INTERVALS[mode]
    if given is not None and given != detected:
        raise InputFileError(
            path,
            f"interval {given!r} was given but the timestamps look like {detected!r}",
            hint="pass the right interval or leave it out to detect it",
        )
    return detected
