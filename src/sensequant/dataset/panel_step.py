"""The panel step: cross-symbol features and targets added to every symbol's frame, in chunks.

:func:`with_panel_columns` adds the panel feature sets (cross-sectional, sector, market), the
per-date normalisation and the cross-sectional target. Every one of them uses, at a timestamp
t, only the rows of the same t (per-date ranks and means) or series computed once over the
whole history (the wide relative returns, the benchmark closes), so the panel is processed in
chunks of whole timestamps (:data:`CHUNK_ROWS` rows at a time) with results identical to one
pass over the whole panel: a 5-minute universe of 95 symbols over 3.6 years (6.4 M bars) never
holds more than one chunk's long panel next to the frames. :func:`build_frames` is the one
assembly the features phase, the stress replay, signals and the look-ahead check share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Final, Literal

import numpy as np
import pandas as pd

from sensequant.dataset.features import panel_features, relative_returns, wide_closes
from sensequant.dataset.frame import (
    PANEL_LABEL_COLUMNS,
    VOLUME_FEATURES,
    SymbolFrame,
    needs_panel_step,
    panel_frame,
    symbol_frame,
    volume_absent,
)
from sensequant.dataset.targets import cs_target, date_t1, ts_volscaled_target
from sensequant.settings import RunConfig

__all__ = ["CHUNK_ROWS", "build_frames", "with_panel_columns"]

CHUNK_ROWS: Final = 400_000
"""Long-panel rows per chunk of the panel step (whole timestamps; a daily universe of 50
symbols over 19 years is one chunk)."""
_NAT: Final = np.iinfo(np.int64).min


def _chunks(frames: Mapping[str, SymbolFrame], rows: int) -> list[tuple[pd.Timestamp, ...]]:
    """Inclusive (first, last) timestamps of consecutive chunks of about ``rows`` panel rows."""
    indexes = [pd.DatetimeIndex(fr.features.index) for fr in frames.values()]
    stamps = np.unique(np.concatenate([ix.asi8 for ix in indexes]))
    tz = indexes[0].tz
    per = max(1, rows // max(1, len(frames)))
    out = []
    for i in range(0, len(stamps), per):
        lo, hi = stamps[i], stamps[min(i + per, len(stamps)) - 1]
        out.append(tuple(pd.Timestamp(v, tz="UTC").tz_convert(tz) for v in (lo, hi)))
    return out


def _outputs(
    frames: Mapping[str, SymbolFrame], names: list[str], overwrite: bool
) -> dict[str, list[np.ndarray]]:
    """Per symbol, the arrays the new features are written to, as column blocks in name order.

    With ``overwrite`` and the input's columns leading ``names`` (panel sets listed after the
    per-symbol sets, as in every shipped config), the input's own float64 block holds the
    leading columns and only the panel-set columns are allocated; else one new block.
    """
    out: dict[str, list[np.ndarray]] = {}
    for sym, fr in frames.items():
        n, old = len(fr.features), list(fr.features.columns)
        own = fr.features.to_numpy(dtype=np.float64) if overwrite else None
        if own is not None and names[: len(old)] == old:  # a view of the frame's block
            rest = len(names) - len(old)
            out[sym] = [own, *([np.full((n, rest), np.nan)] if rest else [])]
        else:
            out[sym] = [np.full((n, len(names)), np.nan)]
    return out


def _frame(blocks: list[np.ndarray], index: pd.Index, names: list[str]) -> pd.DataFrame:
    """A features frame over ``blocks`` (column blocks in ``names`` order), without copying."""
    first = blocks[0].shape[1]
    frame = pd.DataFrame(blocks[0], index=index, columns=names[:first], copy=False)
    if len(blocks) > 1:
        for j, name in enumerate(names[first:]):
            frame[name] = blocks[1][:, j]
    return frame


def with_panel_columns(
    frames: dict[str, SymbolFrame],
    config: RunConfig,
    *,
    closes: pd.DataFrame,
    benchmark_close: pd.Series | None,
    sectors: Mapping[str, str | None],
    chunk_rows: int = CHUNK_ROWS,
    overwrite: bool = False,
) -> dict[str, SymbolFrame]:
    """Add the panel-level features and the cross-sectional target to every symbol's frame.

    The panel (every symbol, whole history) goes through
    :func:`sensequant.dataset.features.panel_features` (cross-sectional, sector and market
    sets; per-date normalisation) one chunk of whole timestamps at a time, with the wide
    relative returns computed once (:func:`sensequant.dataset.features.relative_returns`);
    with ``labels.target`` other than ``class3`` each row gets ``target``
    (:func:`sensequant.dataset.cs_target`) and its label end ``t1`` becomes the date's latest
    ``t1`` (:func:`sensequant.dataset.date_t1`: a cross-sectional target is only known once
    every symbol's forward return of that date is).

    Parameters
    ----------
    frames : dict of str to SymbolFrame
        Per-symbol frames from :func:`symbol_frame` (indexes sorted and unique).
    config : RunConfig
    closes : pandas.DataFrame
        Session x symbol closes (rupees), whole history (``features.wide_closes``).
    benchmark_close : pandas.Series or None
        Benchmark index closes by session (for the ``market`` set).
    sectors : mapping of str to str or None
        Symbol -> industry (for the ``sector`` set).
    chunk_rows : int, default :data:`CHUNK_ROWS`
        Long-panel rows per chunk (memory bound; the result does not depend on it).
    overwrite : bool, default False
        Let the new frames reuse the input frames' feature arrays (normalised in place, chunk
        by chunk: a chunk only reads its own timestamps, so no later chunk sees a written
        value) instead of allocating a second copy; the input frames are then not to be
        used again (:func:`build_frames` owns its frames and passes True).

    Returns
    -------
    dict of str to SymbolFrame
        New frames (inputs untouched unless ``overwrite``); same symbols, same row index per
        symbol; features float64, columns in :func:`~sensequant.dataset.features.
        selected_names` order.
    """
    fc = config.features
    rel = relative_returns(closes, sectors, fc)
    target = config.labels.target
    cs_kind: Literal["cs_rank", "cs_zscore"] | None = (
        target if target == "cs_rank" or target == "cs_zscore" else None
    )
    names: list[str] | None = None
    feats: dict[str, list[np.ndarray]] = {}
    tgt = {s: np.full(len(fr.labels), np.nan) for s, fr in frames.items()} if cs_kind else {}
    t1s = {s: np.full(len(fr.labels), _NAT) for s, fr in frames.items()} if cs_kind else {}
    for lo, hi in _chunks(frames, chunk_rows):
        full = panel_features(
            panel_frame(frames, lo, hi),
            config=fc,
            closes=closes,
            benchmark_close=benchmark_close,
            sectors=sectors,
            relative=rel,
        )
        if names is None:
            skip = ("symbol", "timestamp", *PANEL_LABEL_COLUMNS)
            names = [c for c in full.columns if c not in skip]
            feats = _outputs(frames, names, overwrite)
        block = full[names].to_numpy(dtype=np.float64)
        if cs_kind is not None:
            t_vals = cs_target(full, cs_kind).to_numpy()
            e_vals = date_t1(full).array.asi8
        syms = full["symbol"].to_numpy()
        ts = pd.DatetimeIndex(full["timestamp"])
        codes = pd.factorize(syms)[0]
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        for part in np.split(order, bounds):
            if not part.size:
                continue
            sym = str(syms[part[0]])
            pos = frames[sym].features.index.get_indexer(ts[part])
            rows = block[part]
            width = 0
            for arr in feats[sym]:  # the column blocks of this symbol, in name order
                arr[pos] = rows[:, width : width + arr.shape[1]]
                width += arr.shape[1]
            if cs_kind:
                tgt[sym][pos] = t_vals[part]
                t1s[sym][pos] = e_vals[part]
    out: dict[str, SymbolFrame] = {}
    for sym, fr in frames.items():
        idx = fr.features.index
        f = _frame(feats.pop(sym), idx, names or [])
        lab = fr.labels.copy()
        if target == "ts_volscaled":
            lc = config.labels
            barrier = lc.method == "triple_barrier" and lc.barrier_k is not None
            k = lc.barrier_k if barrier and lc.barrier_k is not None else lc.threshold_k
            lab["target"] = ts_volscaled_target(lab, k).to_numpy()
        if cs_kind:
            lab["target"] = tgt.pop(sym)
            stamps = pd.DatetimeIndex(t1s.pop(sym).view("M8[ns]")).tz_localize("UTC")
            lab["t1"] = stamps.tz_convert(pd.DatetimeIndex(idx).tz).array
        out[sym] = SymbolFrame(fr.symbol, f, lab, fr.first_bar, fr.last_bar)
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
    listed = listing_dates or {}
    frames: dict[str, SymbolFrame] = {}
    for sym, b in bars.items():
        frames[sym] = symbol_frame(sym, b, config, listing_date=listed.get(sym))
        if on_frame is not None:
            on_frame(sym)
    if needs_panel_step(config):
        frames = with_panel_columns(
            frames,
            config,
            closes=wide_closes(bars),
            benchmark_close=benchmark_close,
            sectors=sectors or {},
            overwrite=True,
        )
    if volume_absent(bars):
        for fr in frames.values():
            fr.features = fr.features.drop(columns=list(VOLUME_FEATURES), errors="ignore")
    return frames
