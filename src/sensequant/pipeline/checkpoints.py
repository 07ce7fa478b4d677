"""Phase checkpoints of a run, so ``sensequant run --resume RUN_ID`` continues a killed run.

Layout (relative to the run directory; deleted when the run has been registered)::

    checkpoints/preflight.json                  the PreflightReport
    checkpoints/teachers/<symbol>.json          one symbol's WindowOutcome list, written as it
    checkpoints/teachers/<symbol>.*.parquet       finishes (OOF frames, LightGBM model texts)
    checkpoints/student.json                    the student phase's result (and the plain
    checkpoints/student.*.parquet                 student's predictions)

Nothing is pickled (loading a pickle from a folder runs code): each checkpoint is a versioned
JSON manifest plus Parquet parts (:mod:`sensequant.pipeline.checkpoint_files` for the format,
:mod:`sensequant.pipeline.checkpoint_codec` for each type). A checkpoint that is missing,
of an unknown format or version, or altered or unreadable is treated as absent: a warning
names it and the phase is computed again.

The data snapshot (``snapshot/``, :mod:`sensequant.pipeline.snapshot`) is kept: the resumed run
reads the same bars, and ``sensequant stress RUN_ID`` replays on them later.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from sensequant.data.market import symbol_to_filename
from sensequant.pipeline.checkpoint_codec import (
    PREFLIGHT_VERSION,
    STUDENT_VERSION,
    TEACHERS_VERSION,
    outcomes_from_parts,
    outcomes_to_parts,
    preflight_from_meta,
    preflight_to_meta,
    student_from_parts,
    student_to_parts,
)
from sensequant.pipeline.checkpoint_files import (
    CheckpointFormatError,
    read_checkpoint,
    write_checkpoint,
)
from sensequant.pipeline.phase_results import StudentPhaseResult
from sensequant.pipeline.preflight import PreflightReport
from sensequant.pipeline.rundir import CHECKPOINTS_DIR
from sensequant.pipeline.teachers import WindowOutcome

__all__ = ["CHECKPOINTS_DIR", "Checkpoints"]

_log = logging.getLogger(__name__)
T = TypeVar("T")
Parts = tuple[dict[str, Any], dict[str, pd.DataFrame]]


class Checkpoints:
    """Read and write the checkpoints of one run directory (see the module docstring).

    Parameters
    ----------
    run_dir : pathlib.Path
        The run directory.
    warn : callable, optional
        Receives one line per checkpoint that is ignored (unreadable) or could not be
        written; default: this module's logger.
    """

    def __init__(self, run_dir: Path, warn: Callable[[str], None] | None = None) -> None:
        self.dir = Path(run_dir) / CHECKPOINTS_DIR
        self._warn = warn or _log.warning

    # -- generic ---------------------------------------------------------------------------

    def _save(self, name: str, kind: str, version: int, parts: Callable[[], Parts]) -> None:
        try:
            meta, frames = parts()
            write_checkpoint(self.dir, name, kind, version, meta, frames)
        except (CheckpointFormatError, ValueError, TypeError) as exc:  # not disk errors
            self._warn(f"checkpoint {name} not written ({exc}); a resume computes it again")

    def _load(
        self,
        name: str,
        kind: str,
        version: int,
        decode: Callable[[dict[str, Any], dict[str, pd.DataFrame]], T],
    ) -> T | None:
        try:
            found = read_checkpoint(self.dir, name, kind, version)
            return None if found is None else decode(*found)
        except Exception as exc:  # any bad content: the phase is recomputed, never fatal
            self._warn(f"checkpoint {self.dir / name} ignored, computed again: {exc}")
            return None

    # -- per phase -------------------------------------------------------------------------

    def save_preflight(self, pf: PreflightReport) -> None:
        """Checkpoint the pre-flight report.

        Raises
        ------
        StoreError
            If a file cannot be written.
        """
        self._save("preflight", "preflight", PREFLIGHT_VERSION, lambda: (preflight_to_meta(pf), {}))

    def preflight(self) -> PreflightReport | None:
        """The checkpointed pre-flight report; None when absent or unusable (warned)."""
        return self._load(
            "preflight", "preflight", PREFLIGHT_VERSION, lambda m, _: preflight_from_meta(m)
        )

    def save_teachers(self, outcomes: list[WindowOutcome]) -> None:
        """Checkpoint the outcomes of one symbol's windows (all of the same symbol).

        Raises
        ------
        StoreError
            If a file cannot be written.
        """
        if outcomes:
            name = f"teachers/{symbol_to_filename(outcomes[0].window.symbol)}"
            self._save(name, "teachers", TEACHERS_VERSION, lambda: outcomes_to_parts(outcomes))

    def teachers(self, symbols: list[str]) -> dict[str, list[WindowOutcome]]:
        """The checkpointed outcomes of those ``symbols`` that finished, by symbol.

        A symbol whose checkpoint is unusable (warned), or holds another symbol's windows, is
        left out: its teachers are trained again.
        """
        found: dict[str, list[WindowOutcome]] = {}
        for s in symbols:
            name = f"teachers/{symbol_to_filename(s)}"
            saved = self._load(name, "teachers", TEACHERS_VERSION, outcomes_from_parts)
            if saved is not None and any(o.window.symbol != s for o in saved):
                self._warn(f"checkpoint {self.dir / name} holds another symbol; trained again")
                saved = None
            if saved is not None:
                found[s] = saved
        return found

    def save_student(self, sp: StudentPhaseResult, plain: pd.DataFrame | None) -> None:
        """Checkpoint the student phase and the plain student's predictions (or None).

        Raises
        ------
        StoreError
            If a file cannot be written.
        """
        self._save("student", "student", STUDENT_VERSION, lambda: student_to_parts(sp, plain))

    def student(self) -> tuple[StudentPhaseResult, pd.DataFrame | None] | None:
        """The checkpointed student phase and plain predictions; None when absent/unusable."""
        return self._load("student", "student", STUDENT_VERSION, student_from_parts)

    def has_legacy_pickles(self) -> bool:
        """Whether this folder holds pickled checkpoints of an earlier version (never loaded)."""
        return self.dir.is_dir() and any(self.dir.rglob("*.pkl"))

    def clear(self) -> None:
        """Delete every checkpoint (the run has been registered)."""
        shutil.rmtree(self.dir, ignore_errors=True)
