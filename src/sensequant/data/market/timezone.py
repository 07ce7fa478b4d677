"""The one IST conversion of the package: :func:`to_ist` and the :data:`TimeLike` it accepts."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sensequant.errors import StoreError
from sensequant.types import IST

__all__ = ["TimeLike", "to_ist"]

TimeLike = str | dt.date | dt.datetime | pd.Timestamp
"""Anything :func:`to_ist` accepts: ISO string, date, datetime or Timestamp."""


def to_ist(value: TimeLike | object, *, naive: str = IST) -> pd.Timestamp:
    """Convert a time-like value to a tz-aware IST timestamp.

    Parameters
    ----------
    value : str, datetime.date, datetime.datetime or pandas.Timestamp
        Aware values are converted; naive ones are taken as wall time in ``naive``.
    naive : str, default ``Asia/Kolkata``
        Time zone of naive values (``"UTC"`` for Parquet statistics, which are naive UTC).

    Returns
    -------
    pandas.Timestamp
        tz ``Asia/Kolkata``.

    Raises
    ------
    StoreError
        If the value cannot be parsed or is NaT.
    """
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise StoreError(
            f"cannot read {value!r} as a date/time ({exc})",
            hint="use an ISO date such as 2024-01-31",
        ) from None
    if ts is pd.NaT:
        raise StoreError(f"{value!r} is not a date/time", hint="use an ISO date such as 2024-01-31")
    if ts.tzinfo is None:
        ts = ts.tz_localize(naive)
    return ts.tz_convert(IST)
