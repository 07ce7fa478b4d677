"""A local stand-in for the ICICI Breeze API: HTTP on 127.0.0.1 for tests and benchmarks.

Serves the security-master zip, ``customerdetails``, historical bars v1 (signed JSON body)
and v2 (query string), and level-1 quotes, with the envelopes, signing checks and failures of
the real API. Bars come from
:func:`sensequant.testing.synthetic.synthetic_bars`, so any chunking of a range returns the same
data. Every order-placing, money-moving or account call (and every POST/PUT/DELETE/PATCH) is
refused with HTTP 403 and recorded in :attr:`BreezeStandIn.forbidden_calls`.

Point the real SDK at it by setting ``config.API_URL = standin.api_url``,
``config.BREEZE_NEW_URL = standin.hist_url`` and ``config.SECURITY_MASTER_URL =
standin.security_master_url``. Run it in its own process with::

    python -m tests.standin --port 0 --fault-rate 0.2 --seed 1

which prints one JSON line (URLs and the fake credentials), serves until SIGTERM/SIGINT and
then prints one JSON line of counters (also served live at ``/__standin__/stats``); see
:func:`tests.standin.cli.main`. The HTTP plumbing lives in
:mod:`tests.standin.httpd`, fault injection in
:mod:`tests.standin.faults`, the served data in
:mod:`tests.standin.master`.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import logging
import runpy
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any, NamedTuple, cast
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from sensequant.types import IST
from tests.standin import faults as sf
from tests.standin.faults import FaultDecider, FaultPlan, envelope
from tests.standin.httpd import StandInHandler, StandInServer
from tests.standin.master import (
    DEFAULT_UNAVAILABLE,
    bar_rows,
    build_instruments,
    customer_details,
    quote_row,
    security_master_zip,
)

__all__ = ["BreezeStandIn", "FaultPlan", "HistoricalRequest"]

log = logging.getLogger(__name__)


class HistoricalRequest(NamedTuple):
    """One historical request answered with ``Status: 200`` (v1 or v2).

    ``interval`` is the v2 name (v1's ``minute``/``day`` become ``1minute``/``1day``);
    ``from_date``/``to_date`` are the strings as received.
    """

    stock_code: str
    interval: str
    from_date: str
    to_date: str


class BreezeStandIn:
    """Local HTTP stand-in for the Breeze API (bound to 127.0.0.1; a context manager).

    Parameters
    ----------
    instruments : Mapping[str, str], optional
        NSE symbol -> ISEC code listed in the security master and served by the historical
        endpoints; default :data:`~tests.standin.master.DEFAULT_INSTRUMENTS`.
    unavailable : Iterable of str, optional
        ISEC codes whose historical calls answer ``Success: []`` (default ADAGRE, IDECEL,
        APLAPO, DIXTEC).
    api_key, api_secret, session_token, user_id : str
        Fake credentials the stand-in accepts (``session_token`` is the browser-login
        ``apisession`` value; ``customerdetails`` answers ``base64(user_id:session_key)``).
    max_rows : int
        Rows per historical answer; a longer range answers its FIRST ``max_rows`` bars.
    faults : FaultPlan, optional
        Failures to inject (default none); replaceable while running via :attr:`faults`.
    port : int
        TCP port; 0 picks a free one.

    Attributes
    ----------
    calls : collections.Counter
        Requests per endpoint (``security_master``, ``customerdetails``, ``historical_v1``,
        ``historical_v2``, ``quotes``, ``forbidden``, ``stats``, ``not_found``) and per fault
        served (``fault:<kind>``).
    requests : int
        Every request received.
    historical_requests : list of HistoricalRequest
        Historical requests answered with ``Status: 200`` (empty answers included).
    forbidden_calls : list of (str, str)
        ``(method, path)`` of every refused order/money/account call; tests assert it is empty.
    """

    def __init__(
        self,
        instruments: Mapping[str, str] | None = None,
        *,
        unavailable: frozenset[str] | set[str] | None = None,
        api_key: str = "standin-api-key",
        api_secret: str = "standin-api-secret-not-real",
        session_token: str = "50123456",
        user_id: str = "STANDINUSER",
        max_rows: int = 1000,
        faults: FaultPlan | None = None,
        port: int = 0,
    ) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be >= 1, got {max_rows}")
        self.instruments = build_instruments(instruments)
        self.unavailable = frozenset(DEFAULT_UNAVAILABLE if unavailable is None else unavailable)
        self.api_key, self.api_secret = api_key, api_secret
        self.session_token, self.user_id = session_token, user_id
        self.session_key = "SK" + hashlib.sha256(session_token.encode()).hexdigest()[:14]
        self.session_header = base64.b64encode(f"{user_id}:{self.session_key}".encode()).decode()
        self.max_rows = max_rows
        self.security_master = security_master_zip(self.instruments)
        self._codes = frozenset(i.isec_code for i in self.instruments)
        self._decider = FaultDecider(faults or FaultPlan())
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._port = port
        self._server: StandInServer | None = None
        self._thread: threading.Thread | None = None
        self.calls: collections.Counter[str] = collections.Counter()
        self.requests = 0
        self.historical_requests: list[HistoricalRequest] = []
        self.forbidden_calls: list[tuple[str, str]] = []

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> BreezeStandIn:
        """Bind 127.0.0.1 and serve in a daemon thread; returns ``self``.

        Raises
        ------
        RuntimeError
            When already started.
        """
        if self._server is not None:
            raise RuntimeError("BreezeStandIn is already running")
        self._stop.clear()
        self._server = StandInServer(self._handle, self._port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="breeze-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping ``slow`` answers and close the socket (idempotent)."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stop.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def __enter__(self) -> BreezeStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (raises RuntimeError before :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("BreezeStandIn is not running; use start() or a with-block")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """v1 base, the SDK's ``config.API_URL`` (ends with ``/``)."""
        return self.base_url + "/breezeapi/api/v1/"

    @property
    def hist_url(self) -> str:
        """v2 base, the SDK's ``config.BREEZE_NEW_URL`` (ends with ``/``)."""
        return self.base_url + "/api/v2/"

    @property
    def security_master_url(self) -> str:
        """The SDK's ``config.SECURITY_MASTER_URL``."""
        return self.base_url + "/MotherAppMaster/SecurityMaster.zip"

    @property
    def stats_url(self) -> str:
        """JSON counters (:meth:`stats`), for a client in another process."""
        return self.base_url + "/__standin__/stats"

    # -- faults ------------------------------------------------------------------------------
    @property
    def faults(self) -> FaultPlan:
        """The fault plan; setting it restarts its counters and random draws."""
        return self._decider.plan

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        decider = FaultDecider(plan)
        decider.carry_forced(self._decider)
        self._decider = decider

    def inject(self, kind: str, count: int = 1) -> None:
        """Force the next ``count`` historical answers to fault ``kind``.

        Parameters
        ----------
        kind : str
            One of :data:`~tests.standin.faults.INJECTABLE_KINDS`.
        count : int
            Number of answers.
        """
        self._decider.inject(kind, count)

    def stats(self) -> dict[str, Any]:
        """Counters as JSON-able data (no credentials)."""
        with self._lock:
            return {
                "requests": self.requests,
                "calls": dict(self.calls),
                "historical_ok": len(self.historical_requests),
                "forbidden_calls": [list(c) for c in self.forbidden_calls],
            }

    # -- request handling ------------------------------------------------------------------
    def _count(self, name: str) -> None:
        with self._lock:
            self.calls[name] += 1

    def _handle(self, h: StandInHandler) -> None:
        raw = h.body()
        path = urlsplit(h.path).path
        with self._lock:
            self.requests += 1
        if sf.is_forbidden(h.command, path):
            with self._lock:
                self.forbidden_calls.append((h.command, path))
                self.calls["forbidden"] += 1
            log.warning("stand-in refused %s %s", h.command, path)
            msg = "Refused: the stand-in serves read-only market data"
            h.send_json(envelope(None, 403, msg), status=403)
            return
        routes = {
            "/MotherAppMaster/SecurityMaster.zip": self._master,
            "/breezeapi/api/v1/customerdetails": self._customer,
            "/breezeapi/api/v1/historicalcharts": self._hist_v1,
            "/breezeapi/api/v1/quotes": self._quotes,
            "/api/v2/historicalcharts": self._hist_v2,
            "/__standin__/stats": self._stats,
        }
        route = routes.get(path.rstrip("/"))
        if route is None:
            self._count("not_found")
            h.send_json(envelope(None, 404, f"No such endpoint {path}"), status=404)
            return
        route(h, raw)

    def _master(self, h: StandInHandler, raw: bytes) -> None:
        self._count("security_master")
        h.send(200, self.security_master, "application/zip")

    def _stats(self, h: StandInHandler, raw: bytes) -> None:
        self._count("stats")
        h.send_json(self.stats())

    def _customer(self, h: StandInHandler, raw: bytes) -> None:
        self._count("customerdetails")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        if not isinstance(body, dict) or body.get("AppKey") != self.api_key:
            return h.send_json(envelope(None, 500, "Public Key does not exist."))
        if body.get("SessionToken") != self.session_token:
            return h.send_json(envelope(None, 500, sf.INVALID_SESSION))
        if self.faults.session_expired:
            return h.send_json(envelope(None, 500, sf.SESSION_EXPIRED))
        success = customer_details(self.user_id, self.session_header)
        h.send_json(envelope(success, 200, None))

    def _signed_body(self, h: StandInHandler, raw: bytes) -> dict[str, Any] | None:
        """The JSON body of a correctly signed v1 call; otherwise answers the error, ``None``."""
        headers = {k.lower(): v for k, v in h.headers.items()}
        keys = {"api_key": self.api_key, "api_secret": self.api_secret}
        error = sf.signature_error(headers, raw, session_header=self.session_header, **keys)
        try:
            body = json.loads(raw) if error is None else None
        except ValueError:
            body = None
        if error is None and not isinstance(body, dict):
            error = "Request body is not a JSON object"
        if error is not None:
            h.send_json(envelope(None, 500, error))
            return None
        return cast(dict[str, Any], body)

    def _hist_v1(self, h: StandInHandler, raw: bytes) -> None:
        self._count("historical_v1")
        body = self._signed_body(h, raw)
        if body is not None:
            interval = sf.V1_INTERVALS.get(str(body.get("interval")), "")
            self._historical(h, body, interval, str(body.get("exchange_code") or ""), as_text=True)

    def _hist_v2(self, h: StandInHandler, raw: bytes) -> None:
        self._count("historical_v2")
        if h.headers.get("apikey") != self.api_key:
            return h.send_json(envelope(None, 500, "Public Key does not exist."))
        if h.headers.get("X-SessionToken") != self.session_header:
            return h.send_json(envelope(None, 500, sf.INVALID_SESSION))
        query = {k: v[-1] for k, v in parse_qs(urlsplit(h.path).query).items()}
        interval = str(query.get("interval", ""))
        interval = interval if interval in sf.V2_INTERVALS else ""
        self._historical(h, query, interval, str(query.get("exch_code") or ""), as_text=False)

    def _historical(
        self,
        h: StandInHandler,
        args: Mapping[str, Any],
        interval: str,
        exchange: str,
        *,
        as_text: bool,
    ) -> None:
        code = str(args.get("stock_code") or "")
        from_s, to_s = str(args.get("from_date") or ""), str(args.get("to_date") or "")
        start, end = sf.parse_breeze_time(from_s), sf.parse_breeze_time(to_s)
        if not interval:
            return h.send_json(envelope(None, 500, f"Unsupported interval {args.get('interval')}"))
        if start is None or end is None:
            msg = "from_date/to_date must be YYYY-MM-DDTHH:MM:SS.000Z (IST wall-clock)"
            return h.send_json(envelope(None, 500, msg))
        if not code:
            return h.send_json(envelope(None, 500, "stock_code cannot be empty"))
        kind, n = self._decider.historical_request()
        if kind is not None:
            self._count(f"fault:{kind}")
            if kind != "slow":
                return self._fault(h, kind, n)
            if self._stop.wait(self.faults.slow_s):  # stopping: do not hold the server up
                return h.reset()
        rows: list[dict[str, Any]] = []
        if code in self._codes and code not in self.unavailable and exchange.upper() == "NSE":
            rows = bar_rows(code, interval, start, end, max_rows=self.max_rows, as_text=as_text)
        with self._lock:
            self.historical_requests.append(HistoricalRequest(code, interval, from_s, to_s))
        h.send_json(envelope(rows, 200, None))

    def _fault(self, h: StandInHandler, kind: str, n: int) -> None:
        answer = sf.fault_response(kind, n)
        if answer is None:
            h.reset()
        else:
            h.send(*answer)

    def _quotes(self, h: StandInHandler, raw: bytes) -> None:
        self._count("quotes")
        body = self._signed_body(h, raw)
        if body is None:
            return
        kind = self._decider.data_request()
        if kind is not None:
            self._count(f"fault:{kind}")
            return self._fault(h, kind, 0)
        code, exchange = str(body.get("stock_code") or ""), str(body.get("exchange_code") or "")
        if code not in self._codes or exchange.upper() != "NSE":
            return h.send_json(envelope([], 200, None))
        h.send_json(envelope([quote_row(code, pd.Timestamp.now(IST).normalize())], 200, None))


if __name__ == "__main__":  # python -m tests.standin.server
    # run the CLI module as __main__ (no import back into tests.standin.cli: no import cycle)
    runpy.run_module("tests.standin.cli", run_name="__main__", alter_sys=True)
