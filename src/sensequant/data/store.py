"""Parquet bar store: one file per (interval, symbol).

Layout::

    <root>/bars/<interval>/<symbol_to_filename(symbol)>.parquet
    <root>/.lock                      inter-process lock of writers (see BarStore.lock)

Each file holds ``timestamp`` (tz-aware ``Asia/Kolkata``, nanoseconds), ``open``, ``high``,
``low``, ``close``, ``volume`` and any of the optional columns ``oi``, ``vwap``, ``trades``,
``delivery_volume``, all stored as float64, with sorted unique timestamps, zstd-compressed.

Writes are atomic: the frame is validated first, written to a temporary file in the same
folder, flushed and fsync'ed, renamed over the target with :func:`os.replace` and the folder
is fsync'ed, so a crash leaves either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sensequant.data.market import symbol_from_store_filename, symbol_to_filename, validate_symbol
from sensequant.errors import NoDataError, StoreError
from sensequant.fsutil import atomic_write
from sensequant.types import BAR_COLUMNS, INTERVALS, IST, OPTIONAL_BAR_COLUMNS

__all__ = ["BarStore", "DataFingerprint", "MergeStats", "TimeLike", "to_ist"]

TimeLike = str | dt.date | dt.datetime | pd.Timestamp
"""Anything :func:`to_ist` accepts: ISO string, date, datetime or Timestamp."""

_PRICE_COLUMNS = ("open", "high", "low", "close")
_ALL_COLUMNS = (*BAR_COLUMNS, *OPTIONAL_BAR_COLUMNS)
_SUFFIX = ".parquet"
_IMPORT_HINT = "run `sensequant data import PATH` or `make run DATA=...`"
_FINGERPRINT_VERSION = b"sensequant-bars-v1\n"


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
    """

    added: int
    replaced: int
    unchanged: int
    total: int

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


def to_ist(value: TimeLike) -> pd.Timestamp:
    """Convert a time-like value to a tz-aware IST timestamp.

    Parameters
    ----------
    value : str, datetime.date, datetime.datetime or pandas.Timestamp
        Naive values are taken as IST wall time; aware ones are converted.

    Returns
    -------
    pandas.Timestamp
        tz ``Asia/Kolkata``.

    Raises
    ------
    StoreError
        If the value cannot be parsed.
    """
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise StoreError(
            f"cannot read {value!r} as a date/time ({exc})",
            hint="use an ISO date such as 2024-01-31",
        ) from None
    if ts is pd.NaT:
        raise StoreError(f"{value!r} is not a date/time", hint="use an ISO date such as 2024-01-31")
    return ts.tz_localize(IST) if ts.tzinfo is None else ts.tz_convert(IST)


def _check_interval(interval: str) -> str:
    if interval not in INTERVALS:
        raise StoreError(
            f"unknown interval {interval!r}",
            hint=f"use one of {', '.join(INTERVALS)}",
        )
    return interval


class BarStore:
    """Parquet bar store rooted at a folder.

    Parameters
    ----------
    root : pathlib.Path
        Store folder (``Settings().store_dir``); created on the first write.
    lock_timeout : float, default 5.0
        Seconds :meth:`lock` keeps trying before it gives up.
    """

    def __init__(self, root: Path, *, lock_timeout: float = 5.0) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self._lock_depth = 0

    def __repr__(self) -> str:
        return f"BarStore({str(self.root)!r})"

    # ------------------------------------------------------------------ paths
    def path(self, symbol: str, interval: str) -> Path:
        """File of one series: ``<root>/bars/<interval>/<encoded symbol>.parquet``.

        Raises
        ------
        InvalidSymbolError
            If the symbol is malformed (path separators, ``..``, illegal characters).
        StoreError
            If the interval is unknown.
        """
        name = symbol_to_filename(validate_symbol(symbol))
        return self.root / "bars" / _check_interval(interval) / f"{name}{_SUFFIX}"

    def exists(self, symbol: str, interval: str) -> bool:
        """True when the series has a file in the store."""
        return self.path(symbol, interval).is_file()

    def symbols(self, interval: str) -> list[str]:
        """Symbols stored at an interval, sorted (empty if none)."""
        folder = self.root / "bars" / _check_interval(interval)
        if not folder.is_dir():
            return []
        return sorted(
            symbol_from_store_filename(p.name)
            for p in folder.iterdir()
            if p.suffix == _SUFFIX and not p.name.startswith(".") and p.is_file()
        )

    # ------------------------------------------------------------------- read
    def read(
        self,
        symbol: str,
        interval: str,
        *,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Read stored bars.

        Parameters
        ----------
        symbol, interval : str
            The series.
        start : str, date or Timestamp, optional
            First bar time included (naive = IST).
        end : str, date or Timestamp, optional
            Last bar time included (naive = IST). A value at midnight means the whole day, so
            ``end="2024-01-31"`` keeps that day's intraday bars.
        columns : sequence of str, optional
            Columns besides ``timestamp`` (always first); default all.

        Returns
        -------
        pandas.DataFrame
            Bars with a RangeIndex, sorted by ``timestamp`` (may be empty if the range holds
            no bar).

        Raises
        ------
        NoDataError
            If the series is not stored.
        StoreError
            If the file is unreadable or a requested column is not stored.
        """
        path = self.path(symbol, interval)
        if not path.is_file():
            raise NoDataError(
                f"no {interval} bars stored for {symbol} (looked for {path})", hint=_IMPORT_HINT
            )
        cols = None if columns is None else ["timestamp", *(c for c in columns if c != "timestamp")]
        try:
            table = pq.read_table(path, columns=cols, use_threads=False)
        except (pa.ArrowInvalid, OSError, KeyError) as exc:
            raise StoreError(
                f"cannot read {path} ({symbol} {interval}): {exc}",
                hint="check the column names, or delete the file and re-import the series",
            ) from None
        frame = table.to_pandas(use_threads=False)
        if start is None and end is None:
            return frame
        values = frame["timestamp"]
        lo = 0 if start is None else int(values.searchsorted(to_ist(start), side="left"))
        if end is None:
            hi = len(frame)
        else:
            end_ts = to_ist(end)
            if end_ts == end_ts.normalize():
                hi = int(values.searchsorted(end_ts + pd.Timedelta(days=1), side="left"))
            else:
                hi = int(values.searchsorted(end_ts, side="right"))
        return frame.iloc[lo:hi].reset_index(drop=True)

    # ------------------------------------------------------------------ write
    def write(self, symbol: str, interval: str, bars: pd.DataFrame) -> None:
        """Replace a series with ``bars``, atomically.

        Parameters
        ----------
        symbol, interval : str
            The series.
        bars : pandas.DataFrame
            ``BAR_COLUMNS`` plus optional ``OPTIONAL_BAR_COLUMNS``; timestamps tz IST, sorted,
            unique; open/high/low/close finite and > 0; volume finite and >= 0, or NaN where
            the source has no volume (absent, never stored as 0). Validated
            BEFORE anything touches the disk.

        Raises
        ------
        StoreError
            If the frame breaks the schema (the stored file is left as it was) or the write
            fails.
        """
        path = self.path(symbol, interval)
        self._write_table(path, _to_table(_canonical(bars, symbol, interval)))

    def merge(self, symbol: str, interval: str, bars: pd.DataFrame) -> MergeStats:
        """Union ``bars`` with the stored series; the new row wins on equal timestamps.

        A missing (NaN) optional value in a new row keeps the stored value. The file is
        rewritten only when something was added or changed.

        Parameters
        ----------
        symbol, interval : str
            The series.
        bars : pandas.DataFrame
            Same schema as :meth:`write` requires.

        Returns
        -------
        MergeStats

        Raises
        ------
        StoreError
            If ``bars`` breaks the schema (nothing is written).
        """
        path = self.path(symbol, interval)
        new = _canonical(bars, symbol, interval)
        if not path.is_file():
            self._write_table(path, _to_table(new))
            return MergeStats(added=len(new), replaced=0, unchanged=0, total=len(new))
        old = self.read(symbol, interval)
        cols = [c for c in _ALL_COLUMNS[1:] if c in old.columns or c in new.columns]
        old_i = old.set_index("timestamp").reindex(columns=cols)
        new_i = new.set_index("timestamp").reindex(columns=cols)
        merged = new_i.combine_first(old_i).sort_index()[cols]
        common = old_i.index.intersection(new_i.index)
        before = old_i.loc[common].to_numpy(dtype=np.float64)
        after = merged.loc[common].to_numpy(dtype=np.float64)
        same = ((before == after) | (np.isnan(before) & np.isnan(after))).all(axis=1)
        replaced = int((~same).sum())
        stats = MergeStats(
            added=len(new_i) - len(common),
            replaced=replaced,
            unchanged=len(common) - replaced,
            total=len(merged),
        )
        if stats.changed or set(cols) != set(old.columns[1:]):
            merged.index.name = "timestamp"
            self._write_table(path, _to_table(merged.reset_index()))
        return stats

    def fingerprint(self, symbol: str, interval: str) -> DataFingerprint:
        """Content fingerprint of a stored series.

        Raises
        ------
        NoDataError
            If the series is not stored.
        """
        frame = self.read(symbol, interval)
        digest = hashlib.sha256(_FINGERPRINT_VERSION)
        for col in frame.columns:
            digest.update(col.encode() + b"\0")
            if col == "timestamp":
                values = pd.DatetimeIndex(frame[col]).asi8.astype("<i8")
            else:
                arr = frame[col].to_numpy(dtype=np.float64)
                values = np.where(np.isnan(arr), np.nan, arr).astype("<f8")
            digest.update(values.tobytes())
        return DataFingerprint(
            symbol=symbol,
            interval=interval,
            first=frame["timestamp"].iloc[0],
            last=frame["timestamp"].iloc[-1],
            bars=len(frame),
            sha256=digest.hexdigest(),
        )

    # ------------------------------------------------------------------- lock
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's exclusive inter-process writer lock.

        ``fcntl.flock`` on ``<root>/.lock``, retried without blocking until
        ``lock_timeout`` seconds pass. Re-entrant for the same :class:`BarStore` object (but
        not across two objects in one process). The holder's pid is written into the file.

        Once held, it removes temp files left by a writer that was killed mid-write.

        Raises
        ------
        StoreError
            If another process holds the lock after the timeout (the message names its pid).
        """
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.root.mkdir(parents=True, exist_ok=True)
        lock_path = self.root / ".lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        holder = _read_pid(lock_path)
                        raise StoreError(
                            f"another import is running (pid {holder}) on the store {self.root}; "
                            f"gave up after {self.lock_timeout:g} s",
                            hint="wait for it to finish, then run the command again",
                        ) from None
                    time.sleep(0.05)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self._sweep_temp_files()
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -------------------------------------------------------------- internals
    def _sweep_temp_files(self) -> None:
        """Remove temp files a killed writer left behind (called with the lock held, so no
        writer can be using them; the real files were never touched: writes are rename-only)."""
        for tmp in self.root.glob("*/*/.*.tmp"):
            tmp.unlink(missing_ok=True)

    def _write_table(self, path: Path, table: pa.Table) -> None:
        try:
            atomic_write(path, lambda handle: pq.write_table(table, handle, compression="zstd"))
        except pa.ArrowException as exc:
            raise StoreError(
                f"cannot write {path}: {exc}", hint="check free disk space and permissions"
            ) from exc


def _read_pid(lock_path: Path) -> str:
    try:
        text = lock_path.read_text(encoding="ascii").strip()
    except OSError:
        text = ""
    return text or "unknown"


def _canonical(bars: pd.DataFrame, symbol: str, interval: str) -> pd.DataFrame:
    """Validate a bar frame against the store schema; return it in canonical form."""
    where = f"{symbol} {interval}"
    hint = "clean the bars with sensequant.data.quality.clean.clean_bars before storing them"
    if not isinstance(bars, pd.DataFrame):
        raise StoreError(f"{where}: expected a DataFrame, got {type(bars).__name__}", hint=hint)
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise StoreError(f"{where}: missing columns {missing}", hint=hint)
    unknown = [c for c in bars.columns if c not in _ALL_COLUMNS]
    if unknown:
        raise StoreError(
            f"{where}: columns {unknown} are not part of the store schema",
            hint=f"keep only {', '.join(_ALL_COLUMNS)}",
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
    for col in (c for c in _ALL_COLUMNS[1:] if c in bars.columns):
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


def _to_table(frame: pd.DataFrame) -> pa.Table:
    fields = [pa.field("timestamp", pa.timestamp("ns", tz=IST), nullable=False)]
    fields += [pa.field(c, pa.float64()) for c in frame.columns[1:]]
    table = pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)
    return table.replace_schema_metadata(None)  # no pandas metadata: plain columns only
