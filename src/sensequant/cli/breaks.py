"""``sensequant data breaks``: review the structural breaks kept out of the pipeline.

Pre-flight (and ``--detect`` here) finds one-session moves far beyond a symbol's volatility
that no split or bonus explains (:mod:`sensequant.data.quality.breaks`) and records them
``pending``. Until a person decides, the pipeline keeps the affected bars out of labels,
training windows and backtest returns (:mod:`sensequant.data.quality.break_mask`). This
command lists them and records a decision with the reviewer's identity (the OS user, plus
``--by``: :mod:`sensequant.identity`, the identity every review records) and time:
``--confirm`` (a real break: keep the bars out) or ``--reject`` (the data is right: use the
bars again).

Registered by :mod:`sensequant.cli.main` as ``data_app.command("breaks")(breaks)``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from sensequant.cli.common import err, guard, parse_date, print_table, read_settings
from sensequant.errors import UsageError

__all__ = ["breaks"]

_KINDS = ("level_shift", "spike", "bad_print")


def _target(text: str) -> tuple[str, dt.date, str | None]:
    """``SYMBOL:YYYY-MM-DD[:KIND]`` -> (symbol, session date, kind or None)."""
    kind: str | None = None
    head, sep, tail = text.rpartition(":")
    if sep and tail in _KINDS:
        text, kind = head, tail
    symbol, sep, day = text.rpartition(":")
    parsed = parse_date(day, "session date") if sep else None
    if not symbol or parsed is None:
        raise UsageError(
            f"{text!r} is not SYMBOL:YYYY-MM-DD[:KIND]",
            hint="e.g. CIPLA:2004-05-11 or ADANIENT:2015-06-03:bad_print",
        )
    return symbol, parsed, kind


@guard
def breaks(
    symbol: Annotated[str | None, typer.Option(help="Only this symbol.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Only this status: pending, confirmed or rejected.")
    ] = None,
    confirm: Annotated[
        list[str] | None,
        typer.Option(
            "--confirm",
            help="Confirm SYMBOL:YYYY-MM-DD[:KIND]: a real break, its bars stay out (repeatable).",
        ),
    ] = None,
    reject: Annotated[
        list[str] | None,
        typer.Option(
            "--reject",
            help="Reject SYMBOL:YYYY-MM-DD[:KIND]: the data is right, use the bars (repeatable).",
        ),
    ] = None,
    detect: Annotated[
        bool, typer.Option("--detect", help="Scan every stored daily series first.")
    ] = False,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Display name recorded beside your OS user (plain text, <= 64)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the breaks as JSON.")] = False,
) -> None:
    """List structural breaks (kept out of runs until reviewed); confirm or reject them."""
    from sensequant.cli.repair import open_home_catalog
    from sensequant.data.adjusted import AdjustedBarStore
    from sensequant.data.quality import BREAK_INTERVAL
    from sensequant.identity import current_actor

    if status is not None and status not in ("pending", "confirmed", "rejected"):
        raise UsageError(f"--status {status!r} is not pending, confirmed or rejected")
    st = read_settings()
    catalog = open_home_catalog(st)
    if detect:
        view = AdjustedBarStore(st.store_dir, catalog)
        names = [symbol] if symbol else view.symbols(BREAK_INTERVAL)
        found = view.refresh_breaks(names, BREAK_INTERVAL)
        err.print(f"{len(names)} daily series scanned, {len(found)} break(s) found", markup=False)
    items = [("confirmed", t) for t in confirm or []] + [("rejected", t) for t in reject or []]
    reviewer = current_actor(by).label() if items else ""
    for decision, item in items:
        sym, day, kind = _target(item)
        n = catalog.set_break_status(sym, day, decision, reviewer, kind=kind)
        err.print(f"{sym} {day}: {n} break(s) {decision} by {reviewer}", markup=False)
    frame = catalog.structural_breaks(symbol, [status] if status else None)
    if as_json:
        print(json.dumps(frame.to_dict("records"), indent=2, default=str))
        return
    table = Table("symbol", "date", "kind", "to", "move", "status", "reviewer", "detail")
    for row in frame.to_dict("records"):
        who = f"{row['reviewer']} {str(row['decided_at'])[:16]}" if row["reviewer"] else ""
        table.add_row(
            *(Text(str(row[k])) for k in ("symbol", "session_date", "kind", "last_date")),
            f"{float(row['size']):+.3f}",
            Text(str(row["status"])),
            Text(who),
            Text(str(row["detail"] or "")),
        )
    print_table(table, width=180)
    pending = int((frame["status"] == "pending").sum()) if len(frame) else 0
    err.print(
        f"{len(frame)} break(s), {pending} pending; pending and confirmed ones are kept out of "
        "labels, training windows and backtest returns (move = log change)",
        markup=False,
    )
