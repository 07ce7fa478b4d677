"""HTTP plumbing of the Breeze stand-in: a threaded server on 127.0.0.1 and its handler.

Every request, whatever its method, goes to one ``dispatch(handler)`` callable
(:meth:`tests.standin.server.BreezeStandIn._handle`), which reads the body and
answers through :meth:`StandInHandler.send`, :meth:`StandInHandler.send_json` or
:meth:`StandInHandler.reset`.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

__all__ = ["StandInHandler", "StandInServer"]

log = logging.getLogger("tests.standin.server")


class StandInServer(ThreadingHTTPServer):
    """A threaded HTTP server bound to ``127.0.0.1:port`` (0 = a free port).

    Parameters
    ----------
    dispatch : callable
        ``dispatch(handler)`` answers one request.
    port : int
        TCP port.
    """

    daemon_threads = True
    block_on_close = False

    def __init__(self, dispatch: Callable[[StandInHandler], None], port: int) -> None:
        self.dispatch = dispatch
        super().__init__(("127.0.0.1", port), StandInHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a failed answer at debug level (a client that gave up is routine)."""
        log.debug("stand-in: error while answering %s", client_address, exc_info=True)


class StandInHandler(BaseHTTPRequestHandler):
    """One request: GET, POST, PUT, DELETE and PATCH all go to the server's ``dispatch``."""

    protocol_version = "HTTP/1.0"
    server_version = "BreezeStandIn/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Access log at debug level (quiet tests)."""
        log.debug("stand-in: " + format, *args)

    def do_GET(self) -> None:
        """Dispatch the request."""
        cast(StandInServer, self.server).dispatch(self)

    def do_POST(self) -> None:
        """Dispatch the request."""
        self.do_GET()

    def do_PUT(self) -> None:
        """Dispatch the request."""
        self.do_GET()

    def do_DELETE(self) -> None:
        """Dispatch the request."""
        self.do_GET()

    def do_PATCH(self) -> None:
        """Dispatch the request."""
        self.do_GET()

    def body(self) -> bytes:
        """The request body (``Content-Length`` bytes; empty without one)."""
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status: int, payload: bytes, content_type: str) -> None:
        """Answer ``status`` with ``payload`` (a client that hung up is ignored)."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (deadline)
            self.close_connection = True

    def send_json(self, obj: Any, status: int = 200) -> None:
        """Answer ``obj`` as JSON."""
        self.send(status, json.dumps(obj).encode(), "application/json; charset=utf-8")

    def reset(self) -> None:
        """Close the connection with a TCP RST and no answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
