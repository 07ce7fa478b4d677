"""Turn class probabilities into long-only target weights (buffered top-k, equal weight)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sensequant.errors import DataError
from sensequant.settings import PortfolioConfig

_REQUIRED = ("symbol", "timestamp", "p_down", "p_up")


def _score(predictions: pd.DataFrame, cfg: PortfolioConfig) -> pd.Series:
    if cfg.score == "p_up":
        return predictions["p_up"].astype(float)
    return predictions["p_up"].astype(float) - predictions["p_down"].astype(float)


def target_weights(
    predictions: pd.DataFrame,
    cfg: PortfolioConfig,
    *,
    tradable: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Equal-weight buffered top-k long-only target weights from class probabilities.

    Decisions are taken on every ``cfg.rebalance_every``-th prediction date (from the first).
    On a decision date, symbols with ``p_up >= cfg.min_probability`` (and tradable, if
    ``tradable`` is given) are ranked by the score (``p_up`` or ``p_up - p_down``, per
    ``cfg.score``), highest first, ties broken by symbol name (ascending) so the result is
    deterministic. Symbols held since the last decision stay while they rank within
    ``top_k + hold_buffer`` (hysteresis, to avoid trading on noise in the ranks); the free
    slots go to the best-ranked other symbols, up to ``top_k`` names at ``1 / top_k`` each.
    Unfilled slots stay in cash, so gross exposure is ``n_selected / top_k <= 1``. A decision
    date where nothing qualifies is an all-zero row (the backtest then sells everything).

    Parameters
    ----------
    predictions : pandas.DataFrame
        Long frame, one row per (symbol, timestamp): ``symbol``, ``timestamp`` (the decision
        bar; probabilities use information up to that bar's close), ``p_down``, ``p_flat``,
        ``p_up`` (probabilities). Rows with a NaN ``p_up`` or score are never selected.
    cfg : PortfolioConfig
        ``top_k``, ``min_probability``, ``score``, ``rebalance_every``, ``hold_buffer``.
    tradable : pandas.DataFrame, optional
        Wide boolean frame (timestamp x symbol); True = may be bought that date. A (date,
        symbol) absent from it or NaN counts as NOT tradable.

    Returns
    -------
    pandas.DataFrame
        Wide float frame, index = the decision timestamps (weights decided at that bar's
        close, filled by the backtest at the next bar; the book drifts in between), columns =
        sorted symbols of ``predictions``; 0.0 where not held.

    Raises
    ------
    DataError
        Missing columns or duplicate (symbol, timestamp) rows (the message names the first).
    """
    missing = [c for c in _REQUIRED if c not in predictions.columns]
    if missing:
        raise DataError(
            f"predictions lack column(s) {missing}; have {list(predictions.columns)}",
            hint="pass the long OOS prediction frame (symbol, timestamp, p_down, p_flat, p_up)",
        )
    dup = predictions.duplicated(["symbol", "timestamp"])
    if dup.any():
        first = predictions.loc[dup, ["symbol", "timestamp"]].iloc[0]
        raise DataError(
            f"predictions hold more than one row for symbol {first['symbol']} on "
            f"{first['timestamp']}",
            hint="deduplicate the predictions (one row per symbol and decision bar)",
        )
    frame = pd.DataFrame(
        {
            "symbol": predictions["symbol"].to_numpy(),
            "timestamp": predictions["timestamp"].to_numpy(),
            "score": _score(predictions, cfg).to_numpy(),
            "p_up": predictions["p_up"].astype(float).to_numpy(),
        }
    )
    dates = pd.Index(sorted(frame["timestamp"].unique()), name="timestamp")
    symbols = sorted(frame["symbol"].unique())
    eligible = (frame["p_up"] >= cfg.min_probability) & frame["score"].notna()
    if tradable is not None:
        lookup = tradable.reindex(index=dates, columns=symbols).eq(True).to_numpy(dtype=bool)
        rows = dates.get_indexer(pd.Index(frame["timestamp"]))
        cols = pd.Index(symbols).get_indexer(pd.Index(frame["symbol"]))
        eligible &= lookup[rows, cols]
    ranked = frame.loc[eligible].sort_values(
        ["timestamp", "score", "symbol"], ascending=[True, False, True], kind="mergesort"
    )
    decisions = dates[:: cfg.rebalance_every]
    ranked = ranked.loc[ranked["timestamp"].isin(decisions)]
    by_date = {ts: list(g["symbol"]) for ts, g in ranked.groupby("timestamp", sort=False)}
    col = {s: i for i, s in enumerate(symbols)}
    values = np.zeros((len(decisions), len(symbols)))
    held: list[str] = []
    for i, ts in enumerate(decisions):
        held = _select(by_date.get(ts, []), held, cfg.top_k, cfg.hold_buffer)
        values[i, [col[s] for s in held]] = 1.0 / cfg.top_k
    return pd.DataFrame(values, index=decisions, columns=pd.Index(symbols, name="symbol"))


def _select(ranked: list[str], held: list[str], top_k: int, buffer: int) -> list[str]:
    """Buffered top-k: keep held names ranked within ``top_k + buffer``, fill with the best.

    Parameters
    ----------
    ranked : list of str
        Qualifying symbols of the date, best first.
    held : list of str
        Symbols held after the previous decision.
    top_k, buffer : int

    Returns
    -------
    list of str
        At most ``top_k`` symbols, kept names first (by rank), then new names by rank.
    """
    rank = {s: r for r, s in enumerate(ranked)}
    keep = sorted(
        (s for s in held if rank.get(s, top_k + buffer) < top_k + buffer), key=lambda s: rank[s]
    )
    keep = keep[:top_k]
    kept = set(keep)
    new = [s for s in ranked if s not in kept][: top_k - len(keep)]
    return keep + new
