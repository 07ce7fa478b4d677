"""What ``sensequant run`` prints before it starts: the home it writes to and the OOS period.

Kept apart from :mod:`sensequant.cli.runs` so the lines can be tested without running the
pipeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["run_start_lines"]


def run_start_lines(cfg: Any, st: Any) -> list[str]:
    """Two lines: the resolved ``SENSEQUANT_HOME`` and the out-of-sample period of a run.

    Parameters
    ----------
    cfg : sensequant.run_config.RunConfig
        The effective run configuration (after command-line overrides). On intraday bars the
        intraday defaults pre-flight will apply (:func:`sensequant.pipeline.intraday.
        intraday_profile`: 90 training days, no default start) are applied first.
    st : sensequant.settings.Settings
        The settings (``home``, ``store_dir``).

    Returns
    -------
    list of str
        ``home: /abs/home (SENSEQUANT_HOME)`` (or ``(default: SENSEQUANT_HOME not set)``) and
        ``out of sample: from ... to ...``: ``student.first_test_start`` when set, else about
        ``data.start`` (or the benchmark's first stored bar) ``+ student.min_train_days`` (the
        first soft label plus the training minimum; pre-flight fixes the exact day), up to
        ``data.end`` or the last stored bar. When both ends are known the line adds the NSE
        sessions between them and, on daily bars, the years (``stats.periods_per_year``
        sessions a year); on intraday bars the bars (regular sessions of the interval: 75 at
        5minute).
    """
    home = st.home.expanduser().absolute()
    origin = "SENSEQUANT_HOME" if "home" in st.model_fields_set else "default: SENSEQUANT_HOME "
    origin += "" if "home" in st.model_fields_set else "not set"
    if cfg.data.interval != "1day":
        from sensequant.pipeline.intraday import intraday_profile

        cfg, _notes = intraday_profile(cfg)
    data, student = cfg.data, cfg.student
    span = _stored_span(st, data.benchmark, data.interval)
    first_day: dt.date | None = None
    if student.first_test_start is not None:
        first_day = student.first_test_start
        first = f"{first_day:%Y-%m-%d} (student.first_test_start)"
    elif data.start is not None:
        first_day = _day(data.start) + dt.timedelta(days=student.min_train_days)
        first = (
            f"about {first_day:%Y-%m-%d} (data.start {data.start:%Y-%m-%d} + "
            f"student.min_train_days {student.min_train_days})"
        )
    elif span is not None:
        first_day = span[0] + dt.timedelta(days=student.min_train_days)
        first = (
            f"about {first_day:%Y-%m-%d} (the first stored bar {span[0]:%Y-%m-%d} + "
            f"student.min_train_days {student.min_train_days})"
        )
    else:
        first = f"the first stored bar + student.min_train_days {student.min_train_days}"
    last_day = _day(data.end) if data.end is not None else (span[1] if span else None)
    if data.end is not None:
        last = f"{data.end:%Y-%m-%d}"
    elif span is not None:
        last = f"{span[1]:%Y-%m-%d} (the last stored bar)"
    else:
        last = "the last stored bar"
    oos = f"out of sample: from {first} to {last}"
    if first_day is not None and last_day is not None:
        oos += _length(first_day, last_day, data.interval, cfg.stats.periods_per_year)
    return [f"home: {home} ({origin})", oos]


def _day(value: dt.date) -> dt.date:
    """The date of a date or (intraday) datetime."""
    return value.date() if isinstance(value, dt.datetime) else value


def _length(first: dt.date, last: dt.date, interval: str, per_year: int) -> str:
    """``: about 3,578 sessions (14.2 years)`` / ``: about 24 sessions, 1,800 5minute bars``."""
    from sensequant.data.market import nse_sessions
    from sensequant.time_units import BARS_PER_SESSION

    n = len(nse_sessions(first, last))
    if n == 0:
        return ": no session (the training minimum reaches past the end of the data)"
    if interval == "1day":
        return f": about {n:,} sessions ({n / per_year:.1f} years)"
    per = BARS_PER_SESSION[interval]
    return f": about {n:,} sessions, {n * per:,} {interval} bars ({per} a regular session)"


def _stored_span(st: Any, symbol: str, interval: str) -> tuple[dt.date, dt.date] | None:
    """First and last session of ``symbol``'s stored bars (timestamps only), else None."""
    from sensequant.data.store import BarStore
    from sensequant.errors import SenseQuantError

    try:
        store = BarStore(st.store_dir)
        if not store.exists(symbol, interval):
            return None
        ts = store.read(symbol, interval, columns=[])["timestamp"]
    except (SenseQuantError, OSError, ValueError):
        return None
    if len(ts) == 0:
        return None
    return ts.iloc[0].date(), ts.iloc[-1].date()
