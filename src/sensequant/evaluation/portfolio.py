"""Turn class probabilities into long-only target weights (top-k, equal weight)."""

from __future__ import annotations

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
    """Equal-weight top-k long-only target weights from class probabilities.

    On each decision date, symbols with ``p_up >= cfg.min_probability`` (and tradable, if
    ``tradable`` is given) are ranked by the score (``p_up`` or ``p_up - p_down``, per
    ``cfg.score``), highest first, ties broken by symbol name (ascending) so the result is
    deterministic. The first ``cfg.top_k`` get weight ``1 / top_k`` each; unfilled slots stay
    in cash, so gross exposure is ``n_selected / top_k <= 1``. A date where nothing
    qualifies is an all-zero row (the backtest then sells everything).

    Parameters
    ----------
    predictions : pandas.DataFrame
        Long frame, one row per (symbol, timestamp): ``symbol``, ``timestamp`` (the decision
        bar; probabilities use information up to that bar's close), ``p_down``, ``p_flat``,
        ``p_up`` (probabilities). Rows with a NaN ``p_up`` or score are never selected.
    cfg : PortfolioConfig
        ``top_k``, ``min_probability``, ``score``.
    tradable : pandas.DataFrame, optional
        Wide boolean frame (timestamp x symbol); True = may be bought that date. A (date,
        symbol) absent from it or NaN counts as NOT tradable.

    Returns
    -------
    pandas.DataFrame
        Wide float frame, index = sorted unique decision timestamps (weights decided at that
        bar's close, filled by the backtest at the next bar), columns = sorted symbols of
        ``predictions``; 0.0 where not held.

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
    chosen = frame.loc[eligible].sort_values(
        ["timestamp", "score", "symbol"], ascending=[True, False, True], kind="mergesort"
    )
    chosen = chosen.loc[chosen.groupby("timestamp", sort=False).cumcount() < cfg.top_k]
    weights = pd.DataFrame(0.0, index=dates, columns=pd.Index(symbols, name="symbol"))
    if not chosen.empty:
        rows = dates.get_indexer(pd.Index(chosen["timestamp"]))
        cols = pd.Index(symbols).get_indexer(pd.Index(chosen["symbol"]))
        values = weights.to_numpy(copy=True)
        values[rows, cols] = 1.0 / cfg.top_k
        weights = pd.DataFrame(values, index=weights.index, columns=weights.columns)
    return weights
