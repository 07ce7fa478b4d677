"""Which registered run a command acts on: ``--run RUN_ID`` or the deployed champion."""

from __future__ import annotations

from sensequant.errors import RegistryError, UsageError
from sensequant.release.registry import Registry
from sensequant.release.registry_records import RunRecord

__all__ = ["chosen_run", "deployed_run"]


def deployed_run(
    registry: Registry, *, universe: str | None = None, interval: str | None = None
) -> RunRecord:
    """The deployed run (one per universe and interval; narrow with ``universe``/``interval``).

    Raises
    ------
    RegistryError
        No run is deployed (for that universe and interval).
    UsageError
        Several are deployed and the arguments do not pick one.
    """
    found = [
        r
        for r in registry.list_runs(["deployed"])
        if (universe is None or r.universe == universe)
        and (interval is None or r.interval == interval)
    ]
    if not found:
        raise RegistryError(
            "no deployed run"
            + (f" for {universe or '*'} {interval or '*'}" if universe or interval else ""),
            hint="approve and deploy a run first (`sensequant approve`, `sensequant deploy`)",
        )
    if len(found) > 1:
        names = ", ".join(sorted(f"{r.universe} {r.interval}" for r in found))
        raise UsageError(
            f"several runs are deployed ({names})",
            hint="pick one with --universe and --interval, or pass --run RUN_ID",
        )
    return found[0]


def chosen_run(
    registry: Registry,
    run_id: str | None,
    *,
    deployed: bool,
    universe: str | None = None,
    interval: str | None = None,
) -> RunRecord:
    """``--run RUN_ID`` (id or unambiguous prefix) or ``--deployed``; exactly one of them.

    Raises
    ------
    UsageError, UnknownRunError
        Both or neither given; unknown or ambiguous id.
    RegistryError
        ``--deployed`` with nothing deployed.
    """
    if (run_id is None) == (not deployed):
        raise UsageError("give exactly one of --run RUN_ID and --deployed")
    if run_id is not None:
        return registry.get(registry.resolve(run_id))
    return deployed_run(registry, universe=universe, interval=interval)
