"""ICICI Breeze provider: historical bars through the official SDK, read-only.

One :meth:`BreezeProvider.fetch_bars` call is one SDK call (v2 historical charts, v1 as a
fallback) run in a worker thread under a deadline; its answer is classified into
:mod:`sensequant.errors` (:mod:`~sensequant.data.providers.breeze.errors`) so the fetcher
knows whether to retry, wait, stop or skip. The SDK
is reached only through :class:`~sensequant.data.providers.breeze.sdk.BreezeReadOnly`
(market-data methods only). Every text built from SDK or HTTP output passes through a
redaction guard, so the API key, secret and session token never reach a log or an error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, Final, TypeVar

import pandas as pd

from sensequant.data.catalog import SymbolInfo
from sensequant.data.market import to_ist
from sensequant.data.providers.base import ProviderInfo, empty_bars
from sensequant.data.providers.breeze.errors import (
    SESSION_HINT,
    UnclassifiedError,
    answer_rows,
    classify_exception,
)
from sensequant.data.providers.breeze.sdk import BreezeReadOnly, load_sdk, redact
from sensequant.data.providers.breeze.secmaster import SecurityMaster
from sensequant.errors import ConfigError, ProviderError, TransientProviderError
from sensequant.settings import Settings
from sensequant.types import BAR_COLUMNS, IST

__all__ = ["BreezeProvider"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

_NAME: Final = "breeze"
_ENV_VARS: Final = {
    "breeze_api_key": "SENSEQUANT_BREEZE_API_KEY",
    "breeze_api_secret": "SENSEQUANT_BREEZE_API_SECRET",
    "breeze_session_token": "SENSEQUANT_BREEZE_SESSION_TOKEN",
}


def _wire(ts: pd.Timestamp) -> str:
    """IST wall-clock with Breeze's misleading ``Z`` (the API reads it as IST)."""
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class BreezeProvider:
    """Historical NSE bars from ICICI Breeze (implements ``BarProvider``).

    Parameters
    ----------
    settings : Settings
        Credentials (``breeze_api_key``/``_api_secret``/``_session_token``), endpoints,
        ``fetch_deadline_s`` (per-call deadline, seconds), call budgets.
    master : SecurityMaster, optional
        Symbol -> ISEC code table; default: :meth:`SecurityMaster.load` on first use.
    sdk_factory : callable, optional
        ``factory(api_key) -> SDK instance``; default: the real ``BreezeConnect`` class
        (imported lazily by :func:`~sensequant.data.providers.breeze.sdk.load_sdk`). Tests
        pass an in-process fake.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        master: SecurityMaster | None = None,
        sdk_factory: Callable[[str], Any] | None = None,
    ) -> None:
        self._settings = settings
        self._master = master
        self._factory = sdk_factory
        self._client: BreezeReadOnly | None = None
        self._hidden: frozenset[str] = frozenset()
        self._lock = threading.RLock()
        self._info = ProviderInfo(
            name=_NAME,
            intervals=("1day", "30minute", "5minute", "1minute"),
            max_bars_per_call=1000,
            calls_per_minute=settings.breeze_calls_per_minute,
            calls_per_day=settings.breeze_calls_per_day,
            adjusted=False,
        )

    def __repr__(self) -> str:
        return f"BreezeProvider(api={self._settings.breeze_api_url!r})"

    # ------------------------------------------------------------------ public
    @property
    def info(self) -> ProviderInfo:
        """Breeze: 4 intervals, 1000 bars per call, client budgets from settings, unadjusted."""
        return self._info

    @property
    def master(self) -> SecurityMaster:
        """The security master (loaded and cached on first use)."""
        with self._lock:
            if self._master is None:
                self._master = SecurityMaster.load(self._settings)
            return self._master

    def check_symbol(self, symbol: str) -> None:
        """Validate ``symbol`` against the security master (no API call).

        Raises
        ------
        UnknownInstrumentError
            Not an ``EQ`` instrument of the master (the message names the master's date).
        """
        self.master.isec_code(symbol)

    def symbol_infos(self, symbols: Sequence[str]) -> list[SymbolInfo]:
        """Symbol-master rows from the security master (no API call).

        ``sensequant data fetch`` upserts them into the catalog before fetching.

        Parameters
        ----------
        symbols : sequence of str
            NSE symbols; those absent from the security master are left out.

        Returns
        -------
        list of SymbolInfo
            ISEC code, ISIN, company name, listing date (unknown fields ``None``), in the
            order given.

        Raises
        ------
        ProviderUnavailableError
            The security master can be neither downloaded nor read from the cache.
        """
        return self.master.symbol_infos(symbols)

    def fetch_bars(
        self, symbol: str, interval: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """Bars of ``symbol`` whose START lies in ``[start, end]`` (one SDK call, or two).

        Parameters
        ----------
        symbol : str
            NSE symbol (``RELIANCE``, ``NIFTY 50``).
        interval : str
            ``1day``, ``30minute``, ``5minute`` or ``1minute``.
        start, end : pandas.Timestamp
            Range (naive = IST). Sent as IST wall-clock; ``1day`` covers whole days.

        Returns
        -------
        pandas.DataFrame
            ``timestamp`` (Asia/Kolkata, bar start; daily at 00:00), ``open``, ``high``,
            ``low``, ``close`` (rupees), ``volume`` (shares), float64, ascending, unique
            timestamps; at most 1000 rows (a 1000-row answer may be truncated).

        Raises
        ------
        UnknownInstrumentError
            Symbol not in the security master.
        SessionExpiredError
            No valid session (expired/invalid token, wrong API key).
        RateLimitError
            Per-minute limit; ``retry_after_s`` = seconds to the next clock minute + 1.
        DailyLimitError
            Daily limit spent: stop, resume tomorrow.
        TransientProviderError
            Deadline passed, connection failed, HTML maintenance page, intermittent errors.
        ProviderError
            Any other failure of both v2 and the v1 fallback.
        ConfigError
            Unknown interval or missing credentials.
        """
        if interval not in self._info.intervals:
            raise ConfigError(
                f"interval {interval!r} is not served by breeze",
                hint=f"use one of {', '.join(self._info.intervals)}",
            )
        code = self.master.isec_code(symbol)
        lo, hi = to_ist(start), to_ist(end)
        if interval == "1day":
            lo = lo.normalize()
            hi = hi.normalize() + pd.Timedelta(hours=23, minutes=59, seconds=59)
        args = {
            "interval": interval,
            "from_date": _wire(lo),
            "to_date": _wire(hi),
            "stock_code": code,
            "exchange_code": "NSE",
            "product_type": "cash",
        }
        what = f"{symbol} ({code}) {interval} {lo:%Y-%m-%d %H:%M}..{hi:%Y-%m-%d %H:%M}"
        client = self._session()
        try:
            rows = self._rows(client.get_historical_data_v2, args, what, "get_historical_data_v2")
        except UnclassifiedError as exc:
            logger.warning(
                "breeze: historical v2 failed for %s (%s); falling back to v1", what, exc.message
            )
            rows = None
        if rows is None:
            try:
                rows = self._rows(client.get_historical_data, args, what, "get_historical_data")
            except UnclassifiedError as exc:
                raise ProviderError(
                    f"breeze: historical v2 and v1 both failed for {what}: {exc.message}",
                    hint="check the symbol/interval; report the message if it persists",
                    provider=_NAME,
                ) from None
        return self._frame(rows, interval, lo, hi, what)

    def quote(self, symbol: str) -> dict[str, Any]:
        """Level-1 NSE quote (best bid/offer, LTP, day OHLC) of ``symbol``.

        Returns
        -------
        dict
            The NSE row of Breeze's ``get_quotes`` answer (prices in rupees, as sent).

        Raises
        ------
        UnknownInstrumentError, SessionExpiredError, RateLimitError, DailyLimitError,
        TransientProviderError, ProviderError
            As for :meth:`fetch_bars`.
        """
        code = self.master.isec_code(symbol)
        client = self._session()
        args = {"stock_code": code, "exchange_code": "NSE", "product_type": "cash"}
        try:
            rows = self._rows(client.get_quotes, args, f"{symbol} ({code})", "get_quotes")
        except UnclassifiedError as exc:
            raise ProviderError(exc.message, hint=exc.hint, provider=_NAME) from None
        dict_rows = [r for r in rows if isinstance(r, Mapping)]
        nse = [r for r in dict_rows if str(r.get("exchange_code", "")).upper() == "NSE"]
        if not (nse or dict_rows):
            raise ProviderError(
                f"breeze: no quote for {symbol} ({code})", hint="retry later", provider=_NAME
            )
        return dict((nse or dict_rows)[0])

    def close(self) -> None:
        """Forget the session (idempotent; a later call creates a new one)."""
        with self._lock:
            self._client = None

    # --------------------------------------------------------------- session
    def _secrets(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for field in _ENV_VARS:
            secret = getattr(self._settings, field)
            value = secret.get_secret_value() if secret is not None else ""
            if value.strip():
                values[field] = value.strip()
        return values

    def _redact(self, text: str) -> str:
        return redact(text, self._hidden | set(self._secrets().values()))

    def _session(self) -> BreezeReadOnly:
        with self._lock:
            if self._client is not None:
                return self._client
            creds = self._secrets()
            missing = [env for field, env in _ENV_VARS.items() if field not in creds]
            if missing:
                raise ConfigError(
                    f"Breeze credentials missing: set {', '.join(missing)} (environment or .env)",
                    hint=SESSION_HINT,
                )
            factory = self._factory
            if factory is None:
                factory = load_sdk(self._settings)  # re-applies the endpoint URLs every time
            client = BreezeReadOnly(factory(creds["breeze_api_key"]))
            self._hidden = frozenset(creds.values())
            hidden = self._call(
                "generate_session",
                lambda: client.generate_session(
                    creds["breeze_api_secret"], creds["breeze_session_token"]
                ),
                "generate_session",
            )
            self._hidden = self._hidden | hidden
            self._client = client
            return client

    # ----------------------------------------------------------------- calls
    def _call(self, method: str, fn: Callable[[], T], what: str) -> T:
        """Run ``fn`` in a daemon thread under the deadline; classify what it raises."""
        deadline = self._settings.fetch_deadline_s
        future: Future[T] = Future()

        def target() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        # A daemon thread, not an executor: the SDK sets no HTTP timeout, and a hung call
        # must neither block the next one nor keep the interpreter from exiting.
        threading.Thread(target=target, name=f"breeze-{method}", daemon=True).start()
        error: ProviderError
        try:
            return future.result(timeout=deadline)
        except TimeoutError:
            error = TransientProviderError(
                f"breeze {method} for {what} gave no answer within {deadline:g} s",
                hint="the API is slow or unreachable; the fetch retries it "
                "(raise SENSEQUANT_FETCH_DEADLINE_S if it keeps happening)",
                provider=_NAME,
            )
        except Exception as exc:
            error = classify_exception(exc, method, what, self._redact)
        raise error

    def _rows(
        self, fn: Callable[..., Any], args: Mapping[str, str], what: str, method: str
    ) -> list[Any]:
        answer = self._call(method, lambda: fn(**args), what)
        return answer_rows(answer, method, what, self._redact)

    # ---------------------------------------------------------------- frames
    def _frame(
        self, rows: list[Any], interval: str, lo: pd.Timestamp, hi: pd.Timestamp, what: str
    ) -> pd.DataFrame:
        records = [r for r in rows if isinstance(r, Mapping)]
        if not records:
            return empty_bars()
        raw = pd.DataFrame.from_records(records)
        missing = [c for c in ("datetime", "open", "high", "low", "close") if c not in raw]
        if missing:
            raise ProviderError(
                f"breeze answer for {what} lacks fields {missing} "
                f"(has {sorted(map(str, raw.columns))})",
                hint="the API's row layout changed; report it",
                provider=_NAME,
            )
        stamps = pd.to_datetime(raw["datetime"], errors="coerce")
        if stamps.isna().any():  # not one format throughout: parse each value on its own
            stamps = pd.to_datetime(raw["datetime"], errors="coerce", format="mixed")
        if stamps.isna().any():
            bad = raw["datetime"][stamps.isna()].iloc[0]
            raise ProviderError(
                f"breeze answer for {what} has an unreadable datetime {self._redact(str(bad))!r}",
                hint="report it; the chunk is retried on the next fetch",
                provider=_NAME,
            )
        zone = stamps.dt.tz
        stamps = stamps.dt.tz_localize(IST) if zone is None else stamps.dt.tz_convert(IST)
        if interval == "1day":
            stamps = stamps.dt.normalize()
        frame = pd.DataFrame({"timestamp": stamps.astype(pd.DatetimeTZDtype(unit="ns", tz=IST))})
        for col in BAR_COLUMNS[1:]:
            values = raw[col] if col in raw else pd.Series(0.0, index=raw.index)
            frame[col] = pd.to_numeric(values, errors="coerce").astype("float64")
        frame = frame[(frame["timestamp"] >= lo) & (frame["timestamp"] <= hi)]
        frame = frame.sort_values("timestamp", kind="stable")
        frame = frame.drop_duplicates("timestamp", keep="last").reset_index(drop=True)
        return frame[list(BAR_COLUMNS)]
