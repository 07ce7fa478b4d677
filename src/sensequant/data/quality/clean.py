"""Correctable bar-quality issues: corrected or flagged, never silently.

:func:`clean_bars` takes parsed bars (from :func:`sensequant.data.readers.layouts.read_bar_file`
or a provider) and returns store-ready bars plus one :class:`Finding` per kind of issue met.

Finding kinds (in the order they are checked)
---------------------------------------------
``exact_duplicate_removed``  rows repeated exactly (all values equal; e.g. whole 5-minute days
                             exported twice): later copies removed.
``duplicated_day``           intraday days whose bars ALL appear at least twice (a day
                             exported twice in full; the repeats are removed as exact or
                             conflicting duplicates); the detail lists the days (ISO dates).
``conflicting_duplicate``    same timestamp, different values: the LAST row in file order is
                             kept, the others removed, and flagged.
``negative_volume_clipped``  volume < 0 set to 0 (not for indices).
``outside_calendar_range``   rows before (or after) the calendar's coverage: kept, not checked.
``weekend_row_dropped``      Saturday/Sunday rows that are not sessions and show no trading.
``holiday_row_dropped``      weekday non-session rows that show no trading: the stale rows
                             Yahoo leaves on holidays (volume 0, e.g. 2008-11-27).
``off_calendar_row_dropped`` non-session rows WITH trading (volume > 0): dropped and flagged
                             (the calendar is the authority; a genuine special session it
                             lacks belongs in ``market.calendar.SESSION_OVERRIDES``).
``extended_hours_bar_dropped``  intraday bars of the pre-open (09:00-09:15) or post-close
                             (15:30-16:00) window of a regular session (auction and closing
                             prints; :mod:`sensequant.data.quality.extended_hours`): dropped.
``off_session_bar``          other intraday bars on a session day with known hours that do
                             not start on the day's grid (:mod:`sensequant.data.market.sessions`):
                             off the interval's multiples or outside the hours (a time-zone
                             shift): kept and flagged. Days with unknown hours are not judged.
``stale_row_dropped``        daily session rows with volume 0 and open == high == low == close
                             (stale quotes, sometimes at an unadjusted price): dropped.
``zero_volume_session``      other session rows with volume 0: flagged only (not for indices).
``missing_volume``           NaN volume: kept as NaN, flagged (not for indices).
``ohlc_inconsistent``        high < max(open, close), low > min(open, close) or high < low
                             (relative tolerance 1e-9 for float noise): flagged only (the file
                             readers refuse such rows unless asked to repair them).
``ohlc_repaired``            the same rows with ``repair_ohlc=True``: high/low widened to cover
                             open and close (:mod:`sensequant.data.quality.ohlc`).
``bad_print``                daily bars (not indices) whose open is an erroneous opening print
                             by THE rule of :func:`sensequant.data.quality.breaks.bad_prints`
                             (the pre-flight break detection keeps the same sessions pending
                             and never uses their open as a fill price): flagged, kept as is.
``outlier_jump``             bar or overnight return beyond 8 robust sigmas (MAD of log
                             returns) AND beyond 20 %: flagged only, it may be genuine (a crash,
                             a data gap, a stale stretch); ex-dates of suspected corporate
                             actions excluded (see ``quality_checks.outlier_jumps``).
``suspected_corporate_action``  an overnight price ratio of a standard split/bonus factor
                             without a turnover shock (not for indices; see
                             :mod:`sensequant.data.quality.corporate_actions`): bars kept RAW; the
                             caller stores the factor apart (``sync_actions``).

"Shows trading" means volume > 0. For an index (``is_index=True``, whose volume is not a
traded quantity) and for rows with NaN volume it means the prices are not stale, a stale row
being one with open == high == low == close == the previous close. Float noise in prices
(e.g. 41.431251525878906 in early Yahoo years) is left as is: it is not an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sensequant.data.market import INTERVAL_MINUTES, calendar_bounds, is_session
from sensequant.data.quality.breaks import bad_print_finding
from sensequant.data.quality.checks import (
    JUMP_MADS,
    day_numbers,
    duplicated_days,
    outlier_jumps,
    session_grid,
)
from sensequant.data.quality.corporate_actions import detect_corporate_actions
from sensequant.data.quality.extended_hours import extended_hours_finding
from sensequant.data.quality.findings import MAX_EXAMPLES as _MAX_EXAMPLES
from sensequant.data.quality.findings import Finding
from sensequant.data.quality.findings import examples as _examples
from sensequant.data.quality.findings import make_finding as _finding
from sensequant.data.quality.ohlc import ohlc_inconsistent
from sensequant.data.quality.ohlc import repair_ohlc as _repair_ohlc
from sensequant.errors import DataError
from sensequant.types import BAR_COLUMNS, IST, OPTIONAL_BAR_COLUMNS

FINDING_KINDS: Final[tuple[str, ...]] = (
    "exact_duplicate_removed",
    "duplicated_day",
    "conflicting_duplicate",
    "negative_volume_clipped",
    "outside_calendar_range",
    "weekend_row_dropped",
    "holiday_row_dropped",
    "off_calendar_row_dropped",
    "extended_hours_bar_dropped",
    "off_session_bar",
    "stale_row_dropped",
    "zero_volume_session",
    "missing_volume",
    "ohlc_inconsistent",
    "ohlc_repaired",
    "bad_print",
    "outlier_jump",
    "suspected_corporate_action",
)
OHLC_TOLERANCE: Final = 1e-9
"""Relative tolerance of the OHLC consistency check."""
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class CleanResult:
    """Output of :func:`clean_bars`.

    Attributes
    ----------
    bars : pandas.DataFrame
        Store columns (``BAR_COLUMNS`` + optional ones present, float64), sorted unique
        tz-aware IST timestamps, no ``_line``, index 0..n-1.
    findings : tuple of Finding
        One per kind met, in :data:`FINDING_KINDS` order.
    rows_in, rows_out : int
        Rows before and after cleaning.
    """

    bars: pd.DataFrame
    findings: tuple[Finding, ...]
    rows_in: int
    rows_out: int


def _prepare(bars: pd.DataFrame, where: str) -> pd.DataFrame:
    """Copy with checked columns, IST timestamps, float values, stable-sorted by time."""
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise DataError(f"{where}: bars lack columns {missing}", hint="read them with layouts")
    frame = bars.copy()
    ts = frame["timestamp"]
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        raise DataError(
            f"{where}: timestamps are not tz-aware ({ts.dtype})",
            hint="localize them to Asia/Kolkata first",
        )
    frame["timestamp"] = ts.dt.tz_convert(IST)
    for col in [c for c in (*BAR_COLUMNS[1:], *OPTIONAL_BAR_COLUMNS) if c in frame.columns]:
        frame[col] = pd.to_numeric(frame[col], errors="raise").astype(np.float64)
    prices = frame[["open", "high", "low", "close"]].to_numpy()
    bad = ~(np.isfinite(prices) & (prices > 0)).all(axis=1) | frame["timestamp"].isna().to_numpy()
    if bad.any():
        raise DataError(
            f"{where}: {int(bad.sum())} bars with a missing timestamp or a missing or "
            f"non-positive price, e.g. {_examples(frame.loc[bad, 'timestamp'])}",
            hint="prices must be finite and > 0; fix the source",
        )
    return frame.sort_values("timestamp", kind="mergesort").reset_index(drop=True)


def _dedupe(frame: pd.DataFrame, intraday: bool, out: list[Finding]) -> pd.DataFrame:
    if intraday:
        extra, days = duplicated_days(frame["timestamp"])
        if days:
            shown = ", ".join(d.isoformat() for d in days[:_MAX_EXAMPLES])
            more = f" and {len(days) - _MAX_EXAMPLES} more" if len(days) > _MAX_EXAMPLES else ""
            detail = (
                f"{len(days)} days appear at least twice in full ({int(extra.sum())} repeated "
                f"bars removed): {shown}{more}"
            )
            out.append(_finding("duplicated_day", frame, extra, detail))
    values = [c for c in frame.columns if c != "_line"]
    exact = frame.duplicated(subset=values, keep="first").to_numpy()
    if exact.any():
        days = frame.loc[exact, "timestamp"].dt.normalize().drop_duplicates()
        where = f" on {len(days)} days: {_examples(days)}" if intraday else f": {_examples(days)}"
        detail = f"removed {int(exact.sum())} exact repeats of earlier rows{where}"
        out.append(_finding("exact_duplicate_removed", frame, exact, detail))
        frame = frame.loc[~exact].reset_index(drop=True)
    clash = frame.duplicated(subset=["timestamp"], keep="last").to_numpy()
    if clash.any():
        stamps = frame.loc[clash, "timestamp"].drop_duplicates()
        detail = (
            f"{len(stamps)} timestamps had rows with different values "
            f"({_examples(stamps)}); kept the last row in file order, removed {int(clash.sum())}"
        )
        out.append(_finding("conflicting_duplicate", frame, clash, detail))
        frame = frame.loc[~clash].reset_index(drop=True)
    return frame


def _calendar_checks(
    frame: pd.DataFrame, is_index: bool, unit: str, out: list[Finding]
) -> np.ndarray:
    """Flag calendar issues; return the mask of rows to drop."""
    ts = frame["timestamp"]
    days = ts.dt.normalize()
    first, last = calendar_bounds()
    outside = ((days < first) | (days > last)).to_numpy()
    if outside.any():
        before, after = int((days < first).sum()), int((days > last).sum())
        detail = (
            f"{int(outside.sum())} {unit} outside the trading calendar's coverage "
            f"{first:%Y-%m-%d}..{last:%Y-%m-%d} ({before} before, {after} after): "
            "kept, not checked against sessions"
        )
        out.append(_finding("outside_calendar_range", frame, outside, detail))
    off = ~outside & ~is_session(ts)
    weekend = (days.dt.dayofweek >= 5).to_numpy()
    close = frame["close"].to_numpy()
    flat = (frame[["open", "high", "low"]].to_numpy() == close[:, None]).all(axis=1)
    previous = np.full_like(close, np.nan)
    previous[1:] = close[:-1]
    stale = flat & (close == previous)
    volume = frame["volume"].to_numpy()
    by_price = is_index | np.isnan(volume)
    traded = np.where(by_price, ~stale, volume > 0)
    kinds = (
        ("weekend_row_dropped", off & weekend & ~traded, "weekend {u} without trading dropped"),
        (
            "holiday_row_dropped",
            off & ~weekend & ~traded,
            "non-session {u} without trading (stale holiday rows) dropped",
        ),
        (
            "off_calendar_row_dropped",
            off & traded,
            "{u} on non-session days WITH trading dropped (a special session the calendar "
            "lacks? add it to the calendar overrides)",
        ),
    )
    for kind, mask, text in kinds:
        if mask.any():
            when = frame.loc[mask, "timestamp"].dt.normalize().drop_duplicates()
            detail = f"{int(mask.sum())} " + text.format(u=unit) + f": {_examples(when)}"
            out.append(_finding(kind, frame, mask, detail))
    return np.asarray(off, dtype=bool)


def _stale_quotes(frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Daily rows that carry no trade: volume 0 and a single price for open/high/low/close.

    Yahoo fills some closures with such rows, sometimes at an unadjusted price (RELIANCE
    2005-07-28 stands at 218.31 between closes of 99.80 and 100.45); kept, they would be read
    as a -55 % and +120 % day.
    """
    o, h, lo, c = (frame[k].to_numpy() for k in ("open", "high", "low", "close"))
    flat = (o == h) & (h == lo) & (lo == c)
    return np.asarray((frame["volume"].to_numpy() == 0) & flat, dtype=bool)


def _off_session(keep: pd.DataFrame, interval: str, out: list[Finding]) -> None:
    known, on_grid = session_grid(keep["timestamp"], interval)
    off = known & ~on_grid
    if off.any():
        detail = (
            f"{int(off.sum())} bars off the {interval} session grid or outside session hours "
            f"(kept, flagged): {_examples(keep.loc[off, 'timestamp'])}"
        )
        out.append(_finding("off_session_bar", keep, off, detail))


def _jumps_and_actions(
    keep: pd.DataFrame, symbol: str, is_index: bool, unit: str, out: list[Finding]
) -> None:
    """Flag suspected corporate actions, then outlier jumps on the other bars."""
    day, _ = day_numbers(keep["timestamp"])
    actions = [] if is_index else detect_corporate_actions(keep, symbol)
    ex_days = [(a.ex_date - _EPOCH).days for a in actions]
    on_ex_day = np.isin(day, ex_days)
    if actions:
        first_of_day = np.r_[True, day[1:] != day[:-1]] if len(day) else on_ex_day
        detail = (
            f"{len(actions)} suspected unadjusted splits/bonuses (bars kept raw; factors are "
            "stored apart and applied on read): " + "; ".join(a.detail for a in actions)
        )
        out.append(_finding("suspected_corporate_action", keep, on_ex_day & first_of_day, detail))
    o, c = keep["open"].to_numpy(), keep["close"].to_numpy()
    jumps, sigma = outlier_jumps(o, c, exclude=on_ex_day)
    if jumps.any():
        detail = (
            f"{int(jumps.sum())} {unit} with a bar or overnight move above 20 % and "
            f"{JUMP_MADS:g} robust sigmas (sigma {sigma:.4f} in log return; flagged, kept: a "
            f"crash, a data gap or a glitch): {_examples(keep.loc[jumps, 'timestamp'])}"
        )
        out.append(_finding("outlier_jump", keep, jumps, detail))


def clean_bars(
    bars: pd.DataFrame,
    *,
    symbol: str,
    interval: str,
    is_index: bool = False,
    repair_ohlc: bool = False,
) -> CleanResult:
    """Deduplicate, check against the NSE calendar and flag issues of one bar series.

    Pure: no I/O. See the module notes for every finding kind and what is done about it.

    Parameters
    ----------
    bars : pandas.DataFrame, shape (n_rows, n_columns)
        ``timestamp`` (tz-aware), ``open, high, low, close, volume``, optional store columns
        and optionally ``_line`` (source line numbers, used in findings).
    symbol : str
        Symbol of the series (for messages).
    interval : str
        Bar interval; intraday bars are checked against the calendar by their IST date.
    is_index : bool, default False
        An index series: its volume is not a traded quantity, so volume checks are skipped and
        "trading" on non-session days is judged from prices.
    repair_ohlc : bool, default False
        Widen high/low of inconsistent rows (``ohlc_repaired``) instead of flagging them
        (``ohlc_inconsistent``).

    Returns
    -------
    CleanResult
        Store-ready bars, the findings, and row counts in and out.

    Raises
    ------
    DataError
        If columns are missing, timestamps are naive or missing, or a price is missing,
        infinite or <= 0 (hard errors: nothing to correct).
    """
    where = f"{symbol} {interval}"
    rows_in = len(bars)
    intraday = interval != "1day"
    unit = "bars" if intraday else "rows"
    found: list[Finding] = []
    frame = _dedupe(_prepare(bars, where), intraday, found)
    volume = frame["volume"].to_numpy()
    if not is_index:
        negative = volume < 0
        if negative.any():
            detail = f"{int(negative.sum())} negative volumes set to 0: " + _examples(
                frame.loc[negative, "timestamp"]
            )
            found.append(_finding("negative_volume_clipped", frame, negative, detail))
            frame.loc[negative, "volume"] = 0.0
    drop = _calendar_checks(frame, is_index, unit, found)
    if intraday:  # pre-open and post-close prints
        extended, finding = extended_hours_finding(frame, ~drop)
        found.extend([finding] if finding else [])
        drop = drop | extended
    if not is_index and not intraday:
        stale = ~drop & _stale_quotes(frame)
        if stale.any():
            detail = (
                f"{int(stale.sum())} session rows with volume 0 and open == high == low == close "
                f"dropped (stale quotes, not trading): {_examples(frame.loc[stale, 'timestamp'])}"
            )
            found.append(_finding("stale_row_dropped", frame, stale, detail))
            drop = drop | stale
    keep = frame.loc[~drop].reset_index(drop=True)
    if not is_index:
        first, last = calendar_bounds()
        days = keep["timestamp"].dt.normalize()
        checked = ((days >= first) & (days <= last)).to_numpy()
        for kind, mask, text in (
            (
                "zero_volume_session",
                checked & (keep["volume"].to_numpy() == 0),
                "session {u} with volume 0 (flagged, kept)",
            ),
            ("missing_volume", keep["volume"].isna().to_numpy(), "{u} without volume (NaN kept)"),
        ):
            if mask.any():
                detail = (
                    f"{int(mask.sum())} "
                    + text.format(u=unit)
                    + ": "
                    + _examples(keep.loc[mask, "timestamp"])
                )
                found.append(_finding(kind, keep, mask, detail))
    bad = ohlc_inconsistent(keep, OHLC_TOLERANCE)
    if bad.any() and repair_ohlc:
        found.append(_repair_ohlc(keep, bad, unit))
    elif bad.any():
        detail = (
            f"{int(bad.sum())} {unit} with high < max(open, close), low > min(open, close) "
            f"or high < low (flagged, kept): {_examples(keep.loc[bad, 'timestamp'])}"
        )
        found.append(_finding("ohlc_inconsistent", keep, bad, detail))
    bad_opens = None if intraday or is_index else bad_print_finding(keep)
    found.extend([bad_opens] if bad_opens else [])
    if intraday and interval in INTERVAL_MINUTES:
        _off_session(keep, interval, found)
    _jumps_and_actions(keep, symbol, is_index, unit, found)
    columns = [col for col in (*BAR_COLUMNS, *OPTIONAL_BAR_COLUMNS) if col in keep.columns]
    order = {k: i for i, k in enumerate(FINDING_KINDS)}
    findings = tuple(sorted(found, key=lambda f: order[f.kind]))
    return CleanResult(keep[columns], findings, rows_in, len(keep))
