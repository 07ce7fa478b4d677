"""sensequant.data.providers.yahoo: public face."""

from sensequant.data.providers.yahoo.provider import (
    OFFLINE_HINT,
    OFFLINE_MESSAGE,
    YahooProvider,
    yahoo_reachable,
    yahoo_ticker,
)

__all__ = ["OFFLINE_HINT", "OFFLINE_MESSAGE", "YahooProvider", "yahoo_reachable", "yahoo_ticker"]
