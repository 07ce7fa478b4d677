"""Frame assembly: features + labels per symbol, and the long (symbol, timestamp) panel.

:func:`symbol_frame` computes one symbol's features and labels over its stored history (the
teachers' input); :func:`panel_frame` stacks the symbols' frames inside a date range (the
student's input).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.data.reference import effective_first_bar
from sensequant.dataset.features import symbol_features
from sensequant.dataset.intraday_labels import intraday_labels
from sensequant.dataset.labels import make_labels
from sensequant.settings import RunConfig

PANEL_LABEL_COLUMNS: Final = ("label", "fwd_return", "t1")
"""Label columns a panel carries next to the features, in order."""
VOLUME_FEATURES: Final = (
    "volume_z_20",
    "dist_avwap_pivot_low",
    "dist_session_vwap",
    "volume_tod",
)
"""Feature columns computed from volume: dropped from a run whose bars lack volume."""


def volume_absent(bars: Mapping[str, pd.DataFrame]) -> list[str]:
    """Symbols whose bars carry no volume (any NaN volume, as stored for files without it).

    Parameters
    ----------
    bars : mapping of str to pandas.DataFrame
        Symbol -> bars with a ``volume`` column (NaN = absent, never 0).

    Returns
    -------
    list of str
        The symbols, in the mapping's order; empty when every bar has a volume.
    """
    return [s for s, b in bars.items() if "volume" in b and bool(b["volume"].isna().any())]


@dataclass
class SymbolFrame:
    """Features and labels of one symbol over its whole stored history up to the run end.

    Attributes
    ----------
    symbol : str
    features : pandas.DataFrame
        (n_bars, n_features), index = bar timestamps (IST).
    labels : pandas.DataFrame
        (n_bars, 4): fwd_return, threshold, label, t1.
    first_bar, last_bar : pandas.Timestamp
        First usable and last bar: ``first_bar`` is ``max(first stored bar, listing date)``
        when the catalog knows the listing date, so windows before a listing are skipped.
    """

    symbol: str
    features: pd.DataFrame
    labels: pd.DataFrame
    first_bar: pd.Timestamp
    last_bar: pd.Timestamp


def feature_names(frames: dict[str, SymbolFrame]) -> list[str]:
    """Feature columns, in order (every symbol's frame has the same ones).

    Parameters
    ----------
    frames : dict of str to SymbolFrame
        At least one frame.

    Returns
    -------
    list of str
    """
    return list(next(iter(frames.values())).features.columns)


def symbol_frame(
    symbol: str, bars: pd.DataFrame, config: RunConfig, *, listing_date: dt.date | None = None
) -> SymbolFrame:
    """Compute features and labels of one symbol (bars must already end at the run end).

    Parameters
    ----------
    symbol : str
        Symbol name.
    bars : pandas.DataFrame
        The symbol's bars (``timestamp`` tz IST, OHLCV), sorted, ending at the run end.
    config : RunConfig
        Run configuration (label settings).
    listing_date : datetime.date, optional
        The catalog's listing date (e.g. ``PreflightReport.listing_dates``); moves
        ``first_bar`` to the listing when stray bars precede it.

    Returns
    -------
    SymbolFrame
    """
    feats = symbol_features(bars, config.features)
    if config.data.interval == "1day":
        labels = make_labels(bars, config.labels)
    else:  # inside the session by default (dataset.intraday_labels)
        labels = intraday_labels(bars, config.labels, config.data.interval)
    ts = pd.DatetimeIndex(bars["timestamp"])
    return SymbolFrame(symbol, feats, labels, effective_first_bar(ts[0], listing_date), ts[-1])


PANEL_SETS: Final = frozenset({"cross_sectional", "sector", "market"})
"""Feature sets computed across symbols (on the panel, after the per-symbol frames)."""


def needs_panel_step(config: RunConfig) -> bool:
    """Whether :func:`~sensequant.dataset.panel_step.with_panel_columns` has work: panel
    feature sets, per-date normalisation or a cross-sectional target."""
    fc = config.features
    return (
        bool(PANEL_SETS & set(fc.sets))
        or fc.cs_normalize != "none"
        or config.labels.target != "class3"
    )


def panel_frame(
    frames: dict[str, SymbolFrame],
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    dtype: type[np.floating[Any]] = np.float64,
) -> pd.DataFrame:
    """Long (symbol, timestamp) panel of features and labels inside ``[start, end]``.

    Parameters
    ----------
    frames : dict of str to SymbolFrame
        At least one frame.
    start, end : pandas.Timestamp
        Inclusive range (tz IST).
    dtype : numpy float type, default float64
        Of the feature columns. ``np.float32`` halves the panel for consumers that cast to
        float32 anyway (the score student's LightGBM matrix), so their results are unchanged.

    Returns
    -------
    pandas.DataFrame
        Columns symbol, timestamp, the feature columns, label, fwd_return, t1 (and target
        when the labels have one); sorted by timestamp then symbol; RangeIndex. Built with
        one allocation per column (the features as one float64 block) when every frame's
        features are float64 with the same columns: a 6-million-row intraday panel is never
        copied through concat and sort.
    """
    stacked = _stacked(frames, start, end, dtype)
    if stacked is None:
        panel = _panel_by_concat(frames, start, end)
        feats = feature_names(frames)
        if dtype is not np.float64:
            panel[feats] = panel[feats].astype(dtype)
        return panel
    labels, x, names = stacked
    panel = pd.DataFrame(x, columns=names, copy=False)  # one block, no copy
    panel.insert(0, "timestamp", labels["timestamp"].array)
    panel.insert(0, "symbol", labels["symbol"].to_numpy())
    for c in labels.columns[2:]:
        panel[c] = labels[c].array
    return panel


def panel_with_matrix(
    frames: dict[str, SymbolFrame],
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    dtype: type[np.floating[Any]] = np.float32,
) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`panel_frame` without feature columns, and its features as one matrix.

    For consumers that need the features only as a LightGBM matrix (the score student):
    the matrix is built once, C-ordered, and no DataFrame holds a second copy of it.

    Returns
    -------
    (pandas.DataFrame, ndarray of shape (n_rows, n_features))
        The panel's ``symbol``, ``timestamp`` and label columns (same rows and order as
        :func:`panel_frame`), and the feature matrix in ``dtype``, columns in
        :func:`feature_names` order.
    """
    stacked = _stacked(frames, start, end, dtype)
    if stacked is not None:
        labels, x, _ = stacked
        return labels, x
    panel = _panel_by_concat(frames, start, end)
    names = feature_names(frames)
    x = np.empty((len(panel), len(names)), dtype=dtype)
    for j, name in enumerate(names):
        x[:, j] = panel.pop(name).to_numpy(dtype=dtype)
    return panel, x


def _stacked(
    frames: dict[str, SymbolFrame],
    start: pd.Timestamp,
    end: pd.Timestamp,
    dtype: type[np.floating[Any]],
) -> tuple[pd.DataFrame, np.ndarray, list[str]] | None:
    """(symbol/timestamp/label panel, feature matrix, feature names), or None when the frames
    differ in columns or dtypes (then :func:`_panel_by_concat` builds the panel)."""
    parts = []
    for sym, fr in frames.items():
        idx = fr.features.index
        i0, i1 = 0, len(idx)
        if idx.is_monotonic_increasing:  # slice first: chunked callers take a few sessions
            i0, i1 = int(idx.searchsorted(start, "left")), int(idx.searchsorted(end, "right"))
        keep = (idx[i0:i1] >= start) & (idx[i0:i1] <= end)
        parts.append((sym, fr, i0, i1, keep))
    first = parts[0][1].features
    has_target = "target" in parts[0][1].labels.columns
    same = all(
        fr.features.columns.equals(first.columns)
        and fr.labels.index.equals(fr.features.index)
        and ("target" in fr.labels.columns) == has_target
        and all(dtype == np.float64 for dtype in fr.features.dtypes)
        for _, fr, *_ in parts
    )
    if not same:
        return None
    cols = [*PANEL_LABEL_COLUMNS, *(["target"] if has_target else [])]
    sizes = [int(k.sum()) for *_, k in parts]
    n = sum(sizes)
    ts_ns = np.empty(n, dtype=np.int64)
    sym_rank = np.empty(n, dtype=np.int64)
    ranks = {s: r for r, s in enumerate(sorted(frames))}  # the symbol sort is by name
    pos = 0
    for (sym, fr, i0, i1, keep), size in zip(parts, sizes, strict=True):
        ts_ns[pos : pos + size] = pd.DatetimeIndex(fr.features.index[i0:i1][keep]).asi8
        sym_rank[pos : pos + size] = ranks[sym]
        pos += size
    order = np.lexsort((sym_rank, ts_ns))  # by timestamp, then symbol name (unique pairs)
    where = np.empty(n, dtype=np.int64)
    where[order] = np.arange(n)  # stacked row -> panel row
    x = np.empty((n, first.shape[1]), dtype=dtype)
    label_parts: dict[str, list[Any]] = {c: [] for c in cols}
    pos = 0
    for (_, fr, i0, i1, keep), size in zip(parts, sizes, strict=True):
        rows = where[pos : pos + size]
        x[rows] = fr.features.iloc[i0:i1].to_numpy(dtype=np.float64)[keep]
        for c in cols:
            label_parts[c].append(fr.labels[c].array[i0:i1][keep])
        pos += size
    names = np.array(sorted(frames), dtype=object)
    stamps = pd.DatetimeIndex(ts_ns[order].view("M8[ns]")).tz_localize("UTC")
    tz = pd.DatetimeIndex(first.index).tz
    labels = pd.DataFrame({"symbol": names[sym_rank[order]], "timestamp": stamps.tz_convert(tz)})
    for c in cols:
        stacked = pd.concat([pd.Series(a) for a in label_parts.pop(c)], ignore_index=True)
        labels[c] = (
            stacked.to_numpy()[order] if stacked.dtype.kind == "f" else stacked.take(order).array
        )
    return labels, x, list(first.columns)


def _panel_by_concat(
    frames: dict[str, SymbolFrame], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """:func:`panel_frame` for frames of mixed dtypes or columns: join, concat and sort."""
    parts = []
    for sym, fr in frames.items():
        cols = [*PANEL_LABEL_COLUMNS, *(["target"] if "target" in fr.labels.columns else [])]
        feats, idx = fr.features, fr.features.index
        if idx.is_monotonic_increasing:
            feats = feats.iloc[idx.searchsorted(start, "left") : idx.searchsorted(end, "right")]
        joined = feats.join(fr.labels[cols])
        joined = joined[(joined.index >= start) & (joined.index <= end)]
        joined = joined.reset_index().rename(columns={joined.index.name or "index": "timestamp"})
        joined.insert(0, "symbol", sym)
        parts.append(joined)
    panel = pd.concat(parts, ignore_index=True)
    return panel.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)
