"""``sensequant data actions``: review the corporate actions the store's bars are adjusted by.

Suspected bonuses and splits are detected at import and fetch (see
:mod:`sensequant.data.quality.corporate_actions`) and applied on read as soon as they are recorded;
this command lists them and lets a person confirm or reject each one. A rejected action is no
longer applied; a confirmed one stays confirmed when detection runs again. Each decision is
kept with the reviewer (the OS user, plus ``--by``: :mod:`sensequant.identity`, the identity
every review records) and the series fingerprint,
apart from the derived rows, so re-detection and ``sensequant data repair`` keep it.

Registered by :mod:`sensequant.cli.main` as ``data_app.command("actions")(actions)``.
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

__all__ = ["actions"]


def _target(text: str) -> tuple[str, dt.date]:
    """``SYMBOL:YYYY-MM-DD`` -> (symbol, ex-date)."""
    symbol, sep, day = text.rpartition(":")
    parsed = parse_date(day, "ex-date") if sep else None
    if not symbol or parsed is None:
        raise UsageError(f"{text!r} is not SYMBOL:YYYY-MM-DD", hint="e.g. HINDALCO:1996-09-04")
    return symbol, parsed


@guard
def actions(
    symbol: Annotated[str | None, typer.Option(help="Only this symbol.")] = None,
    confirm: Annotated[
        list[str] | None,
        typer.Option("--confirm", help="Confirm SYMBOL:YYYY-MM-DD (repeatable)."),
    ] = None,
    reject: Annotated[
        list[str] | None,
        typer.Option("--reject", help="Reject SYMBOL:YYYY-MM-DD: no longer applied (repeatable)."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            "--reviewer-name",
            help="Display name recorded beside your OS user (plain text, <= 64).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the actions as JSON.")] = False,
) -> None:
    """List corporate actions (price factors applied on read); confirm or reject them."""
    from sensequant.cli.repair import open_home_catalog
    from sensequant.identity import current_actor

    catalog = open_home_catalog(read_settings())
    decisions = [("confirmed", t) for t in confirm or []] + [("rejected", t) for t in reject or []]
    actor = current_actor(by) if decisions else None
    for status, item in decisions:
        assert actor is not None
        sym, day = _target(item)
        catalog.review_corporate_action(
            sym, day, status, reviewer=actor.os_user, reviewer_name=actor.display_name
        )
        err.print(f"{sym} {day}: {status} by {actor.label()}", highlight=False, markup=False)
    frame = catalog.corporate_actions(symbol)
    reviews = {
        (r["symbol"], r["ex_date"]): r["reviewer"]
        + (f" ({r['reviewer_name']})" if r["reviewer_name"] else "")
        for r in catalog.action_reviews(symbol).to_dict("records")
    }
    frame["reviewed_by"] = [
        reviews.get((s, d)) for s, d in zip(frame["symbol"], frame["ex_date"], strict=True)
    ]
    if as_json:
        print(json.dumps(frame.to_dict("records"), indent=2, default=str))
        return
    table = Table(
        "symbol", "ex-date", "kind", "price factor", "source", "status", "reviewed by", "detail"
    )
    for row in frame.to_dict("records"):
        table.add_row(
            *(Text(str(row[k])) for k in ("symbol", "ex_date", "kind")),
            f"{row['price_factor']:.4f}",
            *(Text(str(row[k] or "")) for k in ("source", "status", "reviewed_by", "detail")),
        )
    print_table(table, width=160)
    err.print(
        f"{len(frame)} action(s); suspected and confirmed ones are applied on read "
        "(the store keeps raw bars)",
        highlight=False,
    )
    pending = len(catalog.structural_breaks(statuses=["pending"]))
    if pending:
        err.print(
            f"{pending} structural break(s) await review: `sensequant data breaks`",
            highlight=False,
        )
