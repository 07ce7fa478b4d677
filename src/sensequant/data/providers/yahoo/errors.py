"""What a failed Yahoo Finance request means, as a SenseQuant error the fetcher acts on.

yfinance and its HTTP libraries (curl_cffi, requests) raise many exception types; they are
recognised by class name so neither library has to be imported here. An unknown ticker
(yfinance's "possibly delisted; no timezone found", or the quote endpoint's HTTP 404) is
:class:`~sensequant.errors.UnknownInstrumentError`; HTTP 429 is
:class:`~sensequant.errors.RateLimitError`; other network trouble is
:class:`~sensequant.errors.TransientProviderError`, except when Yahoo cannot be reached at all
(DNS failure, no route), which is :class:`~sensequant.errors.ProviderUnavailableError` with
a hint to import files instead.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Final

from sensequant.data.providers.yahoo.yfinance_io import PROVIDER
from sensequant.errors import (
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    TransientProviderError,
    UnknownInstrumentError,
)

__all__ = ["OFFLINE_HINT", "OFFLINE_MESSAGE", "YAHOO_HOST", "classify_yahoo_error"]

YAHOO_HOST: Final = "query1.finance.yahoo.com"
OFFLINE_MESSAGE: Final = f"offline: cannot reach Yahoo Finance ({YAHOO_HOST})"
OFFLINE_HINT: Final = (
    "import files instead: `make run DATA=FOLDER` or `sensequant data import PATH`"
)
_UNKNOWN_MARKERS: Final = ("delisted", "no timezone", "not found", "no data found")


def _names(exc: BaseException) -> set[str]:
    return {k.__name__ for k in type(exc).__mro__}


def _is_dns_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return (
        isinstance(exc, socket.gaierror)
        or "DNSError" in _names(exc)
        or "could not resolve host" in text
        or "name or service not known" in text
        or "temporary failure in name resolution" in text
    )


def _is_network_error(exc: BaseException) -> bool:
    network = {"ConnectionError", "Timeout", "TimeoutError", "ChunkedEncodingError", "ProxyError"}
    return isinstance(exc, OSError) or bool(_names(exc) & network)


def _http_status(exc: BaseException) -> int | None:
    """HTTP status of an ``HTTPError`` (curl_cffi or requests), else None."""
    if "HTTPError" not in _names(exc):
        return None
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return int(status) if isinstance(status, int) else -1


def classify_yahoo_error(
    exc: Exception, ticker: str, what: str, reachable: Callable[[], bool]
) -> ProviderError | None:
    """The SenseQuant error for a failed yfinance request; None = "no bars in this range".

    Parameters
    ----------
    exc : Exception
        What yfinance (or its HTTP library) raised.
    ticker : str
        Yahoo ticker (``RELIANCE.NS``).
    what : str
        The request, for the message.
    reachable : callable
        ``() -> bool``; asked after a network failure to tell "offline" from a glitch.

    Returns
    -------
    ProviderError or None
        :class:`RateLimitError` (HTTP 429), :class:`UnknownInstrumentError` (unknown ticker),
        :class:`ProviderUnavailableError` (DNS failure, or a network failure while Yahoo is
        unreachable), :class:`TransientProviderError` (HTTP 5xx, network trouble, a body
        that is not JSON), a plain :class:`ProviderError` otherwise; None when Yahoo has no
        prices in the range.
    """
    names = _names(exc)
    text = f"{type(exc).__name__}: {exc}"
    reason = str(getattr(exc, "yahoo_reason", None) or "").lower()
    status = _http_status(exc)
    if "YFRateLimitError" in names or status == 429:
        return RateLimitError(
            f"Yahoo Finance rate limit hit fetching {what}",
            retry_after_s=60.0,
            hint="wait a minute; the fetcher retries by itself",
            provider=PROVIDER,
        )
    # An unknown ticker: yfinance's tz lookup fails ("possibly delisted; no timezone
    # found"); for the first two lookups of a process it falls back to the quote
    # endpoint, which answers HTTP 404; a cached tz lets the chart answer "Not Found".
    if (
        "YFTzMissingError" in names
        or status == 404
        or ("YFPricesMissingError" in names and any(m in reason for m in _UNKNOWN_MARKERS))
    ):
        return UnknownInstrumentError(
            f"Yahoo Finance does not know the ticker {ticker} ({exc})",
            hint="check the NSE symbol (renamed? see the alias table) or use another "
            "provider / `sensequant data import PATH`",
            provider=PROVIDER,
        )
    if "YFPricesMissingError" in names:
        return None
    if status is None and (_is_dns_error(exc) or (_is_network_error(exc) and not reachable())):
        return ProviderUnavailableError(OFFLINE_MESSAGE, hint=OFFLINE_HINT, provider=PROVIDER)
    transient = (
        (status is not None and status >= 500)
        or (status is None and _is_network_error(exc))
        or isinstance(exc, ValueError)  # a body that is not JSON: an HTML maintenance page
        or "YFDataException" in names  # "YAHOO! FINANCE IS CURRENTLY DOWN!"
    )
    if transient:
        return TransientProviderError(
            f"Yahoo Finance request failed for {what}: {text}",
            hint="temporary; the fetcher retries with backoff",
            provider=PROVIDER,
        )
    return ProviderError(
        f"Yahoo Finance request failed for {what}: {text}",
        hint="run again; if it persists, import files instead: `sensequant data import PATH`",
        provider=PROVIDER,
    )
