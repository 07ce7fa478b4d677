"""Benchmark: the issue's fault-injection acceptance for ``sensequant data fetch``, measured.

Every fetch is a real ``python -m sensequant data fetch --provider breeze`` subprocess (the
REAL breeze-connect SDK) against a Breeze stand-in subprocess (``python -m tests.standin``,
run from the repository root), each with its own fresh SENSEQUANT_HOME:

(a) reference: a fault-free fetch of ``--symbols`` symbols x ``--years`` years of 5-minute bars;
(b) faults: the same fetch against a stand-in injecting ``--fault-rate`` transient faults
    (HTML 5xx pages, ``Invalid User Details``, ``T2:155``, connection resets, short slow
    answers); every series' :meth:`BarStore.fingerprint` must equal (a)'s;
(c) kill/restart: a fresh home whose fetch is SIGKILLed at ``--kills`` seeded random points
    (after a random number of historical requests, plus a random delay of up to 0.25 s so
    kills also land in parsing and store writes) and restarted each time, then run to the
    end: same fingerprints, every Parquet file readable, no temp file left, catalog intact;
(d) no-op: a second fetch into the homes of (b) and (c): exit 0 and zero historical requests
    at the stand-in;
(e) ``forbidden_calls`` of every stand-in is empty.

The three fetches (a), (b), (c) run at the same time (separate stand-ins and homes): each is
bound by the client-side rate limiter, not by CPU. At the real API's 100 calls/min (the
default here), ~570 calls (10 x 3 years) take at least ~5 minutes whatever the machine
(measured: 7 min wall for the whole benchmark on 2 cores, ~35 % CPU). Settings accept a
higher ``SENSEQUANT_BREEZE_CALLS_PER_MINUTE`` only for loopback URLs, so
``--calls-per-minute 3000`` measures the pipeline itself against the stand-in. A restarted
process starts with a fresh per-minute budget (the limiter is per process), so step (c) can
exceed 100 calls in a minute; ``--minute-cap 100`` makes the stand-ins enforce the real
API's limit server-side (measured before the limiter's 1 s jitter margin: 12.7 min, with 3
per-minute limit answers in the fault-free fetch). Exit status 0 when every check passes, 1
otherwise.

Run with::

    .venv/bin/python benchmarks/bench_fetch.py [--symbols 10] [--years 3] [--kills 10]
        [--fault-rate 0.2] [--seed 1] [--end 2024-12-31] [--minute-cap N] [--keep DIR]

``--symbols 2 --years 1 --kills 3`` runs in ~35 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import selectors
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from sensequant.data.store import BarStore

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the stand-in is test support in tests/standin, not installed
from tests.standin.master import DEFAULT_INSTRUMENTS, DEFAULT_UNAVAILABLE  # noqa: E402

INTERVAL = "5minute"
FAULT_KINDS = "http_500_html,invalid_user,t2_155,reset,slow"
SLOW_S = 0.2
SYMBOLS = [
    s
    for s, code in DEFAULT_INSTRUMENTS.items()
    if code not in DEFAULT_UNAVAILABLE and not s.startswith("NIFTY ")
]
"""Stand-in symbols with bars, in the stand-in's order (RELIANCE, TATASTEEL, SBIN ...)."""


class StandIn:
    """A Breeze stand-in subprocess; ``info`` is its start-up JSON line."""

    def __init__(self, fault_rate: float, seed: int, minute_cap: int | None = None) -> None:
        cmd = [sys.executable, "-m", "tests.standin.server", "--port", "0"]
        cmd += ["--fault-rate", str(fault_rate), "--seed", str(seed)]
        cmd += ["--kinds", FAULT_KINDS, "--slow-s", str(SLOW_S)]
        if minute_cap is not None:
            cmd += ["--minute-cap", str(minute_cap)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=60):
            self.proc.kill()
            raise RuntimeError("the Breeze stand-in did not start within 60 s")
        self.info: dict[str, Any] = json.loads(self.proc.stdout.readline())
        self.final: dict[str, Any] = {}

    def stats(self) -> dict[str, Any]:
        """Live counters from ``/__standin__/stats``."""
        with urllib.request.urlopen(self.info["stats_url"], timeout=10) as resp:
            return dict(json.loads(resp.read()))

    def historical(self) -> int:
        """Historical requests received (faulted ones included)."""
        calls = self.stats()["calls"]
        return int(calls.get("historical_v1", 0) + calls.get("historical_v2", 0))

    def stop(self) -> dict[str, Any]:
        """SIGTERM; return the final ``stats`` line."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        for line in out.splitlines():
            if line.startswith('{"stats"'):
                self.final = json.loads(line)["stats"]
        return self.final

    def env(self, home: Path, calls_per_minute: int) -> dict[str, str]:
        """Environment of a fetch against this stand-in into ``home``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENSEQUANT_")}
        env.update(
            SENSEQUANT_HOME=str(home),
            SENSEQUANT_BREEZE_API_KEY=self.info["api_key"],
            SENSEQUANT_BREEZE_API_SECRET=self.info["api_secret"],
            SENSEQUANT_BREEZE_SESSION_TOKEN=self.info["session_token"],
            SENSEQUANT_BREEZE_API_URL=self.info["api_url"],
            SENSEQUANT_BREEZE_HIST_URL=self.info["hist_url"],
            SENSEQUANT_BREEZE_SECURITY_MASTER_URL=self.info["security_master_url"],
            SENSEQUANT_BREEZE_CALLS_PER_MINUTE=str(calls_per_minute),
            SENSEQUANT_BREEZE_CALLS_PER_DAY="5000",
            SENSEQUANT_FETCH_MAX_ATTEMPTS="12",
            SENSEQUANT_FETCH_BACKOFF_MAX_S="4",
            SENSEQUANT_FETCH_DEADLINE_S="20",
            COLUMNS="160",
        )
        return env


@dataclasses.dataclass
class Step:
    """Figures of one benchmark step."""

    name: str
    wall_s: float = 0.0
    historical: int = 0
    faults: int = 0
    retries: int = 0
    bars: int = 0
    rc: list[int] = dataclasses.field(default_factory=list)
    fingerprints: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)


class Bench:
    """Holds the arguments and runs the steps."""

    def __init__(self, args: argparse.Namespace, root: Path) -> None:
        self.args, self.root = args, root
        self.symbols = SYMBOLS[: args.symbols]
        end = dt.date.fromisoformat(args.end)
        start = end.replace(year=end.year - args.years) + dt.timedelta(days=1)
        self.window = ["--start", start.isoformat(), "--end", end.isoformat()]
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()

    def fetch_cmd(self, *extra: str) -> list[str]:
        cmd = [sys.executable, "-m", "sensequant", "data", "fetch", "--provider", "breeze"]
        cmd += ["--symbols", ",".join(self.symbols), "--interval", INTERVAL, *self.window]
        return [*cmd, "--json", *extra]

    def log(self, text: str) -> None:
        with self.lock:
            print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def run_fetch(self, standin: StandIn, home: Path, step: Step) -> dict[str, Any]:
        """One fetch to its end; its ``--json`` report (empty if none was printed)."""
        env = standin.env(home, self.args.calls_per_minute)
        proc = subprocess.run(
            self.fetch_cmd(), env=env, cwd=home.parent, capture_output=True, text=True
        )
        step.rc.append(proc.returncode)
        try:
            report: dict[str, Any] = json.loads(proc.stdout)
        except ValueError:
            report = {}
        step.retries += int(report.get("retries", 0))
        if proc.returncode != 0:
            step.notes.append(f"exit {proc.returncode}: {proc.stderr.strip()[-400:]}")
        return report

    def measure(self, standin: StandIn, home: Path, step: Step, fn: Any) -> None:
        before = standin.stats()["calls"]
        t0 = time.perf_counter()
        fn()
        step.wall_s = time.perf_counter() - t0
        after = standin.stats()["calls"]

        def delta(pred: Any) -> int:
            return sum(v - before.get(k, 0) for k, v in after.items() if pred(k))

        step.historical = delta(lambda k: k.startswith("historical_"))
        step.faults = delta(lambda k: k.startswith("fault:"))
        step.fingerprints = fingerprints(home, self.symbols)
        store = BarStore(home / "store")
        step.bars = sum(store.fingerprint(s, INTERVAL).bars for s in store.symbols(INTERVAL))

    def plan_calls(self, standin: StandIn) -> int:
        """Chunks of the whole fetch (``--dry-run``, no provider call)."""
        home = self.root / "plan" / "home"
        home.mkdir(parents=True)
        env = standin.env(home, self.args.calls_per_minute)
        out = subprocess.run(
            self.fetch_cmd("--dry-run"), env=env, cwd=home.parent, capture_output=True, text=True
        )
        if out.returncode != 0:
            raise RuntimeError(f"the dry run failed (exit {out.returncode}): {out.stderr.strip()}")
        return int(json.loads(out.stdout)["chunks"])

    def kill_restart(self, standin: StandIn, home: Path, step: Step, expected: int) -> None:
        """SIGKILL the fetch at ``--kills`` seeded points, restart each time, then finish."""
        base = standin.historical()
        span = max(int(expected * 0.9), self.args.kills + 1)
        targets = sorted(self.rng.sample(range(1, span), self.args.kills))
        delays = [self.rng.uniform(0.0, 0.25) for _ in targets]
        env = standin.env(home, self.args.calls_per_minute)
        for i, (target, delay) in enumerate(zip(targets, delays, strict=True), 1):
            proc = subprocess.Popen(
                self.fetch_cmd(),
                env=env,
                cwd=home.parent,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            while proc.poll() is None and standin.historical() - base < target:
                time.sleep(0.02)
            time.sleep(delay)
            if proc.poll() is not None:
                step.notes.append(f"run {i} ended (exit {proc.returncode}) before its kill")
                step.rc.append(int(proc.returncode))
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            self.log(f"(c) kill {i}/{len(targets)} after {standin.historical() - base} requests")
        self.run_fetch(standin, home, step)


def fingerprints(home: Path, symbols: list[str]) -> dict[str, str]:
    """``symbol -> sha256`` of every stored series (``MISSING`` when not stored)."""
    store = BarStore(home / "store")
    return {
        s: store.fingerprint(s, INTERVAL).sha256 if store.exists(s, INTERVAL) else "MISSING"
        for s in symbols
    }


def torn_files(home: Path) -> list[str]:
    """Problems on disk: unreadable Parquet, temp files, a damaged catalog."""
    problems: list[str] = []
    for path in sorted((home / "store").rglob("*.parquet")):
        try:
            pq.read_table(path)
        except Exception as exc:
            problems.append(f"{path.name}: unreadable ({type(exc).__name__})")
    for path in home.rglob("*"):
        if path.name.endswith(".tmp") or path.name.startswith(".tmp"):
            problems.append(f"temp file left: {path.relative_to(home)}")
    con = sqlite3.connect(home / "catalog.sqlite")
    try:
        verdict = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    if verdict != "ok":
        problems.append(f"catalog.sqlite: {verdict}")
    return problems


def _row(step: Step) -> str:
    busy = step.historical > 0 and step.wall_s > 0
    rate = f"{step.bars / step.wall_s:,.0f}" if busy else "-"
    cpm = f"{step.historical / (step.wall_s / 60):.1f}" if busy else "-"
    rcs = ",".join(str(r) for r in step.rc) or "-"
    return (
        f"{step.name:<26}{step.wall_s:>9.1f}{step.historical:>10}{step.faults:>8}"
        f"{step.retries:>9}{step.bars:>11,}{rate:>11}{cpm:>11}   {rcs}"
    )


def run(args: argparse.Namespace, root: Path) -> int:
    """Run every step; print the figures and the checks; 0 when every check passes."""
    bench = Bench(args, root)
    clean, faulty, killer = (
        StandIn(0.0, args.seed, args.minute_cap),
        StandIn(args.fault_rate, args.seed, args.minute_cap),
        StandIn(args.fault_rate, args.seed + 1, args.minute_cap),
    )
    standins = (clean, faulty, killer)
    homes = {k: root / k / "home" for k in ("a", "b", "c")}
    for h in homes.values():
        h.mkdir(parents=True)
    steps = {
        "a": Step("(a) fault-free"),
        "b": Step(f"(b) {args.fault_rate:.0%} faults"),
        "c": Step(f"(c) {args.kills} kills + finish"),
        "db": Step("(d) no-op after (b)"),
        "dc": Step("(d) no-op after (c)"),
    }
    try:
        chunks = bench.plan_calls(clean)
        bench.log(
            f"{len(bench.symbols)} symbols x {args.years} years of {INTERVAL} "
            f"({' '.join(bench.window)}): {chunks} chunks; at most {args.calls_per_minute} "
            f"calls/min, so >= {max(chunks - args.calls_per_minute, 0) / args.calls_per_minute:.1f}"
            " min per fetch"
        )
        jobs = {
            "a": (clean, lambda: bench.run_fetch(clean, homes["a"], steps["a"])),
            "b": (faulty, lambda: bench.run_fetch(faulty, homes["b"], steps["b"])),
            "c": (
                killer,
                lambda: bench.kill_restart(killer, homes["c"], steps["c"], chunks),
            ),
        }
        threads = []
        for key, (standin, fn) in jobs.items():

            def body(key: str = key, standin: StandIn = standin, fn: Any = fn) -> None:
                bench.measure(standin, homes[key], steps[key], fn)
                bench.log(f"{steps[key].name} done in {steps[key].wall_s:.1f} s")

            t = threading.Thread(target=body, name=f"step-{key}")
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        bench.measure(
            faulty,
            homes["b"],
            steps["db"],
            lambda: bench.run_fetch(faulty, homes["b"], steps["db"]),
        )
        bench.measure(
            killer,
            homes["c"],
            steps["dc"],
            lambda: bench.run_fetch(killer, homes["c"], steps["dc"]),
        )
    finally:
        finals = [s.stop() for s in standins]
    ref = steps["a"].fingerprints
    problems = {k: torn_files(homes[k]) for k in homes}
    forbidden = [c for f in finals for c in f.get("forbidden_calls", [])]
    checks = [
        (
            "(a) reference fetch exits 0, every series stored",
            steps["a"].rc == [0] and "MISSING" not in ref.values(),
        ),
        ("(b) faults were injected", steps["b"].faults > 0),
        ("(b) faulty fetch exits 0", steps["b"].rc == [0]),
        ("(b) same fingerprints as (a)", steps["b"].fingerprints == ref),
        ("(c) finishing run exits 0", steps["c"].rc[-1:] == [0]),
        ("(c) same fingerprints as (a)", steps["c"].fingerprints == ref),
        ("(c) parquet readable, no temp files, catalog ok", not any(problems.values())),
        ("(d) no-op fetches exit 0", steps["db"].rc == [0] and steps["dc"].rc == [0]),
        ("(d) zero historical requests", steps["db"].historical + steps["dc"].historical == 0),
        ("(e) forbidden_calls == 0 at every stand-in", not forbidden),
    ]
    print(
        f"\nsensequant data fetch --provider breeze: {len(bench.symbols)} symbols x "
        f"{args.years} years of {INTERVAL}, {args.fault_rate:.0%} faults, {args.kills} kills, "
        f"<= {args.calls_per_minute} calls/min, {os.cpu_count()} CPUs"
    )
    print(
        f"{'step':<26}{'wall s':>9}{'requests':>10}{'faults':>8}{'retries':>9}{'bars':>11}"
        f"{'bars/s':>11}{'calls/min':>11}   exit"
    )
    for step in steps.values():
        print(_row(step))
    print(
        "requests = historical requests at the stand-in (faulted ones included); retries = "
        "as reported by runs that finished; bars = bars stored after the step"
    )
    print()
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    for step in steps.values():
        for note in step.notes:
            print(f"note {step.name}: {note}")
    for key, found in problems.items():
        for p in found:
            print(f"problem in home ({key}): {p}")
    for label, final in zip(("(a)", "(b)+(d)", "(c)+(d)"), finals, strict=True):
        kinds = {k[6:]: v for k, v in sorted(final.get("calls", {}).items()) if k[:6] == "fault:"}
        print(f"faults served by the stand-in of {label}: {kinds or 'none'}")
    if forbidden:
        print(f"forbidden calls: {forbidden}")
    mismatched = [s for s in ref if steps["c"].fingerprints.get(s) != ref[s]]
    if mismatched:
        print(f"(c) fingerprints differ for {mismatched}")
    return 0 if all(ok for _, ok in checks) else 1


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run in a temporary folder (or ``--keep DIR``), return the exit status."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--symbols", type=int, default=10, help=f"1..{len(SYMBOLS)} stand-in symbols")
    p.add_argument("--years", type=int, default=3, help="years of 5-minute bars")
    p.add_argument("--end", default="2024-12-31", help="last day (YYYY-MM-DD)")
    p.add_argument("--fault-rate", type=float, default=0.2)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--calls-per-minute",
        type=int,
        default=100,
        help="SENSEQUANT_BREEZE_CALLS_PER_MINUTE of the fetches (Settings allow 1..100)",
    )
    p.add_argument(
        "--minute-cap",
        type=int,
        default=None,
        help="stand-ins answer 'Limit exceed: API call per minute' past N calls in the trailing "
        "60 s, as the real API does at 100 (default: no server-side limit)",
    )
    p.add_argument("--keep", type=Path, default=None, help="work in DIR and keep it")
    args = p.parse_args(argv)
    if not 1 <= args.symbols <= len(SYMBOLS):
        p.error(f"--symbols must be in 1..{len(SYMBOLS)}")
    try:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=False)
            return run(args, args.keep.resolve())
        with tempfile.TemporaryDirectory(prefix="bench_fetch_") as tmp:
            return run(args, Path(tmp))
    except RuntimeError as exc:
        print(f"bench_fetch: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
