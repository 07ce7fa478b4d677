"""The Streamlit dashboard: runs, a run's evidence, live progress, data coverage, registry events.

``sensequant dashboard`` serves :mod:`.app` on 127.0.0.1 only. The data each page shows comes
from plain functions (no Streamlit) that tests call directly:

* :func:`list_runs`, :func:`registry_events` -- the registry joined with the run directories;
* :func:`load_run_view` and its tables -- one run's briefing, returns, stress and history;
* :func:`read_progress` -- a run's status, phase, percent, ETA and recent events from its
  ``telemetry.jsonl``, also while another process writes it;
* :func:`load_coverage` -- the store audit, gaps and corporate actions;
* :func:`review` -- approve or reject through the registry, as the CLI does.

The page modules (``script.app``, ``pages``, ``page_run``, ``page_live``, ``nav``,
``display``) import Streamlit and are not re-exported here.
"""

from sensequant.dashboard.coverage import Coverage, load_coverage
from sensequant.dashboard.live import LiveProgress, read_progress, run_status
from sensequant.dashboard.review import review
from sensequant.dashboard.run_view import (
    RunView,
    equity_drawdown,
    gates_table,
    load_run_view,
    strategy_card,
    stress_table,
    trials_table,
)
from sensequant.dashboard.runs import list_runs, registry_events

__all__ = [
    "Coverage",
    "LiveProgress",
    "RunView",
    "equity_drawdown",
    "gates_table",
    "list_runs",
    "load_coverage",
    "load_run_view",
    "read_progress",
    "registry_events",
    "review",
    "run_status",
    "strategy_card",
    "stress_table",
    "trials_table",
]
