"""Scale-free technical indicators computed with TA-Lib and pandas.

Every function here is *causal*: the value at row ``t`` uses bars ``0..t`` only, and it is
computed forward from the first bar, so truncating the input at ``t`` never changes a value at
or before ``t``. Every output is scale-free (a return, a ratio minus one, a z-score or an
oscillator divided by 100), so models can pool symbols with very different price levels.

Conventions
-----------
* Inputs are 1-D float64 arrays of equal length ``n`` (one symbol's daily bars, oldest first).
* Returns are fractions (0.01 == 1 %); log returns are natural logs.
* Warm-up rows (fewer bars than an indicator's lookback) are NaN.
* TA-Lib references: TA-Lib 0.6 C sources (``ta_RSI.c``, ``ta_MACD.c``, ``ta_ATR.c``,
  ``ta_BBANDS.c``, ``ta_ADX.c``, ``ta_STOCHF.c``); Wilder (1978) for RSI/ATR/ADX,
  Appel (1979) for MACD, Bollinger (2001) for the bands, Lane (1950s) for %K.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import talib

from sensequant.types import FloatArray

RETURN_HORIZONS: Final[tuple[int, ...]] = (1, 5, 10, 20, 60)
RSI_PERIOD: Final = 14
MACD_FAST: Final = 12
MACD_SLOW: Final = 26
MACD_SIGNAL: Final = 9
ATR_PERIOD: Final = 14
BB_PERIOD: Final = 20
BB_NSTD: Final = 2.0
VOLUME_Z_PERIOD: Final = 20
VOLUME_Z_MIN_PERIODS: Final = 10
SMA_PERIODS: Final[tuple[int, ...]] = (10, 50, 200)
EMA_PERIODS: Final[tuple[int, ...]] = (12, 26)
REALISED_VOL_PERIOD: Final = 20
ADX_PERIOD: Final = 14
STOCH_K_PERIOD: Final = 14

TECHNICAL_PARAMS: Final[dict[str, object]] = {
    "return_horizons": list(RETURN_HORIZONS),
    "rsi": RSI_PERIOD,
    "macd": [MACD_FAST, MACD_SLOW, MACD_SIGNAL],
    "atr": ATR_PERIOD,
    "bbands": [BB_PERIOD, BB_NSTD],
    "volume_z": [VOLUME_Z_PERIOD, VOLUME_Z_MIN_PERIODS],
    "sma": list(SMA_PERIODS),
    "ema": list(EMA_PERIODS),
    "realised_vol": REALISED_VOL_PERIOD,
    "adx": ADX_PERIOD,
    "stoch_k": STOCH_K_PERIOD,
}
"""Every parameter that changes a technical feature's value (part of the feature-set hash)."""

TECHNICAL_FEATURE_NAMES: Final[tuple[str, ...]] = (
    *(f"logret_{h}" for h in RETURN_HORIZONS),
    "rsi_14",
    "macd_line",
    "macd_signal",
    "macd_hist",
    "atr_14",
    "bb_pctb_20",
    "bb_width_20",
    "volume_z_20",
    *(f"close_sma_{n}" for n in SMA_PERIODS),
    *(f"close_ema_{n}" for n in EMA_PERIODS),
    "rvol_20",
    "gap",
    "intraday_ret",
    "adx_14",
    "stoch_k_14",
)
"""Column names produced by :func:`technical_features`, in order."""


def _lag(x: FloatArray, n: int) -> FloatArray:
    """``x`` shifted ``n`` rows later (row ``t`` holds ``x[t - n]``); the first ``n`` are NaN."""
    out = np.full_like(x, np.nan)
    if n < len(x):
        out[n:] = x[: len(x) - n]
    return out


def log_returns(close: FloatArray, n: int) -> FloatArray:
    """Log return over ``n`` sessions: ``ln(close_t / close_{t-n})``.

    Parameters
    ----------
    close : ndarray of shape (n_bars,)
        Closing prices (rupees, > 0).
    n : int
        Lookback in sessions (rows).

    Returns
    -------
    ndarray of shape (n_bars,)
        Log returns; the first ``n`` rows are NaN.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(close / _lag(close, n))


def volume_zscore(volume: FloatArray, period: int = VOLUME_Z_PERIOD) -> FloatArray:
    """Z-score of log volume against its trailing ``period`` sessions (including ``t``).

    ``z_t = (ln v_t - mean) / std`` with mean and sample std (ddof=1) of ``ln v`` over the
    last ``period`` rows. Zero-volume rows (stale holiday rows in Yahoo data) have no log
    volume: they are NaN themselves and are left out of the window statistics; at least
    ``VOLUME_Z_MIN_PERIODS`` non-zero rows are required. Multiplying every volume by a constant
    leaves the z-score unchanged.

    Parameters
    ----------
    volume : ndarray of shape (n_bars,)
        Traded volume in shares (>= 0).
    period : int
        Window length in sessions.

    Returns
    -------
    ndarray of shape (n_bars,)
        Z-scores (dimensionless); NaN in warm-up, on zero-volume rows and when the window's
        log volume is constant.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        lv = pd.Series(np.where(volume > 0, np.log(np.where(volume > 0, volume, 1.0)), np.nan))
    roll = lv.rolling(period, min_periods=VOLUME_Z_MIN_PERIODS)
    mean = roll.mean().to_numpy()
    std = roll.std(ddof=1).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray((lv.to_numpy() - mean) / std, dtype=np.float64)


def technical_features(
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
) -> dict[str, FloatArray]:
    """Compute every technical feature of :data:`TECHNICAL_FEATURE_NAMES`.

    Parameters
    ----------
    open_, high, low, close : ndarray of shape (n_bars,)
        OHLC prices in rupees (> 0), oldest first.
    volume : ndarray of shape (n_bars,)
        Volume in shares (>= 0).

    Returns
    -------
    dict of str to ndarray of shape (n_bars,)
        In :data:`TECHNICAL_FEATURE_NAMES` order:

        * ``logret_n``: ``ln(close_t / close_{t-n})`` for n in 1, 5, 10, 20, 60.
        * ``rsi_14``: Wilder RSI(14) / 100, in [0, 1] (TA-Lib gives 0 for constant prices).
        * ``macd_line``, ``macd_signal``, ``macd_hist``: MACD(12, 26, 9) components / close.
        * ``atr_14``: Wilder ATR(14) / close.
        * ``bb_pctb_20``: (close - lower) / (upper - lower) for Bollinger(20, 2), population
          std (ddof=0) as in TA-Lib; NaN when the bands collapse.
        * ``bb_width_20``: (upper - lower) / middle.
        * ``volume_z_20``: see :func:`volume_zscore`.
        * ``close_sma_n``: close / SMA(n) - 1 for n in 10, 50, 200.
        * ``close_ema_n``: close / EMA(n) - 1 for n in 12, 26 (TA-Lib EMA seeded with the SMA
          of the first n closes).
        * ``rvol_20``: sample std (ddof=1) of the last 20 daily log returns (not annualised).
        * ``gap``: open_t / close_{t-1} - 1 (overnight gap).
        * ``intraday_ret``: close_t / open_t - 1.
        * ``adx_14``: Wilder ADX(14) / 100, in [0, 1].
        * ``stoch_k_14``: fast stochastic %K(14) / 100, in [0, 1].

        Infinities are NOT yet replaced here; :func:`sensequant.dataset.features.build_features`
        does.
    """
    n = len(close)
    if n == 0:
        return {name: np.empty(0, dtype=np.float64) for name in TECHNICAL_FEATURE_NAMES}
    out: dict[str, FloatArray] = {}
    for h in RETURN_HORIZONS:
        out[f"logret_{h}"] = log_returns(close, h)
    out["rsi_14"] = talib.RSI(close, timeperiod=RSI_PERIOD) / 100.0
    macd, signal, hist = talib.MACD(
        close, fastperiod=MACD_FAST, slowperiod=MACD_SLOW, signalperiod=MACD_SIGNAL
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["macd_line"] = macd / close
        out["macd_signal"] = signal / close
        out["macd_hist"] = hist / close
        out["atr_14"] = talib.ATR(high, low, close, timeperiod=ATR_PERIOD) / close
        upper, middle, lower = talib.BBANDS(
            close, timeperiod=BB_PERIOD, nbdevup=BB_NSTD, nbdevdn=BB_NSTD, matype=talib.MA_Type.SMA
        )
        band = upper - lower
        out["bb_pctb_20"] = np.where(band > 0, (close - lower) / band, np.nan)
        out["bb_width_20"] = band / middle
        out["volume_z_20"] = volume_zscore(volume, VOLUME_Z_PERIOD)
        for p in SMA_PERIODS:
            out[f"close_sma_{p}"] = close / talib.SMA(close, timeperiod=p) - 1.0
        for p in EMA_PERIODS:
            out[f"close_ema_{p}"] = close / talib.EMA(close, timeperiod=p) - 1.0
        out["rvol_20"] = (
            pd.Series(out["logret_1"])
            .rolling(REALISED_VOL_PERIOD, min_periods=REALISED_VOL_PERIOD)
            .std(ddof=1)
            .to_numpy()
        )
        out["gap"] = open_ / _lag(close, 1) - 1.0
        out["intraday_ret"] = close / open_ - 1.0
    out["adx_14"] = talib.ADX(high, low, close, timeperiod=ADX_PERIOD) / 100.0
    fastk, _fastd = talib.STOCHF(
        high,
        low,
        close,
        fastk_period=STOCH_K_PERIOD,
        fastd_period=3,
        fastd_matype=talib.MA_Type.SMA,
    )
    out["stoch_k_14"] = fastk / 100.0
    return {name: np.asarray(out[name], dtype=np.float64) for name in TECHNICAL_FEATURE_NAMES}
