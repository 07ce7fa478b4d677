"""Approve or reject a run from the dashboard: the registry's own service call, as the CLI.

``sensequant approve`` / ``reject`` call :meth:`sensequant.release.Registry.transition`; so does
:func:`review`, with the same arguments, so the registry's rules (who may decide, a note to
reject, an override and a note to approve a run whose gates failed, the allowed moves) apply
unchanged and are enforced in one place.
"""

from __future__ import annotations

from typing import Final

from sensequant.errors import UsageError
from sensequant.release import Registry, RunRecord
from sensequant.settings import Settings

__all__ = ["DECISIONS", "review"]

DECISIONS: Final[dict[str, str]] = {"approve": "approved", "reject": "rejected"}
"""Dashboard action -> registry state."""


def review(
    settings: Settings,
    run_id: str,
    decision: str,
    *,
    actor: str,
    note: str | None,
    override: bool = False,
) -> RunRecord:
    """Approve or reject ``run_id`` in the registry, recording who and why.

    Parameters
    ----------
    settings : Settings
        Where the registry lives.
    run_id : str
    decision : {"approve", "reject"}
    actor : str
        Who decides (recorded), as ``--by`` on the command line.
    note : str or None
        Why; required to reject and to approve by override.
    override : bool, default False
        Approve a run whose gates failed (needs a note), as ``--override``.

    Returns
    -------
    RunRecord
        The run's updated record.

    Raises
    ------
    UsageError
        If ``decision`` is neither ``approve`` nor ``reject``.
    RegistryError
        Whatever the registry refuses: unknown run, empty actor, missing note, an illegal
        move, a failed-gates approval without override and note.
    """
    if decision not in DECISIONS:
        raise UsageError(f"unknown decision {decision!r}", hint="use approve or reject")
    registry = Registry(settings.registry_path)
    return registry.transition(
        run_id, DECISIONS[decision], actor=actor, note=note, override=override
    )
