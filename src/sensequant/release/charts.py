"""Interactive charts of the HTML run report (plotly), readable offline.

Each function returns an HTML fragment: a ``<div>`` and the inline ``<script>`` that draws it
with ``Plotly.newPlot``. The plotly.js library itself is embedded ONCE per report by
:func:`plotly_bundle` (never fetched from a CDN), so the file opens without a network. Series
are written with dates as ``YYYY-MM-DD`` (IST sessions) and values rounded to 6 significant
places to keep the file small. This module only draws; every plotted number is computed by
the section that calls it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.release.figures import PALETTE

PLOTLY_MARKER: Final = "plotly.js (embedded, MIT licence)"
"""Comment placed before the embedded library (tests find the bundle by it)."""
_CYCLE: Final = (
    "#1f5fa8", "#e07b00", "#2e8b3a", "#555555", "#8e44ad", "#c0392b", "#16a085", "#b7950b",
    "#7f8c8d", "#d35400", "#2c3e50", "#27ae60",
)  # fmt: skip
_CONFIG: Final = {
    "displaylogo": False,
    "responsive": True,
    "displayModeBar": False,  # drag to zoom, double-click to reset, hover for values
}
_FIXED: Final = {"cash": "#d5d8de", "other stocks": "#9aa3ad"}


@functools.cache
def plotly_bundle() -> str:
    """The ``<script>`` holding plotly.js itself (about 3.5 MB), to place once per page."""
    from plotly.offline import get_plotlyjs

    return f'<!-- {PLOTLY_MARKER} --><script type="text/javascript">{get_plotlyjs()}</script>'


def colors(names: Sequence[str]) -> list[str]:
    """The report's colour per known series name (:data:`PALETTE`), a fixed cycle otherwise."""
    known = PALETTE | _FIXED
    taken = {known[n] for n in names if n in known}
    spare = iter([c for c in _CYCLE if c not in taken] + list(_CYCLE) * 4)
    return [known[n] if n in known else next(spare) for n in names]


def _dates(index: pd.Index) -> list[str]:
    idx = pd.DatetimeIndex(index)
    return list(idx.strftime("%Y-%m-%d"))


def _values(values: Any) -> list[float | None]:
    arr = np.asarray(values, dtype=float)
    return [float(f"{v:.6g}") if np.isfinite(v) else None for v in arr]


def _figure(
    traces: list[Any],
    div_id: str,
    *,
    yaxis: str,
    percent: bool = False,
    height: int = 380,
    layout: Mapping[str, Any] | None = None,
) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(traces)
    base: dict[str, Any] = {
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "hovermode": "x unified",
        "yaxis": {"title": yaxis, "tickformat": ".1%" if percent else None},
    }
    fig.update_layout(base | dict(layout or {}))
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_CONFIG))


def line_chart(
    series: Mapping[str, pd.Series],
    div_id: str,
    *,
    yaxis: str,
    percent: bool = False,
    fill_first: bool = False,
    hline: float | None = None,
    height: int = 380,
) -> str:
    """Date-indexed lines (one per entry), as an interactive chart.

    Parameters
    ----------
    series : mapping of str to pandas.Series
        Legend name -> values indexed by session timestamp.
    div_id : str
        Unique id of the chart's ``<div>`` within the report.
    yaxis : str
        Y-axis title.
    percent : bool
        Values are fractions, shown as %.
    fill_first : bool
        Fill between the first series and 0 (underwater, exposure).
    hline : float, optional
        A dotted horizontal reference line.
    height : int
        Pixels.

    Returns
    -------
    str
        HTML fragment (needs :func:`plotly_bundle` on the page).
    """
    import plotly.graph_objects as go

    names = list(series)
    traces = []
    for i, (name, color) in enumerate(zip(names, colors(names), strict=True)):
        s = series[name].astype(float).dropna()
        traces.append(
            go.Scatter(
                x=_dates(s.index),
                y=_values(s.to_numpy()),
                name=name,
                mode="lines",
                line={"color": color, "width": 1.8 if i == 0 else 1.2},
                fill="tozeroy" if fill_first and i == 0 else None,
            )
        )
    shapes = (
        [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": hline, "y1": hline,
          "line": {"color": "#999999", "width": 1, "dash": "dot"}}]
        if hline is not None
        else []
    )  # fmt: skip
    return _figure(
        traces, div_id, yaxis=yaxis, percent=percent, height=height, layout={"shapes": shapes}
    )


def stacked_area(frame: pd.DataFrame, div_id: str, *, yaxis: str, height: int = 400) -> str:
    """Stacked areas of the columns of ``frame`` (fractions, shown as %), one per column.

    Parameters
    ----------
    frame : pandas.DataFrame
        Date index x named columns (e.g. weight per symbol, per sector, cash).
    div_id, yaxis, height
        As :func:`line_chart`.

    Returns
    -------
    str
        HTML fragment.
    """
    import plotly.graph_objects as go

    names = [str(c) for c in frame.columns]
    x = _dates(frame.index)
    traces = [
        go.Scatter(
            x=x,
            y=_values(frame[col].to_numpy()),
            name=name,
            mode="lines",
            stackgroup="one",
            line={"width": 0.5, "color": color},
        )
        for col, name, color in zip(frame.columns, names, colors(names), strict=True)
    ]
    return _figure(traces, div_id, yaxis=yaxis, percent=True, height=height)


def bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float] | np.ndarray],
    div_id: str,
    *,
    yaxis: str,
    percent: bool = False,
    stacked: bool = False,
    height: int = 380,
) -> str:
    """Grouped (or stacked) bars: one bar per category and series.

    Parameters
    ----------
    categories : sequence of str
        X-axis labels (years, months, histogram bins ...).
    series : mapping of str to sequence of float
        Legend name -> one value per category (NaN leaves a gap).
    div_id, yaxis, percent, height
        As :func:`line_chart`.
    stacked : bool
        Stack the series instead of grouping them.

    Returns
    -------
    str
        HTML fragment.
    """
    import plotly.graph_objects as go

    names = list(series)
    traces = [
        go.Bar(x=list(categories), y=_values(series[n]), name=n, marker={"color": c})
        for n, c in zip(names, colors(names), strict=True)
    ]
    layout = {"barmode": "stack" if stacked else "group", "hovermode": "x"}
    return _figure(traces, div_id, yaxis=yaxis, percent=percent, height=height, layout=layout)


def histogram_chart(
    edges: np.ndarray,
    counts: Mapping[str, np.ndarray],
    div_id: str,
    *,
    xaxis: str,
    height: int = 360,
) -> str:
    """Overlaid histograms already binned on common ``edges`` (fractions on the x axis, %).

    Parameters
    ----------
    edges : numpy.ndarray
        ``n + 1`` bin edges (fractions).
    counts : mapping of str to numpy.ndarray
        Legend name -> ``n`` values per bin (e.g. share of sessions).
    div_id, height
        As :func:`line_chart`.
    xaxis : str
        X-axis title.

    Returns
    -------
    str
        HTML fragment.
    """
    import plotly.graph_objects as go

    centres = _values((edges[:-1] + edges[1:]) / 2.0)
    width = float(np.diff(edges).mean()) if len(edges) > 1 else 0.0
    names = list(counts)
    traces = [
        go.Bar(x=centres, y=_values(counts[n]), name=n, width=width, opacity=0.55,
               marker={"color": c})
        for n, c in zip(names, colors(names), strict=True)
    ]  # fmt: skip
    layout = {
        "barmode": "overlay",
        "hovermode": "x",
        "xaxis": {"title": xaxis, "tickformat": ".1%"},
    }
    return _figure(traces, div_id, yaxis="share of sessions", percent=True, height=height,
                   layout=layout)  # fmt: skip
