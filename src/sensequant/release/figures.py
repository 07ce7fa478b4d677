"""Figures and plotted series of the HTML run report, embedded as base64 PNG or inline SVG.

This module only draws: the plotted series (growth of 1, underwater, monthly returns, rolling
Sharpe and beta) are computed by :mod:`sensequant.evaluation.series_metrics`. Figures are
drawn on a :class:`matplotlib.figure.Figure` with its own Agg canvas: ``pyplot`` is never
imported, no backend is switched, no global ``rcParams`` are touched, and every figure is
cleared once rendered, so nothing leaks into the caller's matplotlib state.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import pandas as pd

from sensequant.release.briefing import BENCHMARK, EQUAL_WEIGHT, STUDENT, TEACHER

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

DPI: Final = 100
WIDTH_IN: Final = 10.5
ImageFormat = Literal["png", "svg"]
PALETTE: Final[dict[str, str]] = {
    STUDENT: "#1f5fa8",
    TEACHER: "#e07b00",
    BENCHMARK: "#555555",
    EQUAL_WEIGHT: "#2e8b3a",
}
_CYCLE: Final = ("#1f5fa8", "#e07b00", "#2e8b3a", "#555555", "#8e44ad", "#c0392b", "#16a085")


# --------------------------------------------------------------------------- figures


def heat_colors(values: np.ndarray, scale: float) -> list[str]:
    """CSS background colours of a red (loss) / green (gain) heatmap.

    Parameters
    ----------
    values : numpy.ndarray
        Returns (fractions), any shape; NaN gives ``""`` (no colour).
    scale : float
        Absolute return mapped to the strongest colour (positive).

    Returns
    -------
    list of str
        ``"#rrggbb"`` per value (flattened, C order), lightened for legible dark text.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["RdYlGn"]
    out = []
    for v in np.asarray(values, dtype=float).ravel():
        if not np.isfinite(v):
            out.append("")
            continue
        r, g, b, _ = cmap(0.5 + 0.5 * float(np.clip(v / scale, -1.0, 1.0)))
        out.append(to_hex((0.35 + 0.65 * r, 0.35 + 0.65 * g, 0.35 + 0.65 * b)))  # mix with white
    return out


# --------------------------------------------------------------------------- rendering


def _figure(height_in: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_html(fig: Figure, alt: str, *, fmt: ImageFormat = "png") -> str:
    """Render ``fig`` as self-contained HTML and release it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure with an Agg canvas (see the module docstring); cleared afterwards.
    alt : str
        Text alternative (escaped here).
    fmt : {"png", "svg"}
        ``png``: an ``<img>`` with a ``data:image/png;base64`` URI; ``svg``: inline ``<svg>``
        markup (XML prolog removed) with ``role="img"`` and ``aria-label``.

    Returns
    -------
    str
        HTML fragment with no external reference.
    """
    buffer = io.BytesIO()
    try:
        if fmt == "svg":
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        else:
            fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    finally:
        fig.clear()
    label = html.escape(alt, quote=True)
    if fmt == "svg":
        text = buffer.getvalue().decode("utf-8")
        text = text[text.index("<svg") :]
        return text.replace("<svg", f'<svg role="img" aria-label="{label}"', 1)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{label}">'


def _naive(index: pd.Index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(index)
    return idx.tz_localize(None) if idx.tz is not None else idx  # IST wall-clock dates


def _colors(names: Sequence[str]) -> list[str]:
    """``PALETTE`` colour per known name; unused colours of ``_CYCLE`` for the others."""
    taken = {PALETTE[n] for n in names if n in PALETTE}
    spare = iter([c for c in _CYCLE if c not in taken] + list(_CYCLE))
    return [PALETTE[n] if n in PALETTE else next(spare) for n in names]


def _legend_above(ax: Axes, n_items: int, longest: int) -> None:
    """Legend in a row above the axes (never over the data)."""
    ncol = max(1, min(n_items, 4 if longest <= 24 else 2))
    ax.legend(
        loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=ncol, frameon=False, fontsize=9,
        borderaxespad=0.2,
    )  # fmt: skip


@dataclass(frozen=True)
class LinePanel:
    """One panel of :func:`lines_figure`.

    Attributes
    ----------
    series : mapping of str to pandas.Series
        Name (legend, colour from ``PALETTE``) -> series indexed by session timestamps.
    ylabel, title : str
    log : bool
        Logarithmic y axis (values must be positive).
    percent : bool
        Values are fractions, shown as % on the axis.
    hline : float or None
        Horizontal reference line (e.g. 0).
    fill_first : bool
        Fill between the first series and 0 (underwater plots).
    """

    series: Mapping[str, pd.Series]
    ylabel: str
    title: str = ""
    log: bool = False
    percent: bool = False
    hline: float | None = None
    fill_first: bool = False


def _draw_panel(ax: Axes, panel: LinePanel) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.ticker import (
        FuncFormatter,
        LogLocator,
        MaxNLocator,
        NullFormatter,
        NullLocator,
        PercentFormatter,
    )

    names = list(panel.series)
    for i, (name, color) in enumerate(zip(names, _colors(names), strict=True)):
        clean = panel.series[name].astype(float).dropna()
        x, y = _naive(clean.index), clean.to_numpy() * (100.0 if panel.percent else 1.0)
        if i == 0 and panel.fill_first:
            ax.fill_between(x, y, 0.0, color=color, alpha=0.35, lw=0, label=name)
        else:
            ax.plot(x, y, lw=1.5 if i == 0 else 1.0, color=color, label=name)
    if panel.hline is not None:
        ax.axhline(panel.hline, color="#999999", lw=0.8)
    if panel.log:
        ax.set_yscale("log")
        values = np.concatenate([s.astype(float).to_numpy() for s in panel.series.values()])
        positive = values[np.isfinite(values) & (values > 0)]
        decades = np.log10(positive.max() / positive.min()) if positive.size else 0.0
        # plain-number ticks: 1-2-5 per decade on long spans, linear-looking on short ones
        wide = decades >= 1.0
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)) if wide else MaxNLocator(6))
        if not wide:
            ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    if panel.percent:
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylabel(panel.ylabel)
    if panel.title:
        ax.set_title(panel.title, loc="right", fontsize=10, color="#555555")
    ax.grid(True, alpha=0.3)
    _legend_above(ax, len(names), max((len(n) for n in names), default=0))
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def lines_figure(panels: Sequence[LinePanel], alt: str, *, panel_height_in: float = 3.4) -> str:
    """Time-series line panels stacked vertically, as embeddable HTML.

    Parameters
    ----------
    panels : sequence of LinePanel
        One axis each, sharing the date axis.
    alt : str
        Text alternative of the image.
    panel_height_in : float
        Height of each panel in inches (width is ``WIDTH_IN``).

    Returns
    -------
    str
        See :func:`figure_html`.
    """
    fig = _figure(panel_height_in * len(panels))
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, panel in zip(axes, panels, strict=True):
        _draw_panel(ax, panel)
    return figure_html(fig, alt)


def bar_figure(
    labels: Sequence[str],
    values: Sequence[float],
    alt: str,
    *,
    xlabel: str = "",
    ylabel: str = "",
    percent: bool = False,
    horizontal: bool = False,
) -> str:
    """Bar chart (one series), positive bars blue and negative red.

    Parameters
    ----------
    labels : sequence of str
        Category labels (top to bottom when ``horizontal``).
    values : sequence of float
        Bar heights; fractions when ``percent`` (shown as %).
    alt : str
        Text alternative.
    xlabel, ylabel : str
        Axis labels.
    percent : bool
        Show values as %.
    horizontal : bool
        Horizontal bars (long labels such as feature names).

    Returns
    -------
    str
        See :func:`figure_html`.
    """
    from matplotlib.ticker import PercentFormatter

    v = np.asarray(values, dtype=float) * (100.0 if percent else 1.0)
    colors = ["#1f5fa8" if x >= 0 else "#c0392b" for x in v]
    height = max(2.8, 0.22 * len(v) + 1.0) if horizontal else 3.4
    fig = _figure(height)
    ax = fig.subplots()
    pos = np.arange(len(v))
    if horizontal:
        ax.barh(pos, v, color=colors)
        ax.set_yticks(pos, [str(s) for s in labels], fontsize=9)
        ax.invert_yaxis()
        value_axis: Axis = ax.xaxis
    else:
        ax.bar(pos, v, color=colors)
        ax.set_xticks(pos, [str(s) for s in labels])
        value_axis = ax.yaxis
    if percent:
        value_axis.set_major_formatter(PercentFormatter(decimals=2))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, axis="x" if horizontal else "y", alpha=0.3)
    (ax.axvline if horizontal else ax.axhline)(0.0, color="#999999", lw=0.8)
    return figure_html(fig, alt)


def grouped_bar_figure(
    groups: Sequence[str], series: Mapping[str, Sequence[float]], alt: str, *, ylabel: str
) -> str:
    """Grouped bars of fractions shown in % (e.g. total return per stress period and model).

    Parameters
    ----------
    groups : sequence of str
        Category labels on the x axis.
    series : mapping of str to sequence of float
        Legend name -> one fraction per group (NaN leaves a gap).
    alt : str
        Text alternative.
    ylabel : str
        Value axis label.

    Returns
    -------
    str
        See :func:`figure_html`.
    """
    from matplotlib.ticker import PercentFormatter

    fig = _figure(3.8)
    ax = fig.subplots()
    pos = np.arange(len(groups))
    width = 0.8 / max(1, len(series))
    names = list(series)
    for i, (name, color) in enumerate(zip(names, _colors(names), strict=True)):
        y = np.asarray(series[name], dtype=float) * 100.0
        ax.bar(pos + (i - (len(names) - 1) / 2) * width, y, width, label=name, color=color)
    ax.set_xticks(pos, [str(g) for g in groups], rotation=20, ha="right", fontsize=9)
    pad = max(0.0, (6 - len(groups)) / 2)  # at least six slots: few periods stay slim
    ax.set_xlim(-0.5 - pad, len(groups) - 0.5 + pad)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylabel(ylabel)
    ax.axhline(0.0, color="#999999", lw=0.8)
    ax.grid(True, axis="y", alpha=0.3)
    _legend_above(ax, len(names), max((len(n) for n in names), default=0))
    return figure_html(fig, alt)
