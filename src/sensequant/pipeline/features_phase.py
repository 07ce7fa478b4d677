"""Features phase: per-symbol features and labels, then the cross-symbol step.

Bars are read once per symbol up to the run's range end; :func:`sensequant.dataset.symbol_frame`
computes per-symbol features (technical, levels, returns) and labels; when the configuration
asks for panel feature sets, per-date normalisation or a cross-sectional target,
:func:`sensequant.dataset.with_panel_columns` adds them using same-date data and bars <= t only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore
from sensequant.dataset import SymbolFrame, needs_panel_step, symbol_frame, with_panel_columns
from sensequant.dataset.features import wide_closes
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
    bars: dict[str, pd.DataFrame] = {}
    frames: dict[str, SymbolFrame] = {}
    listed = pf.listing_dates
    with tel.phase("features") as res:
        for sym in pf.symbols:
            bars[sym] = store.read(sym, config.data.interval, end=pf.range_end)
            frames[sym] = symbol_frame(sym, bars[sym], config, listing_date=listed.get(sym))
            rep.advance()
        if needs_panel_step(config):
            frames = _panel_step(config, store, catalog, pf, bars, frames)
        n_rows = sum(len(f.features) for f in frames.values())
        n_feat = next(iter(frames.values())).features.shape[1]
        res.update(symbols=len(frames), rows=n_rows, features=n_feat)
    rep.done(messages.features_done(frames, n_feat, n_rows))
    return FeaturesResult(bars=bars, frames=frames)


def _panel_step(
    config: RunConfig,
    store: BarStore,
    catalog: Catalog,
    pf: PreflightReport,
    bars: dict[str, pd.DataFrame],
    frames: dict[str, SymbolFrame],
) -> dict[str, SymbolFrame]:
    """Cross-symbol features and the cross-sectional target (same-date data, bars <= t)."""
    bench = store.read(
        config.data.benchmark,
        config.data.interval,
        end=pf.range_end,
        columns=["timestamp", "close"],
    )
    bench_close = pd.Series(bench["close"].to_numpy(), index=pd.DatetimeIndex(bench["timestamp"]))
    sectors = {s: getattr(catalog.get_symbol(s), "industry", None) for s in pf.symbols}
    return with_panel_columns(
        frames, config, closes=wide_closes(bars), benchmark_close=bench_close, sectors=sectors
    )
