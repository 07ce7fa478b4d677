"""``sensequant dashboard``: serve the Streamlit dashboard on 127.0.0.1 only.

Registered by :mod:`sensequant.cli.main`. It starts ``streamlit run`` on the dashboard's entry
script (located by path: ``cli`` and ``dashboard`` are sibling layers and do not import each
other) with ``--server.address 127.0.0.1`` given explicitly, which overrides any Streamlit
configuration file or ``STREAMLIT_SERVER_ADDRESS``. Any other address is refused: the
dashboard can approve and reject runs, so it is never exposed on a network (view it from
another machine through an SSH tunnel). Exit code: Streamlit's, 130 on Ctrl-C, 2 for a refused
address.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Final

import typer

from sensequant.cli.common import err, guard
from sensequant.errors import UsageError

__all__ = ["ADDRESS", "dashboard", "dashboard_command", "entry_script"]

ADDRESS: Final = "127.0.0.1"
"""The only address the dashboard listens on."""


def entry_script() -> Path:
    """The Streamlit entry script, ``sensequant/dashboard/script/app.py`` (by path)."""
    return Path(__file__).resolve().parents[1] / "dashboard" / "script" / "app.py"


def dashboard_command(port: int) -> list[str]:
    """The ``streamlit run`` command line serving the dashboard on ``127.0.0.1:port``.

    Headless (no browser opened), no usage statistics sent, no file watcher, not in
    Streamlit's development mode, the toolbar without its deploy button.
    """
    return [
        sys.executable, "-m", "streamlit", "run", str(entry_script()),
        "--server.address", ADDRESS,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "viewer",
    ]  # fmt: skip


@guard
def dashboard(
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8501,
    address: Annotated[
        str, typer.Option(help="Listen address: 127.0.0.1 only (others are refused).")
    ] = ADDRESS,
) -> None:
    """Serve the dashboard (runs, run evidence, live progress, data coverage, registry events)
    at http://127.0.0.1:PORT; Ctrl-C stops it."""
    if address != ADDRESS:
        raise UsageError(
            f"the dashboard listens on {ADDRESS} only, not {address!r}: it can approve and "
            "reject runs",
            hint=f"from another machine use an SSH tunnel: ssh -L {port}:{ADDRESS}:{port} HOST",
        )
    if importlib.util.find_spec("streamlit") is None:
        raise UsageError(
            "streamlit is not installed", hint="pip install streamlit (a SenseQuant dependency)"
        )
    err.print(f"SenseQuant dashboard: http://{ADDRESS}:{port}  (Ctrl-C stops it)", highlight=False)
    raise typer.Exit(_serve(dashboard_command(port)))


def _serve(command: list[str]) -> int:
    """Run the server until it exits; SIGTERM or Ctrl-C here stop it too (no orphan server)."""
    proc = subprocess.Popen(command)

    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        return proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
