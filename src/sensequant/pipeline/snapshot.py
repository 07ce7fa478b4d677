"""One data snapshot per run: the bars every phase reads, read once and frozen.

Right after pre-flight, :func:`capture_snapshot` reads every series the run needs (the usable
symbols and the benchmark, at the run's interval and at ``1day`` for prices) through the
adjusted store view (corporate actions applied, structural breaks kept out) into memory. The
run then hands the :class:`BarSnapshot` -- a read-only :class:`~sensequant.data.store.BarStore`
-- to every phase instead of the store: features, backtest prices and benchmark, the stress
replay and the manifest's data fingerprints all see exactly these bars, so a file imported
while the run trains cannot change its numbers or its manifest.

The snapshot is written into the run directory (the store's own layout, plus a JSON index)::

    snapshot/bars/<interval>/<symbol>.parquet   one file per series, as the run read it
    snapshot/snapshot.json                     series, fingerprints, corporate actions applied

so ``sensequant run --resume`` and ``sensequant stress RUN_ID`` read the same bars
(:meth:`BarSnapshot.load`, which checks every series against its recorded fingerprint).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

import pandas as pd

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.market import TimeLike, to_ist
from sensequant.data.store import BarStore, MergeStats, OnConflict
from sensequant.errors import DataError, NoDataError, StoreError
from sensequant.fsutil import to_plain, write_json_atomic, write_parquet_atomic
from sensequant.pipeline.rundir import SNAPSHOT_DIR

__all__ = ["SNAPSHOT_DIR", "BarSnapshot", "capture_snapshot", "snapshot_series"]

_INDEX: Final = "snapshot.json"


class BarSnapshot(BarStore):
    """Immutable, in-memory bars of one run with the :class:`BarStore` read interface.

    Parameters
    ----------
    root : pathlib.Path
        ``<run_dir>/snapshot`` (where :meth:`save` writes and :meth:`load` reads).
    frames : dict
        ``(symbol, interval) -> bars`` as read (columns as the store holds them, timestamps
        IST); never modified (reads return copies).
    actions : list of dict, optional
        Corporate-action factors the bars were adjusted with (for the manifest).

    Notes
    -----
    :meth:`read` has :meth:`BarStore.read`'s contract (``start``/``end`` inclusive, an ``end``
    at midnight meaning the whole day, ``columns`` besides ``timestamp``) and raises
    :class:`~sensequant.errors.NoDataError` for a series the snapshot does not hold, so no
    phase can silently read around it. :meth:`fingerprint` (inherited) hashes the snapshot's
    bars: the fingerprint of the data the run used. :meth:`write` and :meth:`merge` raise.
    """

    def __init__(
        self,
        root: Path,
        frames: dict[tuple[str, str], pd.DataFrame],
        actions: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(root)
        self._frames = dict(frames)
        self._actions = list(actions or [])

    def __repr__(self) -> str:
        return f"BarSnapshot({str(self.root)!r}, {len(self._frames)} series)"

    @property
    def series(self) -> list[tuple[str, str]]:
        """The ``(symbol, interval)`` pairs held, sorted."""
        return sorted(self._frames)

    def exists(self, symbol: str, interval: str) -> bool:
        """True when the snapshot holds the series."""
        return (symbol, interval) in self._frames

    def symbols(self, interval: str) -> list[str]:
        """Symbols held at an interval, sorted."""
        return sorted(s for s, iv in self._frames if iv == interval)

    def read(
        self,
        symbol: str,
        interval: str,
        *,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Bars of a held series (same contract as :meth:`BarStore.read`).

        Raises
        ------
        NoDataError
            If the snapshot does not hold the series.
        StoreError
            If a requested column is not held.
        """
        frame = self._frames.get((symbol, interval))
        if frame is None:
            raise NoDataError(
                f"the run's data snapshot {self.root} holds no {interval} bars of {symbol}",
                hint="the run reads only the bars captured at pre-flight; start a new run",
            )
        if columns is not None:
            cols = ["timestamp", *(c for c in columns if c != "timestamp")]
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise StoreError(
                    f"{symbol} {interval}: column(s) {', '.join(missing)} not in the snapshot",
                    hint=f"held columns: {', '.join(frame.columns)}",
                )
            frame = frame.loc[:, cols]
        values = frame["timestamp"]
        lo = 0 if start is None else int(values.searchsorted(to_ist(start), side="left"))
        hi = len(frame)
        if end is not None:
            end_ts = to_ist(end)
            if end_ts == end_ts.normalize():
                hi = int(values.searchsorted(end_ts + pd.Timedelta(days=1), side="left"))
            else:
                hi = int(values.searchsorted(end_ts, side="right"))
        return frame.iloc[lo:hi].reset_index(drop=True).copy()

    def write(self, symbol: str, interval: str, bars: pd.DataFrame) -> None:
        """Refused: a snapshot is read-only (:class:`StoreError`)."""
        raise StoreError(
            f"the data snapshot {self.root} is read-only", hint="import into the store"
        )

    def merge(
        self,
        symbol: str,
        interval: str,
        bars: pd.DataFrame,
        *,
        on_conflict: OnConflict | str = OnConflict.REPLACE,
    ) -> MergeStats:
        """Refused: a snapshot is read-only (:class:`StoreError`)."""
        raise StoreError(
            f"the data snapshot {self.root} is read-only", hint="import into the store"
        )

    def applied_actions(self, symbols: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Corporate actions the bars were adjusted with (as the store view listed them)."""
        return [a for a in self._actions if symbols is None or a["symbol"] in symbols]

    def save(self) -> Path:
        """Write every series and ``snapshot.json`` under :attr:`root`; returns the index path."""
        entries = []
        for symbol, interval in self.series:
            path = self.path(symbol, interval)
            write_parquet_atomic(self._frames[(symbol, interval)], path)
            fp = to_plain(asdict(self.fingerprint(symbol, interval)))
            entries.append(fp | {"file": path.relative_to(self.root).as_posix()})
        index = self.root / _INDEX
        write_json_atomic(index, {"series": entries, "corporate_actions": to_plain(self._actions)})
        return index

    @classmethod
    def load(cls, root: Path) -> BarSnapshot:
        """Read a snapshot written by :meth:`save`, checking every series' fingerprint.

        Raises
        ------
        DataError
            If ``snapshot.json`` or a series file is missing, or a series no longer matches
            its recorded fingerprint (the file was changed after the run wrote it).
        """
        index = Path(root) / _INDEX
        if not index.is_file():
            raise DataError(
                f"{root}: no data snapshot ({_INDEX} missing)",
                hint="runs made before snapshots cannot be resumed; start a new run",
            )
        meta = json.loads(index.read_text(encoding="utf-8"))
        frames: dict[tuple[str, str], pd.DataFrame] = {}
        for entry in meta["series"]:
            path = Path(root) / entry["file"]
            if not path.is_file():
                raise DataError(f"{path}: snapshot series missing", hint="start a new run")
            frames[(entry["symbol"], entry["interval"])] = pd.read_parquet(path)
        snap = cls(Path(root), frames, meta.get("corporate_actions", []))
        for entry in meta["series"]:
            got = snap.fingerprint(entry["symbol"], entry["interval"]).sha256
            if got != entry["sha256"]:
                raise DataError(
                    f"{Path(root) / entry['file']}: the bars no longer match the fingerprint "
                    f"recorded at capture ({entry['sha256'][:12]}..., now {got[:12]}...)",
                    hint="the run's snapshot was modified; start a new run",
                )
        return snap


def snapshot_series(
    symbols: Iterable[str], benchmark: str, interval: str, store: BarStore
) -> list[tuple[str, str]]:
    """The series a run reads: its symbols and benchmark at ``interval`` and, for prices and
    the benchmark's daily returns, at ``1day`` (where stored)."""
    names = [*symbols, benchmark]
    wanted = [(s, interval) for s in names]
    if interval != "1day":
        wanted += [(s, "1day") for s in names if store.exists(s, "1day")]
    return list(dict.fromkeys(wanted))


def capture_snapshot(store: BarStore, series: Sequence[tuple[str, str]], root: Path) -> BarSnapshot:
    """Read ``series`` from ``store`` once (whole history, as the store view gives it).

    Parameters
    ----------
    store : BarStore
        Normally the :class:`AdjustedBarStore` pre-flight refreshed the breaks of.
    series : sequence of (symbol, interval)
        What to hold (:func:`snapshot_series`).
    root : pathlib.Path
        Where :meth:`BarSnapshot.save` will write (``<run_dir>/snapshot``); nothing is
        written here.

    Returns
    -------
    BarSnapshot

    Raises
    ------
    NoDataError
        If a series is not stored.
    """
    frames = {(s, iv): store.read(s, iv) for s, iv in series}
    actions: list[dict[str, Any]] = []
    if isinstance(store, AdjustedBarStore):
        actions = [to_plain(a) for a in store.applied_actions(sorted({s for s, _ in series}))]
    return BarSnapshot(root, frames, actions)
