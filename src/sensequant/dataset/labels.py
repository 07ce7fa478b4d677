"""Forward-return classification labels with a volatility-scaled threshold.

Timing (daily bars; ``t`` is a session, ``h = LabelConfig.horizon``)::

    decision at t's close  ->  filled at open_{t+1}  ->  held to close_{t+h}
    fwd_return_t = close_{t+h} / open_{t+1} - 1        (simple return, fraction)
    t1_t         = timestamp of session t+h            (label known after that close)

So a label at ``t`` uses prices of sessions ``t+1 .. t+h`` only, and ``t1`` records exactly
when it becomes known; downstream purging removes any training sample whose ``t1`` reaches
into a test period. With ``h = 1`` the label is the next session's open-to-close return.

Threshold (known at ``t``)::

    sigma_t     = std(r_{t-L+1} .. r_t, ddof=1),  r_i = close_i / close_{i-1} - 1,  L = vol_lookback
    threshold_t = k * sigma_t * sqrt(h)
    label_t     = 0 (down) if fwd_return_t < -threshold_t
                  2 (up)   if fwd_return_t >  threshold_t
                  1 (flat) otherwise

Triple barrier (``cfg.method = "triple_barrier"``, Lopez de Prado, AFML sec. 3.4)::

    threshold_t uses k = barrier_k when it is set (else threshold_k)
    entry P0 = open_{t+1};  upper = P0 * (1 + threshold_t);  lower = P0 * (1 - threshold_t)
    scan sessions j = t+1 .. t+h: up touched if high_j >= upper, down if low_j <= lower
    first touching session j: label 2 (up) / 0 (down), t1 = timestamp_j,
        fwd_return = fill / P0 - 1 with fill = the barrier price, or open_j if the session
        OPENED beyond the barrier (a gap fills at the open, not at the barrier)
    no touch by t+h: label 1 (flat), t1 = timestamp_{t+h}, fwd_return = close_{t+h} / P0 - 1

If one session touches both barriers, the one that opened beyond its barrier wins; otherwise
the barrier nearer to that session's open is taken as touched first (ties: down, the
conservative choice). A label is known as soon as a barrier is touched, even if session
t+h is not in the data yet; rows with no touch and no session t+h are NaN. Where
``threshold_t`` is NaN (warm-up), fwd_return and t1 are those of the vertical barrier and
the label is NaN.

Classes follow :data:`sensequant.types.CLASSES` (``down, flat, up``). The sqrt(h) scaling
assumes roughly independent daily returns (square-root-of-time rule). Sessions are rows of the
bar frame: stale holiday rows must be removed before labelling (the data quality step does it),
otherwise they count as sessions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sensequant.errors import DataError
from sensequant.settings import LabelConfig

LABEL_COLUMNS: tuple[str, ...] = ("fwd_return", "threshold", "label", "t1")
"""Columns of :func:`make_labels`, in order."""


def make_labels(bars: pd.DataFrame, cfg: LabelConfig) -> pd.DataFrame:
    """Label every session of one symbol as down / flat / up.

    Parameters
    ----------
    bars : pandas.DataFrame
        Daily bars of ONE symbol: ``timestamp`` (tz-aware IST, sorted, unique), ``open``,
        ``close`` (rupees); other columns are ignored.
    cfg : LabelConfig
        ``horizon`` h (sessions), ``vol_lookback`` L (sessions), ``threshold_k`` k,
        ``method`` (``fixed_horizon`` as below, or ``triple_barrier``: see the module
        docstring; then ``fwd_return`` / ``label`` / ``t1`` are those of the first barrier
        touched, and ``high`` / ``low`` are required too).

    Returns
    -------
    pandas.DataFrame of shape (n_bars, 4)
        Index ``timestamp`` (the bars' timestamps). Columns:

        * ``fwd_return`` (float64): ``close_{t+h} / open_{t+1} - 1``; NaN for the last h rows.
        * ``threshold`` (float64): ``k * sigma_t * sqrt(h)`` (fraction); NaN for the first L
          rows (L returns need L + 1 closes).
        * ``label`` (float64): 0.0 down, 1.0 flat, 2.0 up; NaN where ``fwd_return`` or
          ``threshold`` is NaN.
        * ``t1`` (datetime64[ns, tz]): timestamp of session ``t+h``; NaT for the last h rows.

    Raises
    ------
    DataError
        If ``timestamp``, ``open`` or ``close`` is missing or timestamps are not sorted/unique.

    Notes
    -----
    The method is the fixed-horizon, volatility-scaled labelling of Lopez de Prado, *Advances
    in Financial Machine Learning* (2018), sec. 3.2, with the entry at the next open.
    """
    missing = [c for c in ("timestamp", "open", "close") if c not in bars.columns]
    if missing:
        raise DataError(
            f"bar frame lacks column(s) {missing} needed for labels",
            hint="pass bars with timestamp, open, high, low, close, volume",
        )
    ts = pd.DatetimeIndex(bars["timestamp"], name="timestamp")
    if len(ts) > 1 and not (ts.is_monotonic_increasing and ts.is_unique):
        raise DataError(
            f"bar timestamps are not sorted and unique (first {ts[0]}, last {ts[-1]})",
            hint="sort by timestamp and drop duplicates (the data quality step does this)",
        )
    if cfg.method == "triple_barrier":
        missing = [c for c in ("high", "low") if c not in bars.columns]
        if missing:
            raise DataError(
                f"bar frame lacks column(s) {missing} needed for triple-barrier labels",
                hint="pass bars with timestamp, open, high, low, close, volume",
            )
    h, L, k = cfg.horizon, cfg.vol_lookback, cfg.threshold_k
    if cfg.method == "triple_barrier" and cfg.barrier_k is not None:
        k = cfg.barrier_k
    n = len(ts)
    open_ = bars["open"].to_numpy(dtype=np.float64)
    close = bars["close"].to_numpy(dtype=np.float64)

    fwd = np.full(n, np.nan)
    if n > h:
        with np.errstate(divide="ignore", invalid="ignore"):
            fwd[: n - h] = close[h:] / open_[1 : n - h + 1] - 1.0
    ret = pd.Series(close).pct_change(fill_method=None)
    sigma = ret.rolling(L, min_periods=L).std(ddof=1).to_numpy()
    threshold = k * sigma * np.sqrt(h)

    if cfg.method == "triple_barrier":
        high = bars["high"].to_numpy(dtype=np.float64)
        low = bars["low"].to_numpy(dtype=np.float64)
        fwd_tb, label_tb, end = _triple_barrier(open_, high, low, close, threshold, h)
        t1_tb = pd.Series(pd.NaT, index=range(n), dtype=pd.Series(ts).dtype)
        ok = end >= 0
        t1_tb[ok] = ts[end[ok]]
        return pd.DataFrame(
            {"fwd_return": fwd_tb, "threshold": threshold, "label": label_tb, "t1": t1_tb.array},
            index=ts,
        )

    label = np.full(n, np.nan)
    known = np.isfinite(fwd) & np.isfinite(threshold)
    label[known] = np.where(
        fwd[known] < -threshold[known], 0.0, np.where(fwd[known] > threshold[known], 2.0, 1.0)
    )
    t1 = pd.Series(ts).shift(-h)
    return pd.DataFrame(
        {
            "fwd_return": fwd,
            "threshold": threshold,
            "label": label,
            "t1": t1.array,
        },
        index=ts,
    )


def _triple_barrier(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    threshold: np.ndarray,
    h: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised over rows (a loop over the h offsets only); see the module docstring.

    Returns fwd_return (n,), label (n,) and the end row index (n,; -1 = unknown).
    """
    n = len(open_)
    fwd = np.full(n, np.nan)
    label = np.full(n, np.nan)
    end = np.full(n, -1, dtype=np.int64)
    if n < 2:
        return fwd, label, end
    p0 = np.full(n, np.nan)
    p0[:-1] = open_[1:]
    upper = p0 * (1.0 + threshold)
    lower = p0 * (1.0 - threshold)
    has_barrier = np.isfinite(threshold)
    done = np.zeros(n, dtype=bool)
    rows = np.arange(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        for off in range(1, h + 1):
            j = rows + off
            inside = j < n
            jj = np.where(inside, j, 0)
            o, hi, lo = open_[jj], high[jj], low[jj]
            up = inside & has_barrier & ~done & (hi >= upper)
            dn = inside & has_barrier & ~done & (lo <= lower)
            both = up & dn
            gap_up, gap_dn = o >= upper, o <= lower
            up_first = np.where(
                gap_up | gap_dn, gap_up, (upper - o) < (o - lower)
            )  # nearer to the open wins; a tie goes down
            up = up & (~both | up_first)
            dn = dn & (~both | ~up_first)
            fill_up = np.maximum(upper, o)
            fill_dn = np.minimum(lower, o)
            for hit, fill, cls in ((up, fill_up, 2.0), (dn, fill_dn, 0.0)):
                fwd[hit] = fill[hit] / p0[hit] - 1.0
                label[hit] = cls
                end[hit] = j[hit]
            done |= up | dn
            if off == h:
                vert = inside & ~done
                fwd[vert] = close[jj[vert]] / p0[vert] - 1.0
                label[vert] = np.where(has_barrier[vert], 1.0, np.nan)
                end[vert] = j[vert]
    return fwd, label, end
