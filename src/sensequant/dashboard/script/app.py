"""The Streamlit entry script of ``sensequant dashboard`` (``streamlit run`` executes it).

Pages are chosen in the sidebar and named in the URL's ``page`` query parameter
(``?page=run&run=<run_id>``), so every page can be opened, bookmarked and screenshotted by
address. Settings (``SENSEQUANT_HOME``) come from the environment, as for the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import streamlit as st

from sensequant.dashboard.display import show_error
from sensequant.dashboard.page_live import live_page
from sensequant.dashboard.page_run import run_page
from sensequant.dashboard.pages import coverage_page, events_page, runs_page
from sensequant.errors import SenseQuantError
from sensequant.settings import Settings, load_settings

__all__ = ["PAGES", "main"]

# query-parameter name -> (sidebar label, page function); no bare string below: Streamlit's
# "magic" would print it on the page
PAGES: Final[dict[str, tuple[str, Callable[[Settings], None]]]] = {
    "runs": ("Runs", runs_page),
    "run": ("Run", run_page),
    "live": ("Live progress", live_page),
    "coverage": ("Data coverage", coverage_page),
    "events": ("Registry events", events_page),
}


def main() -> None:
    """Render the page named by the ``page`` query parameter (default: the runs list)."""
    st.set_page_config(page_title="SenseQuant", layout="wide", initial_sidebar_state="expanded")
    current = st.query_params.get("page", "runs")
    if current not in PAGES:
        current = "runs"
    names = list(PAGES)
    choice = st.sidebar.radio(
        "SenseQuant", names, index=names.index(current), format_func=lambda k: PAGES[k][0]
    )
    if choice != st.query_params.get("page"):
        st.query_params["page"] = choice
    st.sidebar.caption("Read-only research dashboard: it never places orders.")
    try:
        settings = load_settings()
        PAGES[choice][1](settings)
    except SenseQuantError as exc:
        show_error(exc)


main()
