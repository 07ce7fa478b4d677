"""The live-progress page: a run's phase, percent, ETA and recent events, refreshed every 2 s.

The page re-reads the run's ``telemetry.jsonl`` in a Streamlit fragment that reruns on a timer,
so a run going in another process shows its progress without reloading the page.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st

from sensequant.dashboard.display import duration, literal
from sensequant.dashboard.live import LiveProgress, read_progress
from sensequant.dashboard.nav import pick_run
from sensequant.dashboard.runs import run_dir_of
from sensequant.pipeline import RunPaths
from sensequant.settings import Settings

__all__ = ["LIVE_SECTIONS", "REFRESH_S", "live_page", "show_progress"]

REFRESH_S: Final = 2.0
"""Seconds between two reads of the telemetry file."""
LIVE_SECTIONS = ("Progress", "Phases done", "Recent events")
"""The live page's section headers, in order."""


def show_progress(live: LiveProgress) -> None:
    """Render where a run stands: status, phase, percent, ETA, phases done, recent events."""
    st.subheader("Progress")
    step = live.step or live.phase or "n/a"
    cols = st.columns(4)
    cols[0].metric("status", live.status)
    cols[1].metric("phase", live.phase or "n/a")
    cols[2].metric("percent of step", "n/a" if live.percent is None else f"{live.percent:.0f} %")
    cols[3].metric("ETA of step", duration(live.eta_s) if live.status == "running" else "-")
    done = "" if live.total is None else f" ({live.done} of {live.total})"
    st.progress(
        min(1.0, (live.percent or 0.0) / 100.0),
        text=literal(f"{step}{done}; elapsed {duration(live.elapsed_s)}"),
    )
    st.caption(
        literal(
            f"started {live.started_at or 'n/a'}; last event {live.last_event_at or 'n/a'}; "
            f"{live.n_events} events"
        )
    )
    st.subheader("Phases done")
    if live.phases:
        st.dataframe(pd.DataFrame(live.phases), hide_index=True)
    else:
        st.info("No phase has ended yet.")
    st.subheader("Recent events")
    if live.recent:
        st.dataframe(pd.DataFrame(live.recent), hide_index=True)
    else:
        st.info("No telemetry events yet.")


def live_page(settings: Settings) -> None:
    """Render the live-progress page for the chosen run (default: a running one)."""
    st.title("Live progress")
    run_id = pick_run(settings, "Run", prefer=("running",))
    if run_id is None:
        return
    telemetry = RunPaths(run_dir_of(settings, run_id)).telemetry

    @st.fragment(run_every=REFRESH_S)
    def _panel() -> None:
        show_progress(read_progress(telemetry))

    _panel()
