"""Intraday feature sets: ``intraday`` (within the session) and ``daily`` (previous sessions).

Both are causal: row ``t`` uses bars ``0..t`` only (bars are stamped at their START, IST; a
session is an IST calendar date).

``intraday`` (:data:`INTRADAY_FEATURE_NAMES`)::

    tod                minutes from 09:15 IST to the bar's start / 375 (time of day, 0..1)
    bars_since_open    bars since the session's first bar (0 for the first)
    overnight_gap      ln(session's first open / previous session's last close)
    ret_session        ln(close_t / session's first open)
    dist_session_vwap  close_t / session VWAP up to t - 1 (typical price x volume)   [volume]
    or_position        (close_t - OR low) / (OR high - OR low) - 0.5; OR = the session's
                       first 30 minutes, the bars seen so far while it is still forming
    rv_session         sqrt(sum of squared bar log returns in the session so far)
    volume_tod         ln(volume_t / mean volume at the same clock time (bar start) over
                       the previous 20 sessions with a bar there; at least 5)         [volume]
                       zero-volume bars (a vendor's filled bars) are NaN, never 0 or -inf

``daily`` (:data:`DAILY_FEATURE_NAMES`): the session's bars aggregated to a daily bar (first
open, max high, min low, last close, summed volume), daily technical features computed on those
(:func:`sensequant.dataset.features.technical.technical_features`), and each intraday bar of
session ``d`` gets the values of session ``d - 1`` -- the previous COMPLETED session, never
today's daily bar.

Columns marked [volume] are NaN without volume; the run then drops them (``VOLUME_FEATURES``).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from sensequant.dataset.features.technical import technical_features
from sensequant.types import SESSION_MINUTES

__all__ = [
    "DAILY_FEATURE_NAMES",
    "INTRADAY_FEATURE_NAMES",
    "INTRADAY_PARAMS",
    "INTRADAY_VOLUME_FEATURES",
    "daily_context_features",
    "intraday_features",
    "session_bars",
]

OPEN_MINUTE: Final = 9 * 60 + 15
OPENING_RANGE_MINUTES: Final = 30
VOLUME_TOD_SESSIONS: Final = 20
VOLUME_TOD_MIN: Final = 5

INTRADAY_FEATURE_NAMES: Final[tuple[str, ...]] = (
    "tod",
    "bars_since_open",
    "overnight_gap",
    "ret_session",
    "dist_session_vwap",
    "or_position",
    "rv_session",
    "volume_tod",
)
INTRADAY_VOLUME_FEATURES: Final = ("dist_session_vwap", "volume_tod")
_DAILY_SOURCE: Final = (
    "logret_1",
    "logret_5",
    "logret_20",
    "rsi_14",
    "atr_14",
    "bb_pctb_20",
    "rvol_20",
    "close_sma_10",
    "close_sma_50",
    "adx_14",
    "intraday_ret",
)
DAILY_FEATURE_NAMES: Final[tuple[str, ...]] = tuple(f"d_{n}" for n in _DAILY_SOURCE)
INTRADAY_PARAMS: Final[dict[str, object]] = {
    "open_minute": OPEN_MINUTE,
    "session_minutes": SESSION_MINUTES,
    "opening_range_minutes": OPENING_RANGE_MINUTES,
    "volume_tod": [VOLUME_TOD_SESSIONS, VOLUME_TOD_MIN, "clock-time"],
    "daily": list(_DAILY_SOURCE),
}


def _sessions(ts: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Session number per bar and the row of each session's first bar, per bar."""
    day = ts.normalize().asi8
    new = np.concatenate(([True], day[1:] != day[:-1])) if len(day) else np.zeros(0, bool)
    session = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    return session.astype(np.int64), first[session] if len(day) else first


def intraday_features(bars: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ``intraday`` set of one symbol (see the module docstring).

    Parameters
    ----------
    bars : pandas.DataFrame
        Intraday bars (``timestamp`` tz IST sorted unique, OHLC in rupees > 0, ``volume``
        in shares, NaN = absent).

    Returns
    -------
    dict of str to ndarray of shape (n_bars,)
        In :data:`INTRADAY_FEATURE_NAMES` order, float64, NaN where undefined.
    """
    ts = pd.DatetimeIndex(bars["timestamp"])
    n = len(ts)
    o = bars["open"].to_numpy(dtype=np.float64)
    h = bars["high"].to_numpy(dtype=np.float64)
    lo = bars["low"].to_numpy(dtype=np.float64)
    c = bars["close"].to_numpy(dtype=np.float64)
    v = bars["volume"].to_numpy(dtype=np.float64)
    out: dict[str, np.ndarray] = {}
    if n == 0:
        return {name: np.zeros(0) for name in INTRADAY_FEATURE_NAMES}
    session, first = _sessions(ts)
    local = ts.tz_convert("Asia/Kolkata")
    minute = np.asarray(local.hour * 60 + local.minute, dtype=np.float64)
    out["tod"] = (minute - OPEN_MINUTE) / SESSION_MINUTES
    rows = np.arange(n)
    out["bars_since_open"] = (rows - first).astype(np.float64)
    starts = np.flatnonzero(np.concatenate(([True], session[1:] != session[:-1])))
    prev_close = np.full(n, np.nan)
    prev_last = starts[1:] - 1  # last row of the previous session, for sessions 1..
    prev_close_by_session = np.concatenate(([np.nan], c[prev_last]))
    prev_close[:] = prev_close_by_session[session]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["overnight_gap"] = np.log(o[first] / prev_close)
        out["ret_session"] = np.log(c / o[first])
        grp = pd.Series(session)
        tp = (h + lo + c) / 3.0
        cum_pv = pd.Series(tp * v).groupby(grp).cumsum().to_numpy()
        cum_v = pd.Series(v).groupby(grp).cumsum().to_numpy()
        prev_pv = cum_pv - tp * v
        prev_v = cum_v - v
        vwap = np.where(prev_v > 0, prev_pv / np.where(prev_v > 0, prev_v, 1.0), np.nan)
        out["dist_session_vwap"] = c / vwap - 1.0
        in_or = (minute - minute[first]) < OPENING_RANGE_MINUTES
        or_hi = pd.Series(np.where(in_or, h, np.nan)).groupby(grp).cummax().ffill()
        or_lo = pd.Series(np.where(in_or, lo, np.nan)).groupby(grp).cummin().ffill()
        width = (or_hi - or_lo).to_numpy()
        pos = (c - or_lo.to_numpy()) / np.where(width > 0, width, np.nan) - 0.5
        out["or_position"] = pos
        r = np.log(c / np.concatenate(([np.nan], c[:-1])))
        opening = rows == first  # the first bar's own move from its open, not the night's
        r[opening] = np.log(c[opening] / o[opening])
        out["rv_session"] = np.sqrt(pd.Series(r * r).groupby(grp).cumsum().to_numpy())
        # the same clock time, not the same bar count since the first bar: a feed that starts
        # mid-session (13:24) or a session with holes would otherwise compare 13:24 with 09:15
        slot = pd.Series(minute)
        vol = pd.Series(np.where(v > 0, v, np.nan))
        hist = vol.groupby(slot).transform(
            lambda x: x.shift(1).rolling(VOLUME_TOD_SESSIONS, min_periods=VOLUME_TOD_MIN).mean()
        )
        out["volume_tod"] = np.log(vol.to_numpy() / hist.to_numpy())
    for name in INTRADAY_FEATURE_NAMES:
        col = out[name]
        col[~np.isfinite(col)] = np.nan
    return {name: out[name] for name in INTRADAY_FEATURE_NAMES}


def session_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """Intraday bars aggregated per session (IST date): first open, max high, min low, last
    close, summed volume (NaN when every bar's volume is absent); index = session date
    (IST midnight)."""
    ts = pd.DatetimeIndex(bars["timestamp"])
    key = pd.Series(ts.normalize(), name="timestamp")
    frame = bars[["open", "high", "low", "close", "volume"]].reset_index(drop=True)
    g = frame.groupby(key.to_numpy(), sort=True)
    daily = pd.DataFrame(
        {
            "open": g["open"].first(),
            "high": g["high"].max(),
            "low": g["low"].min(),
            "close": g["close"].last(),
            "volume": g["volume"].sum(min_count=1),
        }
    )
    daily.index = pd.DatetimeIndex(daily.index, name="timestamp")
    return daily


def daily_context_features(bars: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ``daily`` set: previous completed session's daily features on every bar.

    Parameters
    ----------
    bars : pandas.DataFrame
        Intraday bars of one symbol, as for :func:`intraday_features`.

    Returns
    -------
    dict of str to ndarray of shape (n_bars,)
        :data:`DAILY_FEATURE_NAMES`; NaN on the first session and during daily warm-up.
    """
    ts = pd.DatetimeIndex(bars["timestamp"])
    if len(ts) == 0:
        return {name: np.zeros(0) for name in DAILY_FEATURE_NAMES}
    daily = session_bars(bars)
    vol = daily["volume"].to_numpy(dtype=np.float64)
    feats = technical_features(
        daily["open"].to_numpy(dtype=np.float64),
        daily["high"].to_numpy(dtype=np.float64),
        daily["low"].to_numpy(dtype=np.float64),
        daily["close"].to_numpy(dtype=np.float64),
        np.where(np.isfinite(vol), vol, 0.0),  # volume_z is not taken from this set
    )
    pos = daily.index.get_indexer(ts.normalize()) - 1  # the previous completed session
    ok = pos >= 0
    out: dict[str, np.ndarray] = {}
    for src, name in zip(_DAILY_SOURCE, DAILY_FEATURE_NAMES, strict=True):
        col = np.full(len(ts), np.nan)
        values = np.asarray(feats[src], dtype=np.float64)
        col[ok] = values[pos[ok]]
        col[~np.isfinite(col)] = np.nan
        out[name] = col
    return out
