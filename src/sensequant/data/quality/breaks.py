"""Structural breaks: one-session moves far beyond a symbol's volatility, flagged for review.

Real daily data holds moves no market made: a demerger listing day whose earlier history is
another company's (BAJAJFINSV 2008-05-26, -93 %), a one-bar spike that reverts (CIPLA
2004-05-11, +386 %), an opening print far outside the day's trading (ADANIENT 2015-06-03, open
312 against a close of 60 and a previous close of 98). :func:`detect_breaks` finds them in the
ADJUSTED daily series (after the catalog's splits and bonuses are applied, so those are never
breaks); the catalog keeps them ``pending`` until a reviewer confirms or rejects them
(``sensequant data breaks``) and :func:`sensequant.data.quality.break_mask.apply_breaks` keeps
the affected bars out of the pipeline meanwhile.

Method (daily bars, one symbol; ``r_t = log(close_t / close_{t-1})``)
---------------------------------------------------------------------
Robust scale, past only: ``m_t`` and ``s_t = 1.4826 * MAD`` of ``r`` over the previous
:data:`VOL_WINDOW` sessions (at least :data:`VOL_MIN_RETURNS`; NaN before).

A session ``t`` is a candidate when ALL of:

1. ``|exp(r_t) - 1| > MOVE_FLOOR`` (40 %: a rise above +40 % or a fall below -40 %);
2. ``|r_t - m_t| > BREAK_SIGMAS * s_t`` (or ``s_t`` is unknown: the floor alone decides);
3. ``t`` is not the ex-date of an active corporate action of the symbol.

Each candidate (in time order, skipping sessions an earlier break already covers) is a

* ``spike`` when the close comes back within :data:`REVERT_WINDOW` sessions and
  :data:`REVERT_DAYS` calendar days: the first such ``m`` with
  ``|log(close_{t+m} / close_{t-1})| <= REVERT_SHARE * |r_t|`` makes sessions ``t .. t+m-1``
  the spike; or, looking back, the first ``m`` with ``|log(close_t / close_{t-m-1})| <=
  REVERT_SHARE * |r_t|`` makes ``t-m .. t-1`` the spike (its first leg was under the floor);
* ``level_shift`` otherwise: the new level lasts (a demerger, a re-listing, history that
  belongs to another company).

A session ``t`` is a ``bad_print`` (:func:`bad_prints`, the ONE rule: the import's
``bad_print`` finding calls it too) when its OPEN lies outside ``[min(close_t, close_{t-1}),
max(close_t, close_{t-1})]`` by ``out_t`` (log units) with ``s_t`` known and either

* ``out_t > max(log(1 + BAD_PRINT_FLOOR), BAD_PRINT_SIGMAS * s_t)`` (far beyond the symbol's
  volatility), or
* the open is also the day's high or low and ``out_t > max(log(1 + BAD_PRINT_FLOOR),
  BAD_PRINT_EXTREME_SIGMAS * s_t)`` (the stray print's signature: nothing traded there but
  the opening print);

and, for the break list, ``t`` is not inside a spike. The close is fine, the open is not a
price anyone traded at (Yahoo's early files and the ETF files' pre-open prints). Highs and
lows far out are NOT flagged: the real files hold genuine wicks (the NSE flash crash of
2012-10-05, 2008-01-22).

Measured on the 50 real daily files (``nse_daily_yf``, after detection of actions): see
``docs/methodology.md`` (structural breaks) and ``tests/data/quality/test_breaks.py``.
Intraday series are checked on their sessions (first open, highest high, lowest low, last close:
:func:`sensequant.data.quality.break_mask.session_bars`), for level shifts and spikes only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensequant.data.quality.checks import MAD_TO_SIGMA, day_numbers
from sensequant.data.quality.findings import Finding, examples, make_finding

__all__ = [
    "BAD_PRINT_EXTREME_SIGMAS",
    "BAD_PRINT_FLOOR",
    "BAD_PRINT_SIGMAS",
    "BREAK_KINDS",
    "BREAK_SIGMAS",
    "MOVE_FLOOR",
    "REVERT_DAYS",
    "REVERT_SHARE",
    "REVERT_WINDOW",
    "VOL_MIN_RETURNS",
    "VOL_WINDOW",
    "StructuralBreak",
    "bad_print_finding",
    "bad_prints",
    "detect_breaks",
]

BREAK_KINDS: Final = ("level_shift", "spike", "bad_print")
"""Kinds of break, as the catalog stores them."""
MOVE_FLOOR: Final = 0.40
"""Smallest close-to-close move (simple return, either sign) that can be a break."""
BREAK_SIGMAS: Final = 10.0
"""... and it must lie this many robust sigmas from the past median return."""
VOL_WINDOW: Final = 60
"""Past sessions whose log returns give the robust median and sigma."""
VOL_MIN_RETURNS: Final = 20
"""Fewest past returns for a sigma (before that only the floor decides)."""
REVERT_WINDOW: Final = 10
"""Sessions searched (forward, then back) for the close's return to its earlier level."""
REVERT_DAYS: Final = 21
"""... and within this many calendar days (a reversion across a data gap is no spike)."""
REVERT_SHARE: Final = 1.0 / 3.0
"""The close is back when its log distance to the earlier level is at most this share of the
move."""
BAD_PRINT_SIGMAS: Final = 10.0
"""An open this many robust sigmas outside the close / previous-close range is a bad print..."""
BAD_PRINT_EXTREME_SIGMAS: Final = 4.0
"""... or this many when the open is also the day's high or low (a stray print) ..."""
BAD_PRINT_FLOOR: Final = 0.05
"""... and in both cases more than this far outside it (relative: 5 %)."""


@dataclass(frozen=True)
class StructuralBreak:
    """A suspected structural break of one symbol's daily series.

    Attributes
    ----------
    symbol : str
    session_date : datetime.date
        First session affected (IST date).
    kind : {'level_shift', 'spike', 'bad_print'}
    last_date : datetime.date
        Last session affected (the spike's last session; else ``session_date``).
    size : float
        Log move: ``log(close_t / close_{t-1})`` for a level shift, the spike's move away
        from the earlier level, ``log(open_t / close_t)`` for a bad print.
    sigma : float
        Robust daily sigma (log units) before the break; NaN when unknown.
    sessions : int
        Sessions affected.
    """

    symbol: str
    session_date: dt.date
    kind: str
    last_date: dt.date
    size: float
    sigma: float
    sessions: int = 1

    @property
    def detail(self) -> str:
        """One line for the catalog, pre-flight and the briefing."""
        move = f"{np.expm1(self.size):+.0%}"
        scale = (
            f"{abs(self.size) / self.sigma:.0f} robust sigmas (sigma {self.sigma:.1%}/day)"
            if np.isfinite(self.sigma) and self.sigma > 0
            else "volatility unknown"
        )
        if self.kind == "bad_print":
            return f"open {move} from the close, {scale}: not used as a fill price"
        if self.kind == "spike":
            return (
                f"close moved {move} and came back after {self.sessions} session(s) "
                f"({self.session_date}..{self.last_date}), {scale}"
            )
        return f"close moved {move} and stayed, {scale}: the history before it is left out"

    def to_row(self) -> dict[str, Any]:
        """Row for :meth:`Catalog.record_breaks`."""
        return {
            "session_date": self.session_date,
            "kind": self.kind,
            "last_date": self.last_date,
            "size": self.size,
            "detail": self.detail,
        }


def _past_scale(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Past-only rolling median and robust sigma of ``r`` (``r[0]`` is NaN)."""
    n = r.size
    med, sig = np.full(n, np.nan), np.full(n, np.nan)
    for t in range(VOL_MIN_RETURNS + 1, min(n, VOL_WINDOW + 1)):
        w = r[1:t]
        med[t] = np.nanmedian(w)
        sig[t] = MAD_TO_SIGMA * np.nanmedian(np.abs(w - med[t]))
    if n > VOL_WINDOW + 1:
        win = np.lib.stride_tricks.sliding_window_view(r[1 : n - 1], VOL_WINDOW)
        median = np.median if np.isfinite(win).all() else np.nanmedian  # the fast path
        m = median(win, axis=1)
        med[VOL_WINDOW + 1 :] = m
        sig[VOL_WINDOW + 1 :] = MAD_TO_SIGMA * median(np.abs(win - m[:, None]), axis=1)
    return med, sig


def _revert(c: np.ndarray, day: np.ndarray, t: int, move: float) -> tuple[int, int] | None:
    """(first, last) rows of the spike that the move at ``t`` opens or closes, or None."""
    lim = REVERT_SHARE * abs(move)
    for m in range(1, REVERT_WINDOW + 1):
        if t + m >= c.size or day[t + m] - day[t - 1] > REVERT_DAYS:
            break
        if abs(np.log(c[t + m] / c[t - 1])) <= lim:
            return t, t + m - 1
    for m in range(1, REVERT_WINDOW + 1):
        if t - m - 1 < 0 or day[t] - day[t - m - 1] > REVERT_DAYS:
            break
        if abs(np.log(c[t] / c[t - m - 1])) <= lim:
            return t - m, t - 1
    return None


def _log_returns(close: np.ndarray) -> np.ndarray:
    """``log(close_t / close_{t-1})`` with NaN for the first bar and non-finite values."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.r_[np.nan, np.log(close[1:] / close[:-1])]
    r[~np.isfinite(r)] = np.nan
    return r


def _bad_print_mask(bars: pd.DataFrame, sig: np.ndarray) -> npt.NDArray[np.bool_]:
    """The bad-print rule (module notes) given the past robust sigma ``sig`` of each bar."""
    o = bars["open"].to_numpy(dtype=np.float64)
    c = bars["close"].to_numpy(dtype=np.float64)
    prev = np.r_[np.nan, c[:-1]]
    extreme = np.zeros(o.size, dtype=bool)
    for col, side in (("high", np.greater_equal), ("low", np.less_equal)):
        if col in bars.columns:
            extreme |= side(o, bars[col].to_numpy(dtype=np.float64))
    floor = np.log1p(BAD_PRINT_FLOOR)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.maximum(np.log(o / np.fmax(c, prev)), np.log(np.fmin(c, prev) / o))
        far = out > np.fmax(floor, BAD_PRINT_SIGMAS * sig)
        stray = extreme & (out > np.fmax(floor, BAD_PRINT_EXTREME_SIGMAS * sig))
    return np.asarray((far | stray) & np.isfinite(sig), dtype=bool)


def bad_prints(bars: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Sessions whose open is a bad print (the module notes' rule; spikes not excluded).

    The one detector of erroneous opening prints: :func:`detect_breaks` records them as
    ``bad_print`` breaks (kept pending, masked by
    :func:`~sensequant.data.quality.break_mask.apply_breaks`), and
    :func:`~sensequant.data.quality.clean.clean_bars` reports the same sessions as the
    import's ``bad_print`` finding. Pure: no I/O.

    Parameters
    ----------
    bars : pandas.DataFrame, shape (n_sessions, >= 2)
        One symbol's daily bars in time order: float ``open``, ``close`` (rupees); ``high``
        and ``low`` when present (an open equal to one of them is a stray print).

    Returns
    -------
    numpy.ndarray of bool, shape (n_sessions,)
        False wherever the past volatility is unknown (the first
        :data:`VOL_MIN_RETURNS` + 1 sessions).
    """
    c = bars["close"].to_numpy(dtype=np.float64)
    if c.size < 2:
        return np.zeros(c.size, dtype=bool)
    _, sig = _past_scale(_log_returns(c))
    return _bad_print_mask(bars, sig)


def bad_print_finding(bars: pd.DataFrame) -> Finding | None:
    """The import's ``bad_print`` finding: :func:`bad_prints` on one stored daily series.

    Parameters
    ----------
    bars : pandas.DataFrame
        Cleaned daily bars (``timestamp``, prices; ``_line`` when known), index 0..n-1.

    Returns
    -------
    Finding or None
        None when no session is a bad print.
    """
    mask = bad_prints(bars)
    if not mask.any():
        return None
    rows = bars.loc[mask]
    first = rows.iloc[0]
    detail = (
        f"{int(mask.sum())} rows whose open lies far outside both the previous and its own "
        f"close (over {BAD_PRINT_FLOOR:.0%} and {BAD_PRINT_SIGMAS:g} robust sigmas, or "
        f"{BAD_PRINT_EXTREME_SIGMAS:g} as the day's high/low): erroneous opening prints, "
        "kept as is, never used as fill prices (pending breaks, `sensequant data breaks`): "
        f"{examples(rows['timestamp'])} (first: open {first['open']:g}, "
        f"close {first['close']:g})"
    )
    return make_finding("bad_print", bars, mask, detail)


def detect_breaks(
    bars: pd.DataFrame, symbol: str, *, exclude: Iterable[dt.date] = ()
) -> list[StructuralBreak]:
    """Find suspected structural breaks in one symbol's ADJUSTED daily bars (module notes).

    Pure: no I/O.

    Parameters
    ----------
    bars : pandas.DataFrame, shape (n_sessions, >= 3)
        ``timestamp`` (tz-aware IST), ``open``, ``close`` (rupees), sorted, unique, one bar
        per session (cleaned, corporate actions applied).
    symbol : str
    exclude : iterable of datetime.date
        Ex-dates of the symbol's active corporate actions: never a level shift or spike.

    Returns
    -------
    list of StructuralBreak
        By session date, then kind.
    """
    n = len(bars)
    if n < 3:
        return []
    c = bars["close"].to_numpy(dtype=np.float64)
    o = bars["open"].to_numpy(dtype=np.float64)
    day = day_numbers(bars["timestamp"])[0]
    epoch = dt.date(1970, 1, 1)
    dates = [epoch + dt.timedelta(days=int(d)) for d in day]
    r = _log_returns(c)
    med, sig = _past_scale(r)
    skip = set(exclude)
    with np.errstate(invalid="ignore"):
        big = (r > np.log1p(MOVE_FLOOR)) | (r < np.log1p(-MOVE_FLOOR))
        extreme = np.isnan(sig) | (np.abs(r - med) > BREAK_SIGMAS * sig)
    found: list[StructuralBreak] = []
    covered = -1
    for t in (int(i) for i in np.flatnonzero(big & extreme)):
        if t <= covered or dates[t] in skip:
            continue
        span = _revert(c, day, t, float(r[t]))
        if span is not None and span[0] > covered:
            a, b = span
            size = float(r[t]) if a == t else float(np.log(c[b] / c[a - 1]))
            found.append(
                StructuralBreak(symbol, dates[a], "spike", dates[b], size, float(sig[a]), b - a + 1)
            )
            covered = max(b + 1, t)
            continue
        found.append(
            StructuralBreak(symbol, dates[t], "level_shift", dates[t], float(r[t]), float(sig[t]))
        )
        covered = t
    spiked = np.zeros(n, dtype=bool)
    for brk in found:
        if brk.kind == "spike":
            spiked |= (day >= (brk.session_date - epoch).days) & (
                day <= (brk.last_date - epoch).days
            )
    bad = _bad_print_mask(bars, sig)
    for t in (int(i) for i in np.flatnonzero(bad & ~spiked)):
        size = float(np.log(o[t] / c[t]))
        found.append(StructuralBreak(symbol, dates[t], "bad_print", dates[t], size, float(sig[t])))
    return sorted(found, key=lambda b: (b.session_date, BREAK_KINDS.index(b.kind)))
