"""Benchmark: Qlib's Alpha158 + LightGBM beside SenseQuant's default model on the 50-stock set.

Needs pyqlib (the ``bench`` extra, never installed by CI or ``make setup``), in its own venv::

    python3 -m venv /tmp/venv-qlib && /tmp/venv-qlib/bin/pip install -e '.[bench]'
    /tmp/venv-qlib/bin/python benchmarks/bench_qlib.py --data ../shared/data \\
        --sensequant-run HOME/runs/RUN_ID [--sensequant-log bench_models.log] [--threads N]

Steps: import the real daily data into a fresh SENSEQUANT_HOME (unless ``--home`` holds a
store), read the NIFTY 50 symbols' adjusted bars through ``AdjustedBarStore`` and write them
in Qlib's binary layout (our own converter below: ``calendars/day.txt`` = the union of the
symbols' sessions, ``instruments/all.txt``, ``features/<code>/<field>.day.bin`` = float32
little-endian, first value the start index into the calendar, NaN on a symbol's missing
sessions). Then, once per label and each in its own process (so wall time and peak memory --
RSS of that process tree -- are its own): ``qlib.init`` (REG_CN, only its calendar logic is
used), the Alpha158 handler on the 50 instruments, ``LGBModel`` with the parameters of Qlib's
``examples/benchmarks/LightGBM/workflow_config_lightgbm_Alpha158.yaml`` (``num_threads`` from
``--threads``), splits train 2008-01-01..2016-12-31, valid 2017-01-01..2018-12-31 (early
stopping), test 2019-01-01..2024-09-06. Labels: Qlib's own 1-day label
``Ref($close, -2)/Ref($close, -1) - 1`` and SenseQuant's 5-session label (entry at the next
open, exit at the close 5 sessions later) ``Ref($close, -5)/Ref($open, -1) - 1``.

Printed: mean daily IC and Rank IC on the test span (:func:`daily_ic`, pandas, one function
for every row), the number of days, wall seconds and peak GiB. Qlib rows are scored against
Qlib's raw label; the SenseQuant row (``predictions/student_oos.parquet`` of the run) against
``close_{t+5} / open_{t+1} - 1`` recomputed per symbol from the store (the run does not save
its panel's forward return), and so is the extra row "Qlib 5d on SenseQuant's rows" (the same
(symbol, day) pairs as SenseQuant's predictions). SenseQuant's wall time and peak memory come
from its ``bench_models.py`` log (``--sensequant-log``; else wall = the run's telemetry phases)
and cover its WHOLE pipeline (features, teachers, the walk-forward student fits from 2006,
backtests, stress, report), not one fit; the run's own ``returns/ic_daily.parquet`` on the test
span is printed as a check of the SenseQuant row.

Notes: Yahoo daily bars carry no VWAP, so Alpha158's VWAP0 is NaN (no ``vwap.day.bin``);
``factor`` is written as 1 (the bars are already adjusted). Qlib's experiment tracker is pointed
at an MLflow file store in the work folder (``MLFLOW_ALLOW_FILE_STORE=true``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_run import PeakMemory

from sensequant.data import AdjustedBarStore, BarStore, Catalog
from sensequant.data.imports import import_paths
from sensequant.data.reference import resolve_universe
from sensequant.settings import Settings

TRAIN = ("2008-01-01", "2016-12-31")
VALID = ("2017-01-01", "2018-12-31")
TEST = ("2019-01-01", "2024-09-06")
LABELS = {
    "1d": "Ref($close, -2)/Ref($close, -1) - 1",
    "5d": "Ref($close, -5)/Ref($open, -1) - 1",
}
LABEL_TEXT = {"1d": "Qlib 1-day close/close", "5d": "5-session open->close"}
HORIZON = 5
# examples/benchmarks/LightGBM/workflow_config_lightgbm_Alpha158.yaml (num_threads: --threads)
LGB_PARAMS = {
    "loss": "mse",
    "colsample_bytree": 0.8879,
    "learning_rate": 0.2,
    "subsample": 0.8789,
    "lambda_l1": 205.6999,
    "lambda_l2": 580.9768,
    "max_depth": 8,
    "num_leaves": 210,
}
FIELDS = ("open", "high", "low", "close", "volume")


def daily_ic(frame: pd.DataFrame) -> tuple[float, float, int]:
    """Mean daily IC (Pearson) and Rank IC (Spearman) of ``score`` vs ``label``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``date``, ``score``, ``label``; rows with a NaN in either are dropped, days with
        fewer than 2 rows or a constant column give no IC.

    Returns
    -------
    tuple of (float, float, int)
        Mean IC, mean Rank IC, number of days with an IC.
    """
    ok = frame.dropna(subset=["score", "label"])
    by_day = ok.groupby("date")[["score", "label"]]
    ic = by_day.apply(lambda g: g["score"].corr(g["label"])).dropna()
    ric = by_day.apply(lambda g: g["score"].rank().corr(g["label"].rank())).dropna()
    return float(ic.mean()), float(ric.mean()), len(ic)


def open_store(data: Path, home: Path | None) -> tuple[AdjustedBarStore, list[str]]:
    """Import the real data into ``home`` (a fresh temp home if None) unless it holds a store.

    Returns
    -------
    tuple
        The :class:`AdjustedBarStore` and the NIFTY 50 symbols (sorted).
    """
    home = home or Path(tempfile.mkdtemp(prefix="sensequant-qlib-"))
    settings = Settings(home=home)
    if not (home / "store").is_dir():
        if not (data / "nse_daily_yf").is_dir():
            raise SystemExit(f"no real data at {data} (expected nse_daily_yf/ inside)")
        sources = [data / s for s in ("nse_daily_yf", "nifty50_index", "universe")]
        into = BarStore(settings.store_dir), Catalog(settings.catalog_path)
        import_paths(sources, *into, repair_ohlc=True)  # 1996 Yahoo rows: OHLC errors
    catalog = Catalog(settings.catalog_path)
    store = AdjustedBarStore(settings.store_dir, catalog)
    symbols = resolve_universe("nifty50", catalog, store, require_stored=True)
    print(f"home {home}: {len(symbols)} symbols")
    return store, symbols


def read_bars(store: AdjustedBarStore, symbols: list[str], start: str) -> dict[str, pd.DataFrame]:
    """Adjusted daily bars per symbol from ``start``, indexed by naive session date."""
    out = {}
    for sym in symbols:
        bars = store.read(sym, "1day", start=start, columns=list(FIELDS))
        bars.index = pd.DatetimeIndex(bars.pop("timestamp").dt.tz_localize(None).dt.normalize())
        out[sym] = bars
    return out


def qlib_code(symbol: str) -> str:
    """A file-safe Qlib instrument code for an NSE symbol (``M&M`` -> ``M_M``)."""
    return re.sub(r"[^A-Za-z0-9]", "_", symbol).upper()


def write_qlib_dir(bars: dict[str, pd.DataFrame], root: Path) -> dict[str, str]:
    """Write ``bars`` in Qlib's binary day layout under ``root``; returns code -> symbol."""
    calendar = pd.DatetimeIndex(sorted(set().union(*(b.index for b in bars.values()))))
    (root / "calendars").mkdir(parents=True)
    (root / "instruments").mkdir()
    (root / "calendars" / "day.txt").write_text(
        "".join(f"{d:%Y-%m-%d}\n" for d in calendar), encoding="utf-8"
    )
    codes = {qlib_code(s): s for s in bars}
    if len(codes) != len(bars):
        raise SystemExit("two symbols map to the same Qlib code")
    lines = []
    for code, sym in sorted(codes.items()):
        frame = bars[sym]
        first, last = frame.index[0], frame.index[-1]
        span = calendar[(calendar >= first) & (calendar <= last)]
        frame = frame.reindex(span).assign(factor=1.0)
        start_index = float(calendar.get_loc(first))
        folder = root / "features" / code.lower()
        folder.mkdir(parents=True)
        for field in (*FIELDS, "factor"):
            values = np.concatenate([[start_index], frame[field].to_numpy(np.float64)])
            values.astype("<f4").tofile(folder / f"{field}.day.bin")
        lines.append(f"{code}\t{first:%Y-%m-%d}\t{last:%Y-%m-%d}\n")
    (root / "instruments" / "all.txt").write_text("".join(lines), encoding="utf-8")
    return codes


def qlib_worker(provider: Path, label: str, threads: int, out: Path) -> None:
    """Alpha158 + LGBModel for one label; writes test predictions and the figures to ``out``."""
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        import qlib
        from qlib.constant import REG_CN
        from qlib.contrib.data.handler import Alpha158
        from qlib.contrib.model.gbdt import LGBModel
        from qlib.data.dataset import DatasetH
        from qlib.data.dataset.handler import DataHandlerLP

        mlruns = out / f"mlruns_{label}"
        qlib.init(
            provider_uri=str(provider),
            region=REG_CN,
            kernels=threads,
            exp_manager={
                "class": "MLflowExpManager",
                "module_path": "qlib.workflow.expm",
                "kwargs": {"uri": mlruns.as_uri(), "default_exp_name": "bench"},
            },
        )
        instruments = [ln.split("\t")[0] for ln in (provider / "instruments" / "all.txt").open()]
        handler = Alpha158(
            instruments=instruments,
            start_time=TRAIN[0],
            end_time=TEST[1],
            fit_start_time=TRAIN[0],
            fit_end_time=TRAIN[1],
            label=([LABELS[label]], ["LABEL0"]),
        )
        dataset = DatasetH(handler, segments={"train": TRAIN, "valid": VALID, "test": TEST})
        model = LGBModel(**LGB_PARAMS, num_threads=threads)
        model.fit(dataset)
        pred = model.predict(dataset, segment="test")
        raw = dataset.prepare("test", col_set="label", data_key=DataHandlerLP.DK_R)
        wall = time.perf_counter() - t0
    frame = pd.DataFrame({"score": pred, "label": raw.iloc[:, 0].reindex(pred.index)})
    frame = frame.reset_index().rename(columns={"datetime": "date", "instrument": "code"})
    frame.to_parquet(out / f"pred_{label}.parquet")
    figures = {"wall_s": wall, "peak_bytes": mem.peak, "n_features": len(handler.get_cols()) - 1}
    (out / f"figures_{label}.json").write_text(json.dumps(figures), encoding="utf-8")


def forward_returns(bars: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``close_{t+5} / open_{t+1} - 1`` per symbol over its own rows: ``symbol, date, label``."""
    parts = []
    for sym, frame in bars.items():
        fwd = frame["close"].shift(-HORIZON) / frame["open"].shift(-1) - 1.0
        parts.append(pd.DataFrame({"symbol": sym, "date": frame.index, "label": fwd.to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def in_test(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``frame`` whose ``date`` lies in the test span."""
    return frame[(frame["date"] >= TEST[0]) & (frame["date"] <= TEST[1])]


def sensequant_rows(run_dir: Path, fwd: pd.DataFrame) -> pd.DataFrame:
    """The run's student OOS scores on the test span joined to the recomputed 5-session label."""
    oos = pd.read_parquet(run_dir / "predictions" / "student_oos.parquet")
    ts = pd.to_datetime(oos["timestamp"])
    if ts.dt.tz is not None:
        ts = ts.dt.tz_convert("Asia/Kolkata").dt.tz_localize(None)
    oos = pd.DataFrame({"symbol": oos["symbol"], "date": ts.dt.normalize(), "score": oos["score"]})
    return in_test(oos.merge(fwd, on=["symbol", "date"], how="left"))


def sensequant_cost(run_dir: Path, log: Path | None) -> tuple[float, float]:
    """Wall seconds and peak GiB of the SenseQuant run (bench_models log, else telemetry)."""
    wall, peak = float("nan"), float("nan")
    if log is not None:
        text = log.read_text(encoding="utf-8", errors="replace")
        if m := re.search(r"run total\s+([\d.]+) s", text):
            wall = float(m.group(1))
        if m := re.search(r"peak memory\s+([\d.]+) GiB", text):
            peak = float(m.group(1))
    if np.isnan(wall):
        events = [json.loads(ln) for ln in (run_dir / "telemetry.jsonl").open()]
        wall = sum(e.get("seconds", 0.0) for e in events if e.get("event") == "phase_end")
    return wall, peak


def run_dir_from_log(log: Path) -> Path:
    """The run directory named by a ``bench_models.py`` log's ``config:`` line."""
    text = log.read_text(encoding="utf-8", errors="replace")
    m = re.search(r"^config:.*?home (\S+); run (\S+)", text, flags=re.MULTILINE)
    if m is None:
        raise SystemExit(f"no 'config: ... home H; run R' line in {log} (run not finished?)")
    return Path(m.group(1)) / "runs" / m.group(2)


def main() -> None:
    """Parse arguments; convert, run Qlib per label in a child process, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--sensequant-run", type=Path, default=None)
    ap.add_argument("--sensequant-log", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=min(20, os.cpu_count() or 1))
    ap.add_argument("--labels", default="1d,5d")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--provider", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        qlib_worker(args.provider, args.worker, args.threads, args.out)
        return
    run_dir = args.sensequant_run
    if run_dir is None and args.sensequant_log is not None:
        run_dir = run_dir_from_log(args.sensequant_log)
    work = Path(tempfile.mkdtemp(prefix="bench-qlib-"))
    store, symbols = open_store(args.data, args.home)
    t0 = time.perf_counter()
    bars = read_bars(store, symbols, "2004-01-01")
    codes = write_qlib_dir(bars, work / "qlib_data")
    print(f"converted to {work / 'qlib_data'} in {time.perf_counter() - t0:.1f} s")
    rows: list[tuple[str, str, float, float, int, float, float]] = []
    preds = {}
    for label in args.labels.split(","):
        script = str(Path(__file__).resolve())
        cmd = [sys.executable, script, "--worker", label, "--threads", str(args.threads)]
        cmd += ["--provider", str(work / "qlib_data"), "--out", str(work)]
        subprocess.run(cmd, check=True, cwd=work)  # qlib drops an MLflow filelock under cwd
        fig = json.loads((work / f"figures_{label}.json").read_text(encoding="utf-8"))
        pred = pd.read_parquet(work / f"pred_{label}.parquet")
        pred["symbol"] = pred["code"].map(codes)
        preds[label] = pred
        cost = (fig["wall_s"], fig["peak_bytes"] / 2**30)
        rows.append(("Qlib Alpha158+LGBModel", LABEL_TEXT[label], *daily_ic(in_test(pred)), *cost))
    nan = float("nan")
    store_label = LABEL_TEXT["5d"] + " (store)"
    if run_dir is not None:
        sq = sensequant_rows(run_dir, forward_returns(bars))
        cost = sensequant_cost(run_dir, args.sensequant_log)
        rows.append(("SenseQuant default (student)", store_label, *daily_ic(sq), *cost))
        if "5d" in preds:
            pairs = preds["5d"][["symbol", "date", "score"]]
            same = sq[["symbol", "date", "label"]].merge(pairs, on=["symbol", "date"])
            rows.append(("Qlib 5d on SenseQuant's rows", store_label, *daily_ic(same), nan, nan))
    print(f"\ntest {TEST[0]}..{TEST[1]}; {len(symbols)} symbols; LightGBM threads {args.threads}")
    print("| model | label | IC | Rank IC | days | wall s | peak GiB |")
    print("|---|---|---|---|---|---|---|")
    for model, label, ic, ric, days, wall, peak in rows:
        print(f"| {model} | {label} | {ic:.4f} | {ric:.4f} | {days} | {wall:.1f} | {peak:.2f} |")
    if run_dir is not None:
        print(f"SenseQuant run {run_dir}: wall s and peak GiB are its whole pipeline")
        own = run_dir / "returns" / "ic_daily.parquet"
        if own.is_file():
            daily = pd.read_parquet(own)
            daily["date"] = daily["timestamp"].dt.tz_localize(None)
            daily = in_test(daily)
            print(
                f"cross-check, the run's own returns/ic_daily on the test span: IC "
                f"{daily['student_ic'].mean():.4f}, Rank IC {daily['student_rank_ic'].mean():.4f}"
            )


if __name__ == "__main__":
    main()
