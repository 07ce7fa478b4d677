"""Plots for the release bundle (PNG), drawn without touching pyplot's global state.

Figures are built with :class:`matplotlib.figure.Figure` on an Agg canvas created inside the
function, so nothing is registered with ``pyplot``, no backend is switched for the caller and
the figure is released when the function returns.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Final

import pandas as pd

from sensequant.errors import PipelineError
from sensequant.fsutil import write_bytes_atomic

DPI: Final = 110


def _prepare(name: str, curve: pd.Series) -> pd.Series:
    if not isinstance(curve.index, pd.DatetimeIndex):
        raise PipelineError(
            f"equity curve {name!r} is not indexed by dates (index type "
            f"{type(curve.index).__name__})",
            hint="pass a pandas Series with a DatetimeIndex of session dates",
        )
    clean = curve.astype(float).dropna().sort_index()
    if clean.empty or (clean <= 0).any():
        raise PipelineError(
            f"equity curve {name!r} is empty or has non-positive values",
            hint="pass growth-of-1 wealth (cumulative product of 1 + return), not returns",
        )
    index = pd.DatetimeIndex(clean.index)
    if index.tz is not None:
        index = index.tz_localize(None)  # plot in IST wall-clock dates
    return pd.Series(clean.to_numpy() / clean.iloc[0], index=index, name=name)


def equity_drawdown_png(
    path: Path,
    curves: dict[str, pd.Series],
    *,
    title: str,
    log_scale: bool = False,
) -> None:
    """Equity curves (growth of 1) on top and drawdown (underwater) below, as a PNG.

    Parameters
    ----------
    path : pathlib.Path
        Destination PNG, written atomically.
    curves : dict of str to pandas.Series
        Name -> wealth series (growth of 1, positive), indexed by session date (tz-aware IST
        or naive). The FIRST entry is the strategy; the others are benchmarks. Each curve is
        rebased to 1 at its first valid value. Drawdown is plotted for the first curve
        (filled) and, if present, the second (a line).
    title : str
        Figure title.
    log_scale : bool, default False
        Logarithmic y axis for the equity panel (long histories).

    Raises
    ------
    PipelineError
        If ``curves`` is empty or a curve is empty, non-positive or not date-indexed.

    Notes
    -----
    Drawdown is ``P_t / max_{s<=t} P_s - 1`` (a fraction <= 0, shown in %).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    if not curves:
        raise PipelineError(
            f"no equity curves given for {path.name}", hint="pass at least the strategy curve"
        )
    prepared = [_prepare(name, curve) for name, curve in curves.items()]

    fig = Figure(figsize=(10, 6.5), dpi=DPI)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3], "hspace": 0.08}
    )
    colors = []
    for i, curve in enumerate(prepared):
        (line,) = top.plot(
            curve.index, curve.to_numpy(), lw=1.6 if i == 0 else 1.1, label=curve.name
        )
        colors.append(line.get_color())
    if log_scale:
        top.set_yscale("log")
    top.set_ylabel("growth of 1")
    top.set_title(title)
    top.grid(True, alpha=0.3)
    top.legend(loc="upper left", frameon=False)

    for i, curve in enumerate(prepared[:2]):
        underwater = (curve / curve.cummax() - 1.0) * 100.0
        if i == 0:
            bottom.fill_between(
                underwater.index,
                underwater.to_numpy(),
                0.0,
                alpha=0.35,
                color=colors[i],
                label=curve.name,
            )
        else:
            bottom.plot(
                underwater.index, underwater.to_numpy(), lw=0.9, color=colors[i], label=curve.name
            )
    bottom.set_ylabel("drawdown")
    bottom.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    bottom.grid(True, alpha=0.3)
    bottom.legend(loc="lower left", frameon=False, fontsize="small")

    locator = AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    fig.clear()
    write_bytes_atomic(path, buffer.getvalue())
