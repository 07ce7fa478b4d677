"""The runs list, data-coverage and registry-events pages."""

from __future__ import annotations

from typing import Any, Final

import plotly.graph_objects as go
import streamlit as st

from sensequant.dashboard.coverage import Coverage, load_coverage
from sensequant.dashboard.display import column_config, literal
from sensequant.dashboard.runs import list_runs, registry_events
from sensequant.settings import Settings

__all__ = [
    "COVERAGE_SECTIONS",
    "EVENTS_SECTIONS",
    "RUNS_SECTIONS",
    "coverage_page",
    "events_page",
    "runs_page",
]

RUNS_SECTIONS: Final = ("Runs",)
COVERAGE_SECTIONS: Final = ("Audit", "Gaps", "Corporate actions")
EVENTS_SECTIONS: Final = ("Events",)
_INTERVALS: Final = ("1day", "30minute", "5minute", "1minute")


def runs_page(settings: Settings) -> None:
    """Render every run: status (review state, running, interrupted, failed), gate decision and
    headline numbers, newest first."""
    st.title("Runs")
    runs = list_runs(settings)
    st.caption(literal(f"registry {settings.registry_path}; run directories {settings.runs_dir}"))
    counts = runs["status"].value_counts()
    cols = st.columns(max(1, len(counts)))
    for col, (status, n) in zip(cols, counts.items(), strict=False):
        col.metric(str(status), int(n))
    st.subheader("Runs")
    if runs.empty:
        st.info("No runs yet: start one with `sensequant run`.")
        return
    shown = runs.drop(columns=["run_dir"])
    st.dataframe(shown, hide_index=True, column_config=column_config(shown))
    st.caption(
        "sharpe: annualised, net of costs; cagr and max_drawdown as percent; dsr: deflated "
        "Sharpe ratio over n_trials. Open a run on the Run page."
    )


@st.cache_data(ttl=60, show_spinner="auditing the store ...")
def _coverage(home: str, interval: str) -> Coverage:
    return load_coverage(_settings_at(home), interval)


def _settings_at(home: str) -> Settings:
    return Settings(home=home)


def _summary(cov: Coverage) -> None:
    s: dict[str, Any] = cov.summary
    status = s.get("status", {})
    cols = st.columns(5)
    cols[0].metric("symbols", s.get("symbols", 0))
    cols[1].metric(
        "ok / warn / error",
        f"{status.get('ok', 0)} / {status.get('warn', 0)} / {status.get('error', 0)}",
    )
    cols[2].metric("bars", f"{s.get('total_bars', 0):,}")
    cols[3].metric("symbols with gaps", s.get("symbols_with_gaps", 0))
    cols[4].metric("corporate actions", len(cov.actions))


def coverage_page(settings: Settings) -> None:
    """Render the store audit (coverage per symbol), its gaps and the corporate actions."""
    st.title("Data coverage")
    interval = st.selectbox("Interval", _INTERVALS)
    cov = _coverage(str(settings.home), interval)
    _summary(cov)
    st.subheader("Audit")
    if cov.audit.empty:
        st.info(literal(f"The store holds no {interval} bars: `sensequant data import PATH`."))
    else:
        fig = go.Figure(go.Bar(x=cov.audit["symbol"], y=cov.audit["bars"], name="bars"))
        fig.update_layout(title="Bars per symbol", height=300, margin={"t": 40, "b": 30})
        st.plotly_chart(fig)
        st.dataframe(cov.audit, hide_index=True, column_config=column_config(cov.audit))
    st.subheader("Gaps")
    if cov.gaps.empty:
        st.success("No missing regular sessions between each symbol's first and last bar.")
    else:
        st.dataframe(cov.gaps, hide_index=True, column_config=column_config(cov.gaps))
    st.subheader("Corporate actions")
    if cov.actions.empty:
        st.info("No corporate actions recorded in the catalog.")
    else:
        st.caption(
            "Suspected and confirmed actions are applied on read; review them with "
            "`sensequant data actions`."
        )
        st.dataframe(cov.actions, hide_index=True, column_config=column_config(cov.actions))


def events_page(settings: Settings) -> None:
    """Render the registry's append-only event log of every run, newest first."""
    st.title("Registry events")
    events = registry_events(settings)
    st.caption(literal(f"registry {settings.registry_path}: {len(events)} events"))
    st.subheader("Events")
    if events.empty:
        st.info("No registry events yet.")
        return
    st.dataframe(events, hide_index=True)
