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
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sensequant.data.market import (
    TimeLike,
    symbol_from_store_filename,
    symbol_to_filename,
    to_ist,
    validate_symbol,
)
from sensequant.data.store_conflicts import OnConflict, bar_changes, conflict_message
from sensequant.data.store_format import (
    ALL_COLUMNS,
    DataFingerprint,
    MergeStats,
    canonical_bars,
    to_arrow_table,
)
from sensequant.errors import BarConflictError, NoDataError, StoreError
from sensequant.fsutil import atomic_write
from sensequant.types import INTERVALS

__all__ = ["BarStore", "DataFingerprint", "MergeStats", "OnConflict", "TimeLike", "to_ist"]

_SUFFIX = ".parquet"
_IMPORT_HINT = "run `sensequant data import PATH` or `make run DATA=...`"
_FINGERPRINT_VERSION = b"sensequant-bars-v1\n"


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

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sensequant.testing.synthetic import synthetic_bars
    >>> root = Path(tempfile.mkdtemp())
    >>> store = BarStore(root / "store")
    >>> bars = synthetic_bars("DEMO", "1day", "2024-01-01", "2024-03-31")
    >>> store.write("DEMO", "1day", bars)
    >>> store.symbols("1day")
    ['DEMO']
    >>> store.path("DEMO", "1day").relative_to(root).as_posix()
    'store/bars/1day/DEMO.parquet'
    >>> feb_on = store.read("DEMO", "1day", start="2024-02-01")
    >>> len(bars), len(feb_on), list(feb_on.columns)
    (62, 40, ['timestamp', 'open', 'high', 'low', 'close', 'volume'])
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
        self._write_table(path, to_arrow_table(canonical_bars(bars, symbol, interval)))

    def merge(
        self,
        symbol: str,
        interval: str,
        bars: pd.DataFrame,
        *,
        on_conflict: OnConflict | str = OnConflict.REPLACE,
    ) -> MergeStats:
        """Union ``bars`` with the stored series under a conflict policy.

        A NaN optional value in a new row keeps the stored value. The file is rewritten
        only when something was added or changed.

        Parameters
        ----------
        symbol, interval : str
            The series.
        bars : pandas.DataFrame
            Same schema as :meth:`write` requires.
        on_conflict : OnConflict or str, default "replace"
            For stored bars that ``bars`` changes beyond float noise: ``replace`` (new bars
            win), ``keep`` (stored bars win) or ``fail`` (raise, write nothing); see
            :mod:`sensequant.data.store_conflicts`. Returns :class:`MergeStats`.

        Raises
        ------
        BarConflictError
            With ``fail``, when a stored bar would change (the message lists each bar and
            the size of each change; nothing is written).
        StoreError
            If ``bars`` breaks the schema (nothing is written).
        """
        policy = OnConflict.parse(on_conflict)
        path = self.path(symbol, interval)
        new = canonical_bars(bars, symbol, interval)
        if not path.is_file():
            self._write_table(path, to_arrow_table(new))
            ts = new["timestamp"]
            return MergeStats(len(new), 0, 0, len(new), 0, ts.iloc[0], ts.iloc[-1])
        old = self.read(symbol, interval)
        cols = [c for c in ALL_COLUMNS[1:] if c in old.columns or c in new.columns]
        old_i = old.set_index("timestamp").reindex(columns=cols)
        new_i = new.set_index("timestamp").reindex(columns=cols)
        common = old_i.index.intersection(new_i.index)
        conflicts = bar_changes(old_i.loc[common], new_i.loc[common])
        if conflicts and policy is OnConflict.FAIL:
            raise BarConflictError(
                conflict_message(symbol, interval, conflicts),
                hint="pass --on-conflict replace to store the new values, or --on-conflict "
                "keep to keep the stored ones",
            )
        kept = 0
        if conflicts and policy is OnConflict.KEEP:
            new_i = new_i.drop(index=[c.timestamp for c in conflicts])
            common = old_i.index.intersection(new_i.index)
            kept = len(conflicts)
        merged = new_i.combine_first(old_i).sort_index()[cols]
        before = old_i.loc[common].to_numpy(dtype=np.float64)
        after = merged.loc[common].to_numpy(dtype=np.float64)
        same = ((before == after) | (np.isnan(before) & np.isnan(after))).all(axis=1)
        touched = new_i.index.difference(common).union(common[~same])
        stats = MergeStats(
            added=len(new_i) - len(common),
            replaced=int((~same).sum()),
            unchanged=int(same.sum()),
            total=len(merged),
            kept=kept,
            first_changed=touched.min() if len(touched) else None,
            last_changed=touched.max() if len(touched) else None,
        )
        if stats.changed or set(cols) != set(old.columns[1:]):
            merged.index.name = "timestamp"
            self._write_table(path, to_arrow_table(merged.reset_index()))
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
