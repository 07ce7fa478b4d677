"""Request checks, error answers and fault injection of the Breeze stand-in.

Checks: :func:`is_forbidden` (order/money/account paths, any non-GET), :func:`parse_breeze_time`
(``YYYY-MM-DDTHH:MM:SS.000Z`` read as IST wall-clock) and :func:`signature_error` (v1 signing).

A :class:`FaultPlan` says which failures the stand-in's historical endpoints produce; a
:class:`FaultDecider` turns it into one decision per historical request. Random draws come from
a generator seeded by the plan, two per request whatever the outcome, so the sequence of
faults is a pure function of the request's position in the order of arrival (reproducible
when a client sends its requests one at a time).

Error strings are the ones seen from the real API (``../shared/reference/breeze.md``); the
stand-in answers API errors with HTTP 200 and the envelope ``{"Success": null, "Status": ...,
"Error": ...}`` as Breeze does, HTML faults with HTTP 500/503.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import random
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from sensequant.types import IST

__all__ = [
    "DAY_LIMIT",
    "FORBIDDEN_PATH_WORDS",
    "HISTORICAL_DATA_FAIL",
    "INJECTABLE_KINDS",
    "INVALID_SESSION",
    "INVALID_USER",
    "MAINTENANCE_HTML",
    "MINUTE_LIMIT",
    "SESSION_EXPIRED",
    "T2_155",
    "TRANSIENT_KINDS",
    "V1_INTERVALS",
    "V2_INTERVALS",
    "FaultDecider",
    "FaultPlan",
    "envelope",
    "fault_response",
    "is_forbidden",
    "parse_breeze_time",
    "signature_error",
]

FORBIDDEN_PATH_WORDS: Final[tuple[str, ...]] = (
    "order",
    "gttorder",
    "squareoff",
    "funds",
    "margin",
    "trades",
    "portfolio",
    "dematholdings",
    "fnolmtpriceandqtycal",
)
"""A path containing one of these (case-insensitive) is refused and recorded."""

V2_INTERVALS: Final = frozenset({"1minute", "5minute", "30minute", "1day"})
"""Intervals the stand-in's v2 endpoint serves (``1second`` is refused)."""

V1_INTERVALS: Final[dict[str, str]] = {
    "minute": "1minute",
    "5minute": "5minute",
    "30minute": "30minute",
    "day": "1day",
}
"""v1 interval names -> v2 names."""

_TIME_RE: Final = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\.\d{3}Z$")
_STAMP_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$")

TRANSIENT_KINDS: Final[tuple[str, ...]] = (
    "http_500_html",
    "slow",
    "invalid_user",
    "t2_155",
    "reset",
)
"""Faults drawn at random by :attr:`FaultPlan.transient_rate` (all succeed on retry)."""

INJECTABLE_KINDS: Final[tuple[str, ...]] = (
    *TRANSIENT_KINDS,
    "minute_limit",
    "day_limit",
    "session_expired",
    "historical_data_fail",
)
"""Kinds :meth:`FaultDecider.inject` accepts (one historical answer each)."""

INVALID_USER: Final = "Invalid User Details"
T2_155: Final = "Error while calling service, Please contact admin (T2:155)"
MINUTE_LIMIT: Final = "Limit exceed: API call per minute"
DAY_LIMIT: Final = "Limit exceed: API call per day"
INVALID_SESSION: Final = "Invalid session."
SESSION_EXPIRED: Final = "Resource not available."
HISTORICAL_DATA_FAIL: Final = "Historical Data Fail"

MAINTENANCE_HTML: Final = (
    "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>"
    "<h1>Scheduled maintenance</h1><p>ICICI Direct services are under maintenance. "
    "Please try again later.</p></body></html>"
)
"""Body of the ``http_500_html`` fault (decoding it as JSON fails, as in the wild)."""


def envelope(success: Any = None, status: int = 500, error: str | None = None) -> dict[str, Any]:
    """A Breeze answer envelope.

    Parameters
    ----------
    success : Any
        The ``Success`` payload (``None`` on errors).
    status : int
        The in-body ``Status`` (200 ok, 5 rate limits, 500 other errors).
    error : str, optional
        The ``Error`` string.

    Returns
    -------
    dict
        ``{"Success": success, "Status": status, "Error": error}``.
    """
    return {"Success": success, "Status": status, "Error": error}


def is_forbidden(method: str, path: str) -> bool:
    """Whether a request must be refused: any non-GET, or a path naming an order/money/account
    endpoint (:data:`FORBIDDEN_PATH_WORDS`)."""
    return method != "GET" or any(w in path.lower() for w in FORBIDDEN_PATH_WORDS)


def parse_breeze_time(value: str) -> pd.Timestamp | None:
    """Parse ``YYYY-MM-DDTHH:MM:SS.000Z`` as IST wall-clock (the ``Z`` is ignored, as Breeze does).

    Parameters
    ----------
    value : str
        A ``from_date``/``to_date`` argument.

    Returns
    -------
    pandas.Timestamp or None
        tz-aware IST; ``None`` when the string has another format or is not a valid time.
    """
    m = _TIME_RE.match(value)
    if m is None:
        return None
    try:
        return pd.Timestamp(f"{m[1]} {m[2]}").tz_localize(IST)
    except ValueError:
        return None


def signature_error(
    headers: Mapping[str, str], body: bytes, *, api_key: str, api_secret: str, session_header: str
) -> str | None:
    """Why a v1 request's signing headers are wrong (``None``: they are right).

    The SDK signs with ``X-Checksum: token sha256(X-Timestamp + body + secret)`` (hex), where
    ``X-Timestamp`` is UTC ``YYYY-MM-DDTHH:MM:SS.000Z``, plus ``X-AppKey`` and
    ``X-SessionToken`` = base64(``user_id:session_key``) (breeze_connect ``generate_headers``).

    Parameters
    ----------
    headers : Mapping[str, str]
        Request headers, names in lower case.
    body : bytes
        The raw request body, exactly as sent.
    api_key, api_secret, session_header : str
        What the stand-in accepts.

    Returns
    -------
    str or None
        The ``Error`` string to answer with.
    """
    stamp = headers.get("x-timestamp") or ""
    if not _STAMP_RE.match(stamp):
        return "Invalid X-Timestamp: expected UTC YYYY-MM-DDTHH:MM:SS.000Z"
    if headers.get("x-appkey") != api_key:
        return "Public Key does not exist."
    if headers.get("x-sessiontoken") != session_header:
        return INVALID_SESSION
    digest = hashlib.sha256(stamp.encode() + body + api_secret.encode()).hexdigest()
    if not hmac.compare_digest(headers.get("x-checksum") or "", "token " + digest):
        return "Checksum mismatch: X-Checksum must be 'token ' + sha256(timestamp+body+secret)"
    return None


@dataclass(frozen=True)
class FaultPlan:
    """Which failures the stand-in injects into historical requests (v1 and v2).

    Attributes
    ----------
    transient_rate : float
        Probability in ``[0, 1]`` that a historical request gets a fault drawn from ``kinds``.
    kinds : tuple of str
        Transient kinds to draw from (subset of :data:`TRANSIENT_KINDS`): ``http_500_html``
        (HTTP 500 or 503 with an HTML page), ``slow`` (sleep ``slow_s`` then answer normally),
        ``invalid_user`` (``Invalid User Details``), ``t2_155`` (``... (T2:155)``), ``reset``
        (connection closed with a TCP reset, no answer).
    slow_s : float
        Delay of the ``slow`` fault, seconds.
    seed : int
        Seed of the random draws.
    minute_limit_every : int, optional
        Every n-th historical request answers ``Status: 5`` ``Limit exceed: API call per
        minute``.
    minute_cap : int, optional
        Real-clock limit: a historical request that would be more than this many within the
        trailing 60 s answers the per-minute limit (the real API allows 100).
    day_limit_after : int, optional
        After this many data requests (historical and quotes) every further one answers
        ``Status: 5`` ``Limit exceed: API call per day``.
    session_expired : bool
        ``customerdetails`` answers ``Resource not available.`` and data requests answer
        ``Invalid session.``.
    """

    transient_rate: float = 0.0
    kinds: tuple[str, ...] = TRANSIENT_KINDS
    slow_s: float = 2.0
    seed: int = 0
    minute_limit_every: int | None = None
    minute_cap: int | None = None
    day_limit_after: int | None = None
    session_expired: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.transient_rate <= 1.0:
            raise ValueError(f"transient_rate {self.transient_rate} is not in [0, 1]")
        bad = [k for k in self.kinds if k not in TRANSIENT_KINDS]
        if bad or (self.transient_rate > 0 and not self.kinds):
            raise ValueError(f"unknown fault kinds {bad}; choose from {TRANSIENT_KINDS}")
        for name in ("minute_limit_every", "minute_cap", "day_limit_after"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1 or None, got {value}")


class FaultDecider:
    """Thread-safe decisions of one plan, plus forced faults from :meth:`inject`.

    Parameters
    ----------
    plan : FaultPlan
        The plan; counters and the generator start afresh with it.
    """

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._rng = random.Random(plan.seed)
        self._lock = threading.Lock()
        self._historical = 0
        self._data = 0
        self._recent: collections.deque[float] = collections.deque()
        self._forced: collections.deque[str] = collections.deque()

    def inject(self, kind: str, count: int = 1) -> None:
        """Force the next ``count`` historical answers to fault ``kind``.

        Raises
        ------
        ValueError
            For a kind outside :data:`INJECTABLE_KINDS` or ``count < 1``.
        """
        if kind not in INJECTABLE_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {INJECTABLE_KINDS}")
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        with self._lock:
            self._forced.extend([kind] * count)

    def carry_forced(self, other: FaultDecider) -> None:
        """Keep ``other``'s pending forced faults (when the plan is replaced)."""
        with self._lock, other._lock:
            self._forced.extend(other._forced)

    def data_request(self) -> str | None:
        """Count a quotes request; ``day_limit`` or ``session_expired`` when they apply."""
        with self._lock:
            self._data += 1
            if self.plan.session_expired:
                return "session_expired"
            limit = self.plan.day_limit_after
            return "day_limit" if limit is not None and self._data > limit else None

    def historical_request(self) -> tuple[str | None, int]:
        """Decide one historical request's fate.

        Returns
        -------
        (str or None, int)
            The fault kind (``None``: answer normally) and the request's 1-based index since
            the plan was set.
        """
        with self._lock:
            self._historical += 1
            self._data += 1
            n = self._historical
            u = self._rng.random()
            drawn = self._rng.choice(self.plan.kinds) if self.plan.kinds else None
            plan = self.plan
            now = time.monotonic()
            self._recent.append(now)
            while self._recent and self._recent[0] <= now - 60.0:
                self._recent.popleft()
            if plan.session_expired:
                return "session_expired", n
            if plan.day_limit_after is not None and self._data > plan.day_limit_after:
                return "day_limit", n
            if self._forced:
                return self._forced.popleft(), n
            if plan.minute_limit_every is not None and n % plan.minute_limit_every == 0:
                return "minute_limit", n
            if plan.minute_cap is not None and len(self._recent) > plan.minute_cap:
                return "minute_limit", n
            if u < plan.transient_rate:
                return drawn, n
            return None, n


_ERRORS: Final[dict[str, tuple[int, str]]] = {
    "invalid_user": (500, INVALID_USER),
    "t2_155": (500, T2_155),
    "minute_limit": (5, MINUTE_LIMIT),
    "day_limit": (5, DAY_LIMIT),
    "session_expired": (500, INVALID_SESSION),
    "historical_data_fail": (500, HISTORICAL_DATA_FAIL),
}


def fault_response(kind: str, n: int) -> tuple[int, bytes, str] | None:
    """The HTTP answer of a fault (``slow`` answers normally; ``reset`` has none).

    Parameters
    ----------
    kind : str
        A kind from :data:`INJECTABLE_KINDS` other than ``slow``.
    n : int
        The request's index (``http_500_html`` answers 503 when odd, 500 when even).

    Returns
    -------
    (int, bytes, str) or None
        HTTP status, body and content type; ``None`` for ``reset`` (close without answer).
    """
    if kind == "reset":
        return None
    if kind == "http_500_html":
        return 503 if n % 2 else 500, MAINTENANCE_HTML.encode(), "text/html; charset=utf-8"
    status, error = _ERRORS[kind]
    return 200, json.dumps(envelope(None, status, error)).encode(), "application/json"
