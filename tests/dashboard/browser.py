"""Headless Chromium driven over the DevTools protocol: open a page, wait for it, screenshot it.

A Streamlit page is drawn by JavaScript over a websocket after the load event, so Chromium's
``--screenshot`` flag (used for the static HTML report) catches an empty page. Here the page is
opened in a Chromium started with ``--remote-debugging-port``, polled until Streamlit has
finished running the script and the expected text shows, then captured at its full height.
The websocket client is ``websockets`` (a Streamlit dependency).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--remote-debugging-port=0", "--remote-allow-origins=*",
)  # fmt: skip
# Streamlit shows this widget while the script runs; the page is done when it is gone
_BUSY = "document.querySelector('[data-testid=\"stStatusWidget\"]') !== null"
_TEXT = "document.body ? document.body.innerText : ''"
_HEIGHT = (
    "Math.max(document.body.scrollHeight, ...Array.from("
    "document.querySelectorAll('[data-testid=\"stMain\"], section.main, .main'), "
    "e => e.scrollHeight))"
)


def chromium_binary() -> str | None:
    """Path of a Chromium binary, or None."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


class Page:
    """One browser tab over a DevTools websocket."""

    def __init__(self, ws: ClientConnection, width: int) -> None:
        self.ws = ws
        self.width = width
        self._ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a DevTools command and return its result (events in between are skipped)."""
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv(timeout=60))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))

    def eval(self, expression: str) -> Any:
        """Evaluate a JavaScript expression in the page; its value."""
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return res.get("result", {}).get("value")

    def open(self, url: str, expect: tuple[str, ...], timeout_s: float = 60.0) -> str:
        """Navigate and wait until Streamlit is idle and every ``expect`` text shows.

        Returns the page's visible text. Raises AssertionError naming what never showed.
        """
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=self.width, height=1200, deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout_s
        text, idle_since = "", None
        while time.monotonic() < deadline:
            time.sleep(0.5)
            text = self.eval(_TEXT) or ""
            ready = all(e in text for e in expect) and not self.eval(_BUSY)
            if not ready:
                idle_since = None
                continue
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= 1.5:  # charts drawn, layout settled
                return str(text)
        missing = [e for e in expect if e not in text]
        raise AssertionError(f"{url}: never showed {missing}; page text: {text[:1500]!r}")

    def screenshot(self, path: Path) -> Path:
        """Save the whole page (its full scroll height) as a PNG."""
        height = int(self.eval(_HEIGHT) or 1000) + 80
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=self.width, height=height, deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        time.sleep(1.5)  # re-layout at the new size
        # the viewport is already the page's height; capturing "beyond" it draws the fixed
        # sidebar shifted
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        path.write_bytes(base64.b64decode(data["data"]))
        return path


@contextmanager
def browser(binary: str, profile: Path, width: int = 1600) -> Iterator[Page]:
    """Start headless Chromium and yield its first tab (closed afterwards)."""
    proc = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},1200",
         "about:blank"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            port = int(found.group(1)) if found else None
        assert port is not None, "Chromium did not open its DevTools port"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = json.load(r)
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        with connect(ws_url, max_size=None, open_timeout=10) as ws:
            page = Page(ws, width)
            page.call("Page.enable")
            yield page
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
