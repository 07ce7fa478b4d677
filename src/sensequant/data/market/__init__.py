"""sensequant.data.market: public face."""

from sensequant.data.market.calendar import (
    CALENDAR_NAME,
    SESSION_OVERRIDES,
    calendar_bounds,
    is_session,
    missing_sessions,
    nse_sessions,
)
from sensequant.data.market.sessions import (
    INTERVAL_MINUTES,
    REGULAR_HOURS,
    SESSION_HOURS,
    Hours,
    expected_bars,
    session_bar_starts,
    session_hours,
)
from sensequant.data.market.symbols import (
    FILE_SAFE_ALIASES,
    symbol_from_filename,
    symbol_from_store_filename,
    symbol_to_filename,
    validate_symbol,
)
from sensequant.data.market.timezone import TimeLike, to_ist
from sensequant.time_units import INTERVAL_ALIASES, parse_interval  # the one alias table

__all__ = [
    "CALENDAR_NAME",
    "FILE_SAFE_ALIASES",
    "INTERVAL_ALIASES",
    "INTERVAL_MINUTES",
    "REGULAR_HOURS",
    "SESSION_HOURS",
    "SESSION_OVERRIDES",
    "Hours",
    "TimeLike",
    "calendar_bounds",
    "expected_bars",
    "is_session",
    "missing_sessions",
    "nse_sessions",
    "parse_interval",
    "session_bar_starts",
    "session_hours",
    "symbol_from_filename",
    "symbol_from_store_filename",
    "symbol_to_filename",
    "to_ist",
    "validate_symbol",
]
