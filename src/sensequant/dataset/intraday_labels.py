"""Labels on intraday bars: inside the session by default, or to the session's close.

The fixed-horizon and triple-barrier labels of :mod:`sensequant.dataset.labels` count bars;
on intraday bars ``t + h`` may fall in the next session (the label would then span the night
and the next morning's gap). Here, per bar ``t`` of session ``d``:

* ``session_bound`` (default): the label is NaN (fwd_return, label and t1) when bar ``t + h``
  (the vertical barrier) is not in session ``d``; so is the entry bar ``t + 1``. The last
  ``h`` bars of every session are unlabelled; ``t1`` never passes the session's last bar.
* ``to_close``: every bar is labelled from the next bar's open to the session's last close,
  ``fwd_return = close_last(d) / open_{t+1} - 1``, ``t1`` = the session's last bar, and the
  threshold scales with the bars left, ``k * sigma_t * sqrt(last - t)``; the last bar has no
  label. Fixed-horizon method only.
* neither: exactly :func:`sensequant.dataset.labels.make_labels` (labels may cross sessions).

A session is an IST calendar date (bars are stamped at their start, IST).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sensequant.data.market import INTERVAL_MINUTES, session_hours
from sensequant.dataset.labels import make_labels
from sensequant.errors import ConfigError
from sensequant.settings import LabelConfig

__all__ = ["intraday_labels", "session_index"]


def session_index(timestamps: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Session number and the row of the session's last bar, per bar.

    Parameters
    ----------
    timestamps : pandas.DatetimeIndex
        Sorted bar starts (tz IST).

    Returns
    -------
    (ndarray of int64, ndarray of int64), each of shape (n_bars,)
        ``session[t]`` counts sessions from 0; ``last[t]`` is the row of the last bar of
        ``t``'s session.
    """
    day = timestamps.normalize().asi8
    n = len(day)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    new = np.concatenate(([True], day[1:] != day[:-1]))
    session = np.cumsum(new) - 1
    ends = np.append(np.flatnonzero(new)[1:] - 1, n - 1)
    return session.astype(np.int64), ends[session].astype(np.int64)


def closed_sessions(timestamps: pd.DatetimeIndex, last: np.ndarray, interval: str) -> np.ndarray:
    """Per bar: whether its session's last stored bar is the session's closing bar.

    The session's hours come from :func:`sensequant.data.market.session_hours` (special and
    Muhurat sessions included); a session whose hours are unknown counts as closed.
    """
    minutes = INTERVAL_MINUTES.get(interval)
    out = np.ones(len(timestamps), dtype=bool)
    if minutes is None or not len(timestamps):
        return out
    ends = timestamps[np.unique(last)]
    for stamp in ends:
        local = stamp.tz_convert("Asia/Kolkata")
        hours = session_hours(local.date())
        if hours is None:
            continue
        close = pd.Timestamp.combine(local.date(), hours[-1][1]).tz_localize("Asia/Kolkata")
        if local + pd.Timedelta(minutes=minutes) < close:
            out[timestamps[last] == stamp] = False
    return out


def intraday_labels(
    bars: pd.DataFrame, cfg: LabelConfig, interval: str = "5minute"
) -> pd.DataFrame:
    """Labels of one symbol's intraday bars (see the module docstring).

    Parameters
    ----------
    bars : pandas.DataFrame
        Intraday bars of ONE symbol (``timestamp`` tz IST, sorted, unique; OHLC).
    cfg : LabelConfig
        ``horizon`` and ``vol_lookback`` in bars; ``session_bound``, ``to_close``.
    interval : str
        The bars' interval: with ``to_close`` a session whose last stored bar is not its
        closing bar (a gap at the close, or bars cut short) gets no label.

    Returns
    -------
    pandas.DataFrame of shape (n_bars, 4)
        ``fwd_return`` (fraction), ``threshold`` (fraction), ``label`` (0/1/2, NaN unknown),
        ``t1`` (the label's last bar), index = bar timestamps.

    Raises
    ------
    ConfigError
        ``to_close`` with the triple-barrier method.
    DataError
        As :func:`sensequant.dataset.labels.make_labels`.
    """
    if cfg.to_close and cfg.method != "fixed_horizon":
        raise ConfigError(
            "labels.to_close works with the fixed_horizon method only",
            hint="set labels.method: fixed_horizon, or labels.to_close: false",
        )
    out = make_labels(bars, cfg)
    if not (cfg.session_bound or cfg.to_close):
        return out
    ts = pd.DatetimeIndex(out.index)
    n = len(ts)
    session, last = session_index(ts)
    rows = np.arange(n)
    if cfg.to_close:
        open_ = bars["open"].to_numpy(dtype=np.float64)
        close = bars["close"].to_numpy(dtype=np.float64)
        ok = (rows < last) & closed_sessions(ts, last, interval)
        nxt = np.minimum(rows + 1, max(n - 1, 0))
        fwd = np.full(n, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            fwd[ok] = close[last[ok]] / open_[nxt[ok]] - 1.0
        k = cfg.threshold_k
        sigma = out["threshold"].to_numpy() / (k * np.sqrt(cfg.horizon))
        threshold = k * sigma * np.sqrt(np.maximum(last - rows, 1))
        label = np.full(n, np.nan)
        known = np.isfinite(fwd) & np.isfinite(threshold)
        label[known] = np.where(
            fwd[known] < -threshold[known], 0.0, np.where(fwd[known] > threshold[known], 2.0, 1.0)
        )
        t1 = pd.Series(ts[last], index=ts).where(ok)
        return pd.DataFrame(
            {"fwd_return": fwd, "threshold": threshold, "label": label, "t1": t1.array},
            index=out.index,
        )
    vertical = rows + cfg.horizon
    crosses = (vertical >= n) | (session[np.minimum(vertical, max(n - 1, 0))] != session)
    out.loc[crosses, ["fwd_return", "label"]] = np.nan
    out.loc[crosses, "t1"] = pd.NaT
    return out
