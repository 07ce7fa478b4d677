"""The orchestrator (see :mod:`sensequant.pipeline.run`)."""

from sensequant.pipeline.run import RunResult, run_pipeline

__all__ = ["RunResult", "run_pipeline"]
