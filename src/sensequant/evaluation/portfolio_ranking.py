"""Ranking and selection shared by the sizing rules of :mod:`sensequant.evaluation.portfolio`.

:func:`_ranked` validates a long prediction frame and ranks it best first per date
(deterministic: ties in the score are broken by symbol name, ascending); :func:`_select` is the
buffered top-k selection of :func:`~sensequant.evaluation.portfolio.target_weights`.
Pure computation.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from sensequant.errors import ConfigError, DataError

_REQUIRED = ("symbol", "timestamp", "p_down", "p_up")
Score = Literal["p_up", "p_up_minus_p_down"]


def _score_of(predictions: pd.DataFrame, score: str) -> pd.Series:
    if score == "p_up":
        return predictions["p_up"].astype(float)
    if score == "p_up_minus_p_down":
        return predictions["p_up"].astype(float) - predictions["p_down"].astype(float)
    raise ConfigError(
        f"unknown score {score!r}", hint="use score='p_up' or score='p_up_minus_p_down'"
    )


def _validate(predictions: pd.DataFrame) -> None:
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


def _ranked(
    predictions: pd.DataFrame, score: str, tradable: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.Index, list[str]]:
    """Validated long frame (symbol, timestamp, score, p_up) ranked best first per date.

    Rows with a NaN score or not tradable are dropped; ``rank`` counts from 0 within each
    date, ``n`` is the date's number of ranked rows.
    """
    _validate(predictions)
    frame = pd.DataFrame(
        {
            "symbol": predictions["symbol"].to_numpy(),
            "timestamp": predictions["timestamp"].to_numpy(),
            "score": _score_of(predictions, score).to_numpy(),
            "p_up": predictions["p_up"].astype(float).to_numpy(),
        }
    )
    dates = pd.Index(sorted(frame["timestamp"].unique()), name="timestamp")
    symbols = sorted(frame["symbol"].unique())
    keep = frame["score"].notna().to_numpy()
    if tradable is not None:
        lookup = tradable.reindex(index=dates, columns=symbols).eq(True).to_numpy(dtype=bool)
        rows = dates.get_indexer(pd.Index(frame["timestamp"]))
        cols = pd.Index(symbols).get_indexer(pd.Index(frame["symbol"]))
        keep &= lookup[rows, cols]
    ranked = frame.loc[keep].sort_values(
        ["timestamp", "score", "symbol"], ascending=[True, False, True], kind="mergesort"
    )
    ranked["rank"] = ranked.groupby("timestamp", sort=False).cumcount()
    ranked["n"] = ranked.groupby("timestamp", sort=False)["symbol"].transform("size")
    return ranked, dates, symbols
