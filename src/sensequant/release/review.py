"""Approve and reject a run: verify its evidence, apply four-eyes, record who and what.

The actor is the OS user (:mod:`sensequant.identity`) with an optional validated
display name. :func:`approve` first verifies every artifact against the manifest
(:func:`~sensequant.release.verify.verify_run`) and refuses a tampered run; then, while the
run's own configuration says ``review.require_second_person`` (default on), refuses an approval
by the OS user who produced the run (or by anyone, for a run registered before producers were
recorded). The approval event stores the manifest's SHA-256, which deploy checks again.

Exit codes (through the errors raised): 2 for usage (unknown or ambiguous run id, bad display
name), 1 for a refusal (tampered evidence, four-eyes, an illegal state move).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sensequant.config_sections import ReviewConfig
from sensequant.errors import ReviewRefusedError, TamperedError
from sensequant.identity import Actor, current_actor
from sensequant.release.registry import Registry
from sensequant.release.registry_records import RunRecord
from sensequant.release.verify import RunCheck, verify_run

__all__ = ["ReviewOutcome", "approve", "reject", "require_second_person", "tampered"]


@dataclass(frozen=True)
class ReviewOutcome:
    """A completed review action: the run after it, who acted, the verified manifest hash."""

    record: RunRecord
    actor: Actor
    manifest_sha256: str | None = None
    retired: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``run_id, state, actor, display_name, manifest_sha256, retired``."""
        return {
            "run_id": self.record.run_id,
            "state": self.record.state,
            "universe": self.record.universe,
            "interval": self.record.interval,
            "actor": self.actor.os_user,
            "display_name": self.actor.display_name,
            "manifest_sha256": self.manifest_sha256,
            "retired": list(self.retired),
        }


def tampered(check: RunCheck, action: str) -> TamperedError:
    """The error refusing ``action`` on a run that failed verification (first problems named)."""
    shown = "; ".join(check.problems[:5])
    more = f" (and {len(check.problems) - 5} more)" if len(check.problems) > 5 else ""
    return TamperedError(
        f"refusing to {action} run {check.run_id}: its evidence does not verify: {shown}{more}",
        hint=f"see `sensequant verify {check.run_id}`; a changed run must be re-run, not reused",
    )


def require_second_person(manifest: dict[str, Any]) -> bool:
    """``review.require_second_person`` of the run's configuration as its manifest stores it
    (the default, on, for a run whose configuration predates the review section)."""
    config = manifest.get("config")
    review = config.get("review") if isinstance(config, dict) else None
    if isinstance(review, dict) and "require_second_person" in review:
        return bool(review["require_second_person"])
    return ReviewConfig().require_second_person


def approve(
    registry: Registry,
    run_id: str,
    *,
    display_name: str | None,
    note: str | None,
    override: bool = False,
) -> ReviewOutcome:
    """Verify, apply four-eyes and approve a candidate.

    Parameters
    ----------
    registry : Registry
    run_id : str
        Full id or an unambiguous prefix.
    display_name : str or None
        ``--by``: validated, stored beside the OS user.
    note : str or None
        Why (required with ``override``).
    override : bool, default False
        Approve a ``gates-failed`` run.

    Returns
    -------
    ReviewOutcome

    Raises
    ------
    UsageError
        Bad display name or no OS user (exit 2).
    UnknownRunError
        Unknown or ambiguous run id (exit 2).
    TamperedError
        The run's evidence does not verify (exit 1).
    ReviewRefusedError
        The producer approving its own run under four-eyes (exit 1).
    RegistryError
        Illegal move or a missing override (exit 1).
    """
    actor = current_actor(display_name)
    rid = registry.resolve(run_id)
    record = registry.get(rid)
    check = verify_run(record)
    if not check.ok:
        raise tampered(check, "approve")
    if require_second_person(check.manifest):
        if record.producer is None:
            raise ReviewRefusedError(
                f"run {rid} was registered before producers were recorded, so four-eyes "
                "cannot be checked",
                hint="re-run the pipeline for an attributable candidate (review."
                "require_second_person is on in the run's configuration)",
            )
        if record.producer == actor.os_user:
            raise ReviewRefusedError(
                f"OS user {actor.os_user!r} produced run {rid} and cannot also approve it "
                "(four-eyes: review.require_second_person is on)",
                hint="ask a second person to approve it from their own account",
            )
    updated = registry.transition(
        rid,
        "approved",
        actor=actor.os_user,
        display_name=actor.display_name,
        note=note,
        override=override,
        manifest_sha256=check.manifest_sha256,
    )
    return ReviewOutcome(updated, actor, check.manifest_sha256)


def reject(
    registry: Registry, run_id: str, *, display_name: str | None, note: str
) -> ReviewOutcome:
    """Reject a candidate or an approved run, with a reason (no verification needed).

    Raises
    ------
    UsageError, UnknownRunError
        Bad display name; unknown or ambiguous run id (exit 2).
    RegistryError
        Missing note or an illegal move (exit 1).
    """
    actor = current_actor(display_name)
    rid = registry.resolve(run_id)
    updated = registry.transition(
        rid, "rejected", actor=actor.os_user, display_name=actor.display_name, note=note
    )
    return ReviewOutcome(updated, actor)
