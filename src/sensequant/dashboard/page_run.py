"""The run page: strategy card, equity and drawdown, gates, stress, trials, review history and
the approve/reject form."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from sensequant.dashboard.display import (
    column_config,
    drawdown_figure,
    equity_figure,
    literal,
    show_error,
)
from sensequant.dashboard.nav import pick_run
from sensequant.dashboard.page_live import show_progress
from sensequant.dashboard.review import review
from sensequant.dashboard.run_view import (
    RunView,
    equity_drawdown,
    gates_table,
    load_run_view,
    strategy_card,
    stress_table,
    trials_curves,
    trials_table,
)
from sensequant.errors import SenseQuantError
from sensequant.settings import Settings

__all__ = ["RUN_SECTIONS", "run_page"]

RUN_SECTIONS = (
    "Strategy card",
    "Equity and drawdown",
    "Gates",
    "Stress",
    "Trials",
    "Review history",
    "Review",
)
"""The run page's section headers, in order."""


def _card(view: RunView) -> None:
    st.subheader("Strategy card")
    rows = strategy_card(view)
    if not rows:
        st.info("No configuration or briefing in this run directory yet.")
        return
    st.table(pd.DataFrame(rows, columns=["", "value"]).set_index(""))


def _equity(view: RunView) -> None:
    st.subheader("Equity and drawdown")
    if view.daily is None or view.daily.empty:
        st.info("No daily returns yet (written by the backtest phase).")
        return
    equity, drawdown = equity_drawdown(view.daily, view.briefing)
    left, right = st.columns(2)
    left.plotly_chart(equity_figure(equity))
    right.plotly_chart(drawdown_figure(drawdown))


def _gates(brief: dict[str, Any] | None) -> None:
    st.subheader("Gates")
    if brief is None:
        st.info("No briefing yet: gates are evaluated in the release phase.")
        return
    gates = gates_table(brief)
    failed = int((gates["status"] == "FAIL").sum())
    skipped = int((gates["status"] == "NOT EVALUATED").sum())
    done = len(gates) - skipped
    word = "evaluated gates" if skipped else "gates"
    text = f"{brief.get('decision')}: {done - failed} of {done} {word} passed"
    if skipped:
        text += f"; {skipped} not evaluated (see the explanation)"
    (st.success if failed == 0 else st.warning)(literal(text))
    st.dataframe(gates, hide_index=True, column_config=column_config(gates))


def _stress(view: RunView) -> None:
    st.subheader("Stress")
    if view.stress is None:
        st.info("No stress replay in this run (stress.enabled false, or not reached yet).")
        return
    table = stress_table(view.stress)
    fig = go.Figure(
        [
            go.Bar(name=name, x=table["period"], y=table[col])
            for name, col in (
                ("strategy", "strategy return"),
                ("NIFTY 50", "NIFTY 50 return"),
                ("benchmark", "benchmark return"),
            )
            if col in table
        ]
    )
    fig.update_layout(
        title="Total return in each stress period",
        yaxis={"tickformat": ".0%"},
        height=360,
        margin={"l": 40, "r": 20, "t": 50, "b": 30},
    )
    st.plotly_chart(fig)
    st.dataframe(table, hide_index=True, column_config=column_config(table))


def _trials(view: RunView) -> None:
    st.subheader("Trials")
    if view.briefing is None:
        st.info("No briefing yet: trials are listed in the release phase.")
        return
    table = trials_table(view.briefing)
    st.caption(
        f"{len(table)} configurations tried in this run; the deflated Sharpe ratio counts "
        "them (and the ledger's earlier trials on the same data)."
    )
    st.dataframe(table, hide_index=True, column_config=column_config(table))
    if view.trials is not None and not view.trials.empty:
        curves = trials_curves(view.trials)
        st.plotly_chart(equity_figure(curves, "Growth of Rs 1 of every trial (net)"))


def _history(view: RunView) -> None:
    st.subheader("Review history")
    if not view.events:
        st.info("Not in the registry: a run enters it when it finishes or fails.")
        return
    frame = pd.DataFrame(view.events).drop(columns=["run_id", "event_id"])
    st.dataframe(frame, hide_index=True)


def _review_form(settings: Settings, view: RunView) -> None:
    st.subheader("Review")
    record = view.record
    if record is None or record.state not in ("candidate", "approved"):
        state = "not registered" if record is None else record.state
        st.info(literal(f"Nothing to review: the run is {state}."))
        return
    st.caption(
        "Approve or reject as `sensequant approve` / `reject` do: recorded as your OS user "
        "(the one running this dashboard) with an optional display name; the run is verified "
        "against its manifest first; its producer cannot approve it (four-eyes); a note is "
        "required to reject, and an override with a note to approve a run whose gates failed."
    )
    with st.form("review"):
        decision = st.radio("Decision", ["approve", "reject"], horizontal=True)
        actor = st.text_input("Display name (optional, recorded beside your OS user)")
        note = st.text_area("Note")
        override = st.checkbox("Override failed gates (needs a note)")
        submitted = st.form_submit_button("Record decision")
    if submitted:
        try:
            outcome = review(
                settings,
                view.run_id,
                decision,
                display_name=actor,
                note=note or None,
                override=override,
            )
        except SenseQuantError as exc:
            show_error(exc)
        else:
            rec, who = outcome.record, outcome.actor
            by = who.os_user + (f" ({who.display_name})" if who.display_name else "")
            st.success(literal(f"{rec.run_id}: {rec.state} by {by}"))


def run_page(settings: Settings) -> None:
    """Render the run page for the run in the ``run`` query parameter (default: the newest)."""
    st.title("Run")
    run_id = pick_run(settings, "Run")
    if run_id is None:
        return
    try:
        view = load_run_view(settings, run_id)
    except SenseQuantError as exc:
        show_error(exc)
        return
    state = view.record.state if view.record is not None else "not registered"
    st.caption(literal(f"{view.paths.root}  |  registry state: {state}"))
    if view.live is not None and view.live.status == "running":
        show_progress(view.live)
    _card(view)
    _equity(view)
    _gates(view.briefing)
    _stress(view)
    _trials(view)
    _history(view)
    _review_form(settings, view)
