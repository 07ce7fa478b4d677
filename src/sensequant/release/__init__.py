"""Release layer: run manifest, release gates, promotion briefing, plots and the run registry.

Modules
-------
manifest
    ``manifest.yaml`` contents (config, data fingerprints, versions, git, seeds, artifacts);
    secret scrubbing and the atomic writers live in :mod:`sensequant.fsutil` (re-exported).
gates
    Release gates from :class:`~sensequant.settings.GateConfig` and the gate decision.
briefing
    ``promotion_briefing.json`` / ``.md`` generated only from computed results.
plots
    Equity and drawdown PNG (matplotlib, no pyplot state); imported on demand.
registry
    SQLite registry of runs with an append-only, hash-chained event log and the review state
    machine (``registry_records``, ``registry_txn``, ``registry_chain``).
verify, review, deploy
    Evidence verification against the manifest and of the event chain; approve/reject with
    four-eyes; deploy/retire/rollback (imported on demand by the CLI). The acting OS user and
    display names come from :mod:`sensequant.identity` (shared with the data reviews).

This package imports the foundations (settings, types, errors) and, for the report's series,
the metric definitions of its sibling layer :mod:`sensequant.evaluation`; the pipeline passes it
plain data.
"""

from __future__ import annotations

# foundation helpers, re-exported here for the callers of this face
from sensequant.fsutil import (
    scrub_secrets,
    sha256_file,
    write_json_atomic,
    write_text_atomic,
    write_yaml_atomic,
)
from sensequant.release.briefing import (
    BENCHMARK,
    EQUAL_WEIGHT,
    BriefingData,
    SeriesLabels,
    briefing_to_dict,
    headline,
)
from sensequant.release.briefing_md import write_briefing
from sensequant.release.gates import (
    GateInputs,
    GateResult,
    decide,
    decision_reason,
    evaluate_gates,
    status_of,
)
from sensequant.release.manifest import build_manifest, git_revision, package_versions
from sensequant.release.registry import Event, Registry, RunRecord

__all__ = [
    "BENCHMARK",
    "EQUAL_WEIGHT",
    "BriefingData",
    "Event",
    "GateInputs",
    "GateResult",
    "Registry",
    "RunRecord",
    "SeriesLabels",
    "briefing_to_dict",
    "build_manifest",
    "decide",
    "decision_reason",
    "evaluate_gates",
    "git_revision",
    "headline",
    "package_versions",
    "scrub_secrets",
    "sha256_file",
    "status_of",
    "write_briefing",
    "write_json_atomic",
    "write_text_atomic",
    "write_yaml_atomic",
]
