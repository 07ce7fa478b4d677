"""Timestamps of bar files: ISO stamps (naive = IST, or with an offset) and numeric dates.

Numeric dates ``NN-NN-YYYY`` (or with ``/`` or ``.``), as in NSE end-of-day exports
(``22-07-2019``), are read day first or month first as the WHOLE file shows: a first field
above 12 somewhere makes it DD-MM-YYYY, a second field above 12 MM-DD-YYYY. The order is never
guessed: a file whose every date fits both (no field above 12), or holding both kinds, is
refused. The order used is noted.

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

__all__ = ["TIME_HINT", "check_not_future", "parse_numeric_dates", "parse_times"]


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


_NUMERIC_DATE = r"^\s*(\d{1,2})([-/.])(\d{1,2})([-/.])(\d{4})\s*$"
_ORDER_HINT = "write ISO dates (2024-03-05) so the day and the month cannot be mistaken"


def parse_numeric_dates(
    path: Path, frame: pd.DataFrame, notes: list[str] | None = None
) -> pd.Series | None:
    """Dates written ``NN-NN-YYYY`` as IST midnights, day or month first from the whole file.

    Parameters
    ----------
    path : pathlib.Path
        The file (for messages).
    frame : pandas.DataFrame
        Rows with a text ``timestamp`` column and ``_line``.
    notes : list of str, optional
        Receives one note saying which order was read and why.

    Returns
    -------
    pandas.Series or None
        tz-aware IST midnights; None when not every stamp is such a date (then the stamps are
        left to :func:`parse_times`).

    Raises
    ------
    InputFileError
        Mixed separators, both orders in one file, an order that no date decides (every field
        <= 12), or impossible dates (31-02-2020), naming the lines.
    """
    raw = frame["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(raw.dtype) or raw.isna().any() or raw.empty:
        return None
    if not re.match(_NUMERIC_DATE, str(raw.iloc[0])):  # fast exit for ISO stamps
        return None
    parts = raw.astype(str).str.extract(_NUMERIC_DATE)
    if parts[0].isna().any():
        return None
    seps = parts[1] + parts[3]
    if seps.nunique() > 1:
        odd = (seps != seps.value_counts().index[0]).to_numpy()
        raise fail_rows(path, "dates with mixed separators", frame, odd, _ORDER_HINT)
    first, second = parts[0].astype(int), parts[2].astype(int)
    day_first, month_first = (first > 12).to_numpy(), (second > 12).to_numpy()
    if day_first.any() and month_first.any():
        raise fail_rows(
            path,
            "dates in both DD-MM-YYYY order (a first field above 12, e.g. line "
            f"{int(frame['_line'].to_numpy()[day_first][0])}) and MM-DD-YYYY order (a second "
            "field above 12)",
            frame,
            month_first,
            _ORDER_HINT,
        )
    if not (day_first.any() or month_first.any()):
        raise InputFileError(
            path,
            f"ambiguous dates like {str(raw.iloc[0]).strip()!r}: no day or month field is above "
            "12 in the whole file, so DD-MM-YYYY and MM-DD-YYYY cannot be told apart",
            hint=_ORDER_HINT,
        )
    sep = str(parts[1].iloc[0])
    order = ("%d", "%m") if day_first.any() else ("%m", "%d")
    deciding = day_first if day_first.any() else month_first
    text = parts[0] + sep + parts[2] + sep + parts[4]
    parsed = pd.to_datetime(text, format=f"{order[0]}{sep}{order[1]}{sep}%Y", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        first_bad = str(raw[bad.to_numpy()].iloc[0]).strip()
        raise fail_rows(
            path, "impossible dates", frame, bad, _ORDER_HINT, detail=f" (first {first_bad!r})"
        )
    if notes is not None:
        name = "DD-MM-YYYY (day first)" if day_first.any() else "MM-DD-YYYY (month first)"
        line = int(frame["_line"].to_numpy()[deciding][0])
        notes.append(f"dates read as {name}: a field above 12 at line {line} decides")
    return parsed.dt.tz_localize(IST)


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
        years = text[bad.to_numpy()].str.extract(r"^\s*(\d{4})-", expand=False).dropna()
        if len(years) and not years.astype(int).between(1678, 2261).all():
            raise fail_rows(
                path,
                "timestamps outside the dates pandas can hold (1677-09-22..2262-04-11)",
                frame,
                bad,
                "a year typo? NSE history starts in 1994: fix or remove these rows",
                detail=f" (first {first!r})",
            )
        raise fail_rows(
            path, "unparseable timestamps", frame, bad, TIME_HINT, detail=f" (first {first!r})"
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        # pandas silently gives later naive stamps the first one's offset: check them all
        if not bool(text.str.contains(_TZ_SUFFIX, regex=True).all()):
            raise _mixed_zones(path, frame, text)
        return parsed.dt.tz_convert(IST)
    return parsed.dt.tz_localize(IST)
