"""Teacher reuse for ``sensequant retrain``: windows whose inputs are unchanged are not retrained.

A teacher window's inputs are its symbol's feature and label rows inside the window (labels
carry their ``t1``) and the configuration, which a retrain keeps. :class:`ReuseCache` plugs into
:func:`sensequant.pipeline.run_pipeline` as its :class:`~sensequant.pipeline.cache.RunCache`:
it keeps the challenger's frames from the features phase, rebuilds the champion's frames from
the store exactly as the champion built them (bars up to the champion's last session), and for
every planned window compares :func:`window_fingerprint` of both. A window the champion trained
with the same fingerprint is taken from the champion's artifacts (``models/teachers.parquet``,
``soft_labels.parquet``, ``windows.parquet``); every other window is trained.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore
from sensequant.dataset import SymbolFrame, Window, WindowStatus, build_frames, needs_panel_step
from sensequant.pipeline.cache import RunCache
from sensequant.pipeline.phase_results import FeaturesResult
from sensequant.pipeline.preflight import PreflightReport
from sensequant.pipeline.rundir import RunPaths
from sensequant.pipeline.teachers import TeacherTask, WindowOutcome, train_teachers
from sensequant.progress import Reporter
from sensequant.settings import RunConfig
from sensequant.telemetry import Telemetry

__all__ = ["ReuseCache", "window_fingerprint"]

_END = pd.Timedelta(hours=23, minutes=59)


def window_fingerprint(frame: SymbolFrame, window: Window) -> str:
    """SHA-256 of one window's inputs: feature and label rows in ``[start, end]``, first bar.

    Parameters
    ----------
    frame : SymbolFrame
    window : Window

    Returns
    -------
    str
        64 hex characters.
    """
    span = slice(window.start, window.end)
    digest = hashlib.sha256(str(frame.first_bar).encode())
    for part in (frame.features.loc[span], frame.labels.loc[span]):
        digest.update(",".join(map(str, part.columns)).encode())
        digest.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
    return digest.hexdigest()


class ReuseCache(RunCache):
    """A run cache that reuses the champion's teachers for unchanged windows.

    Parameters
    ----------
    champion_dir : pathlib.Path
        The champion's run directory.
    champion_end : pandas.Timestamp
        The champion's last session (IST).
    store : BarStore
        The store both runs read (an ``AdjustedBarStore``).
    catalog : Catalog
        The symbol master (industries for the ``sector`` set).

    Attributes
    ----------
    reused, trained : int
        Windows taken from the champion / trained (or skipped) anew, after the run.
    """

    def __init__(
        self, champion_dir: Path, champion_end: pd.Timestamp, store: BarStore, catalog: Catalog
    ) -> None:
        super().__init__()
        self._dir, self._end, self._store, self._catalog = (
            champion_dir,
            champion_end,
            store,
            catalog,
        )
        self._frames: dict[str, SymbolFrame] = {}
        self.reused = 0
        self.trained = 0

    def features(
        self,
        config: RunConfig,
        pf: PreflightReport,
        compute: Callable[[], FeaturesResult],
        rep: Reporter,
        tel: Telemetry,
    ) -> FeaturesResult:
        """Compute the challenger's features (never cached) and keep its frames."""
        result = compute()
        self._frames = result.frames
        return result

    def _champion_frames(self, config: RunConfig, pf: PreflightReport) -> dict[str, SymbolFrame]:
        end = self._end + _END
        bars = {s: self._store.read(s, config.data.interval, end=end) for s in pf.symbols}
        bars = {s: b for s, b in bars.items() if len(b)}
        bench = self._store.read(config.data.benchmark, config.data.interval, end=end)
        close = pd.Series(bench["close"].to_numpy(), index=pd.DatetimeIndex(bench["timestamp"]))
        sectors = self._catalog.industries(list(bars)) if needs_panel_step(config) else {}
        return build_frames(
            bars,
            config,
            benchmark_close=close,
            sectors=sectors,
            listing_dates=pf.listing_dates,
        )

    def _stored(self) -> dict[tuple[str, str], WindowOutcome | None]:
        """The champion's trained windows, by (symbol, window_id), as outcomes (lazy oof)."""
        paths = RunPaths(self._dir)
        windows = pd.read_parquet(paths.windows)
        models = pd.read_parquet(paths.teachers)
        soft = pd.read_parquet(paths.soft_labels)
        texts = {
            (s, w): t
            for s, w, t in zip(
                models["symbol"], models["window_id"], models["model_text"], strict=True
            )
        }
        values = [c for c in soft.columns if c.startswith("p_") or c == "score"]
        oofs = {k: g for k, g in soft.groupby(["symbol", "window_id"], sort=False)}
        metrics = [c for c in windows.columns if c.startswith("val_")]
        out: dict[tuple[str, str], WindowOutcome | None] = {}
        for row in windows.to_dict(orient="records"):
            key = (str(row["symbol"]), str(row["window_id"]))
            if row["status"] != WindowStatus.TRAINED.value or key not in texts or key not in oofs:
                continue
            oof = oofs[key]
            out[key] = WindowOutcome(
                Window(key[0], key[1], pd.Timestamp(row["start"]), pd.Timestamp(row["end"])),
                WindowStatus.TRAINED,
                None,
                n_train=int(row["n_train"]),
                n_val=int(row["n_val"]),
                metrics={c[4:]: float(row[c]) for c in metrics if pd.notna(row[c])},
                model_text=str(texts[key]),
                oof=pd.DataFrame(
                    {
                        "timestamp": oof["timestamp"].to_numpy(),
                        **{c: oof[c].to_numpy() for c in values},
                        "t1": oof["t1"].to_numpy(),
                    }
                ),
            )
        return out

    def teachers(
        self,
        config: RunConfig,
        pf: PreflightReport,
        compute: Callable[[], list[WindowOutcome]],
        on_symbol: Callable[[list[WindowOutcome]], None],
    ) -> list[WindowOutcome]:
        """Champion outcomes for unchanged windows, the rest trained; in plan order."""
        stored = self._stored()
        old = self._champion_frames(config, pf)
        keep: dict[tuple[str, str], WindowOutcome] = {}
        tasks: list[TeacherTask] = []
        for sym in pf.symbols:
            fresh, before = self._frames[sym], old.get(sym)
            todo = []
            for w in pf.windows[sym]:
                hit = stored.get((sym, w.window_id))
                if (
                    hit is not None
                    and before is not None
                    and (hit.window.start, hit.window.end) == (w.start, w.end)
                    and w.window_id not in pf.unservable
                    and window_fingerprint(fresh, w) == window_fingerprint(before, w)
                ):
                    hit.window = w
                    keep[(sym, w.window_id)] = hit
                else:
                    todo.append(w)
            if todo:
                tasks.append(TeacherTask(fresh, todo, pf.unservable))
        if keep:
            on_symbol(list(keep.values()))
        done = train_teachers(tasks, config, on_symbol=on_symbol) if tasks else []
        new = {(o.window.symbol, o.window.window_id): o for o in done}
        self.reused, self.trained = len(keep), len(new)
        return [
            keep.get((s, w.window_id)) or new[(s, w.window_id)]
            for s in pf.symbols
            for w in pf.windows[s]
        ]
