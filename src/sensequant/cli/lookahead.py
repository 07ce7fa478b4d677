"""``sensequant lookahead``: the truncation check (features, labels, targets) as a command.

Registered by :mod:`sensequant.cli.main`. Reads the configured universe's bars from the store
as ``sensequant run`` does (pre-flight, adjusted bars up to the range end), then runs
:func:`sensequant.dataset.lookahead.lookahead_check`. Exit 0 when nothing changed, 1 when a
column changed (a leak), 2 on bad usage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, get_args

import typer
from rich.table import Column, Table

from sensequant.cli.common import err, guard, out, parse_interval_option, print_table, read_settings
from sensequant.errors import UsageError

__all__ = ["lookahead"]


def _feature_sets(value: str) -> list[str]:
    """Parse ``--features`` (comma-separated set names)."""
    from sensequant.run_config import FeatureSetName

    known = get_args(FeatureSetName)
    sets = [s.strip() for s in value.split(",") if s.strip()]
    bad = [s for s in sets if s not in known]
    if not sets or bad:
        raise UsageError(
            f"--features '{value}' names unknown set(s) {bad}" if bad else "--features is empty",
            hint=f"choose from {','.join(known)}",
        )
    return sets


def _config(
    config: Path | None, features: str | None, symbols: str | None, interval: str | None
) -> Any:
    from sensequant.run_config import FeatureConfig
    from sensequant.settings import load_run_config

    cfg = load_run_config(config, universe=symbols, interval=parse_interval_option(interval))
    if features is None:
        return cfg
    fc = FeatureConfig.model_validate(
        {**cfg.features.model_dump(), "sets": _feature_sets(features)}
    )
    return cfg.model_copy(update={"features": fc})


@guard
def lookahead(
    config: Annotated[Path | None, typer.Option(help="Run configuration YAML.")] = None,
    features: Annotated[
        str | None,
        typer.Option(help="Feature sets, e.g. technical,levels,returns (overrides the config)."),
    ] = None,
    symbols: Annotated[
        str | None, typer.Option(help="SYM1,SYM2 instead of the configured universe.")
    ] = None,
    cuts: Annotated[int, typer.Option(help="Cut dates between the 20% and 95% points.")] = 5,
    interval: Annotated[
        str | None, typer.Option(help="Bars: 1day (1d), 30minute, 5minute (5m), 1minute (1m).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check that features, labels and targets do not change when later bars are removed."""
    from sensequant.data.adjusted import AdjustedBarStore
    from sensequant.data.catalog import Catalog
    from sensequant.dataset.lookahead import lookahead_check
    from sensequant.pipeline.universe_rules import preflight_for_universe

    if cuts < 1:
        raise UsageError(f"--cuts {cuts} must be at least 1")
    cfg = _config(config, features, symbols, interval)
    st = read_settings()
    catalog = Catalog(st.catalog_path)
    # the run's own pre-flight: intraday defaults, the universe's benchmark, top_k fitted
    cfg, store, pf = preflight_for_universe(
        cfg, AdjustedBarStore(st.store_dir, catalog), catalog, lambda _: None
    )
    dc = cfg.data
    bars = {s: store.read(s, dc.interval, end=pf.range_end) for s in pf.symbols}
    bench = store.read(dc.benchmark, dc.interval, end=pf.range_end, columns=["timestamp", "close"])
    sectors = catalog.industries(list(pf.symbols))
    report = lookahead_check(bars, bench, sectors, cfg, cuts)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print(report)
    if not report.ok:
        raise typer.Exit(1)


def _print(report: Any) -> None:
    table = Table(
        Column("cut", no_wrap=True),
        Column("symbols", justify="right"),
        Column("rows", justify="right"),
        "changed column",
        "kind",
        "first symbol",
        Column("first timestamp", no_wrap=True),
        "full",
        "truncated",
        Column("rows changed", justify="right"),
    )
    for c in report.cuts:
        cut = c.cut.date() if c.cut == c.cut.normalize() else c.cut.strftime("%Y-%m-%d %H:%M")
        head = [str(cut), str(c.symbols), str(c.rows)]
        if not c.changes:
            table.add_row(*head, "(none)", "", "", "", "", "", "")
        for i, ch in enumerate(c.changes):
            row = head if i == 0 else ["", "", ""]
            d = ch.to_dict()
            table.add_row(
                *row,
                ch.column,
                ch.kind,
                ch.symbol,
                str(ch.timestamp.date()),
                _value(d["full"]),
                _value(d["truncated"]),
                str(ch.n_rows),
            )
    print_table(table)
    sets = ",".join(report.feature_sets)
    out.print(f"{len(report.symbols)} symbols, sets {sets}, target {report.target}", markup=False)
    out.print(f"prediction check: {report.prediction_check}", markup=False)
    if report.ok:
        err.print("no look-ahead: every value at or before each cut is unchanged", markup=False)
    else:
        cols = ", ".join(report.leaked_columns)
        err.print(f"LEAK: changed when later bars were removed: {cols}", markup=False)


def _value(v: Any) -> str:
    return "NaN" if v is None else str(v)
