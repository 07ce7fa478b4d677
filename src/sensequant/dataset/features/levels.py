"""Support/resistance features: 52-week range, confirmed swing pivots, anchored VWAP.

All features are causal and scale-free (distances as ``close / level - 1``).

Swing pivots and the look-ahead trap
------------------------------------
A k-bar fractal pivot high at bar ``s`` needs the ``k`` bars AFTER ``s``::

    high[s] >  max(high[s-k .. s-1])   and   high[s] >= max(high[s+1 .. s+k])

(pivot lows mirror this with ``low`` and min). The strict inequality on the left and the
non-strict one on the right make a plateau produce one pivot, at its first bar, and constant
prices produce none. Such a pivot is therefore only *confirmed* at the close of bar ``s + k``
and may only be used from row ``s + k`` on. :func:`confirmed_pivots` returns arrays indexed by
the confirmation row, never by the pivot row, so a feature at ``t`` only sees pivots with
``s + k <= t``. Using the pivot at row ``s`` (as many charting libraries draw it) leaks ``k``
sessions of future prices.

Anchored VWAP
-------------
Anchor: the bar ``s`` of the most recent CONFIRMED swing low (confirmed at ``s + k <= t``).
``AVWAP_t = sum_{i=s..t} tp_i * v_i / sum_{i=s..t} v_i`` with typical price
``tp = (high + low + close) / 3`` (Shannon, *Maximum Trading Gains with Anchored VWAP*, 2023).
The anchor moves to the newer swing low on the row its confirmation arrives. NaN before the
first confirmed swing low or when every volume since the anchor is zero.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from sensequant.types import FloatArray, IntArray

RANGE_PERIOD: Final = 252
"""Sessions in the rolling 52-week range."""
PIVOT_K: Final = 5
"""Bars on each side of a swing pivot (k-bar fractal); a pivot is usable k bars later."""

LEVEL_PARAMS: Final[dict[str, object]] = {
    "range_period": RANGE_PERIOD,
    "pivot_k": PIVOT_K,
    "pivot_rule": "left strict, right non-strict; confirmed at s+k",
    "avwap_anchor": "last confirmed swing low bar; typical price (h+l+c)/3",
}
"""Every parameter that changes a level feature's value (part of the feature-set hash)."""

LEVEL_FEATURE_NAMES: Final[tuple[str, ...]] = (
    "dist_high_252",
    "dist_low_252",
    "since_high_252",
    "dist_pivot_high",
    "dist_pivot_low",
    "dist_avwap_pivot_low",
)
"""Column names produced by :func:`level_features`, in order."""


def confirmed_pivots(
    high: FloatArray, low: FloatArray, k: int = PIVOT_K
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Most recent confirmed swing-pivot levels, as known at each row.

    Parameters
    ----------
    high, low : ndarray of shape (n_bars,)
        Bar highs and lows (rupees).
    k : int
        Fractal half-width in bars (>= 1).

    Returns
    -------
    pivot_high : ndarray of shape (n_bars,)
        At row ``t``: the high of the latest pivot high ``s`` with ``s + k <= t``; NaN if none.
    pivot_low : ndarray of shape (n_bars,)
        Same for pivot lows (the low at ``s``).
    pivot_low_bar : ndarray of int64, shape (n_bars,)
        At row ``t``: the row ``s`` of that latest confirmed pivot low; -1 if none.

    Notes
    -----
    Row ``t`` looks at bars ``t-2k .. t`` only (the candidate ``s = t - k`` and ``k`` bars on
    each side), so the result is causal; see the module docstring for the rule.
    """
    n = len(high)
    pivot_high = np.full(n, np.nan)
    pivot_low = np.full(n, np.nan)
    low_bar = np.full(n, -1, dtype=np.int64)
    width = 2 * k + 1
    if n < width:
        return pivot_high, pivot_low, low_bar
    wh = sliding_window_view(high, width)  # row i covers bars i .. i+2k, confirmed at i+2k
    wl = sliding_window_view(low, width)
    ch, cl = wh[:, k], wl[:, k]
    is_high = (ch > wh[:, :k].max(axis=1)) & (ch >= wh[:, k + 1 :].max(axis=1))
    is_low = (cl < wl[:, :k].min(axis=1)) & (cl <= wl[:, k + 1 :].min(axis=1))
    conf_rows = np.arange(width - 1, n)  # confirmation row t = s + k, with s = t - k
    pivot_high[conf_rows[is_high]] = ch[is_high]
    pivot_low[conf_rows[is_low]] = cl[is_low]
    low_bar[conf_rows[is_low]] = conf_rows[is_low] - k
    pivot_high = pd.Series(pivot_high).ffill().to_numpy()
    pivot_low = pd.Series(pivot_low).ffill().to_numpy()
    low_bar = np.maximum.accumulate(low_bar)
    return pivot_high, pivot_low, low_bar


def anchored_vwap(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    anchor: IntArray,
) -> FloatArray:
    """VWAP from a per-row anchor bar to the row itself.

    Parameters
    ----------
    high, low, close : ndarray of shape (n_bars,)
        Prices in rupees.
    volume : ndarray of shape (n_bars,)
        Volume in shares (>= 0).
    anchor : ndarray of int64, shape (n_bars,)
        Anchor row for each row ``t`` (``anchor[t] <= t``), -1 for no anchor.

    Returns
    -------
    ndarray of shape (n_bars,)
        ``sum_{i=anchor..t} tp_i v_i / sum_{i=anchor..t} v_i`` in rupees, tp = (h + l + c) / 3;
        NaN where there is no anchor or no volume since it.

    Notes
    -----
    Uses running sums (``cumsum``), which are forward-only, so truncating the input never
    changes an earlier value.
    """
    n = len(close)
    tp = (high + low + close) / 3.0
    cpv = np.concatenate(([0.0], np.cumsum(tp * volume)))
    cv = np.concatenate(([0.0], np.cumsum(volume)))
    rows = np.arange(n)
    ok = anchor >= 0
    a = np.where(ok, anchor, 0)
    pv = cpv[rows + 1] - cpv[a]
    v = cv[rows + 1] - cv[a]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok & (v > 0), pv / v, np.nan)


def level_features(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray
) -> dict[str, FloatArray]:
    """Compute every feature of :data:`LEVEL_FEATURE_NAMES`.

    Parameters
    ----------
    high, low, close : ndarray of shape (n_bars,)
        Prices in rupees (> 0), oldest first.
    volume : ndarray of shape (n_bars,)
        Volume in shares (>= 0).

    Returns
    -------
    dict of str to ndarray of shape (n_bars,)
        * ``dist_high_252``: close / max(high over the last 252 sessions incl. t) - 1 (<= 0).
        * ``dist_low_252``: close / min(low over the last 252 sessions incl. t) - 1 (>= 0).
        * ``since_high_252``: sessions since the most recent bar holding that 252-session high,
          divided by 252 (0 = today is the high), in [0, 251/252].
        * ``dist_pivot_high``, ``dist_pivot_low``: close / level - 1 for the latest confirmed
          swing pivot high / low (see :func:`confirmed_pivots`, k = ``PIVOT_K``).
        * ``dist_avwap_pivot_low``: close / anchored VWAP - 1, anchored at the latest confirmed
          swing low bar (see :func:`anchored_vwap`).

        The 252-session features are NaN for the first 251 rows.
    """
    n = len(close)
    out: dict[str, FloatArray] = {name: np.full(n, np.nan) for name in LEVEL_FEATURE_NAMES}
    if n == 0:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        if n >= RANGE_PERIOD:
            wh = sliding_window_view(high, RANGE_PERIOD)
            wl = sliding_window_view(low, RANGE_PERIOD)
            hi = wh.max(axis=1)
            lo = wl.min(axis=1)
            # argmax of the reversed window = bars since the MOST RECENT occurrence of the max
            since = wh[:, ::-1].argmax(axis=1).astype(np.float64)
            tail = slice(RANGE_PERIOD - 1, n)
            out["dist_high_252"][tail] = close[tail] / hi - 1.0
            out["dist_low_252"][tail] = close[tail] / lo - 1.0
            out["since_high_252"][tail] = since / RANGE_PERIOD
        pivot_high, pivot_low, low_bar = confirmed_pivots(high, low, PIVOT_K)
        out["dist_pivot_high"] = close / pivot_high - 1.0
        out["dist_pivot_low"] = close / pivot_low - 1.0
        out["dist_avwap_pivot_low"] = close / anchored_vwap(high, low, close, volume, low_bar) - 1.0
    return out
