"""Frame assembly: features + labels per symbol, and the long (symbol, timestamp) panel.

:func:`symbol_frame` computes one symbol's features and labels over its stored history (the
teachers' input); :func:`panel_frame` stacks the symbols' frames inside a date range (the
student's input).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import pandas as pd

from sensequant.data.reference import effective_first_bar
from sensequant.dataset.features import build_features
from sensequant.dataset.labels import make_labels
from sensequant.settings import RunConfig

PANEL_LABEL_COLUMNS: Final = ("label", "fwd_return", "t1")
"""Label columns a panel carries next to the features, in order."""


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
    feats = build_features(bars)
    labels = make_labels(bars, config.labels)
    ts = pd.DatetimeIndex(bars["timestamp"])
    return SymbolFrame(symbol, feats, labels, effective_first_bar(ts[0], listing_date), ts[-1])


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
        joined = fr.features.join(fr.labels[list(PANEL_LABEL_COLUMNS)])
        joined = joined[(joined.index >= start) & (joined.index <= end)]
        joined = joined.reset_index().rename(columns={joined.index.name or "index": "timestamp"})
        joined.insert(0, "symbol", sym)
        parts.append(joined)
    panel = pd.concat(parts, ignore_index=True)
    return panel.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)
