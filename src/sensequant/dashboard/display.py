"""Small display helpers shared by the dashboard pages: literal text, column formats, charts.

Text from files and users (notes, run ids, error messages) is shown literally: Streamlit
renders Markdown in headers and alerts, so :func:`literal` escapes it first.
"""

from __future__ import annotations

import re
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

__all__ = [
    "COUNT_COLUMNS",
    "PERCENT_COLUMNS",
    "column_config",
    "drawdown_figure",
    "duration",
    "equity_figure",
    "literal",
    "show_error",
]

_MARKDOWN: Final = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
PERCENT_COLUMNS: Final = frozenset(
    {
        "cagr",
        "max_drawdown",
        "strategy return",
        "NIFTY 50 return",
        "benchmark return",
        "strategy max drawdown",
    }
)
"""Columns holding fractions, shown as percent."""
COUNT_COLUMNS: Final = frozenset({"n_trials", "bars", "missing_sessions", "longest_gap"})
"""Columns holding counts, shown without decimals (they are floats when a value is missing)."""


def literal(text: Any) -> str:
    """``text`` with every Markdown character escaped, so Streamlit shows it as written."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def show_error(exc: Exception) -> None:
    """Show a SenseQuant error (message and hint) or any exception as a red box, literally."""
    message = getattr(exc, "message", None) or str(exc)
    hint = getattr(exc, "hint", None)
    st.error(literal(message) + (f"  \nhint: {literal(hint)}" if hint else ""))


def duration(seconds: float | None) -> str:
    """``1 h 02 min``, ``3 min 05 s`` or ``12 s``; ``n/a`` for None."""
    if seconds is None:
        return "n/a"
    s = round(float(seconds))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


def column_config(frame: pd.DataFrame) -> dict[str, Any]:
    """Streamlit column formats: :data:`PERCENT_COLUMNS` as percent, :data:`COUNT_COLUMNS` as
    integers, other floats with 3 decimals."""
    config: dict[str, Any] = {}
    for col in frame.columns:
        if col in COUNT_COLUMNS:
            config[col] = st.column_config.NumberColumn(format="%d")
        elif col in PERCENT_COLUMNS:
            config[col] = st.column_config.NumberColumn(format="percent")
        elif pd.api.types.is_float_dtype(frame[col]):
            config[col] = st.column_config.NumberColumn(format="%.3f")
    return config


def _lines(frame: pd.DataFrame, title: str, yaxis: dict[str, Any]) -> go.Figure:
    fig = go.Figure()
    for col in frame.columns:
        fig.add_trace(go.Scatter(x=frame.index, y=frame[col], mode="lines", name=str(col)))
    fig.update_layout(
        title=title,
        yaxis=yaxis,
        height=380,
        margin={"l": 40, "r": 20, "t": 50, "b": 30},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def equity_figure(equity: pd.DataFrame, title: str = "Growth of Rs 1 (net of costs)") -> go.Figure:
    """Line chart of growth-of-1 curves, one trace per column (index: timestamps)."""
    return _lines(equity, title, {"title": "growth of Rs 1"})


def drawdown_figure(drawdown: pd.DataFrame) -> go.Figure:
    """Line chart of drawdowns (fractions <= 0, shown as percent), one trace per column."""
    return _lines(drawdown, "Drawdown", {"title": "drawdown", "tickformat": ".0%"})
