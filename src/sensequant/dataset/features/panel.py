"""Panel-level features (cross-sectional, sector, market) and per-date normalisation.

:func:`panel_features` takes the long (symbol, timestamp) panel of
:func:`sensequant.dataset.panel_frame` and adds the panel sets chosen in
:class:`~sensequant.run_config.FeatureConfig`; then, if ``cs_normalize`` is set, it replaces
the per-symbol features (technical, levels, returns) by their per-date rank or robust z-score.

Causality: a value at (symbol, t) uses only

* the symbol's own closes up to t (its n-session return over ITS sessions),
* other symbols' returns on the SAME date t (universe / sector means, normalisation),
* benchmark closes with timestamp <= t (market set).

So cutting every symbol's bars (or the benchmark's) after a date never changes an earlier
value (``tests/dataset/test_panel_lookahead.py``). All computation is vectorised over the wide
(timestamp x symbol) frame; values are float64.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import numpy as np
import pandas as pd

from sensequant.dataset.features.sets import (
    MARKET_RETURN_HORIZONS,
    MARKET_VOL_PERIODS,
    RETURN_HORIZONS,
    SYMBOL_SETS,
    selected_names,
)
from sensequant.errors import ConfigError, DataError
from sensequant.run_config import FeatureConfig

ZSCORE_CLIP = 5.0
"""Clip of the ``cs_normalize: zscore`` robust z-scores."""
MAD_SCALE = 1.4826
"""MAD -> standard deviation for normal data."""
UNKNOWN_SECTOR_POLICY = "nan"
"""A symbol with no industry gets NaN ``sector_ret_*`` (it is in no sector's mean)."""


def wide_closes(bars: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Stack per-symbol bars into the wide close frame :func:`panel_features` expects.

    Parameters
    ----------
    bars : mapping of str to pandas.DataFrame
        Symbol -> bars with ``timestamp`` (tz IST, sorted, unique) and ``close`` (rupees).

    Returns
    -------
    pandas.DataFrame of shape (n_dates, n_symbols)
        Index: union of timestamps (sorted, named ``timestamp``); columns: symbols in
        mapping order; NaN where a symbol has no bar.
    """
    series = {
        sym: pd.Series(
            b["close"].to_numpy(dtype=np.float64), index=pd.DatetimeIndex(b["timestamp"])
        )
        for sym, b in bars.items()
    }
    wide = pd.DataFrame(series).sort_index()
    wide.index.name = "timestamp"
    return wide


def session_log_returns(closes: pd.DataFrame, n: int) -> pd.DataFrame:
    """n-session log returns of every symbol, over each symbol's OWN sessions.

    Parameters
    ----------
    closes : pandas.DataFrame of shape (n_dates, n_symbols)
        Wide closes (rupees, > 0), NaN where a symbol has no bar.
    n : int
        Sessions (>= 1).

    Returns
    -------
    pandas.DataFrame, same shape as ``closes``
        ``ln close_t - ln close_{t-n}`` where t-n counts the symbol's non-missing rows;
        NaN where the symbol has no bar at t or fewer than n earlier bars.
    """
    logc = cast(pd.Series, closes.astype(np.float64).apply(np.log).stack())  # drops no-bar cells
    ret = logc.groupby(level=1, sort=False).diff(n)
    wide = ret.unstack()
    return wide.reindex(index=closes.index, columns=closes.columns)


def _take(wide: pd.DataFrame, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    vals = wide.to_numpy(dtype=np.float64)
    ok = (rows >= 0) & (cols >= 0)
    out = np.full(len(rows), np.nan)
    out[ok] = vals[rows[ok], cols[ok]]
    return out


RelativeReturns = dict[tuple[str, int], pd.DataFrame]
"""``(kind, n) -> wide frame``: kind ``xs`` or ``sector``, n sessions (see
:func:`relative_returns`)."""


def relative_returns(
    closes: pd.DataFrame, sectors: Mapping[str, str | None] | None, config: FeatureConfig
) -> RelativeReturns:
    """The wide relative returns behind the ``cross_sectional`` and ``sector`` sets.

    Computed once over the whole wide close frame, so :func:`panel_features` can be called
    on date chunks of the panel (``relative=``) with results identical to one call.

    Parameters
    ----------
    closes : pandas.DataFrame of shape (n_dates, n_symbols)
        Wide closes (rupees), e.g. :func:`wide_closes`.
    sectors : mapping of str to str or None, optional
        Symbol -> industry (the ``sector`` set).
    config : FeatureConfig
        Which of the two sets are chosen.

    Returns
    -------
    dict of (str, int) to pandas.DataFrame of shape (n_dates, n_symbols)
        Log-return differences (fractions); empty when neither set is chosen.
    """
    chosen = set(config.sets)
    if not chosen & {"cross_sectional", "sector"}:
        return {}
    return _relative_returns(closes, sectors, "cross_sectional" in chosen, "sector" in chosen)


def _relative_returns(
    closes: pd.DataFrame, sectors: Mapping[str, str | None] | None, want_xs: bool, want_sector: bool
) -> RelativeReturns:
    out: RelativeReturns = {}
    labels = None
    if want_sector:
        labels = pd.Series([(sectors or {}).get(str(c)) or None for c in closes.columns])
    for n in RETURN_HORIZONS:
        r = session_log_returns(closes, n)
        if want_xs:
            out[("xs", n)] = r.sub(r.mean(axis=1, skipna=True), axis=0)
        if want_sector and labels is not None:
            known = labels.notna().to_numpy()
            rel = pd.DataFrame(np.nan, index=r.index, columns=r.columns)
            if known.any():
                rk = r.loc[:, known]
                grp = labels[known].to_numpy()
                means = rk.T.groupby(grp).mean().T  # (n_dates, n_sectors), NaN-skipping
                per_col = means.reindex(columns=grp).to_numpy()
                rel.loc[:, known] = rk.to_numpy() - per_col
            out[("sector", n)] = rel
    return out


def _market_columns(
    benchmark_close: pd.Series, timestamps: pd.DatetimeIndex
) -> dict[str, np.ndarray]:
    bm = benchmark_close.dropna().astype(np.float64).sort_index()
    idx = pd.DatetimeIndex(bm.index)
    if not idx.is_unique:
        raise DataError(
            f"benchmark closes have {int(idx.duplicated().sum())} duplicate timestamp(s)",
            hint="drop duplicate index bars before computing market features",
        )
    logb = pd.Series(np.log(bm.to_numpy()))
    cols: dict[str, np.ndarray] = {}
    for n in MARKET_RETURN_HORIZONS:
        cols[f"mkt_ret_{n}"] = (logb - logb.shift(n)).to_numpy()
    r1 = logb.diff()
    for n in MARKET_VOL_PERIODS:
        cols[f"mkt_vol_{n}"] = r1.rolling(n, min_periods=n).std(ddof=1).to_numpy()
    pos = idx.searchsorted(timestamps, side="right") - 1  # last index bar with ts <= t
    ok = pos >= 0
    out = {}
    for name, arr in cols.items():
        v = np.full(len(timestamps), np.nan)
        v[ok] = arr[pos[ok]]
        out[name] = v
    return out


def _date_grid(dates: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Row -> (date code, slot within the date) so a column can be laid out (dates x slots)."""
    codes, uniques = pd.factorize(np.asarray(dates), sort=False)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=len(uniques))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    slot = np.empty(len(codes), dtype=np.int64)
    slot[order] = np.arange(len(codes)) - starts[codes[order]]
    return codes, slot, len(uniques), int(sizes.max()) if len(sizes) else 0


def _row_nanmedian(grid: np.ndarray) -> np.ndarray:
    """Median of each row ignoring NaN (mean of the two middle values; NaN for empty rows)."""
    srt = np.sort(grid, axis=1)  # NaN sorts last
    k = np.isfinite(srt).sum(axis=1)
    lo = np.clip((k - 1) // 2, 0, None)[:, None]
    hi = np.clip(k // 2, 0, grid.shape[1] - 1)[:, None]
    med = 0.5 * (np.take_along_axis(srt, lo, 1) + np.take_along_axis(srt, hi, 1))[:, 0]
    return np.where(k > 0, med, np.nan)


def cs_rank(values: pd.DataFrame, dates: pd.Series | np.ndarray) -> pd.DataFrame:
    """Per-date percentile rank minus 0.5 of every column.

    Parameters
    ----------
    values : pandas.DataFrame of shape (n_rows, n_cols)
        Long panel values.
    dates : pandas.Series or ndarray of shape (n_rows,)
        Decision date of each row (the grouping key).

    Returns
    -------
    pandas.DataFrame, same shape
        ``rank / n_valid - 0.5`` (average ranks, so in ``[1/n - 0.5, 0.5]``); NaN stays NaN.
    """
    x = values.to_numpy(dtype=np.float64)
    out = np.full_like(x, np.nan)
    if len(x):
        codes, slot, n_dates, width = _date_grid(dates)
        grid = np.empty((n_dates, width))
        for j in range(x.shape[1]):  # one pass per column; each is a vectorised row-wise rank
            grid[:] = np.nan
            grid[codes, slot] = x[:, j]
            ranked = pd.DataFrame(grid).rank(axis=1, pct=True, method="average").to_numpy()
            out[:, j] = ranked[codes, slot] - 0.5
    return pd.DataFrame(out, index=values.index, columns=values.columns)


def cs_robust_z(values: pd.DataFrame, dates: pd.Series | np.ndarray, clip: float) -> pd.DataFrame:
    """Per-date robust z-score ``(x - median) / (1.4826 * MAD)``, clipped to ``+/-clip``.

    Parameters
    ----------
    values : pandas.DataFrame of shape (n_rows, n_cols)
    dates : pandas.Series or ndarray of shape (n_rows,)
        Grouping key.
    clip : float
        Absolute bound.

    Returns
    -------
    pandas.DataFrame, same shape
        NaN stays NaN; a value equal to its date's median is 0, and where MAD is 0 every
        other value is ``+/-clip``.
    """
    x = values.to_numpy(dtype=np.float64)
    out = np.full_like(x, np.nan)
    if len(x):
        codes, slot, n_dates, width = _date_grid(dates)
        grid = np.empty((n_dates, width))
        for j in range(x.shape[1]):
            grid[:] = np.nan
            grid[codes, slot] = x[:, j]
            dev = x[:, j] - _row_nanmedian(grid)[codes]
            grid[codes, slot] = np.abs(dev)
            mad = _row_nanmedian(grid)[codes]
            with np.errstate(divide="ignore", invalid="ignore"):
                z = dev / (MAD_SCALE * mad)
            out[:, j] = np.clip(np.where(dev == 0.0, 0.0, z), -clip, clip)
    return pd.DataFrame(out, index=values.index, columns=values.columns)


def cs_normalize(values: pd.DataFrame, dates: pd.Series | np.ndarray, mode: str) -> pd.DataFrame:
    """Per-date normalisation of every column by ``features.cs_normalize`` ``mode``.

    ``rank``: :func:`cs_rank`; ``zscore``: :func:`cs_robust_z` clipped to
    :data:`ZSCORE_CLIP`; ``none``: ``values`` unchanged.
    """
    if mode == "rank":
        return cs_rank(values, dates)
    if mode == "zscore":
        return cs_robust_z(values, dates, ZSCORE_CLIP)
    return values


def panel_features(
    panel: pd.DataFrame,
    *,
    config: FeatureConfig,
    closes: pd.DataFrame | None = None,
    benchmark_close: pd.Series | None = None,
    sectors: Mapping[str, str | None] | None = None,
    relative: RelativeReturns | None = None,
) -> pd.DataFrame:
    """Add the panel feature sets of ``config`` to a long panel and normalise per date.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel of :func:`sensequant.dataset.panel_frame`: ``symbol``, ``timestamp`` (tz
        IST), the per-symbol feature columns of ``config`` (see
        :func:`sensequant.dataset.features.sets.symbol_features`) and any label columns.
    config : FeatureConfig
        Chosen sets and ``cs_normalize``.
    closes : pandas.DataFrame of shape (n_dates, n_symbols), optional
        Wide closes (rupees) over the symbols' WHOLE history up to the panel end (so long
        returns have their warm-up), e.g. :func:`wide_closes`. Its columns are the universe
        of the equal-weight means. Required for ``cross_sectional`` and ``sector``.
    benchmark_close : pandas.Series, optional
        Benchmark (NIFTY 50) closes indexed by tz-aware timestamp. Required for ``market``.
    sectors : mapping of str to str, optional
        Symbol -> industry (the catalog's ``SymbolInfo.industry``, from the NIFTY 100 list).
        A symbol absent or None gets NaN ``sector_ret_*`` and is in no sector mean. Required
        for ``sector``.
    relative : dict, optional
        :func:`relative_returns` of ``closes`` computed once by the caller (chunked calls);
        computed here when None.

    Returns
    -------
    pandas.DataFrame
        A new frame, same rows and order as ``panel``: ``symbol``, ``timestamp``, the
        feature columns :func:`~sensequant.dataset.features.sets.selected_names` of
        ``config`` (float64, in set order), then the panel's other columns. Panel sets:

        * ``xs_ret_n``: symbol's n-session log return minus the equal-weight mean over the
          symbols of ``closes`` with a return on that date, n in 1, 5, 20, 60.
        * ``sector_ret_n``: the same relative to the symbol's sector mean.
        * ``mkt_ret_n`` (n = 5, 20, 60), ``mkt_vol_n`` (n = 20, 60; daily log-return sample
          std, not annualised): from the last benchmark bar with timestamp <= t.

        With ``cs_normalize`` ``rank`` / ``zscore``, the per-symbol set columns (technical,
        levels, returns; not the panel sets) are replaced by :func:`cs_rank` /
        :func:`cs_robust_z` (clip 5) over the rows of the same timestamp.

    Raises
    ------
    ConfigError
        If a chosen panel set lacks its input.
    DataError
        If a per-symbol feature column of ``config`` is missing from ``panel``.
    """
    symbol_cols = selected_names(config, kinds=SYMBOL_SETS)
    missing = [c for c in symbol_cols if c not in panel.columns]
    if missing:
        raise DataError(
            f"panel lacks per-symbol feature column(s) {missing[:5]} ({len(missing)} in all)",
            hint="build the frames with sensequant.dataset.features.symbol_features(bars, config)",
        )
    chosen = set(config.sets)
    needs = {"cross_sectional": closes, "sector": closes, "market": benchmark_close}
    for name, given in needs.items():
        if name in chosen and given is None:
            what = "benchmark_close" if name == "market" else "closes"
            raise ConfigError(f"feature set {name!r} needs {what}", hint=f"pass {what}=...")
    if "sector" in chosen and sectors is None:
        raise ConfigError("feature set 'sector' needs sectors", hint="pass sectors={sym: industry}")

    ts = pd.DatetimeIndex(panel["timestamp"])
    new: dict[str, np.ndarray] = {}
    if closes is not None and chosen & {"cross_sectional", "sector"}:
        rows = closes.index.get_indexer(ts)
        cols = closes.columns.get_indexer(pd.Index(panel["symbol"]))
        rel = relative if relative is not None else relative_returns(closes, sectors, config)
        for (kind, n), wide in rel.items():
            new[f"{'xs' if kind == 'xs' else 'sector'}_ret_{n}"] = _take(wide, rows, cols)
    if benchmark_close is not None and "market" in chosen:
        new.update(_market_columns(benchmark_close, ts))

    out = panel.copy()
    for name, arr in new.items():
        out[name] = arr
    if config.cs_normalize != "none" and symbol_cols:
        block = out[symbol_cols].astype(np.float64)
        key = ts.asi8
        normed = cs_normalize(block, key, config.cs_normalize)
        out[symbol_cols] = normed.to_numpy()
    feats = selected_names(config)
    rest = [c for c in out.columns if c not in feats and c not in ("symbol", "timestamp")]
    return out[["symbol", "timestamp", *feats, *rest]]
