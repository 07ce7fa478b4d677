"""Command line of the Breeze stand-in: serve it in its own process until SIGTERM/SIGINT.

``python -m tests.standin`` (from the repository root; or ``python -m tests.standin.cli``)
runs :func:`main`; benchmarks and kill-and-restart tests use it to put the stand-in in
another process than the fetch.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from types import FrameType

from tests.standin import faults as sf
from tests.standin.faults import FaultPlan
from tests.standin.server import BreezeStandIn

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Serve a stand-in until SIGTERM/SIGINT (``python -m tests.standin``).

    Prints one JSON line ``{"base_url", "api_url", "hist_url", "security_master_url",
    "stats_url", "api_key", "api_secret", "session_token", "user_id", "pid"}`` (fake test
    credentials) when ready, and one line ``{"stats": ...}`` when stopped.

    Returns
    -------
    int
        0.
    """
    p = argparse.ArgumentParser(description="Local stand-in for the ICICI Breeze API")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fault-rate", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kinds", default=",".join(sf.TRANSIENT_KINDS))
    p.add_argument("--slow-s", type=float, default=2.0)
    p.add_argument("--minute-limit-every", type=int, default=None)
    p.add_argument("--minute-cap", type=int, default=None)
    p.add_argument("--day-limit-after", type=int, default=None)
    p.add_argument("--max-rows", type=int, default=1000)
    a = p.parse_args(argv)
    plan = FaultPlan(
        transient_rate=a.fault_rate,
        kinds=tuple(k for k in a.kinds.split(",") if k),
        slow_s=a.slow_s,
        seed=a.seed,
        minute_limit_every=a.minute_limit_every,
        minute_cap=a.minute_cap,
        day_limit_after=a.day_limit_after,
    )
    done = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with BreezeStandIn(faults=plan, max_rows=a.max_rows, port=a.port) as s:
        info = {
            "base_url": s.base_url,
            "api_url": s.api_url,
            "hist_url": s.hist_url,
            "security_master_url": s.security_master_url,
            "stats_url": s.stats_url,
            "api_key": s.api_key,
            "api_secret": s.api_secret,
            "session_token": s.session_token,
            "user_id": s.user_id,
            "pid": os.getpid(),
        }
        print(json.dumps(info), flush=True)
        while not done.wait(0.5):
            pass
        print(json.dumps({"stats": s.stats()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
