"""Settings (environment) and the run configuration (YAML).

Two kinds of configuration live here:

* :class:`Settings` — where things are on this machine, from environment variables with the
  ``SENSEQUANT_`` prefix or a ``.env`` file (e.g. ``SENSEQUANT_HOME=/data/sq``).
* :class:`RunConfig` — what a ``sensequant run`` does, from a YAML file validated by pydantic.
  The effective config is saved with every run (``runs/<run_id>/config.yaml``). It lives in
  :mod:`sensequant.run_config` and is re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from sensequant.errors import ConfigError
from sensequant.run_config import (
    BacktestConfig,
    DataConfig,
    ExecutorConfig,
    GateConfig,
    IntradayConfig,
    LabelConfig,
    PortfolioConfig,
    ReviewConfig,
    RunConfig,
    StatsConfig,
    StressConfig,
    StudentConfig,
    TeacherConfig,
    WindowConfig,
    load_run_config,
)

__all__ = [
    "BREEZE_CALLS_PER_DAY",
    "BREEZE_CALLS_PER_MINUTE",
    "BacktestConfig",
    "DataConfig",
    "ExecutorConfig",
    "GateConfig",
    "IntradayConfig",
    "LabelConfig",
    "PortfolioConfig",
    "ReviewConfig",
    "RunConfig",
    "Settings",
    "StatsConfig",
    "StressConfig",
    "StudentConfig",
    "TeacherConfig",
    "WindowConfig",
    "load_run_config",
    "load_settings",
]

BREEZE_CALLS_PER_MINUTE: Final = 100
"""Breeze's documented per-user limits (ICICI Breeze API documentation)."""
BREEZE_CALLS_PER_DAY: Final = 5000
_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})


class Settings(BaseSettings):
    """Locations of the store, catalog, runs and registry.

    Attributes
    ----------
    home : pathlib.Path
        Root folder for everything SenseQuant writes (default ``./sensequant_home``).
    breeze_api_key, breeze_api_secret, breeze_session_token : pydantic.SecretStr or None
        ICICI Breeze credentials (``SENSEQUANT_BREEZE_API_KEY``, ``..._API_SECRET``,
        ``..._SESSION_TOKEN``). The session token comes from the daily browser login and
        expires at midnight IST. Held as ``SecretStr``: never printed, logged or saved.
    breeze_api_url, breeze_hist_url, breeze_security_master_url : str
        Breeze endpoints (v1 API, v2 historical charts, security-master zip). The defaults are
        ICICI's; tests point them at the local stand-in.
    breeze_calls_per_minute, breeze_calls_per_day : int
        Client-side rate limits, kept below Breeze's 100 calls/min and 5,000 calls/day.
    fetch_deadline_s : float
        Deadline of one provider call in seconds (the Breeze SDK sets no HTTP timeout).
    fetch_max_attempts : int
        Attempts per chunk for transient errors (exponential backoff with jitter between).
    fetch_backoff_max_s : float
        Cap of one backoff wait in seconds.
    """

    model_config = SettingsConfigDict(env_prefix="SENSEQUANT_", env_file=".env", extra="ignore")

    home: Path = Path("sensequant_home")
    breeze_api_key: SecretStr | None = None
    breeze_api_secret: SecretStr | None = None
    breeze_session_token: SecretStr | None = None
    breeze_api_url: str = "https://api.icicidirect.com/breezeapi/api/v1/"
    breeze_hist_url: str = "https://breezeapi.icicidirect.com/api/v2/"
    breeze_security_master_url: str = (
        "https://directlink.icicidirect.com/MotherAppMaster/SecurityMaster.zip"
    )
    breeze_calls_per_minute: int = Field(90, ge=1)
    breeze_calls_per_day: int = Field(4800, ge=1)
    fetch_deadline_s: float = Field(30.0, gt=0)
    fetch_max_attempts: int = Field(5, ge=1)
    fetch_backoff_max_s: float = Field(60.0, ge=0)

    @model_validator(mode="after")
    def _home_is_folder(self) -> Settings:
        """``SENSEQUANT_HOME`` may not exist yet (it is created) but must not be a file."""
        if self.home.exists() and not self.home.is_dir():
            raise ValueError(
                f"SENSEQUANT_HOME {self.home} is a file, not a folder; point it at a folder"
            )
        return self

    @model_validator(mode="after")
    def _breeze_limits(self) -> Settings:
        """Breeze allows 100 calls/min and 5,000/day per user; only a local stand-in (loopback
        URLs, as in the benchmarks) may be called faster."""
        local = all(
            urlsplit(u).hostname in _LOOPBACK for u in (self.breeze_api_url, self.breeze_hist_url)
        )
        if not local and self.breeze_calls_per_minute > BREEZE_CALLS_PER_MINUTE:
            raise ValueError(
                f"SENSEQUANT_BREEZE_CALLS_PER_MINUTE must be at most {BREEZE_CALLS_PER_MINUTE} "
                "(the Breeze limit per user)"
            )
        if not local and self.breeze_calls_per_day > BREEZE_CALLS_PER_DAY:
            raise ValueError(
                f"SENSEQUANT_BREEZE_CALLS_PER_DAY must be at most {BREEZE_CALLS_PER_DAY} "
                "(the Breeze limit per user)"
            )
        return self

    @property
    def store_dir(self) -> Path:
        """Parquet bar store root (``<home>/store``)."""
        return self.home / "store"

    @property
    def catalog_path(self) -> Path:
        """SQLite catalog: symbol master, ingest log, quality findings."""
        return self.home / "catalog.sqlite"

    @property
    def runs_dir(self) -> Path:
        """Run directories (``<home>/runs/<run_id>/``)."""
        return self.home / "runs"

    @property
    def cache_dir(self) -> Path:
        """Provider caches: the Breeze security master (dated), the SDK's own log folder."""
        return self.home / "cache"

    @property
    def reports_dir(self) -> Path:
        """Data reports (``sensequant data audit`` writes ``coverage_report.jsonl`` here)."""
        return self.home / "reports"

    @property
    def registry_path(self) -> Path:
        """SQLite registry of runs and their review events."""
        return self.home / "registry.sqlite"


def load_settings() -> Settings:
    """Read :class:`Settings` from the environment and ``.env``, with a clear error.

    Returns
    -------
    Settings

    Raises
    ------
    ConfigError
        Naming each bad ``SENSEQUANT_*`` variable and what is wrong with it (never its value,
        which may be a credential).
    """
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            (f"SENSEQUANT_{'_'.join(str(x) for x in e['loc']).upper()}: " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(
            f"invalid setting: {problems}",
            hint="fix the environment variable or its line in .env",
        ) from None
