"""The orchestrator (see :mod:`sensequant.pipeline.run`), the stress replay of a run, daily
signals and retraining."""

from sensequant.pipeline.retrain import RetrainOutcome, retrain
from sensequant.pipeline.run import RunResult, run_pipeline
from sensequant.pipeline.rundir import LoadedRun, RunPaths, load_run
from sensequant.pipeline.signals import SignalSet, compute_signals
from sensequant.pipeline.stress_phase import run_stress

__all__ = [
    "LoadedRun",
    "RetrainOutcome",
    "RunPaths",
    "RunResult",
    "SignalSet",
    "compute_signals",
    "load_run",
    "retrain",
    "run_pipeline",
    "run_stress",
]
