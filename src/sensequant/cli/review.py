"""Review and deployment commands: ``runs``, ``approve``, ``reject``, ``verify``, ``deploy``,
``retire``, ``rollback``.

Thin wrappers over :mod:`sensequant.release.review`, :mod:`~sensequant.release.deploy` and
:mod:`~sensequant.release.verify`: they parse, call and print. The actor is the OS user;
``--by`` adds a validated display name. Run ids may be given as unambiguous prefixes. Every
stored text is printed literally (:func:`~sensequant.cli.common.literal`). ``--json`` prints one
object (a list for ``runs``) on stdout. Exit codes: 0 ok; 1 refused or failed (tampered
evidence, four-eyes, illegal state move, ``verify`` finding a problem); 2 usage (unknown or
ambiguous run id, bad display name).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from sensequant.cli.common import (
    err,
    guard,
    literal,
    out,
    parse_interval_option,
    print_table,
    read_settings,
)
from sensequant.errors import UsageError

__all__ = ["approve", "deploy", "reject", "retire", "rollback", "runs", "verify"]

By = Annotated[
    str | None,
    typer.Option("--by", help="Display name recorded beside your OS user (plain text, <= 64)."),
]
Note = Annotated[str | None, typer.Option(help="Why (recorded).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print a JSON object on stdout.")]


def _registry() -> Any:
    from sensequant.release.registry import Registry

    return Registry(read_settings().registry_path)


def _report(outcome: Any, verb: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(outcome.to_dict(), indent=2))
        return
    for old in outcome.retired:
        err.print(literal(f"{old}: retired"))
    err.print(literal(f"{outcome.record.run_id}: {verb} by {outcome.actor.label()}"))


@guard
def runs(
    state: Annotated[
        list[str] | None, typer.Option("--state", help="Only runs in this state (repeatable).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List registered runs (newest first), optionally by state."""
    from sensequant.release.registry_lifecycle import sweep_gone

    reg = _registry()
    sweep_gone(reg)  # running runs whose process is gone -> interrupted
    found = reg.list_runs(state or None)
    if as_json:
        print(json.dumps([asdict(r) for r in found], default=str, indent=2))
        return
    table = Table(
        Column("run", no_wrap=True),
        Column("state", no_wrap=True),
        Column("gates", no_wrap=True),
        "universe",
        "interval",
        "producer",
        Column("created (IST)", no_wrap=True),
    )
    for r in found:
        table.add_row(
            *(literal(v) for v in (r.run_id, r.state, r.gate_decision, r.universe, r.interval)),
            literal(r.producer),
            literal(str(r.created_at)[:16].replace("T", " ")),
        )
    print_table(table)


@guard
def approve(
    run_id: str,
    by: By = None,
    note: Note = None,
    override: Annotated[
        bool, typer.Option(help="Approve although gates failed (needs --note).")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Verify a candidate's evidence and approve it (four-eyes: not by its producer)."""
    from sensequant.release.review import approve as do_approve

    outcome = do_approve(_registry(), run_id, display_name=by, note=note, override=override)
    _report(outcome, "approved", as_json)


@guard
def reject(
    run_id: str,
    note: Annotated[str, typer.Option(help="Why (required).")],
    by: By = None,
    as_json: AsJson = False,
) -> None:
    """Reject a candidate or an approved run, with a reason."""
    from sensequant.release.review import reject as do_reject

    _report(do_reject(_registry(), run_id, display_name=by, note=note), "rejected", as_json)


@guard
def deploy(run_id: str, by: By = None, note: Note = None, as_json: AsJson = False) -> None:
    """Deploy an approved run (verified first); retires the run deployed for its universe and
    interval."""
    from sensequant.release.deploy import deploy as do_deploy

    _report(do_deploy(_registry(), run_id, display_name=by, note=note), "deployed", as_json)


@guard
def retire(run_id: str, by: By = None, note: Note = None, as_json: AsJson = False) -> None:
    """Take a deployed run out of service."""
    from sensequant.release.deploy import retire as do_retire

    _report(do_retire(_registry(), run_id, display_name=by, note=note), "retired", as_json)


@guard
def rollback(
    universe: Annotated[str | None, typer.Option(help="Universe of the deployment.")] = None,
    interval: Annotated[str | None, typer.Option(help="Interval of the deployment.")] = None,
    by: By = None,
    note: Note = None,
    as_json: AsJson = False,
) -> None:
    """Retire the deployed run and re-deploy the one deployed before it."""
    from sensequant.release.deploy import rollback as do_rollback

    outcome = do_rollback(
        _registry(),
        universe=universe,
        interval=parse_interval_option(interval),
        display_name=by,
        note=note,
    )
    _report(outcome, "re-deployed (rollback)", as_json)


@guard
def verify(
    run_id: Annotated[str | None, typer.Argument(help="Run id or unambiguous prefix.")] = None,
    registry: Annotated[
        bool, typer.Option("--registry", help="Check the registry's event hash chain.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Check a run's artifacts against its manifest, and/or the registry's event chain.

    Exits 1 when anything does not verify.
    """
    from sensequant.release.verify import approved_manifest, verify_registry, verify_run

    if run_id is None and not registry:
        raise UsageError("nothing to verify", hint="give a RUN_ID and/or --registry")
    reg = _registry()
    result: dict[str, Any] = {}
    if run_id is not None:
        rid = reg.resolve(run_id)
        check = verify_run(reg.get(rid), expected_manifest=approved_manifest(reg.events(rid)))
        result["run"] = check.to_dict()
    if registry:
        result["registry"] = verify_registry(reg).to_dict()
    result["ok"] = all(part["ok"] for part in result.values())
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        _print_verify(result)
    if not result["ok"]:
        raise typer.Exit(1)


def _print_verify(result: dict[str, Any]) -> None:
    run = result.get("run")
    if run is not None:
        status = "ok" if run["ok"] else "FAILED"
        out.print(literal(f"run {run['run_id']}: {status} ({run['checked']} artifacts checked)"))
        for problem in run["problems"]:
            out.print(literal(f"  {problem}"))
    chain = result.get("registry")
    if chain is not None:
        status = "ok" if chain["ok"] else "FAILED"
        out.print(literal(f"registry: {status} ({chain['events']} events, head {chain['head']})"))
        for p in chain["problems"]:
            out.print(literal(f"  {p['problem']}"))
