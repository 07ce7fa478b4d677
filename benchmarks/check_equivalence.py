"""Behaviour check: run the 50-stock daily pipeline and write (or compare) a digest.

The digest holds a content hash of every OOS prediction file and the briefing's numbers
(headline, signal, dsr, trials, gates, comparisons, stress). It is made through the
``sensequant`` command line only, so the same script runs on any commit of the project::

    .venv/bin/python benchmarks/check_equivalence.py --data ../shared/data --out before.json
    .venv/bin/python benchmarks/check_equivalence.py --data ../shared/data --compare before.json

``--compare`` exits 1 and names every key that differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

BRIEFING_KEYS = ("headline", "signal", "dsr", "trials", "gates", "comparisons", "stress")


def _frame_digest(path: Path) -> str:
    """Hash of a Parquet file's values (sorted rows, stable column order), not its bytes."""
    frame = pd.read_parquet(path)
    frame = frame[sorted(frame.columns)]
    frame = frame.sort_values(list(frame.columns)[: min(3, frame.shape[1])], kind="mergesort")
    hashed = pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


def run_digest(data: Path, home: Path, extra: list[str]) -> dict[str, Any]:
    """Import ``data`` into ``home``, run the pipeline, return the digest."""
    env = os.environ | {"SENSEQUANT_HOME": str(home)}
    exe = str(Path(sys.executable).with_name("sensequant"))
    # the daily stocks, the index and the NIFTY 100 list: what the daily pipeline reads
    sources = [str(data / sub) for sub in ("nse_daily_yf", "nifty50_index", "universe")]
    subprocess.run(
        [exe, "data", "import", *sources],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    subprocess.run([exe, "run", *extra], env=env, check=True)
    (run_dir,) = sorted((home / "runs").iterdir())
    briefing = json.loads((run_dir / "promotion_briefing.json").read_text())
    digest: dict[str, Any] = {k: briefing.get(k) for k in BRIEFING_KEYS}
    for path in sorted((run_dir / "predictions").glob("*.parquet")):
        digest[f"predictions/{path.name}"] = _frame_digest(path)
    return digest


def _diff(a: Any, b: Any, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            _diff(a.get(key), b.get(key), f"{where}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{where}[{i}]", out)
    elif a != b:
        out.append(f"{where}: {a!r} != {b!r}")


def main() -> None:
    """Parse arguments, run, write or compare."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("run_args", nargs="*", help="extra arguments for `sensequant run`")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sensequant-equiv-"))
    digest = run_digest(args.data.resolve(), home, args.run_args)
    if args.out:
        args.out.write_text(json.dumps(digest, indent=1, sort_keys=True, default=str))
        print(f"digest written to {args.out}")
    if args.compare:
        before = json.loads(args.compare.read_text())
        now = json.loads(json.dumps(digest, default=str))
        diffs: list[str] = []
        _diff(before, now, "", diffs)
        if diffs:
            print("DIFFERENT:\n  " + "\n  ".join(diffs[:50]))
            raise SystemExit(1)
        print(f"identical: {len(now)} keys (predictions and briefing numbers)")


if __name__ == "__main__":
    main()
