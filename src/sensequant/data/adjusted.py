"""The adjusted view of the bar store: raw bars with the catalog's corporate actions applied.

The store keeps bars exactly as they arrived (raw); corporate-action price factors live in the
catalog (``corporate_actions`` table, see :mod:`sensequant.data.quality.corporate_actions`). The
pipeline reads through :class:`AdjustedBarStore`, so features, labels and returns never see an
unadjusted bonus or split as a crash, while ``BarStore.read`` still gives the raw view.

The same view keeps structural breaks out (:mod:`sensequant.data.quality.break_mask`): the
catalog's pending and confirmed breaks are applied after the factors, so every phase that reads
bars through it (features, labels, training windows, backtest prices, the stress replay) sees
the same bars. :meth:`AdjustedBarStore.refresh_breaks` detects them (pre-flight calls it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.market import TimeLike
from sensequant.data.quality import (
    ACTIVE_BREAK_STATUSES,
    ACTIVE_STATUSES,
    StructuralBreak,
    adjust_bars,
    apply_breaks,
    break_columns,
    record_detected_breaks,
    stored_actions,
)
from sensequant.data.store import BarStore

__all__ = ["AdjustedBarStore"]

_ADJUSTED_COLUMNS = ("open", "high", "low", "close", "volume")


class AdjustedBarStore(BarStore):
    """A read view of a :class:`BarStore` that applies suspected and confirmed actions.

    Parameters
    ----------
    root : pathlib.Path
        Store folder (``Settings().store_dir``).
    catalog : Catalog
        Source of the corporate-action factors; read ONCE here, so one run uses one
        consistent set of factors (listed by :meth:`applied_actions` for the manifest).
    lock_timeout : float, default 5.0
        As :class:`BarStore`.

    Notes
    -----
    Adjustment (prices before an ex-date times its factor, volume divided by it; factor = new
    price / old price) is :func:`sensequant.data.quality.corporate_actions.adjust_bars`. Rejected
    actions are ignored. :meth:`fingerprint` stays the fingerprint of the RAW bars. Pending and
    confirmed structural breaks (read once here too) are then applied by
    :func:`sensequant.data.quality.apply_breaks`; rejected ones are ignored.
    """

    def __init__(self, root: Path, catalog: Catalog, *, lock_timeout: float = 5.0) -> None:
        super().__init__(root, lock_timeout=lock_timeout)
        self._catalog = catalog
        frame = catalog.corporate_actions(statuses=ACTIVE_STATUSES)
        self._actions: dict[str, pd.DataFrame] = {
            str(sym): group.reset_index(drop=True) for sym, group in frame.groupby("symbol")
        }
        self._breaks: dict[tuple[str, str], pd.DataFrame] = {}
        self._load_breaks()

    def _load_breaks(self) -> None:
        frame = self._catalog.structural_breaks(statuses=ACTIVE_BREAK_STATUSES)
        self._breaks = {
            (str(sym), str(iv)): group.reset_index(drop=True)
            for (sym, iv), group in frame.groupby(["symbol", "interval"])
        }

    def applied_breaks(
        self, symbols: Sequence[str] | None = None, interval: str | None = None
    ) -> list[dict[str, Any]]:
        """The structural breaks this view keeps out (pending and confirmed), by symbol/date.

        Returns
        -------
        list of dict
            ``symbol, interval, session_date, kind, last_date, size`` (log move), ``status``,
            ``detail``, ``reviewer``, ``decided_at``.
        """
        keep = [
            *("symbol", "interval", "session_date", "kind", "last_date", "size", "status"),
            *("detail", "reviewer", "decided_at"),
        ]
        out: list[dict[str, Any]] = []
        for (sym, iv), frame in sorted(self._breaks.items()):
            if (symbols is None or sym in symbols) and (interval is None or iv == interval):
                out.extend(
                    {str(k): v for k, v in r.items()} for r in frame.loc[:, keep].to_dict("records")
                )
        return out

    def refresh_breaks(self, symbols: Sequence[str], interval: str) -> list[StructuralBreak]:
        """Detect the structural breaks of these series, record them, and apply them from now.

        Each series is read adjusted and without breaks; new breaks are recorded ``pending``,
        reviewed ones keep their decision (:func:`sensequant.data.quality.record_detected_breaks`).

        Returns
        -------
        list of StructuralBreak
            Every break detected now (of any status).
        """
        found: list[StructuralBreak] = []
        for sym in symbols:
            bars = self.read(sym, interval, breaks=False)
            found += record_detected_breaks(self._catalog, sym, interval, bars)
        self._load_breaks()
        return found

    def applied_actions(self, symbols: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The actions this view applies (symbol, ex_date, kind, price_factor, status)."""
        keep = ("symbol", "ex_date", "kind", "price_factor", "source", "status")
        out: list[dict[str, Any]] = []
        for sym, frame in sorted(self._actions.items()):
            if symbols is None or sym in symbols:
                out.extend(
                    {str(k): v for k, v in r.items()}
                    for r in frame.loc[:, list(keep)].to_dict("records")
                )
        return out

    def read(
        self,
        symbol: str,
        interval: str,
        *,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        columns: Sequence[str] | None = None,
        breaks: bool = True,
    ) -> pd.DataFrame:
        """Read bars with corporate actions applied (same contract as :meth:`BarStore.read`).

        ``breaks=False`` leaves the structural breaks in (detection reads that way).

        Raises
        ------
        NoDataError
            If the series is not stored.
        """
        actions = self._actions.get(symbol)
        kept_out = self._breaks.get((symbol, interval)) if breaks else None
        if actions is None and kept_out is None:
            return super().read(symbol, interval, start=start, end=end, columns=columns)
        wanted = None if columns is None else list(columns)
        extra = set(_ADJUSTED_COLUMNS if actions is not None else ())
        extra |= set(break_columns(kept_out) if kept_out is not None else ())
        need = None if wanted is None else sorted(set(wanted) | extra | {"timestamp"})
        bars = super().read(symbol, interval, start=start, end=end, columns=need)
        if actions is not None:
            bars = adjust_bars(bars, stored_actions(actions))
        if kept_out is not None:
            bars = apply_breaks(bars, kept_out)
        if wanted is not None:
            bars = bars.loc[:, ["timestamp", *[c for c in wanted if c != "timestamp"]]]
        return bars
