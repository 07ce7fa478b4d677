"""Ranking and selection shared by the sizing rules of :mod:`sensequant.evaluation.portfolio`.

:func:`_ranked` validates a long prediction frame and ranks it best first per date
(deterministic: ties in the score are broken by symbol name, ascending); :func:`_above_floor`
applies the optional probability floor; :func:`_select` is the buffered top-k selection of
:func:`~sensequant.evaluation.portfolio.target_weights`. Pure computation.

Scores: ``"p_up"`` and ``"p_up_minus_p_down"`` are read from class probabilities (columns
``p_down``, ``p_up``); ``"score"`` ranks a generic ``score`` column (any model's or baseline's
score, e.g. :func:`~sensequant.evaluation.baselines.reversal_scores`) and needs no
probability column unless a probability floor is asked for.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from sensequant.errors import ConfigError, DataError

_KEYS = ("symbol", "timestamp")
_SCORE_COLUMNS = {
    "p_up": ("p_down", "p_up"),
    "p_up_minus_p_down": ("p_down", "p_up"),
    "score": ("score",),
}
Score = Literal["p_up", "p_up_minus_p_down", "score"]


def _score_of(predictions: pd.DataFrame, score: str) -> pd.Series:
    if score == "p_up":
        return predictions["p_up"].astype(float)
    if score == "p_up_minus_p_down":
        return predictions["p_up"].astype(float) - predictions["p_down"].astype(float)
    if score == "score":
        return predictions["score"].astype(float)
    raise ConfigError(
        f"unknown score {score!r}",
        hint="use score='p_up', score='p_up_minus_p_down' or score='score'",
    )


def _validate(predictions: pd.DataFrame, score: str, floor: bool) -> None:
    if score not in _SCORE_COLUMNS:
        _score_of(predictions, score)  # raises ConfigError naming the valid scores
    required = [*_KEYS, *_SCORE_COLUMNS[score]]
    if floor and "p_up" not in required:
        required.append("p_up")
    missing = [c for c in required if c not in predictions.columns]
    if missing:
        hint = "pass the long OOS prediction frame (symbol, timestamp, p_down, p_flat, p_up)"
        if score == "score":
            hint = "pass a long score frame (symbol, timestamp, score)"
            if floor:
                hint += "; a probability floor also needs p_up (or set min_probability=None)"
        raise DataError(
            f"predictions lack column(s) {missing}; have {list(predictions.columns)}", hint=hint
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


def _above_floor(ranked: pd.DataFrame, min_probability: float | None) -> pd.DataFrame:
    """Rows of a :func:`_ranked` frame with ``p_up >= min_probability``; all rows if None."""
    if min_probability is None:
        return ranked
    return ranked.loc[ranked["p_up"] >= min_probability]


def _ranked(
    predictions: pd.DataFrame,
    score: str,
    tradable: pd.DataFrame | None,
    *,
    floor: bool = False,
) -> tuple[pd.DataFrame, pd.Index, list[str]]:
    """Validated long frame (symbol, timestamp, score, p_up) ranked best first per date.

    Rows with a NaN score or not tradable are dropped; ``rank`` counts from 0 within each
    date, ``n`` is the date's number of ranked rows. ``p_up`` is NaN when the frame has no
    such column (allowed only for ``score="score"`` without a probability floor: ``floor``
    True requires it).
    """
    _validate(predictions, score, floor)
    p_up = (
        predictions["p_up"].astype(float).to_numpy()
        if "p_up" in predictions.columns
        else np.full(len(predictions), np.nan)
    )
    frame = pd.DataFrame(
        {
            "symbol": predictions["symbol"].to_numpy(),
            "timestamp": predictions["timestamp"].array,
            "score": _score_of(predictions, score).to_numpy(),
            "p_up": p_up,
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
