"""Deploy, retire and roll back approved runs: one deployed run per (universe, interval).

:func:`deploy` takes an ``approved`` run only, verifies its evidence against the manifest hash
its approval stored, and in one registry transaction retires the run deployed for the same
universe and interval (event note ``superseded by <run>``) and deploys the new one.
:func:`retire` takes a deployed run out of service. :func:`rollback` undoes the last
deployment of a (universe, interval): it retires the current run and re-deploys the one
deployed before it (replaying the deployment history from the event log; repeated rollbacks go
further back). SenseQuant places no orders: "deployed" only marks which run's signals are used.
"""

from __future__ import annotations

from sensequant.errors import RegistryError, UsageError
from sensequant.identity import current_actor
from sensequant.release.registry import Registry
from sensequant.release.registry_records import Event, RunRecord
from sensequant.release.review import ReviewOutcome, tampered
from sensequant.release.verify import RunCheck, approved_manifest, verify_run

__all__ = ["deploy", "deployment_history", "retire", "rollback"]


def _verified(registry: Registry, record: RunRecord, action: str) -> RunCheck:
    check = verify_run(record, expected_manifest=approved_manifest(registry.events(record.run_id)))
    if not check.ok:
        raise tampered(check, action)
    return check


def _interval(record: RunRecord, check: RunCheck) -> str:
    if record.interval:
        return record.interval
    data = (check.manifest.get("config") or {}).get("data") or {}
    return str(data.get("interval") or "1day")


def deploy(
    registry: Registry, run_id: str, *, display_name: str | None, note: str | None = None
) -> ReviewOutcome:
    """Deploy an approved run, retiring the one deployed for its universe and interval.

    Raises
    ------
    UsageError, UnknownRunError
        Bad display name; unknown or ambiguous run id (exit 2).
    RegistryError
        The run is not ``approved`` (exit 1; a retired run comes back by rollback).
    TamperedError
        Its evidence does not verify, or its manifest changed since approval (exit 1).
    """
    actor = current_actor(display_name)
    rid = registry.resolve(run_id)
    record = registry.get(rid)
    if record.state != "approved":
        raise RegistryError(
            f"run {rid} is {record.state}; only an approved run can be deployed",
            hint="approve it first (`sensequant approve`); a retired run returns by "
            "`sensequant rollback`",
        )
    check = _verified(registry, record, "deploy")
    interval = _interval(record, check)
    with registry.atomic() as txn:
        txn.set_interval(rid, interval)
        current = txn.in_state("deployed", record.universe, interval)
        for old in current:
            txn.move(
                old.run_id,
                "retired",
                actor=actor.os_user,
                display_name=actor.display_name,
                note=f"superseded by {rid}",
            )
        updated = txn.move(
            rid,
            "deployed",
            actor=actor.os_user,
            display_name=actor.display_name,
            note=note,
            manifest_sha256=check.manifest_sha256,
        )
    return ReviewOutcome(updated, actor, check.manifest_sha256, tuple(r.run_id for r in current))


def retire(
    registry: Registry, run_id: str, *, display_name: str | None, note: str | None = None
) -> ReviewOutcome:
    """Take a deployed run out of service.

    Raises
    ------
    UsageError, UnknownRunError
        Bad display name; unknown or ambiguous run id (exit 2).
    RegistryError
        The run is not deployed (exit 1).
    """
    actor = current_actor(display_name)
    rid = registry.resolve(run_id)
    updated = registry.transition(
        rid, "retired", actor=actor.os_user, display_name=actor.display_name, note=note
    )
    return ReviewOutcome(updated, actor)


def deployment_history(
    events: list[Event], runs: dict[str, RunRecord]
) -> dict[tuple[str, str | None], list[str]]:
    """Per (universe, interval), the stack of deployments still in effect, oldest first.

    Each ``approved -> deployed`` pushes the run; a rollback's ``retired -> deployed`` pops the
    stack back to the re-deployed run.
    """
    stacks: dict[tuple[str, str | None], list[str]] = {}
    for e in events:
        rec = runs.get(e.run_id)
        if e.to_state != "deployed" or rec is None:
            continue
        stack = stacks.setdefault((rec.universe, rec.interval), [])
        if e.from_state == "retired" and e.run_id in stack:
            while stack[-1] != e.run_id:
                stack.pop()
        else:
            stack.append(e.run_id)
    return stacks


def rollback(
    registry: Registry,
    *,
    universe: str | None = None,
    interval: str | None = None,
    display_name: str | None = None,
    note: str | None = None,
) -> ReviewOutcome:
    """Retire the deployed run of a (universe, interval) and re-deploy the one before it.

    Parameters
    ----------
    universe, interval : str, optional
        Which deployment; may be left out when only one (universe, interval) has a history.

    Returns
    -------
    ReviewOutcome
        The re-deployed run; ``retired`` names the run rolled back (empty when none was
        deployed, e.g. after a manual retire, which rollback then undoes).

    Raises
    ------
    UsageError
        Several deployments match and none was chosen, or bad display name (exit 2).
    RegistryError
        Nothing to roll back to (exit 1).
    TamperedError
        The run to re-deploy does not verify (exit 1).
    """
    actor = current_actor(display_name)
    runs = {r.run_id: r for r in registry.list_runs()}
    stacks = deployment_history(registry.all_events(), runs)
    scopes = [
        k
        for k, v in stacks.items()
        if v and (universe is None or k[0] == universe) and (interval is None or k[1] == interval)
    ]
    if len(scopes) != 1:
        listed = ", ".join(f"{u} {i}" for u, i in sorted(scopes, key=str)) or "none"
        raise UsageError(
            f"rollback needs exactly one deployment history; matching: {listed}",
            hint="choose with --universe and --interval",
        )
    scope = scopes[0]
    stack = stacks[scope]
    current = [rid for rid in stack if runs[rid].state == "deployed"]
    below = stack[:-1] if current and stack[-1] == current[-1] else stack
    target = next((rid for rid in reversed(below) if runs[rid].state == "retired"), None)
    if target is None:
        raise RegistryError(
            f"no earlier deployment of {scope[0]} {scope[1]} to roll back to",
            hint="see `sensequant runs --state retired`",
        )
    check = _verified(registry, runs[target], "roll back to")
    with registry.atomic() as txn:
        for rid in current:
            txn.move(
                rid,
                "retired",
                actor=actor.os_user,
                display_name=actor.display_name,
                note=note or f"rolled back to {target}",
            )
        updated = txn.move(
            target,
            "deployed",
            actor=actor.os_user,
            display_name=actor.display_name,
            note=note or f"rollback from {', '.join(current) or 'none'}",
            manifest_sha256=check.manifest_sha256,
            rollback=True,
        )
    return ReviewOutcome(updated, actor, check.manifest_sha256, tuple(current))
