"""Phase checkpoints of a run, so ``sensequant run --resume RUN_ID`` continues a killed run.

Layout (relative to the run directory; deleted when the run has been registered)::

    checkpoints/preflight.pkl           the PreflightReport
    checkpoints/teachers/<symbol>.pkl   one symbol's WindowOutcome list, written as it finishes
    checkpoints/student.pkl             the student phase's result (and the plain student's)

The data snapshot (``snapshot/``, :mod:`sensequant.pipeline.snapshot`) is kept: the resumed run
reads the same bars, and ``sensequant stress RUN_ID`` replays on them later. Checkpoints are
Python pickles written atomically by this package for the same run directory; they are not an
exchange format (a run directory from someone else is not something to resume).
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from typing import Any

from sensequant.data.market import symbol_to_filename
from sensequant.fsutil import atomic_write
from sensequant.pipeline.rundir import CHECKPOINTS_DIR
from sensequant.pipeline.teachers import WindowOutcome

__all__ = ["CHECKPOINTS_DIR", "Checkpoints"]


class Checkpoints:
    """Read and write the checkpoints of one run directory (see the module docstring).

    Parameters
    ----------
    run_dir : pathlib.Path
        The run directory.
    """

    def __init__(self, run_dir: Path) -> None:
        self.dir = Path(run_dir) / CHECKPOINTS_DIR

    def _path(self, name: str) -> Path:
        return self.dir / f"{name}.pkl"

    def save(self, name: str, value: Any) -> None:
        """Write ``value`` as checkpoint ``name``, atomically.

        Raises
        ------
        StoreError
            If the file cannot be written.
        """
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write(self._path(name), lambda h: h.write(payload))

    def load(self, name: str) -> Any | None:
        """Checkpoint ``name``, or None when it was not written."""
        path = self._path(name)
        if not path.is_file():
            return None
        with path.open("rb") as fh:
            return pickle.load(fh)  # written by this package, for this run

    def save_teachers(self, outcomes: list[WindowOutcome]) -> None:
        """Checkpoint the outcomes of one symbol's windows (all of the same symbol)."""
        if outcomes:
            self.save(f"teachers/{symbol_to_filename(outcomes[0].window.symbol)}", outcomes)

    def teachers(self, symbols: list[str]) -> dict[str, list[WindowOutcome]]:
        """The checkpointed outcomes of those ``symbols`` that finished, by symbol."""
        found: dict[str, list[WindowOutcome]] = {}
        for s in symbols:
            saved = self.load(f"teachers/{symbol_to_filename(s)}")
            if saved is not None:
                found[s] = saved
        return found

    def clear(self) -> None:
        """Delete every checkpoint (the run has been registered)."""
        shutil.rmtree(self.dir, ignore_errors=True)
