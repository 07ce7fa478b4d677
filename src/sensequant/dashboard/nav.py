"""Choosing a run on a page: a select box remembered in the ``run`` query parameter."""

from __future__ import annotations

import streamlit as st

from sensequant.dashboard.runs import list_runs
from sensequant.settings import Settings

__all__ = ["pick_run"]


def pick_run(settings: Settings, label: str, prefer: tuple[str, ...] = ()) -> str | None:
    """A run chosen in a select box, remembered in the ``run`` query parameter.

    Parameters
    ----------
    settings : Settings
    label : str
        The select box's label.
    prefer : tuple of str
        Statuses to choose first when no run is named (e.g. ``("running",)``).

    Returns
    -------
    str or None
        None when there is no run at all.
    """
    runs = list_runs(settings)
    if runs.empty:
        st.info("No runs yet: start one with `sensequant run`.")
        return None
    ids = runs["run_id"].tolist()
    wanted = st.query_params.get("run")
    if wanted not in ids:
        preferred = runs[runs["status"].isin(prefer)]["run_id"].tolist()
        wanted = (preferred or ids)[0]
    status = dict(zip(runs["run_id"], runs["status"], strict=True))
    chosen = st.selectbox(
        label, ids, index=ids.index(wanted), format_func=lambda r: f"{r} ({status[r]})"
    )
    if chosen != st.query_params.get("run"):
        st.query_params["run"] = chosen
    return str(chosen)
