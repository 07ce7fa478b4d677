"""Approve or reject a run from the dashboard: the same service calls as the CLI.

``sensequant approve`` / ``reject`` call :func:`sensequant.release.review.approve` /
:func:`~sensequant.release.review.reject`; so does :func:`review`, so every rule applies
unchanged and is enforced in one place: the actor is the OS user running the dashboard (it
listens on 127.0.0.1 only, so that is the person at this machine) with an optional validated
display name; the run's evidence is verified against its manifest before an approval; the
run's producer may not approve it while ``review.require_second_person`` is on; a note is
required to reject, and an override with a note to approve a run whose gates failed.
"""

from __future__ import annotations

from typing import Final

from sensequant.errors import UsageError
from sensequant.release import Registry
from sensequant.release.review import ReviewOutcome, approve, reject
from sensequant.settings import Settings

__all__ = ["DECISIONS", "review"]

DECISIONS: Final[dict[str, str]] = {"approve": "approved", "reject": "rejected"}
"""Dashboard action -> registry state."""


def review(
    settings: Settings,
    run_id: str,
    decision: str,
    *,
    display_name: str | None,
    note: str | None,
    override: bool = False,
) -> ReviewOutcome:
    """Approve or reject ``run_id`` as the OS user running the dashboard.

    Parameters
    ----------
    settings : Settings
        Where the registry lives.
    run_id : str
        Full id or an unambiguous prefix.
    decision : {"approve", "reject"}
    display_name : str or None
        Optional name shown beside the OS user (as ``--by``): printable, at most 64
        characters, no markup; empty means none.
    note : str or None
        Why; required to reject and to approve by override.
    override : bool, default False
        Approve a run whose gates failed (needs a note), as ``--override``.

    Returns
    -------
    ReviewOutcome
        The run's updated record, the actor and (approvals) the verified manifest hash.

    Raises
    ------
    UsageError
        An unknown decision or a bad display name.
    UnknownRunError
        Unknown or ambiguous run id.
    TamperedError
        The run's artifacts do not match its manifest (approval refused).
    ReviewRefusedError
        The run's producer approving it under four-eyes.
    RegistryError
        Whatever else the registry refuses: a missing note, an illegal move, a failed-gates
        approval without override and note.
    """
    if decision not in DECISIONS:
        raise UsageError(f"unknown decision {decision!r}", hint="use approve or reject")
    name = display_name.strip() if display_name and display_name.strip() else None
    registry = Registry(settings.registry_path)
    if decision == "approve":
        return approve(registry, run_id, display_name=name, note=note, override=override)
    return reject(registry, run_id, display_name=name, note=note or "")
