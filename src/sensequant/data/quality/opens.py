"""Erroneous opening prints and OHLC repair (used by :func:`~.clean.clean_bars`).

* :func:`suspect_opens`: an open above (or below) BOTH the previous close and the bar's own
  close by more than ``max(OPEN_GAP, exp(OPEN_SIGMAS * sigma) - 1)``, sigma being the robust
  (MAD) sigma of the series' close-to-close log returns; or by more than ``OPEN_GAP`` when the
  open is also the bar's high (low), the signature of a stray print. A genuine gap moves the
  price and the close stays near the open, or the open lies between the two closes; a price
  that opens far away and closes back where it was is a bad pre-open/auction print (the
  shared ETF export: 53 GOLDBEES and 6 SILVERBEES days, e.g. GOLDBEES 2020-08-27 open 51.50
  between closes of about 45, SILVERBEES 2022-06-01 open = high 64.80 between closes of 61.33
  and 60.42; early Yahoo stock history has many too). Flagged (``suspect_open``), never
  changed: a backtest filling at the next open must not trust these prices.
* :func:`repair_ohlc`: widen high/low to cover open and close (``ohlc_repaired``), only when
  the caller asked for it (``sensequant data import --repair-ohlc``).

Pure: no I/O.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensequant.data.quality.findings import Finding, examples, make_finding

__all__ = ["OPEN_GAP", "ohlc_inconsistent", "repair_ohlc", "suspect_open_finding", "suspect_opens"]

OPEN_GAP: Final = 0.05
"""Smallest gap (5 %, relative) of a suspect open from both the previous and its own close."""
OPEN_SIGMAS: Final = 6.0
"""... and at least this many robust sigmas of the close-to-close log returns."""
_MAD_TO_SIGMA: Final = 1.4826


def suspect_opens(frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Bars whose open lies far above (or below) both the previous and its own close.

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n, ...)
        One series in time order with float ``open`` and ``close``.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        False for the first bar (no previous close). See the module notes for the threshold.
    """
    o, c = frame["open"].to_numpy(dtype=np.float64), frame["close"].to_numpy(dtype=np.float64)
    if c.size < 2:
        return np.zeros(c.size, dtype=bool)
    r = np.log(c[1:] / c[:-1])
    sigma = _MAD_TO_SIGMA * float(np.median(np.abs(r - np.median(r))))
    wide = 1.0 + max(OPEN_GAP, float(np.expm1(OPEN_SIGMAS * sigma)))
    prev = np.r_[np.nan, c[:-1]]
    h, lo = frame["high"].to_numpy(dtype=np.float64), frame["low"].to_numpy(dtype=np.float64)
    out = np.zeros(c.size, dtype=bool)
    with np.errstate(invalid="ignore"):
        for gap, extreme in ((wide, True), (1.0 + OPEN_GAP, False)):
            above = (o > prev * gap) & (o > c * gap) & (extreme | (o >= h))
            below = (o * gap < prev) & (o * gap < c) & (extreme | (o <= lo))
            out |= above | below
    return out


def suspect_open_finding(frame: pd.DataFrame, unit: str) -> Finding | None:
    """The ``suspect_open`` finding of a series (None when no bar is suspect)."""
    mask = suspect_opens(frame)
    if not mask.any():
        return None
    rows = frame.loc[mask]
    first = rows.iloc[0]
    detail = (
        f"{int(mask.sum())} {unit} open far above or below both the previous close and their "
        f"own close (by over {OPEN_GAP:.0%} as the bar's high/low, or {OPEN_SIGMAS:g} robust "
        f"sigmas; erroneous opening prints? flagged, kept; do not trust "
        f"them as fill prices): {examples(rows['timestamp'])} (first: open {first['open']:g}, "
        f"close {first['close']:g})"
    )
    return make_finding("suspect_open", frame, mask, detail)


def ohlc_inconsistent(frame: pd.DataFrame, tolerance: float) -> npt.NDArray[np.bool_]:
    """Rows with high < max(open, close), low > min(open, close) or high < low.

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n, ...)
        Float ``open, high, low, close``.
    tolerance : float
        Relative tolerance (float noise).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    o, h, lo, c = (frame[k].to_numpy() for k in ("open", "high", "low", "close"))
    tol = 1 + tolerance
    bad = (h * tol < np.maximum(o, c)) | (lo > np.minimum(o, c) * tol) | (h * tol < lo)
    return np.asarray(bad, dtype=bool)


def repair_ohlc(frame: pd.DataFrame, mask: npt.NDArray[np.bool_], unit: str) -> Finding:
    """Set high/low of the rows in ``mask`` to the max/min of open, high, low, close, in place.

    Returns
    -------
    Finding
        ``ohlc_repaired`` naming the rows (and their source lines when known).
    """
    prices = frame.loc[mask, ["open", "high", "low", "close"]].to_numpy(dtype=np.float64)
    frame.loc[mask, "high"] = prices.max(axis=1)
    frame.loc[mask, "low"] = prices.min(axis=1)
    detail = (
        f"{int(mask.sum())} {unit} with high < low or open/close outside [low, high] repaired "
        f"(high/low widened to cover open and close; --repair-ohlc): "
        f"{examples(frame.loc[mask, 'timestamp'])}"
    )
    return make_finding("ohlc_repaired", frame, mask, detail)
