"""Exception hierarchy for SenseQuant.

Every error a user can trigger carries a ``hint``: what to do about it. The CLI prints
``str(error)`` and the hint, never a traceback, and exits with :attr:`SenseQuantError.exit_code`.
"""

from __future__ import annotations

from pathlib import Path


class SenseQuantError(Exception):
    """Base class of every error SenseQuant raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong, naming the file, row, symbol or value concerned.
    hint : str, optional
        How to fix it.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(SenseQuantError):
    """Bad command-line usage or configuration (exit code 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """A run configuration or setting is invalid."""


class InvalidSymbolError(UsageError):
    """A symbol name is malformed (path separators, empty, illegal characters)."""


class UnknownUniverseError(UsageError):
    """A universe name or member is not known to the symbol master."""


class DataError(SenseQuantError):
    """Market data is missing, malformed or unusable."""


class InputFileError(DataError):
    """An input file cannot be imported.

    Parameters
    ----------
    path : pathlib.Path
        The offending file.
    problem : str
        What is wrong with it (columns, dates, prices ...), with row numbers when known.
    hint : str, optional
        How to fix it.
    """

    def __init__(self, path: Path | str, problem: str, *, hint: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}", hint=hint)


class NoDataError(DataError):
    """The store holds no bars for what was asked."""


class StoreError(DataError):
    """The bar store or catalog cannot be read or written."""


class CatalogCorruptError(StoreError):
    """The catalog database fails its integrity check (``sensequant data repair`` fixes it)."""


class BarConflictError(StoreError):
    """New bars would change stored bars beyond float noise (``--on-conflict fail``)."""


class InsufficientSamplesError(SenseQuantError):
    """A model cannot be trained on the samples given (a *skip*, not a failure)."""


class SplitError(DataError, ValueError):
    """Sample times cannot be split into purged, embargoed train/test indices.

    Raised for naive or missing timestamps, unsorted rows, a label end ``t1`` before its
    sample time, or a fold count the rows cannot hold. Also a :class:`ValueError`.
    """


class ModelError(SenseQuantError, ValueError):
    """Model inputs are inconsistent: shapes, class labels, timestamps, missing columns or
    feature names that do not match the model. Also a :class:`ValueError`."""


class LeakageError(ModelError):
    """A training set would use information known only at or after its test start.

    A leakage invariant was violated: this is a bug or inconsistent inputs, never a skip.
    """


class PipelineError(SenseQuantError):
    """A pipeline phase failed (e.g. the window failure threshold was exceeded)."""


class RegistryError(SenseQuantError):
    """A registry transition is not allowed or a run is unknown."""


class UnknownRunError(RegistryError):
    """A run id (or id prefix) names no registered run, or several (exit code 2: usage)."""

    exit_code = 2


class ReviewRefusedError(RegistryError):
    """A review action is refused by policy: the run's producer may not approve it while
    ``review.require_second_person`` is on (exit code 1)."""


class TamperedError(RegistryError):
    """Evidence does not match its record: a run artifact differs from the manifest's hash, the
    run directory is missing, or the registry's event hash chain is broken (exit code 1)."""


class ProviderError(DataError):
    """A market-data provider (Breeze, Yahoo Finance, files) could not serve a request.

    Parameters
    ----------
    message : str
        What failed, naming the provider, symbol, interval and range.
    hint : str, optional
        How to fix it.
    provider : str, optional
        Provider name (``breeze``, ``yahoo``, ...).
    """

    def __init__(self, message: str, *, hint: str | None = None, provider: str = "") -> None:
        super().__init__(message, hint=hint)
        self.provider = provider


class TransientProviderError(ProviderError):
    """A failure worth retrying with backoff: HTTP 5xx or an HTML maintenance page, a timeout
    or connection reset, Breeze's intermittent ``Invalid User Details`` or ``T2:155``."""


class RateLimitError(TransientProviderError):
    """The provider's per-minute call limit was hit; retry after ``retry_after_s`` seconds.

    Parameters
    ----------
    retry_after_s : float
        Seconds to wait before the next call (Breeze: until the next clock minute).
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float,
        hint: str | None = None,
        provider: str = "",
    ) -> None:
        super().__init__(message, hint=hint, provider=provider)
        self.retry_after_s = float(retry_after_s)


class DailyLimitError(ProviderError):
    """The provider's daily call budget is spent: stop now and resume tomorrow."""


class SessionExpiredError(ProviderError):
    """The broker session token is missing, invalid or expired (Breeze: daily, at midnight
    IST): a new token is needed before anything can be fetched."""


class UnknownInstrumentError(ProviderError):
    """The provider does not know the symbol (not in the security master / no such ticker)."""


class ProviderUnavailableError(ProviderError):
    """The provider cannot be reached at all (offline, DNS failure, SDK not installed)."""
