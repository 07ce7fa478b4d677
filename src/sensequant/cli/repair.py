"""``sensequant data repair``: rebuild the catalog's derived tables from the bar store.

Also :func:`open_home_catalog`, how the data commands open the catalog: a catalog missing
beside a store that holds bars is rebuilt from the store with a warning (never silently
empty); a damaged one is refused with a message pointing here (exit 1, no traceback).

Registered by :mod:`sensequant.cli.main` as ``data_app.command("repair")(repair)``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from sensequant.cli.common import err, guard, read_settings

__all__ = ["open_home_catalog", "repair"]


def _warn(text: str) -> None:
    err.print("warning: ", style="yellow", end="", highlight=False)
    err.print(text, highlight=False, markup=False)


def open_home_catalog(st: Any) -> Any:
    """The catalog of ``SENSEQUANT_HOME`` (:func:`sensequant.data.repair.open_catalog`)."""
    from sensequant.data.repair import open_catalog
    from sensequant.data.store import BarStore

    return open_catalog(st.catalog_path, BarStore(st.store_dir), notify=_warn)


@guard
def repair(
    as_json: Annotated[bool, typer.Option("--json", help="Print what was done as JSON.")] = False,
) -> None:
    """Rebuild the catalog's derived tables (detected corporate actions) from the bar store;
    a damaged catalog is moved aside and what can be read of it kept."""
    from sensequant.data.repair import repair_catalog
    from sensequant.data.store import BarStore

    st = read_settings()
    report = repair_catalog(BarStore(st.store_dir, lock_timeout=60.0), st.catalog_path)
    counts: dict[str, int] = {}
    for r in report.series:
        counts[r.status] = counts.get(r.status, 0) + 1
    if as_json:
        out = {
            "catalog": str(report.catalog_path),
            "created": report.created,
            "moved_aside": None if report.moved_aside is None else str(report.moved_aside),
            "salvaged": report.salvaged,
            "lost": report.lost,
            "series": counts,
            "actions_found": report.actions_found,
        }
        print(json.dumps(out, indent=2))
        return
    if report.moved_aside is not None:
        _warn(f"the damaged catalog was moved to {report.moved_aside}")
        kept = ", ".join(f"{t} {n}" for t, n in report.salvaged.items()) or "nothing"
        err.print(f"kept from it: {kept}", highlight=False, markup=False)
        for lost in report.lost:
            _warn(f"could not be read from it: {lost}")
    elif report.created:
        _warn(f"there was no catalog at {report.catalog_path}; created it from the store")
    err.print(
        f"repaired {report.catalog_path}: corporate actions detected again on "
        f"{counts.get('detected', 0)} stored series ({report.actions_found} found), "
        f"{counts.get('dropped', 0)} series no longer stored forgotten; reviews re-applied",
        highlight=False,
        markup=False,
    )
