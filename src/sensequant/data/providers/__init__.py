"""Market-data providers: Breeze (broker API), Yahoo Finance, files (see :mod:`.base`).

:func:`make_provider` builds one by name. Importing this package imports neither a provider
module nor its SDK (``breeze_connect``, ``yfinance``): :func:`make_provider` imports the one
asked for, when asked.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sensequant.errors import ProviderUnavailableError, UsageError

if TYPE_CHECKING:
    from sensequant.data.providers.base import BarProvider

__all__ = ["PROVIDERS", "check_repair_ohlc", "make_provider"]

PROVIDERS = ("breeze", "yahoo", "files")
"""Provider names :func:`make_provider` (and ``--provider``) accepts."""


def check_repair_ohlc(name: str, repair_ohlc: bool) -> None:
    """Refuse ``--repair-ohlc`` for a provider that does not read files.

    Raises
    ------
    UsageError
        If ``repair_ohlc`` is set and ``name`` is a provider other than ``files``.
    """
    key = name.strip().lower()
    if repair_ohlc and key in PROVIDERS and key != "files":
        raise UsageError(
            f"--repair-ohlc applies to files (--provider files), not to the {key} provider",
            hint="drop --repair-ohlc, or import the files with sensequant data import",
        )


def make_provider(
    name: str, settings: Any, source: list[Path] | None = None, *, repair_ohlc: bool = False
) -> BarProvider:
    """Build a provider by name; its module is imported only now (lazy SDK imports).

    Parameters
    ----------
    name : str
        ``breeze``, ``yahoo`` or ``files`` (case and surrounding spaces ignored).
    settings : sensequant.settings.Settings
        Credentials, URLs and budgets.
    source : list of pathlib.Path, optional
        Files or folders (the ``files`` provider only).
    repair_ohlc : bool, default False
        The ``files`` provider widens inconsistent high/low instead of refusing the file
        (``--repair-ohlc``, as ``data import``); other providers refuse it.

    Returns
    -------
    BarProvider

    Raises
    ------
    UsageError
        For an unknown name, the ``files`` provider without ``source``, or ``repair_ohlc``
        with another provider.
    ProviderUnavailableError
        If the provider's module or its SDK cannot be imported.
    """
    key = name.strip().lower()
    check_repair_ohlc(key, repair_ohlc)
    try:
        if key == "breeze":
            from sensequant.data.providers.breeze import BreezeProvider

            return BreezeProvider(settings)
        if key == "yahoo":
            from sensequant.data.providers.yahoo import YahooProvider

            return YahooProvider(settings)
        if key == "files":
            from sensequant.data.providers.files import FilesProvider

            if not source:
                raise UsageError("the files provider needs --source", hint="e.g. --source FOLDER")
            return FilesProvider(source, repair_ohlc=repair_ohlc)
    except ImportError as exc:
        raise ProviderUnavailableError(
            f"the {key} provider cannot be loaded ({exc})",
            hint="install SenseQuant with its extras: pip install 'sensequant[breeze]'",
            provider=key,
        ) from None
    raise UsageError(f"unknown provider {name!r}", hint=f"use one of {', '.join(PROVIDERS)}")
