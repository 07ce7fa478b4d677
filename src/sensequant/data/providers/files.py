"""The files provider: every layout the importer reads, behind the provider protocol.

``FilesProvider`` indexes a folder (or files) of bar files once: per-symbol CSV/Parquet in any
layout :func:`sensequant.data.readers.layouts.read_bar_file` detects, Kaggle files, and NSE
bhavcopies (legacy or UDiFF, ``.csv`` or ``.zip``; one file per day holding every symbol). It
then answers ``fetch_bars`` from memory, so ``sensequant data fetch --provider files --source
DIR`` gets the fetcher's incremental, logged behaviour over a folder that grows (a vendor drop,
a daily bhavcopy download). Files that cannot be read are listed in :attr:`FilesProvider.errors`
with the importer's message; they never stop the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from sensequant.data.imports import find_bar_files
from sensequant.data.providers.base import ProviderInfo, empty_bars
from sensequant.data.quality import clean_bars
from sensequant.data.readers import normalise_series, read_bar_file
from sensequant.data.reference import is_index_list_file, is_index_symbol
from sensequant.errors import SenseQuantError, UnknownInstrumentError, UsageError
from sensequant.types import BAR_COLUMNS, INTERVALS, OPTIONAL_BAR_COLUMNS

__all__ = ["FilesProvider"]


class FilesProvider:
    """Bars from local files (read once, served from memory).

    Parameters
    ----------
    paths : sequence of pathlib.Path
        Files or folders (searched recursively for ``.csv``, ``.parquet``, ``.zip``).
    series : sequence of str, default ("EQ",)
        NSE series kept from bhavcopies and Kaggle files.
    aliases : mapping of str to str, optional
        Old symbol -> current symbol (see :mod:`sensequant.data.reference.aliases`).
    repair_ohlc : bool, default False
        Widen high/low that do not bound open/close (as ``data import --repair-ohlc``)
        instead of listing such files in :attr:`errors`.

    Raises
    ------
    UsageError
        If a path does not exist.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        series: Sequence[str] = ("EQ",),
        aliases: Mapping[str, str] | None = None,
        repair_ohlc: bool = False,
    ) -> None:
        self._repair = repair_ohlc
        self._paths = [Path(p) for p in paths]
        for p in self._paths:
            if not p.exists():
                raise UsageError(f"{p} does not exist", hint="pass existing files or folders")
        self._series = normalise_series(series)
        self._aliases = dict(aliases or {})
        self._bars: dict[tuple[str, str], pd.DataFrame] | None = None
        self.errors: list[str] = []
        """One message per file that could not be read (file, problem, fix)."""
        self._info = ProviderInfo(name="files", intervals=INTERVALS, adjusted=False)

    @property
    def info(self) -> ProviderInfo:
        """Capabilities: every interval, no call limits."""
        return self._info

    def _index(self) -> dict[tuple[str, str], pd.DataFrame]:
        if self._bars is not None:
            return self._bars
        parts: dict[tuple[str, str], list[pd.DataFrame]] = defaultdict(list)
        files, _ = find_bar_files(self._paths)
        for path in files:
            if path.suffix.lower() == ".csv" and is_index_list_file(path):
                continue  # an NSE constituent list, not bars (`data import` loads those)
            try:
                parsed = read_bar_file(
                    path, series=self._series, aliases=self._aliases, repair_ohlc=self._repair
                )
            except SenseQuantError as exc:
                self.errors.append(str(exc))
                continue
            if parsed.symbol is not None:
                parts[(parsed.symbol, parsed.interval)].append(parsed.bars)
            elif "symbol" in parsed.bars.columns:
                for sym, group in parsed.bars.groupby("symbol", sort=False):
                    parts[(str(sym), parsed.interval)].append(group.drop(columns=["symbol"]))
            else:
                self.errors.append(f"{path}: no symbol known for this file; rename it SYMBOL.csv")
        keep = (*BAR_COLUMNS, *OPTIONAL_BAR_COLUMNS)
        bars: dict[tuple[str, str], pd.DataFrame] = {}
        for (sym, interval), frames in parts.items():
            raw = pd.concat(frames, ignore_index=True).sort_values("timestamp", kind="stable")
            try:
                index, repair = is_index_symbol(sym), self._repair
                clean = clean_bars(
                    raw, symbol=sym, interval=interval, is_index=index, repair_ohlc=repair
                ).bars
            except SenseQuantError as exc:
                self.errors.append(str(exc))
                continue
            bars[(sym, interval)] = clean.loc[:, [c for c in keep if c in clean.columns]]
        self._bars = bars
        return bars

    def symbols(self, interval: str) -> list[str]:
        """Symbols the files hold at ``interval``, sorted."""
        return sorted(s for s, i in self._index() if i == interval)

    def check_symbol(self, symbol: str) -> None:
        """Raise :class:`UnknownInstrumentError` if no file holds ``symbol``."""
        if not any(s == symbol for s, _ in self._index()):
            unread = (
                f"; {len(self.errors)} file(s) could not be read: " + " | ".join(self.errors[:3])
                if self.errors
                else ""
            )
            raise UnknownInstrumentError(
                f"no file under {', '.join(map(str, self._paths))} holds {symbol}{unread}",
                hint="name per-symbol files SYMBOL.csv, or add bhavcopies that list it; "
                "--repair-ohlc widens inconsistent high/low",
                provider="files",
            )

    def fetch_bars(
        self, symbol: str, interval: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """Bars of ``symbol`` at ``interval`` whose start lies in ``[start, end]`` (IST).

        Returns
        -------
        pandas.DataFrame
            As :meth:`sensequant.data.providers.base.BarProvider.fetch_bars`; empty when the
            files hold nothing in the range.
        """
        frame = self._index().get((symbol, interval))
        if frame is None:
            return empty_bars()
        ts = frame["timestamp"]
        return frame.loc[(ts >= start) & (ts <= end)].reset_index(drop=True)

    def close(self) -> None:
        """Drop the in-memory index."""
        self._bars = None
