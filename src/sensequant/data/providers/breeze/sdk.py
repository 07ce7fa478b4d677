"""Lazy loader of ICICI's ``breeze-connect`` SDK and a read-only wrapper around it.

The SDK is hostile to a library that imports it (see ``shared/reference/breeze.md``):

* it does ``sys.path.insert(...); import config`` — a TOP-LEVEL module named ``config``;
* its import downloads the security master with ``urlopen`` and no timeout;
* its import creates ``./logs/`` in the current directory and attaches DEBUG file handlers
  that write every API response to disk; it also disables IPv6 for the whole process;
* it has no base-URL setting: the URLs are attributes of that ``config`` module.

:func:`load_sdk` tames all of this: it loads the SDK's own ``config.py`` as ``config`` itself
(refusing a foreign one), points its URLs at :class:`~sensequant.settings.Settings`, imports
the SDK once per process with a socket timeout and the working directory moved to
``<cache>/breeze``, then removes the SDK's file handlers and restores ``sys.path`` and the
IPv6 flag. :class:`BreezeReadOnly` exposes only market-data methods of an SDK instance: the
project can never place an order or move money through it.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import importlib.util
import logging
import os
import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Final
from urllib.parse import quote

from sensequant.errors import ProviderUnavailableError
from sensequant.settings import Settings

__all__ = [
    "ALLOWED_METHODS",
    "FORBIDDEN_METHODS",
    "BreezeReadOnly",
    "configure_sdk_urls",
    "load_sdk",
    "redact",
]

ALLOWED_METHODS: Final[tuple[str, ...]] = (
    "generate_session",
    "get_historical_data_v2",
    "get_historical_data",
    "get_quotes",
)
"""The only SDK methods :class:`BreezeReadOnly` forwards (session and market data)."""

FORBIDDEN_METHODS: Final[tuple[str, ...]] = (
    "place_order",
    "modify_order",
    "cancel_order",
    "square_off",
    "gtt_three_leg_place_order",
    "gtt_three_leg_modify_order",
    "gtt_three_leg_cancel_order",
    "gtt_single_leg_place_order",
    "gtt_single_leg_modify_order",
    "gtt_single_leg_cancel_order",
    "set_funds",
    "add_margin",
    "aggressive_limit_order_placement",
)
"""Order-placing and money-moving SDK methods that must never be reachable."""

_PROVIDER: Final = "breeze"
_INSTALL_HINT: Final = "pip install 'sensequant[breeze]'"
_SDK_LOGGERS: Final = ("APILogger", "WebsocketLogger")
_SDK_MODULE: Final = "breeze_connect.breeze_connect"
_IMPORT_LOCK = threading.Lock()
REDACTED: Final = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret (and its URL-quoted form) with ``***``.

    Parameters
    ----------
    text : str
        Any text built from SDK or HTTP output (error messages, envelopes).
    secrets : iterable of str
        Values to hide: API key, secret, session token, the base64 session header. Values
        shorter than 4 characters are ignored (they would mangle ordinary words).

    Returns
    -------
    str
        ``text`` with the secrets replaced, longest first.
    """
    values = {s for s in secrets if s and len(s) >= 4}
    values |= {quote(s, safe="") for s in values}
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def _package_dir() -> Path:
    try:
        spec = importlib.util.find_spec("breeze_connect")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ProviderUnavailableError(
            "the ICICI Breeze SDK (breeze-connect) is not installed",
            hint=f"{_INSTALL_HINT}, or use --provider yahoo / files",
            provider=_PROVIDER,
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _sdk_config(package_dir: Path) -> ModuleType:
    """The SDK's ``config`` module registered as top-level ``config`` (loaded if needed)."""
    expected = (package_dir / "config.py").resolve()
    existing = sys.modules.get("config")
    if existing is not None:
        found = getattr(existing, "__file__", None)
        if found is None or Path(found).resolve() != expected:
            raise ProviderUnavailableError(
                f"a top-level module named 'config' ({found or 'built-in'}) is already "
                "imported; the Breeze SDK does 'import config' and would use it instead of "
                f"its own {expected}",
                hint="rename that config.py (or the package providing it) to another name, "
                "or run sensequant from a folder without a config.py",
                provider=_PROVIDER,
            )
        return existing
    spec = importlib.util.spec_from_file_location("config", expected)
    if spec is None or spec.loader is None:
        raise ProviderUnavailableError(
            f"cannot load the Breeze SDK configuration {expected}",
            hint=f"reinstall the SDK: {_INSTALL_HINT}",
            provider=_PROVIDER,
        )
    module = importlib.util.module_from_spec(spec)
    sys.modules["config"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop("config", None)
        raise ProviderUnavailableError(
            f"cannot load the Breeze SDK configuration {expected}: {type(exc).__name__}",
            hint=f"reinstall the SDK: {_INSTALL_HINT}",
            provider=_PROVIDER,
        ) from None
    return module


def configure_sdk_urls(settings: Settings) -> None:
    """Point the SDK's ``config`` module at the endpoints of ``settings``.

    The SDK reads ``API_URL``, ``BREEZE_NEW_URL`` and ``SECURITY_MASTER_URL`` from that
    module at call time (``API_URL`` when a session is created), so this runs before every
    session creation; tests with different stand-in servers in one process rely on it.

    Parameters
    ----------
    settings : Settings
        ``breeze_api_url``, ``breeze_hist_url``, ``breeze_security_master_url``.

    Raises
    ------
    ProviderUnavailableError
        The SDK is not installed, or a foreign top-level ``config`` module is imported.
    """
    module = _sdk_config(_package_dir())
    for name, value in (
        ("API_URL", settings.breeze_api_url),
        ("BREEZE_NEW_URL", settings.breeze_hist_url),
        ("SECURITY_MASTER_URL", settings.breeze_security_master_url),
    ):
        setattr(module, name, value)


def _tame_sdk_loggers() -> None:
    """Remove the SDK's file handlers (DEBUG dumps of every response) and silence it."""
    for name in _SDK_LOGGERS:
        log = logging.getLogger(name)
        for handler in list(log.handlers):
            if isinstance(handler, logging.FileHandler):
                log.removeHandler(handler)
                handler.close()
        log.propagate = False
        log.setLevel(logging.WARNING)
        if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
            # Without a handler, logging's last-resort handler would print to stderr.
            log.addHandler(logging.NullHandler())


@contextlib.contextmanager
def _import_environment(workdir: Path, timeout_s: float) -> Iterator[None]:
    """CWD at ``workdir``, a socket timeout, and sys.path / IPv6 flag restored afterwards."""
    import urllib3.util.connection as u3conn

    workdir.mkdir(parents=True, exist_ok=True)
    cwd = Path.cwd()
    old_timeout = socket.getdefaulttimeout()
    old_ipv6 = u3conn.HAS_IPV6
    old_path = list(sys.path)
    socket.setdefaulttimeout(timeout_s)
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(cwd)
        socket.setdefaulttimeout(old_timeout)
        u3conn.HAS_IPV6 = old_ipv6
        sys.path[:] = old_path


def load_sdk(settings: Settings) -> type:
    """Import ``breeze_connect`` (once per process) and return its ``BreezeConnect`` class.

    Parameters
    ----------
    settings : Settings
        Endpoints (applied to the SDK's ``config`` on every call), ``fetch_deadline_s`` (the
        socket timeout of the import-time security-master download) and ``cache_dir`` (the
        SDK's ``logs/`` folder lands in ``<cache_dir>/breeze``).

    Returns
    -------
    type
        ``breeze_connect.breeze_connect.BreezeConnect``.

    Raises
    ------
    ProviderUnavailableError
        The SDK is not installed, a foreign top-level ``config`` module is imported, or the
        import failed (offline: the SDK downloads the security master while importing).
    """
    with _IMPORT_LOCK:
        configure_sdk_urls(settings)
        module = sys.modules.get(_SDK_MODULE)
        if module is None:
            problem: str | None = None
            hint = _INSTALL_HINT
            try:
                with _import_environment(settings.cache_dir / _PROVIDER, settings.fetch_deadline_s):
                    module = importlib.import_module(_SDK_MODULE)
            except ImportError as exc:
                problem = f"a dependency of the Breeze SDK is missing ({exc.name or exc})"
            except Exception as exc:  # the SDK's import-time download: URLError, timeout ...
                problem = (
                    "importing the Breeze SDK failed: it downloads the security master from "
                    f"{settings.breeze_security_master_url} at import "
                    f"({type(exc).__name__}: {exc})"
                )
                hint = (
                    "check the internet connection (the SDK cannot be imported offline), or "
                    "use --provider yahoo / files"
                )
            finally:
                _tame_sdk_loggers()
            if problem is not None or module is None:
                raise ProviderUnavailableError(
                    problem or "importing the Breeze SDK failed", hint=hint, provider=_PROVIDER
                )
        cls = getattr(module, "BreezeConnect", None)
        if not isinstance(cls, type):
            raise ProviderUnavailableError(
                f"{_SDK_MODULE} has no BreezeConnect class",
                hint=f"install the supported SDK version: {_INSTALL_HINT}",
                provider=_PROVIDER,
            )
        return cls


class BreezeReadOnly:
    """Read-only view of a Breeze SDK instance: session and market data, nothing else.

    Only :data:`ALLOWED_METHODS` exist on this object; there is no ``__getattr__``
    pass-through and no attribute returning the wrapped SDK, so order-placing and
    money-moving methods (:data:`FORBIDDEN_METHODS`) are unreachable through it.

    Parameters
    ----------
    sdk : object
        A ``BreezeConnect`` instance (or a test fake with the same methods).
    """

    __slots__ = ("__sdk",)

    def __init__(self, sdk: Any) -> None:
        self.__sdk = sdk

    def __repr__(self) -> str:
        return "BreezeReadOnly(<sdk>)"

    def generate_session(self, api_secret: str, session_token: str) -> frozenset[str]:
        """Create the API session (``GET customerdetails``).

        Parameters
        ----------
        api_secret, session_token : str
            The app secret and the day's session token from the browser login.

        Returns
        -------
        frozenset of str
            Values identifying the session that must be redacted from any text (the
            session key the server returned and the base64 ``X-SessionToken`` header).

        Raises
        ------
        Exception
            Whatever the SDK raises (bare ``Exception`` texts); the provider classifies it.
        """
        sdk = self.__sdk
        sdk.generate_session(api_secret=api_secret, session_token=session_token)
        values: set[str] = set()
        key = getattr(sdk, "session_key", None)
        user = getattr(sdk, "user_id", None)
        if isinstance(key, str):
            values.add(key)
            if isinstance(user, str):
                values.add(base64.b64encode(f"{user}:{key}".encode()).decode("ascii"))
        header = getattr(getattr(sdk, "api_handler", None), "base64_session_token", None)
        if isinstance(header, str):
            values.add(header)
        return frozenset(v for v in values if v)

    def get_historical_data_v2(
        self,
        interval: str,
        from_date: str,
        to_date: str,
        stock_code: str,
        exchange_code: str,
        product_type: str,
    ) -> Any:
        """Historical candles (v2 endpoint): the SDK's answer envelope, unchanged."""
        return self.__sdk.get_historical_data_v2(
            interval=interval,
            from_date=from_date,
            to_date=to_date,
            stock_code=stock_code,
            exchange_code=exchange_code,
            product_type=product_type,
        )

    def get_historical_data(
        self,
        interval: str,
        from_date: str,
        to_date: str,
        stock_code: str,
        exchange_code: str,
        product_type: str,
    ) -> Any:
        """Historical candles (v1 endpoint, string-typed rows): the SDK's answer envelope."""
        return self.__sdk.get_historical_data(
            interval=interval,
            from_date=from_date,
            to_date=to_date,
            stock_code=stock_code,
            exchange_code=exchange_code,
            product_type=product_type,
        )

    def get_quotes(self, stock_code: str, exchange_code: str, product_type: str = "cash") -> Any:
        """Level-1 quote (best bid/offer, LTP, OHLC): the SDK's answer envelope."""
        return self.__sdk.get_quotes(
            stock_code=stock_code, exchange_code=exchange_code, product_type=product_type
        )
