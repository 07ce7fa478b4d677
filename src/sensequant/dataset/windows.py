"""Rolling teacher windows: a global calendar grid and the samples inside each window.

Grid rule (:func:`plan_windows`)
--------------------------------
Window ``i`` starts at ``range_start + i * step_days`` and ends ``length_days - 1`` calendar
days later (both bounds inclusive, IST midnight dates). Only FULL windows are planned: the last
window is the last one whose end is ``<= range_end``; the days after it (fewer than
``step_days``) belong to no teacher window. The grid depends only on the range and the config,
never on the symbol, so windows with the same ``start`` line up across symbols; the pipeline
must pass the same range for every symbol (e.g. ``data.start``/``data.end`` or the universe's
earliest first bar and latest last bar).

Sample rule (:func:`window_samples`)
------------------------------------
A row ``t`` of a symbol's feature/label frames is a sample of window ``[start, end]`` iff

1. ``start <= t < end + 1 day`` (the session lies in the window's calendar dates);
2. its label is known (not NaN) AND ``t1 < end + 1 day``: the label's last session lies in the
   window too, so a model fitted on a window never sees a price after ``end``. This is what
   makes "train only on windows that END before the test period" a valid purge downstream;
   the last ``h`` sessions of every window are therefore not samples;
3. at least one feature is not NaN (LightGBM handles NaN features natively, so rows in partial
   indicator warm-up are kept; rows with no feature at all carry no information).

Skip rules, checked in this order (a skip is not a failure):

* ``SKIP_BEFORE_LISTING``: the window starts before the symbol's first bar (window not fully
  covered by the symbol's history; includes windows that end before it).
* ``SKIP_NO_FUTURE``: the symbol's last bar is before the window's end date, so the labels
  that end inside the window are not all known (the window is not fully observed).
* ``SKIP_TOO_FEW_SAMPLES``: fewer than ``min_samples`` samples remain after the rules above.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
import pandas as pd

from sensequant.data.market import to_ist
from sensequant.errors import DataError, InsufficientSamplesError, UsageError
from sensequant.settings import WindowConfig
from sensequant.types import FloatArray, IntArray

SKIP_BEFORE_LISTING: Final = "before listing"
SKIP_TOO_FEW_SAMPLES: Final = "too few samples"
SKIP_NO_FUTURE: Final = "not enough future data for labels"
SKIP_REASONS: Final[tuple[str, ...]] = (SKIP_BEFORE_LISTING, SKIP_TOO_FEW_SAMPLES, SKIP_NO_FUTURE)

_ONE_DAY: Final = pd.Timedelta(days=1)


class WindowStatus(StrEnum):
    """Outcome of one (symbol, window) teacher task."""

    TRAINED = "trained"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class Window:
    """One rolling window of one symbol.

    Attributes
    ----------
    symbol : str
        NSE symbol.
    window_id : str
        ``"<symbol>@<start YYYY-MM-DD>"``, unique per (symbol, start).
    start, end : pandas.Timestamp
        Inclusive calendar bounds, tz-aware IST midnight.
    """

    symbol: str
    window_id: str
    start: pd.Timestamp
    end: pd.Timestamp


class WindowSkip(InsufficientSamplesError):  # noqa: N818 (name fixed by the API)
    """A window cannot be used for training; a *skip*, not a failure.

    Parameters
    ----------
    window : Window
        The skipped window.
    reason : str
        One of :data:`SKIP_REASONS`.
    detail : str
        The numbers behind the decision (dates, sample counts).
    """

    def __init__(self, window: Window, reason: str, detail: str) -> None:
        self.window = window
        self.reason = reason
        self.detail = detail
        super().__init__(
            f"{window.window_id} [{window.start.date()} .. {window.end.date()}] skipped: "
            f"{reason} ({detail})",
            hint="expected for young listings, the data's end and thin windows; no action needed",
        )


@dataclass(frozen=True)
class WindowSamples:
    """Training samples of one window.

    Attributes
    ----------
    window : Window
    X : pandas.DataFrame of shape (n, n_features)
        Feature rows, index = sample timestamps (IST); may hold NaN features.
    y : ndarray of int64 (classes) or float64 (continuous target), shape (n,)
        Class codes 0 down, 1 flat, 2 up (:data:`sensequant.types.CLASSES`).
    fwd_return : ndarray of float64, shape (n,)
        Forward simple return of each sample (fraction), see :mod:`sensequant.dataset.labels`.
    t1 : pandas.Series of shape (n,)
        Label end timestamps (tz-aware), index = sample timestamps; all ``< window.end + 1 day``.
    """

    window: Window
    X: pd.DataFrame
    y: IntArray | FloatArray
    fwd_return: FloatArray
    t1: pd.Series


def _ist_midnight(ts: pd.Timestamp | str, name: str) -> pd.Timestamp:
    t = to_ist(ts)
    if t != t.normalize():
        raise UsageError(
            f"{name} = {t} is not a date (IST midnight)", hint=f"pass {name} as a calendar date"
        )
    return t


def plan_windows(
    symbol: str, range_start: pd.Timestamp, range_end: pd.Timestamp, cfg: WindowConfig
) -> list[Window]:
    """Plan the rolling windows of one symbol on the global grid.

    Parameters
    ----------
    symbol : str
        NSE symbol (goes into ``window_id``).
    range_start, range_end : pandas.Timestamp
        Inclusive calendar range of the run; tz-naive dates are read as IST, tz-aware ones are
        converted to IST. Must be midnight.
    cfg : WindowConfig
        ``length_days`` and ``step_days`` (calendar days).

    Returns
    -------
    list of Window
        Windows ``[range_start + i*step, range_start + i*step + length - 1 day]`` for
        ``i = 0, 1, ...`` while the end is ``<= range_end``; empty if the range is shorter
        than one window. Identical starts/ends for every symbol given the same range.

    Raises
    ------
    UsageError
        If a bound is not a midnight date or the range is reversed.
    """
    start = _ist_midnight(range_start, "range_start")
    end = _ist_midnight(range_end, "range_end")
    if end < start:
        raise UsageError(
            f"window range is reversed: {start.date()} > {end.date()}", hint="swap start and end"
        )
    length = pd.Timedelta(days=cfg.length_days)
    step = pd.Timedelta(days=cfg.step_days)
    windows: list[Window] = []
    w_start = start
    while w_start + length - _ONE_DAY <= end:
        windows.append(
            Window(
                symbol=symbol,
                window_id=f"{symbol}@{w_start:%Y-%m-%d}",
                start=w_start,
                end=w_start + length - _ONE_DAY,
            )
        )
        w_start = w_start + step
    return windows


def coverage_skip(
    window: Window, first_bar: pd.Timestamp, last_bar: pd.Timestamp
) -> tuple[str, str] | None:
    """Why a window cannot be served from a symbol's bar coverage alone, or None.

    Used by :func:`window_samples` and by the pipeline's pre-flight, so both apply one rule:
    a window that starts before the session of the symbol's first bar is ``before listing``
    (its rows would be mostly indicator warm-up); one that ends after the last bar has ``not
    enough future data for labels``.

    Parameters
    ----------
    window : Window
    first_bar, last_bar : pandas.Timestamp
        The symbol's first and last stored bar (tz-aware IST).

    Returns
    -------
    tuple of (reason, detail) or None
        ``reason`` is one of :data:`SKIP_REASONS`.
    """
    # compared by session: an intraday symbol whose first bar is 09:15 (or 13:24, a feed that
    # starts mid-session) of the window's first day is not "before listing"
    if pd.Timestamp(first_bar).normalize() > window.start:
        return SKIP_BEFORE_LISTING, f"first bar {pd.Timestamp(first_bar).date()}"
    if pd.Timestamp(last_bar) < window.end:
        return SKIP_NO_FUTURE, f"last bar {pd.Timestamp(last_bar).date()}"
    return None


class WindowSource:
    """One symbol's feature/label frames prepared once for the samples of many windows.

    The per-row tests that do not depend on the window (label known, label end known, at least
    one feature) and the numpy views of the frames are computed here, so each window costs a
    few array comparisons and one row gather instead of pandas masks and ``.loc`` copies.
    :func:`window_samples` is the one-window form; the teacher phase builds one source per
    symbol and calls :meth:`samples` for each of its windows (same rules, same results).

    Parameters
    ----------
    features : pandas.DataFrame of shape (n_bars, n_features)
        :func:`sensequant.dataset.features.build_features` output of one symbol.
    labels : pandas.DataFrame of shape (n_bars, 4+)
        :func:`sensequant.dataset.labels.make_labels` output on the same bars (same index),
        with ``t1``, ``fwd_return`` and the ``target`` column.
    target : str, default "label"
        Label column: ``"label"`` (class codes) or ``"target"`` (continuous target).

    Raises
    ------
    DataError
        If ``features`` and ``labels`` do not share the same index.
    """

    def __init__(self, features: pd.DataFrame, labels: pd.DataFrame, target: str = "label"):
        if not features.index.equals(labels.index):
            raise DataError(
                f"features ({len(features)} rows) and labels ({len(labels)} rows) have "
                "different timestamps",
                hint="build both from the same bar frame",
            )
        self.features = features
        self.target = target
        self._ts = features.index
        self._label = labels[target].to_numpy(dtype=np.float64)
        t1 = labels["t1"]
        self._t1_name = t1.name
        self._t1 = t1.array
        self._t1_index = pd.DatetimeIndex(t1)
        self._fwd_return = labels["fwd_return"].to_numpy(dtype=np.float64)
        self._usable = (
            ~np.isnan(self._label) & t1.notna().to_numpy() & features.notna().any(axis=1).to_numpy()
        )
        # one float64 block: rows can be gathered with numpy (same values, same dtypes)
        self._values: np.ndarray | None = (
            features.to_numpy() if (features.dtypes == np.float64).all() else None
        )

    def samples(
        self,
        window: Window,
        *,
        min_samples: int,
        first_bar: pd.Timestamp,
        last_bar: pd.Timestamp,
    ) -> WindowSamples:
        """Training samples of one window (see :func:`window_samples`).

        Raises
        ------
        WindowSkip
            With ``reason`` in :data:`SKIP_REASONS`.
        """
        coverage = coverage_skip(window, first_bar, last_bar)
        if coverage is not None:
            raise WindowSkip(window, *coverage)
        stop = window.end + _ONE_DAY
        ts = self._ts
        mask = (
            np.asarray((ts >= window.start) & (ts < stop))
            & self._usable
            & np.asarray(self._t1_index < stop)
        )
        pos = np.flatnonzero(mask)
        n = int(pos.size)
        if n < min_samples:
            raise WindowSkip(
                window, SKIP_TOO_FEW_SAMPLES, f"{n} samples < min_samples {min_samples}"
            )
        index = ts[pos]
        X = (
            pd.DataFrame(self._values[pos], index=index, columns=self.features.columns)
            if self._values is not None
            else self.features.iloc[pos]
        )
        label = self._label[pos]
        return WindowSamples(
            window=window,
            X=X,
            y=label.astype(np.int64) if self.target == "label" else label,
            fwd_return=self._fwd_return[pos],
            t1=pd.Series(self._t1[pos], index=index, name=self._t1_name),
        )


def window_samples(
    window: Window,
    features: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    min_samples: int,
    first_bar: pd.Timestamp,
    last_bar: pd.Timestamp,
    target: str = "label",
) -> WindowSamples:
    """Select the training samples of one window (see the module docstring for the rules).

    For many windows of one symbol, build one :class:`WindowSource` and call its
    :meth:`~WindowSource.samples` (same result, without re-preparing the frames).

    Parameters
    ----------
    window : Window
        From :func:`plan_windows`.
    features : pandas.DataFrame of shape (n_bars, n_features)
        :func:`sensequant.dataset.features.build_features` output of the window's symbol.
    labels : pandas.DataFrame of shape (n_bars, 4)
        :func:`sensequant.dataset.labels.make_labels` output on the same bars (same index).
    min_samples : int
        Fewest samples a window may have (``WindowConfig.min_samples``).
    first_bar, last_bar : pandas.Timestamp
        Timestamps of the symbol's first and last stored bar (tz-aware).
    target : str, default "label"
        Label column (``"label"`` classes or ``"target"`` continuous target).

    Returns
    -------
    WindowSamples

    Raises
    ------
    WindowSkip
        With ``reason`` in :data:`SKIP_REASONS`.
    DataError
        If ``features`` and ``labels`` do not share the same index.
    """
    if not features.index.equals(labels.index):
        raise DataError(
            f"{window.window_id}: features ({len(features)} rows) and labels ({len(labels)} "
            "rows) have different timestamps",
            hint="build both from the same bar frame",
        )
    return WindowSource(features, labels, target).samples(
        window, min_samples=min_samples, first_bar=first_bar, last_bar=last_bar
    )
