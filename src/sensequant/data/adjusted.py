"""The adjusted view of the bar store: raw bars with the catalog's corporate actions applied.

The store keeps bars exactly as they arrived (raw); corporate-action price factors live in the
catalog (``corporate_actions`` table, see :mod:`sensequant.data.quality.corporate_actions`). The
pipeline reads through :class:`AdjustedBarStore`, so features, labels and returns never see an
unadjusted bonus or split as a crash, while ``BarStore.read`` still gives the raw view.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.market import TimeLike
from sensequant.data.quality import ACTIVE_STATUSES, adjust_bars, stored_actions
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
    actions are ignored. :meth:`fingerprint` stays the fingerprint of the RAW bars.
    """

    def __init__(self, root: Path, catalog: Catalog, *, lock_timeout: float = 5.0) -> None:
        super().__init__(root, lock_timeout=lock_timeout)
        frame = catalog.corporate_actions(statuses=ACTIVE_STATUSES)
        self._actions: dict[str, pd.DataFrame] = {
            str(sym): group.reset_index(drop=True) for sym, group in frame.groupby("symbol")
        }

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
    ) -> pd.DataFrame:
        """Read bars with corporate actions applied (same contract as :meth:`BarStore.read`).

        Raises
        ------
        NoDataError
            If the series is not stored.
        """
        actions = self._actions.get(symbol)
        if actions is None:
            return super().read(symbol, interval, start=start, end=end, columns=columns)
        wanted = None if columns is None else list(columns)
        need = None if wanted is None else sorted(set(wanted) | set(_ADJUSTED_COLUMNS))
        bars = super().read(symbol, interval, start=start, end=end, columns=need)
        bars = adjust_bars(bars, stored_actions(actions))
        if wanted is not None:
            bars = bars.loc[:, ["timestamp", *[c for c in wanted if c != "timestamp"]]]
        return bars
