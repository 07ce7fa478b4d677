"""The orchestrator (see :mod:`sensequant.pipeline.run`) and the stress replay of a run."""

from sensequant.pipeline.run import RunResult, run_pipeline
from sensequant.pipeline.rundir import LoadedRun, RunPaths, load_run
from sensequant.pipeline.stress_phase import run_stress

__all__ = ["LoadedRun", "RunPaths", "RunResult", "load_run", "run_pipeline", "run_stress"]
