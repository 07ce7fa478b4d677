"""Frame assembly: features + labels per symbol, and the long (symbol, timestamp) panel.

:func:`symbol_frame` computes one symbol's features and labels over its stored history (the
teachers' input); :func:`panel_frame` stacks the symbols' frames inside a date range (the
student's input).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

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
    frames: dict[str, SymbolFrame], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Long (symbol, timestamp) panel of features and labels inside ``[start, end]``.

    Parameters
    ----------
    frames : dict of str to SymbolFrame
        At least one frame.
    start, end : pandas.Timestamp
        Inclusive range (tz IST).

    Returns
    -------
    pandas.DataFrame
        Columns symbol, timestamp, the feature columns, label, fwd_return, t1; sorted by
        timestamp then symbol.
    """
    parts = []
    for sym, fr in frames.items():
        cols = [*PANEL_LABEL_COLUMNS, *(["target"] if "target" in fr.labels.columns else [])]
        feats, idx = fr.features, fr.features.index
        if idx.is_monotonic_increasing:  # slice first: chunked callers take a few sessions
            feats = feats.iloc[idx.searchsorted(start, "left") : idx.searchsorted(end, "right")]
        joined = feats.join(fr.labels[cols])
        joined = joined[(joined.index >= start) & (joined.index <= end)]
        joined = joined.reset_index().rename(columns={joined.index.name or "index": "timestamp"})
        joined.insert(0, "symbol", sym)
        parts.append(joined)
    panel = pd.concat(parts, ignore_index=True)
    return panel.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)
