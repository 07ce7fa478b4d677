"""OHLC consistency and its explicit repair (used by :func:`~.clean.clean_bars`).

* :func:`ohlc_inconsistent`: rows with high < max(open, close), low > min(open, close) or
  high < low (the file readers refuse them unless asked to repair).
* :func:`repair_ohlc`: widen high/low to cover open and close (``ohlc_repaired``), only when
  the caller asked for it (``sensequant data import/fetch --repair-ohlc``).

Erroneous opening prints are not judged here: the one rule is
:func:`sensequant.data.quality.breaks.bad_prints`.

Pure: no I/O.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensequant.data.quality.findings import Finding, examples, make_finding

__all__ = ["ohlc_inconsistent", "repair_ohlc"]


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
