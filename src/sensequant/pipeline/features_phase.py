"""Features phase: per-symbol features and labels, then the cross-symbol step.

Bars are read once per symbol up to the run's range end; :func:`sensequant.dataset.build_frames`
computes per-symbol features (technical, levels, returns) and labels and, when the configuration
asks for panel feature sets, per-date normalisation or a cross-sectional target, adds them
(:func:`sensequant.dataset.with_panel_columns`) using same-date data and bars <= t only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore
from sensequant.dataset import VOLUME_FEATURES, build_frames, needs_panel_step, volume_absent
from sensequant.dataset.features import selected_names
from sensequant.pipeline import messages
from sensequant.pipeline.phase_results import FeaturesResult
from sensequant.pipeline.preflight import PreflightReport
from sensequant.progress import Reporter
from sensequant.settings import RunConfig
from sensequant.telemetry import Telemetry

if TYPE_CHECKING:
    from sensequant.pipeline.cache import RunCache

__all__ = ["features_phase"]


def features_phase(
    config: RunConfig,
    store: BarStore,
    catalog: Catalog,
    pf: PreflightReport,
    rep: Reporter,
    tel: Telemetry,
    cache: RunCache | None = None,
) -> FeaturesResult:
    """Run the features phase (see the module docstring); reuse ``cache``'s result if any."""
    if cache is not None:
        return cache.features(
            config, pf, lambda: features_phase(config, store, catalog, pf, rep, tel), rep, tel
        )
    rep.start("features", total=len(pf.symbols))
    with tel.phase("features") as res:
        bars = {s: store.read(s, config.data.interval, end=pf.range_end) for s in pf.symbols}
        panel = needs_panel_step(config)
        sectors = catalog.industries(list(bars)) if panel else {}
        frames = build_frames(
            bars,
            config,
            benchmark_close=_bench_close(config, store, pf) if panel else None,
            sectors=sectors,
            listing_dates=pf.listing_dates,
            on_frame=lambda _: rep.advance(),
        )
        if no_volume := volume_absent(bars):
            dropped = [c for c in VOLUME_FEATURES if c in selected_names(config.features)]
            rep.warn(messages.volume_dropped(no_volume, tuple(dropped)))
            res.update(volume_absent=no_volume, dropped_features=dropped)
        n_rows = sum(len(f.features) for f in frames.values())
        n_feat = next(iter(frames.values())).features.shape[1]
        res.update(symbols=len(frames), rows=n_rows, features=n_feat)
    rep.done(messages.features_done(frames, n_feat, n_rows))
    return FeaturesResult(bars=bars, frames=frames, sectors=sectors)


def _bench_close(config: RunConfig, store: BarStore, pf: PreflightReport) -> pd.Series:
    """Benchmark closes by session up to the run's range end (the ``market`` set's input)."""
    bench = store.read(
        config.data.benchmark,
        config.data.interval,
        end=pf.range_end,
        columns=["timestamp", "close"],
    )
    return pd.Series(bench["close"].to_numpy(), index=pd.DatetimeIndex(bench["timestamp"]))
