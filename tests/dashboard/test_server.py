"""``sensequant dashboard`` as a server: up within 5 s, on 127.0.0.1 only, every page drawn in
headless Chromium (screenshots), and a run in another process followed live.

Set ``SENSEQUANT_DASHBOARD_SHOTS=/some/folder`` to keep the screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from sensequant.dashboard import list_runs
from sensequant.dashboard.page_live import LIVE_SECTIONS
from sensequant.dashboard.page_run import RUN_SECTIONS
from sensequant.dashboard.pages import COVERAGE_SECTIONS, EVENTS_SECTIONS, RUNS_SECTIONS
from sensequant.settings import Settings
from tests.dashboard.browser import Page, browser, chromium_binary
from tests.dashboard.conftest import DashHome, run_config_yaml

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

SRC = Path(__file__).resolve().parents[2] / "src"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Server:
    port: int
    ready_s: float
    proc: subprocess.Popen[str]
    env: dict[str, str]

    def url(self, query: str) -> str:
        return f"http://127.0.0.1:{self.port}/?{query}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(dash_home: DashHome) -> Iterator[Server]:
    port = _free_port()
    env = {
        **os.environ,
        "SENSEQUANT_HOME": str(dash_home.settings.home),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sensequant", "dashboard", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    ready = None
    while time.monotonic() - t0 < 60 and proc.poll() is None:
        if _answers(port):
            ready = time.monotonic() - t0
            break
        time.sleep(0.05)
    if ready is None:
        proc.kill()
        pytest.fail(f"the dashboard never answered: {proc.communicate()[0][-2000:]}")
    yield Server(port, ready, proc, env)
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_answers_within_5_seconds_of_start(server: Server) -> None:
    assert server.ready_s < 5.0, f"first answer after {server.ready_s:.1f} s"


def _listening(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (Linux /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).is_file():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, _, hex_port = local.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:
                if len(addr) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr)[::-1]))
                else:
                    words = b"".join(bytes.fromhex(addr[i : i + 8])[::-1] for i in range(0, 32, 8))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def test_listens_on_loopback_only(server: Server) -> None:
    if not Path("/proc/net/tcp").is_file():
        pytest.skip("no /proc/net/tcp: cannot list listening sockets here")
    assert _listening(server.port) == {"127.0.0.1"}
    try:  # and a non-loopback address of this machine is refused
        outside = socket.gethostbyname(socket.gethostname())
    except OSError:
        outside = "127.0.0.1"
    if not outside.startswith("127."):
        with pytest.raises(OSError), socket.create_connection((outside, server.port), timeout=2):
            pass


def _check_png(path: Path) -> Path:
    from matplotlib import image

    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    pixels = np.asarray(image.imread(str(path)))[..., :3]
    assert pixels.shape[1] == 1600 and pixels.shape[0] >= 800
    assert pixels.std() > 0.02  # text, tables and charts, not a blank page
    assert (pixels.mean(axis=2) < 0.3).mean() > 0.001  # dark (text) pixels
    return path


def _keep(path: Path) -> None:
    folder = os.environ.get("SENSEQUANT_DASHBOARD_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)


def _charts(page: Page) -> int:
    return int(page.eval("document.querySelectorAll('.js-plotly-plot').length") or 0)


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = chromium_binary()
    if binary is None:
        pytest.skip("Chromium not installed (apt-get install -y chromium)")
    return binary


def test_screenshots_of_every_page(
    server: Server, dash_home: DashHome, chromium: str, tmp_path: Path
) -> None:
    run, killed = dash_home.run_id, dash_home.interrupted_id
    pages = [
        ("runs", "page=runs", (*RUNS_SECTIONS, "candidate", "interrupted"), 0),
        ("run", f"page=run&run={run}", (*RUN_SECTIONS, "Sharpe (net, annualised)", run), 4),
        ("live", f"page=live&run={killed}", (*LIVE_SECTIONS, "interrupted", "teachers"), 0),
        ("coverage", "page=coverage", (*COVERAGE_SECTIONS, "symbols with gaps"), 1),
        ("events", "page=events", (*EVENTS_SECTIONS, "events"), 0),
    ]
    with browser(chromium, tmp_path / "profile") as page:
        for name, query, expect, charts in pages:
            text = page.open(server.url(query), expect)
            assert "Traceback" not in text and "Error" not in text, text[:2000]
            assert _charts(page) >= charts, name
            shot = page.screenshot(tmp_path / f"dashboard_{name}.png")
            _check_png(shot)
            _keep(shot)


def _shown(text: str) -> tuple[str, float | None, int]:
    """(phase, percent of step or None, events) as the live page shows them."""
    phase = re.search(r"phase\n+(\w+)", text)
    percent = re.search(r"percent of step\n+([\d.]+) %", text)
    events = re.search(r"(\d+) events", text)
    assert phase and events, text[:1500]
    return phase.group(1), float(percent.group(1)) if percent else None, int(events.group(1))


def _new_running_run(settings: Settings, before: set[str], run: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        runs = list_runs(settings)
        new = runs[~runs["run_id"].isin(before) & (runs["status"] == "running")]
        if not new.empty:
            return str(new["run_id"].iloc[0])
        time.sleep(0.2)
    pytest.fail("the run never showed as running")


def test_live_page_follows_a_run_in_another_process(
    server: Server, dash_home: DashHome, chromium: str, tmp_path: Path
) -> None:
    settings = dash_home.settings
    before = set(list_runs(settings)["run_id"])
    config = run_config_yaml(tmp_path / "run.yaml")
    run = subprocess.Popen(
        [sys.executable, "-m", "sensequant", "run", "--config", str(config)],
        env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        run_id = _new_running_run(settings, before, run)
        with browser(chromium, tmp_path / "profile") as page:
            page.open(server.url("page=runs"), ("Runs", "running"))
            _keep(_check_png(page.screenshot(tmp_path / "dashboard_runs_running.png")))
            url = server.url(f"page=live&run={run_id}")
            seen = [_shown(page.open(url, ("Recent events", "running")))]
            shot = None
            # no reload from here on: the page re-reads the telemetry by itself
            while run.poll() is None:
                time.sleep(0.5)
                text = str(page.eval("document.body.innerText"))
                if "running" not in text:
                    break
                seen.append(_shown(text))
                if shot is None and 0 < (seen[-1][1] or 0) < 100:  # mid-step: percent, ETA
                    shot = page.screenshot(tmp_path / "dashboard_live_running.png")
            if shot is None:
                shot = page.screenshot(tmp_path / "dashboard_live_running.png")
            _keep(_check_png(shot))
            assert run.wait(timeout=600) == 0, run.stderr.read() if run.stderr else ""
            deadline, text = time.monotonic() + 30, ""
            while "finished" not in text and time.monotonic() < deadline:
                time.sleep(1.0)
                text = str(page.eval("document.body.innerText"))
            assert "finished" in text
        events = [n for _, _, n in seen]
        assert events == sorted(events) and events[-1] > events[0], seen
        assert len({phase for phase, _, _ in seen}) >= 2, seen  # it moved through phases
        runs = list_runs(settings).set_index("run_id")
        assert runs.loc[run_id, "status"] == "candidate"
    finally:
        if run.poll() is None:
            run.terminate()
            run.wait(timeout=30)
