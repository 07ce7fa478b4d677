"""Timestamps of bar files: ISO stamps (naive = IST, or with an offset) and day-first dates.

Every function raises :class:`~sensequant.errors.InputFileError` naming the file and the lines.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Final

import pandas as pd

from sensequant.data.readers.parsing import fail_rows
from sensequant.errors import InputFileError
from sensequant.types import IST

__all__ = ["TIME_HINT", "check_not_future", "parse_times"]


def check_not_future(path: Path, frame: pd.DataFrame, ts: pd.Series) -> None:
    """Refuse timestamps after now (IST): a bar cannot describe the future.

    Raises
    ------
    InputFileError
        ``timestamps in the future at line(s) ...`` with today's IST date and the first one.
    """
    now = pd.Timestamp.now(tz=IST)
    future = (ts > now).to_numpy()
    if future.any():
        first = ts[future].min()
        raise fail_rows(
            path,
            "timestamps in the future",
            frame,
            future,
            "a bar cannot be dated after today: fix the dates (day and month swapped?) or "
            "remove these rows",
            detail=f" (today is {now:%Y-%m-%d} IST; earliest future stamp {first:%Y-%m-%d %H:%M})",
        )


_TZ_SUFFIX = r"(?:Z|[+-]\d\d:?\d\d)$"
_OFFSET = re.compile(r"[+-]\d\d:\d\d")
TIME_HINT: Final = "use ISO timestamps such as 2024-01-05 or 2023-07-03 09:15:00+05:30"


def _mixed_zones(path: Path, frame: pd.DataFrame, text: pd.Series) -> InputFileError:
    """Error naming the lines whose time zone differs from the majority's."""
    zone = text.str.extract(f"({_TZ_SUFFIX[:-1]})$", expand=False).fillna("naive")
    counts = zone.value_counts()
    odd = (zone != counts.index[0]).to_numpy()
    return fail_rows(path, f"mixed time zones {list(counts.index)}", frame, odd, TIME_HINT)


def parse_times(path: Path, frame: pd.DataFrame) -> pd.Series:
    """The ``timestamp`` column as tz-aware IST (naive stamps are taken as IST).

    Raises
    ------
    InputFileError
        Unparseable stamps or mixed time zones (naive and aware, or several offsets), naming
        the lines.
    """
    raw = frame["timestamp"]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert(IST)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.dt.tz_localize(IST)
    text = raw.astype(str).where(raw.notna(), "")
    tails: list[object] = list(text.str[-6:].unique()) if len(str(text.iloc[0])) > 10 else []
    if len(tails) == 1 and _OFFSET.fullmatch(str(tails[0])):
        # fast path: one fixed offset for every stamp (e.g. +05:30): parse the rest as naive
        offset = str(tails[0])
        naive = pd.to_datetime(text.str[:-6], format="ISO8601", errors="coerce")
        if not isinstance(naive.dtype, pd.DatetimeTZDtype):
            bad = naive.isna()
            if bad.any():
                raise fail_rows(path, "unparseable timestamps", frame, bad, TIME_HINT)
            shift = pd.Timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            utc = naive - shift if offset[0] == "+" else naive + shift
            return utc.dt.tz_localize("UTC").dt.tz_convert(IST)
    with warnings.catch_warnings():
        # pandas warns on mixed offsets (object result); that case is reported below
        warnings.simplefilter("ignore", FutureWarning)
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if parsed.isna().any():  # retry once without surrounding blanks
            text = text.str.strip()
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if parsed.dtype == object:
        raise _mixed_zones(path, frame, text)
    bad = parsed.isna()
    if bad.any():
        first = str(raw[bad.to_numpy()].iloc[0])
        raise fail_rows(
            path, "unparseable timestamps", frame, bad, TIME_HINT, detail=f" (first {first!r})"
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        # pandas silently gives later naive stamps the first one's offset: check them all
        if not bool(text.str.contains(_TZ_SUFFIX, regex=True).all()):
            raise _mixed_zones(path, frame, text)
        return parsed.dt.tz_convert(IST)
    return parsed.dt.tz_localize(IST)
