"""Bar-store file format: the result records and the canonical frame and Arrow schema.

:class:`MergeStats` and :class:`DataFingerprint` (re-exported by :mod:`sensequant.data.store`),
the validation of a frame against the store schema and its Arrow encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from sensequant.errors import StoreError
from sensequant.types import BAR_COLUMNS, IST, OPTIONAL_BAR_COLUMNS

__all__ = ["ALL_COLUMNS", "DataFingerprint", "MergeStats", "canonical_bars", "to_arrow_table"]

_PRICE_COLUMNS = ("open", "high", "low", "close")
ALL_COLUMNS = (*BAR_COLUMNS, *OPTIONAL_BAR_COLUMNS)
"""Store columns in file order: ``BAR_COLUMNS`` then ``OPTIONAL_BAR_COLUMNS``."""


@dataclass(frozen=True)
class MergeStats:
    """What :meth:`BarStore.merge` did.

    Attributes
    ----------
    added : int
        Timestamps that were not stored before.
    replaced : int
        Stored timestamps whose values changed (the new row won).
    unchanged : int
        Stored timestamps given again with identical values.
    total : int
        Bars stored after the merge.
    kept : int, default 0
        Stored bars that conflicted with new ones and were kept (``on_conflict="keep"``).
    first_changed, last_changed : pandas.Timestamp, optional
        First and last timestamp added or changed (None when nothing changed): the span the
        post-merge quality checks look at.
    """

    added: int
    replaced: int
    unchanged: int
    total: int
    kept: int = 0
    first_changed: pd.Timestamp | None = field(default=None, compare=False)
    last_changed: pd.Timestamp | None = field(default=None, compare=False)

    @property
    def changed(self) -> bool:
        """True when the merge added or replaced at least one bar."""
        return self.added > 0 or self.replaced > 0


@dataclass(frozen=True)
class DataFingerprint:
    """Content fingerprint of one stored series (goes into release manifests).

    Attributes
    ----------
    symbol, interval : str
        The series.
    first, last : pandas.Timestamp
        First and last bar timestamps (IST).
    bars : int
        Number of bars.
    sha256 : str
        Hex SHA-256 over the canonical encoding: a version tag, then for every column in store
        order its name and its values (timestamps as little-endian int64 nanoseconds since the
        epoch, other columns as little-endian float64 with NaN canonicalised). Independent of
        Parquet writer version, compression and row-group layout.
    """

    symbol: str
    interval: str
    first: pd.Timestamp
    last: pd.Timestamp
    bars: int
    sha256: str


def canonical_bars(bars: pd.DataFrame, symbol: str, interval: str) -> pd.DataFrame:
    """Validate a bar frame against the store schema; return it in canonical form.

    Parameters
    ----------
    bars : pandas.DataFrame
        ``BAR_COLUMNS`` plus any ``OPTIONAL_BAR_COLUMNS``; timestamps tz IST, sorted, unique.
    symbol, interval : str
        The series (for messages).

    Returns
    -------
    pandas.DataFrame
        ``timestamp`` (ns) then the given value columns in store order, all float64.

    Raises
    ------
    StoreError
        If a column is missing, unknown or not numeric, a timestamp is missing, duplicated,
        unsorted or not IST, a price is not finite and > 0, or a volume is negative.
    """
    where = f"{symbol} {interval}"
    hint = "clean the bars with sensequant.data.quality.clean.clean_bars before storing them"
    if not isinstance(bars, pd.DataFrame):
        raise StoreError(f"{where}: expected a DataFrame, got {type(bars).__name__}", hint=hint)
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise StoreError(f"{where}: missing columns {missing}", hint=hint)
    unknown = [c for c in bars.columns if c not in ALL_COLUMNS]
    if unknown:
        raise StoreError(
            f"{where}: columns {unknown} are not part of the store schema",
            hint=f"keep only {', '.join(ALL_COLUMNS)}",
        )
    if len(bars) == 0:
        raise StoreError(f"{where}: no bars to store", hint=hint)
    ts = bars["timestamp"]
    tz = getattr(ts.dtype, "tz", None)
    if tz is None or str(tz) != IST:
        raise StoreError(
            f"{where}: timestamps must be tz-aware {IST}, got dtype {ts.dtype}",
            hint="use Series.dt.tz_localize/tz_convert('Asia/Kolkata')",
        )
    if ts.isna().any():
        raise StoreError(f"{where}: {int(ts.isna().sum())} missing timestamps", hint=hint)
    index = pd.DatetimeIndex(ts)
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        raise StoreError(f"{where}: duplicate timestamp {dup}", hint=hint)
    if not index.is_monotonic_increasing:
        raise StoreError(f"{where}: timestamps are not sorted", hint=hint)
    out = pd.DataFrame({"timestamp": index.as_unit("ns")})
    for col in (c for c in ALL_COLUMNS[1:] if c in bars.columns):
        series = bars[col]
        if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
            raise StoreError(f"{where}: column {col} is {series.dtype}, not numeric", hint=hint)
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if col in _PRICE_COLUMNS:
            bad = ~(np.isfinite(values) & (values > 0))
        elif col == "volume":  # NaN = absent (a source without volume), never made 0
            bad = ~(np.isnan(values) | (np.isfinite(values) & (values >= 0)))
        else:
            bad = np.isinf(values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise StoreError(
                f"{where}: {int(bad.sum())} invalid {col} values, first {values[i]!r} at "
                f"{index[i]}",
                hint="prices must be finite and > 0, volume finite and >= 0 (or NaN: absent)",
            )
        out[col] = values
    return out


def to_arrow_table(frame: pd.DataFrame) -> pa.Table:
    """Arrow table of a canonical frame: ``timestamp`` ns IST (not null), float64 columns."""
    fields = [pa.field("timestamp", pa.timestamp("ns", tz=IST), nullable=False)]
    fields += [pa.field(c, pa.float64()) for c in frame.columns[1:]]
    table = pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)
    return table.replace_schema_metadata(None)  # no pandas metadata: plain columns only
