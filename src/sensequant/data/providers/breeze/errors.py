"""What a Breeze answer means: success rows, or the SenseQuant error the fetcher acts on.

The SDK reports failures in three ways: an exception (transport failure, a non-JSON body
such as an HTML maintenance page), an envelope ``{"Success", "Status", "Error"}`` with an error
text, or ``None`` (no session). :func:`classify_exception`, :func:`error_for_text` and
:func:`answer_rows` turn each into :mod:`sensequant.errors` classes, so the fetcher knows
whether to retry (transient), wait (per-minute limit), stop (daily limit, expired session) or
give up on the chunk. Texts pass through the caller's redaction before they enter a message.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import requests

from sensequant.errors import (
    DailyLimitError,
    ProviderError,
    RateLimitError,
    SessionExpiredError,
    TransientProviderError,
)

__all__ = [
    "SESSION_HINT",
    "UnclassifiedError",
    "answer_rows",
    "classify_exception",
    "error_for_text",
]

_NAME: Final = "breeze"
SESSION_HINT: Final = (
    "log in at the Breeze API page, copy ?apisession=... into "
    "SENSEQUANT_BREEZE_SESSION_TOKEN; tokens expire at midnight IST"
)
"""What to do when the session is missing, expired or rejected."""
_TRANSIENT_TEXT: Final = (
    "invalid user details",
    "t2:155",
    "historical data fail",
    "error while calling service",
    "unable to retrieve customer details",
    "try again later",
)
_SESSION_TEXT: Final = (
    "session key is expired",
    "invalid session",
    "resource not available",
    "could not authenticate",
    "public key does not exist",
    "api session cannot be empty",
)
_TRANSPORT_ERRORS: Final = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    json.JSONDecodeError,
    ConnectionError,
    TimeoutError,
    http.client.HTTPException,
)


class UnclassifiedError(ProviderError):
    """A non-transient, non-limit, non-session failure (v2 falls back to v1 on it)."""


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 20:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__]
    return seen


def classify_exception(
    exc: BaseException, method: str, what: str, redact: Callable[[str], str]
) -> ProviderError:
    """The SenseQuant error for an exception raised by an SDK call.

    Parameters
    ----------
    exc : BaseException
        What the SDK raised (its ``__cause__``/``__context__`` chain is searched too).
    method : str
        SDK method name (``get_historical_data_v2``).
    what : str
        The request, for the message (``RELIANCE (RELIND) 5minute ...``).
    redact : callable
        Removes secrets from the exception text.

    Returns
    -------
    ProviderError
        :class:`TransientProviderError` for a non-JSON answer (an HTML maintenance page) or
        a transport failure; otherwise as :func:`error_for_text`.
    """
    chain = _chain(exc)
    text = redact(f"{type(exc).__name__}: {exc}")
    if any(isinstance(e, json.JSONDecodeError) for e in chain):
        return TransientProviderError(
            f"breeze {method} for {what}: the answer was not JSON (an HTML maintenance "
            f"or error page?): {text}",
            hint="Breeze is often down for maintenance at weekends; the fetch retries it",
            provider=_NAME,
        )
    if any(isinstance(e, _TRANSPORT_ERRORS) for e in chain):
        return TransientProviderError(
            f"breeze {method} for {what}: connection failed: {text}",
            hint="check the network; the fetch retries it",
            provider=_NAME,
        )
    return error_for_text(text, None, method, what)


def error_for_text(text: str, status: Any, method: str, what: str) -> ProviderError:
    """The SenseQuant error for a Breeze error text (and ``Status`` field, if any).

    Parameters
    ----------
    text : str
        Redacted error text (``Status 5: Limit exceed: API call per minute``).
    status : object
        The answer's ``Status`` (``5`` marks a call limit), or None.
    method, what : str
        SDK method and request, for the message.

    Returns
    -------
    ProviderError
        :class:`DailyLimitError` / :class:`RateLimitError` (``retry_after_s``: seconds to the
        next clock minute + 1) for ``Status 5`` or "limit exceed";
        :class:`TransientProviderError` for Breeze's intermittent errors;
        :class:`SessionExpiredError` for session texts; else :class:`UnclassifiedError`.
    """
    low = text.lower()
    if str(status) == "5" or "limit exceed" in low:
        if "per day" in low:
            return DailyLimitError(
                f"breeze daily API limit reached during {method} for {what}: {text}",
                hint="resume tomorrow: the fetch is resumable and skips what is stored",
                provider=_NAME,
            )
        wait = 61.0 - (time.time() % 60.0)
        return RateLimitError(
            f"breeze per-minute API limit reached during {method} for {what}: {text}",
            retry_after_s=wait,
            hint="the fetch waits for the next minute; lower "
            "SENSEQUANT_BREEZE_CALLS_PER_MINUTE if it keeps happening",
            provider=_NAME,
        )
    if any(marker in low for marker in _TRANSIENT_TEXT):
        return TransientProviderError(
            f"breeze {method} for {what}: {text}",
            hint="an intermittent Breeze error; the fetch retries it",
            provider=_NAME,
        )
    if any(marker in low for marker in _SESSION_TEXT):
        hint = SESSION_HINT
        if "api key" in low or "public key" in low:
            hint = "check SENSEQUANT_BREEZE_API_KEY; " + SESSION_HINT
        return SessionExpiredError(
            f"breeze session rejected during {method}: {text}", hint=hint, provider=_NAME
        )
    return UnclassifiedError(f"breeze {method} for {what}: {text}", provider=_NAME)


def answer_rows(answer: Any, method: str, what: str, redact: Callable[[str], str]) -> list[Any]:
    """The ``Success`` rows of a Breeze answer envelope, or the error it stands for.

    Parameters
    ----------
    answer : object
        What the SDK method returned (``{"Success": ..., "Status": ..., "Error": ...}``).
    method, what : str
        SDK method and request, for messages.
    redact : callable
        Removes secrets from the error text.

    Returns
    -------
    list
        The rows (``[]`` for an empty ``Success``; a single mapping is wrapped).

    Raises
    ------
    SessionExpiredError
        ``None`` answered (the SDK's way of saying there is no session).
    ProviderError
        As :func:`error_for_text` for an error envelope; :class:`UnclassifiedError` for an
        answer of an unexpected shape.
    """
    error: ProviderError
    if answer is None:
        error = SessionExpiredError(
            f"breeze {method} for {what} returned nothing: no API session",
            hint=SESSION_HINT,
            provider=_NAME,
        )
    elif not isinstance(answer, Mapping):
        error = UnclassifiedError(
            f"breeze {method} for {what}: unexpected answer of type {type(answer).__name__}",
            provider=_NAME,
        )
    else:
        status, problem, success = (
            answer.get("Status"),
            answer.get("Error"),
            answer.get("Success"),
        )
        if problem or status not in (200, "200", None):
            text = redact(f"Status {status}: {problem}")
            error = error_for_text(text, status, method, what)
        elif success is None or success == "":
            return []
        elif isinstance(success, list):
            return success
        elif isinstance(success, Mapping):
            return [success]
        else:
            error = UnclassifiedError(
                f"breeze {method} for {what}: unexpected Success of type {type(success).__name__}",
                provider=_NAME,
            )
    raise error
