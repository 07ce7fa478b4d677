"""Frame assembly: features + labels per symbol, and the long (symbol, timestamp) panel.

:func:`symbol_frame` computes one symbol's features and labels over its stored history (the
teachers' input); :func:`panel_frame` stacks the symbols' frames inside a date range (the
student's input).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import pandas as pd

from sensequant.data.reference import effective_first_bar
from sensequant.dataset.features import panel_features, symbol_features, wide_closes
from sensequant.dataset.intraday_labels import intraday_labels
from sensequant.dataset.labels import make_labels
from sensequant.dataset.targets import cs_target, date_t1, ts_volscaled_target
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
    """Whether :func:`with_panel_columns` has work: panel feature sets, per-date normalisation
    or a cross-sectional target."""
    fc = config.features
    return (
        bool(PANEL_SETS & set(fc.sets))
        or fc.cs_normalize != "none"
        or config.labels.target != "class3"
    )


def with_panel_columns(
    frames: dict[str, SymbolFrame],
    config: RunConfig,
    *,
    closes: pd.DataFrame,
    benchmark_close: pd.Series | None,
    sectors: Mapping[str, str | None],
) -> dict[str, SymbolFrame]:
    """Add the panel-level features and the cross-sectional target to every symbol's frame.

    The panel (every symbol, whole history) goes through
    :func:`sensequant.dataset.features.panel_features` (cross-sectional, sector and market
    sets; per-date normalisation); with ``labels.target`` other than ``class3`` each row gets
    ``target`` (:func:`sensequant.dataset.cs_target`) and its label end ``t1`` becomes the
    date's latest ``t1`` (:func:`sensequant.dataset.date_t1`: a cross-sectional target is only
    known once every symbol's forward return of that date is).

    Parameters
    ----------
    frames : dict of str to SymbolFrame
        Per-symbol frames from :func:`symbol_frame`.
    config : RunConfig
    closes : pandas.DataFrame
        Session x symbol closes (rupees), whole history (``features.wide_closes``).
    benchmark_close : pandas.Series or None
        Benchmark index closes by session (for the ``market`` set).
    sectors : mapping of str to str or None
        Symbol -> industry (for the ``sector`` set).

    Returns
    -------
    dict of str to SymbolFrame
        New frames (inputs untouched); same symbols, same row index per symbol.
    """
    first = min(fr.features.index[0] for fr in frames.values())
    last = max(fr.features.index[-1] for fr in frames.values())
    panel = panel_frame(frames, first, last)
    full = panel_features(
        panel,
        config=config.features,
        closes=closes,
        benchmark_close=benchmark_close,
        sectors=sectors,
    )
    names = [c for c in full.columns if c not in ("symbol", "timestamp", *PANEL_LABEL_COLUMNS)]
    labels = full[["symbol", "timestamp", *PANEL_LABEL_COLUMNS]].copy()
    target = config.labels.target
    if target == "cs_rank" or target == "cs_zscore":
        labels["target"] = cs_target(full, target).to_numpy()
        labels["t1"] = date_t1(full).array  # keeps datetime64 (to_numpy: Timestamp objects)
    out: dict[str, SymbolFrame] = {}
    for sym, group in full.groupby("symbol", sort=False):
        fr = frames[str(sym)]
        idx = pd.DatetimeIndex(group["timestamp"])
        feats = pd.DataFrame(group[names].to_numpy(), index=idx, columns=names)
        feats = feats.reindex(fr.features.index)
        feats.index.name = fr.features.index.name
        lab = fr.labels.copy()
        if config.labels.target == "ts_volscaled":
            lc = config.labels
            barrier = lc.method == "triple_barrier" and lc.barrier_k is not None
            k = lc.barrier_k if barrier and lc.barrier_k is not None else lc.threshold_k
            lab["target"] = ts_volscaled_target(lab, k).to_numpy()
        extra = labels.loc[group.index].set_index(idx)
        if "target" in extra.columns:
            lab["target"] = extra["target"].reindex(lab.index).to_numpy()
            lab["t1"] = extra["t1"].reindex(lab.index).array
        out[str(sym)] = SymbolFrame(fr.symbol, feats, lab, fr.first_bar, fr.last_bar)
    return out


def build_frames(
    bars: Mapping[str, pd.DataFrame],
    config: RunConfig,
    *,
    benchmark_close: pd.Series | None = None,
    sectors: Mapping[str, str | None] | None = None,
    listing_dates: Mapping[str, dt.date] | None = None,
    on_frame: Callable[[str], None] | None = None,
) -> dict[str, SymbolFrame]:
    """Every symbol's frame (:func:`symbol_frame`), then the panel step when the config needs it.

    The one assembly the features phase, the stress replay and the look-ahead check share:
    :func:`with_panel_columns` runs (on ``features.wide_closes(bars)``) only when
    :func:`needs_panel_step` says so.

    Parameters
    ----------
    bars : mapping of str to pandas.DataFrame
        Symbol -> bars (``timestamp`` tz IST, sorted, unique; OHLCV); the frames keep this order.
    config : RunConfig
    benchmark_close : pandas.Series, optional
        Benchmark index closes by session (for the ``market`` set).
    sectors : mapping of str to str or None, optional
        Symbol -> industry (for the ``sector`` set); None = none known.
    listing_dates : mapping of str to datetime.date, optional
        Symbol -> the catalog's listing date (see :func:`symbol_frame`).
    on_frame : callable, optional
        Called with the symbol after each per-symbol frame (progress).

    Returns
    -------
    dict of str to SymbolFrame

        When any symbol lacks volume (:func:`volume_absent`), the volume-based columns
        (:data:`VOLUME_FEATURES`) are dropped from every frame, never filled with 0; the
        features phase records which.

    Raises
    ------
    DataError
        If a symbol's bars cannot be labelled (see :func:`sensequant.dataset.make_labels`).
    """
    frames = _build_frames(bars, config, benchmark_close, sectors, listing_dates, on_frame)
    if not volume_absent(bars):
        return frames
    for fr in frames.values():
        fr.features = fr.features.drop(columns=list(VOLUME_FEATURES), errors="ignore")
    return frames


def _build_frames(
    bars: Mapping[str, pd.DataFrame],
    config: RunConfig,
    benchmark_close: pd.Series | None,
    sectors: Mapping[str, str | None] | None,
    listing_dates: Mapping[str, dt.date] | None,
    on_frame: Callable[[str], None] | None,
) -> dict[str, SymbolFrame]:
    listed = listing_dates or {}
    frames: dict[str, SymbolFrame] = {}
    for sym, b in bars.items():
        frames[sym] = symbol_frame(sym, b, config, listing_date=listed.get(sym))
        if on_frame is not None:
            on_frame(sym)
    if not needs_panel_step(config):
        return frames
    return with_panel_columns(
        frames,
        config,
        closes=wide_closes(bars),
        benchmark_close=benchmark_close,
        sectors=sectors or {},
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
        joined = fr.features.join(fr.labels[cols])
        joined = joined[(joined.index >= start) & (joined.index <= end)]
        joined = joined.reset_index().rename(columns={joined.index.name or "index": "timestamp"})
        joined.insert(0, "symbol", sym)
        parts.append(joined)
    panel = pd.concat(parts, ignore_index=True)
    return panel.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)
