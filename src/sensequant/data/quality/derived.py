"""Catalog state derived from the stored bars: corporate actions, and post-merge checks.

:func:`sync_actions` keeps the detected corporate actions of a series in step with the
store: it compares the series fingerprint (:meth:`BarStore.fingerprint`) with the one the
catalog's detection was computed from (``action_detections``) and detects again when it is
missing or stale, so a crash between the store write and the catalog write, ``--force``, a
resumed fetch or a rebuilt catalog can never lose a factor. Reviews survive (they live
apart, see :mod:`sensequant.data.catalog.action_state`).

:func:`recheck_merged` runs the jump check on the MERGED series around the bars a merge
added or changed, so a file that is fine on its own but breaks the stored series (two
made-up bars at 1/250th of the price) is flagged in the catalog and by ``data audit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.quality.action_detect import detect_corporate_actions
from sensequant.data.quality.checks import day_numbers, outlier_jumps
from sensequant.data.quality.findings import Finding, examples, make_finding
from sensequant.data.reference import is_index_symbol
from sensequant.data.store import BarStore, MergeStats

__all__ = ["RECHECK_CONTEXT", "SyncResult", "catalog_state", "recheck_merged", "sync_actions"]

RECHECK_CONTEXT: Final = 250
"""Bars either side of the changed span that the post-merge jump check also reads (the
robust sigma needs context; about a year of daily bars)."""


@dataclass(frozen=True)
class SyncResult:
    """What :func:`sync_actions` did for one series.

    Attributes
    ----------
    symbol, interval : str
    status : str
        ``current`` (the detection matched the stored bars), ``detected`` (detected again:
        missing or stale), ``dropped`` (the series is not stored; its detection forgotten)
        or ``absent`` (neither stored nor detected).
    found : int
        Actions detected (0 unless ``detected``).
    """

    symbol: str
    interval: str
    status: str
    found: int = 0


def sync_actions(
    store: BarStore, catalog: Catalog, symbol: str, interval: str, *, force: bool = False
) -> SyncResult:
    """Detect a series' corporate actions again when the catalog's result is missing or stale.

    Parameters
    ----------
    store : BarStore
        The RAW store (never an adjusted view).
    catalog : Catalog
    symbol, interval : str
        The series. Indices are recorded with no action (never checked).
    force : bool, default False
        Detect even when the fingerprint matches.

    Returns
    -------
    SyncResult

    Raises
    ------
    StoreError
        If the series cannot be read or the catalog written (the catalog is left as it was).
    """
    state = catalog.action_detections(symbol)
    known = state.loc[state["interval"] == interval, "fingerprint"]
    if not store.exists(symbol, interval):
        if known.empty:
            return SyncResult(symbol, interval, "absent")
        catalog.drop_detected_actions(symbol, interval)
        return SyncResult(symbol, interval, "dropped")
    fingerprint = store.fingerprint(symbol, interval).sha256
    if not force and not known.empty and known.iloc[0] == fingerprint:
        return SyncResult(symbol, interval, "current")
    if is_index_symbol(symbol):
        found = []
    else:
        found = detect_corporate_actions(store.read(symbol, interval), symbol)
    catalog.replace_detected_actions(symbol, interval, fingerprint, [a.to_row() for a in found])
    return SyncResult(symbol, interval, "detected", len(found))


def catalog_state(
    store: BarStore, known: dict[tuple[str, str], str], symbol: str, interval: str
) -> tuple[str, str | None]:
    """Whether the catalog's corporate actions of a stored series match its bars.

    Parameters
    ----------
    store : BarStore
    known : dict of (symbol, interval) to str
        Fingerprints of the catalog's detections (``Catalog.action_detections``).
    symbol, interval : str
        A stored series.

    Returns
    -------
    state : str
        ``current``, ``stale`` (detected on other bars) or ``missing`` (never detected).
    problem : str or None
        The audit problem to report: always for ``stale``; for ``missing`` only when the
        catalog holds detections of other series (a catalog from before schema 3 holds none:
        every series is ``missing`` and none warns until ``data repair``).
    """
    fingerprint = store.fingerprint(symbol, interval).sha256
    found = known.get((symbol, interval))
    fix = "run `sensequant data repair` (or import the series again)"
    if found == fingerprint:
        return "current", None
    if found is not None:
        return "stale", (
            f"catalog does not match the store: corporate actions were detected on other bars "
            f"(catalog {found[:12]}, store {fingerprint[:12]}); {fix}"
        )
    if not known:
        return "missing", None
    return "missing", f"catalog does not match the store: corporate actions never checked; {fix}"


def recheck_merged(store: BarStore, symbol: str, interval: str, stats: MergeStats) -> list[Finding]:
    """Outlier jumps of the merged series in and next to the span a merge changed.

    Parameters
    ----------
    store : BarStore
    symbol, interval : str
    stats : MergeStats
        Of the merge just made; nothing is checked when it changed nothing or created the
        series (then the file's own check in ``clean_bars`` saw every bar).

    Returns
    -------
    list of Finding
        One ``outlier_jump`` finding (detail starting ``after merge``) naming the flagged
        bars between the first changed bar and the bar after the last one, or nothing.
        Ex-dates of detected corporate actions are not flagged. Indices are not checked.
    """
    if stats.first_changed is None or stats.last_changed is None or is_index_symbol(symbol):
        return []
    if stats.added == stats.total:  # a new series: the import's own check saw all of it
        return []
    bars = store.read(symbol, interval, columns=["open", "close", "volume"])
    ts = bars["timestamp"]
    lo = int(ts.searchsorted(stats.first_changed, side="left"))
    hi = int(ts.searchsorted(stats.last_changed, side="right"))
    window = bars.iloc[max(lo - RECHECK_CONTEXT, 0) : hi + RECHECK_CONTEXT].reset_index(drop=True)
    start = lo - max(lo - RECHECK_CONTEXT, 0)
    day = day_numbers(window["timestamp"])[0]
    actions = detect_corporate_actions(window, symbol)
    epoch = pd.Timestamp("1970-01-01").date()
    exclude = np.isin(day, [(a.ex_date - epoch).days for a in actions])
    jumps, sigma = outlier_jumps(
        window["open"].to_numpy(dtype=np.float64),
        window["close"].to_numpy(dtype=np.float64),
        exclude=exclude,
    )
    span = np.zeros(len(window), dtype=bool)
    span[start : start + (hi - lo) + 1] = True  # the changed bars and the bar after them
    flagged = jumps & span
    if not flagged.any():
        return []
    detail = (
        f"after merge: {int(flagged.sum())} bars of the stored series with a bar or overnight "
        f"move above 20 % and far outside its robust sigma {sigma:.4f} next to bars this "
        f"import added or changed (flagged, kept): {examples(window.loc[flagged, 'timestamp'])}"
    )
    return [make_finding("outlier_jump", window, flagged, detail)]
