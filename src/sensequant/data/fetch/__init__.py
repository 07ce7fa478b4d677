"""sensequant.data.fetch: public face."""

from sensequant.data.fetch.plan import Chunk, FetchPlan, plan_fetch
from sensequant.data.fetch.ranges import last_closed_session
from sensequant.data.fetch.ratelimit import RateLimiter
from sensequant.data.fetch.runner import (
    FetchPolicy,
    FetchReport,
    SymbolOutcome,
    fetch_bars_to_store,
)
from sensequant.data.fetch.service import FetchRun, resolve_fetch_symbols, run_fetch

__all__ = [
    "Chunk",
    "FetchPlan",
    "FetchPolicy",
    "FetchReport",
    "FetchRun",
    "RateLimiter",
    "SymbolOutcome",
    "fetch_bars_to_store",
    "last_closed_session",
    "plan_fetch",
    "resolve_fetch_symbols",
    "run_fetch",
]
