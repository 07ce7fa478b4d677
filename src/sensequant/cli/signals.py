"""``sensequant signals``: target weights and ranks for the next session (no orders placed).

A thin wrapper over :func:`sensequant.pipeline.signals.compute_signals`: picks the run
(``--run RUN_ID`` or ``--deployed``), prints a table (stderr: provenance; stdout: the rows),
``--json`` (one object on stdout) or ``--out FILE`` (``.json``: the same object; else CSV with
the provenance repeated on every row). Format: README, "Daily signals". Exit codes: 0 ok;
1 refused (stale data, feature-set mismatch, nothing deployed); 2 usage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sensequant.cli.common import (
    err,
    guard,
    literal,
    out,
    parse_date,
    parse_interval_option,
    print_table,
    settings,
)

__all__ = ["signals"]


@guard
def signals(
    run: Annotated[
        str | None, typer.Option("--run", help="Registered run id or unambiguous prefix.")
    ] = None,
    deployed: Annotated[
        bool, typer.Option("--deployed", help="Use the deployed run (see `sensequant deploy`).")
    ] = False,
    date: Annotated[
        str | None, typer.Option(help="Use bars up to this IST date only (default: today).")
    ] = None,
    max_age_days: Annotated[
        int, typer.Option(min=0, help="Refuse bars older than this many calendar days.")
    ] = 5,
    universe: Annotated[
        str | None, typer.Option(help="With --deployed: the deployment's universe.")
    ] = None,
    interval: Annotated[
        str | None, typer.Option(help="With --deployed: the deployment's interval.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object on stdout.")] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write FILE (.json: JSON object; else CSV).")
    ] = None,
) -> None:
    """Target weights and ranks for the session after the last stored bar. Places no orders."""
    from sensequant.data.adjusted import AdjustedBarStore
    from sensequant.data.catalog import Catalog
    from sensequant.errors import UsageError
    from sensequant.pipeline import compute_signals
    from sensequant.pipeline.deployed import chosen_run
    from sensequant.release.registry import Registry

    if as_json and out_file is not None:
        raise UsageError("give at most one of --json and --out")
    st = settings()
    record = chosen_run(
        Registry(st.registry_path),
        run,
        deployed=deployed,
        universe=universe,
        interval=parse_interval_option(interval),
    )
    catalog = Catalog(st.catalog_path)
    result = compute_signals(
        record.run_id,
        Path(record.run_dir),
        AdjustedBarStore(st.store_dir, catalog),
        catalog=catalog,
        date=parse_date(date, "--date"),
        max_age_days=max_age_days,
    )
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    if out_file is not None:
        result.write(out_file)
        err.print(literal(f"signals for {result.for_session} written to {out_file}"))
        return
    err.print(
        literal(
            f"run {result.run_id} ({result.model}), bars up to {result.as_of}, "
            f"weights for the session of {result.for_session} (IST); no orders are placed"
        )
    )
    for note in result.notes:
        err.print(literal(f"note: {note}"))
    table = Table("rank", "symbol", "target weight", "score")
    for row in result.rows.itertuples():
        table.add_row(
            str(row.rank), literal(row.symbol), f"{row.target_weight:.2%}", f"{row.score:.4f}"
        )
    print_table(table, out)
