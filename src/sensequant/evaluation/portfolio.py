"""Turn class probabilities (or any score) into target weights.

Rules (all deterministic: ties in the score are broken by symbol name, ascending):

* :func:`target_weights` -- buffered top-k, equal weight, long-only (the pipeline's rule);
* :func:`probability_threshold_weights` -- equal weight among all names whose ``p_up`` clears
  a threshold, at most ``max_positions``;
* :func:`probability_scaled_weights` -- weights proportional to the score above its floor;
* :func:`long_short_weights` -- dollar-neutral top/bottom book (intraday segment only, see
  :mod:`sensequant.evaluation.backtest`);
* :func:`apply_caps` -- per-symbol and gross caps on any of the above; the excess stays in cash.

Every rule returns a wide frame (decision timestamp x sorted symbols, fractions of equity,
0.0 where not held) that :func:`~sensequant.evaluation.backtest.run_backtest` fills at the
next bar. ``score="score"`` ranks a generic ``score`` column (a model's or a baseline's, no
probabilities needed) with the same rules; ``min_probability=None`` applies no probability
floor -- together a calibration-free, rank-only comparison. Ranking and selection:
:mod:`sensequant.evaluation.portfolio_ranking`; caps and weight arrays:
:mod:`sensequant.evaluation.portfolio_caps` (re-exported here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sensequant.evaluation.portfolio_caps import _check_param, apply_caps, weight_values
from sensequant.evaluation.portfolio_ranking import Score, _above_floor, _ranked, _select
from sensequant.settings import PortfolioConfig

__all__ = [
    "Score",
    "apply_caps",
    "long_short_weights",
    "probability_scaled_weights",
    "probability_threshold_weights",
    "target_weights",
    "weight_values",
]


def target_weights(
    predictions: pd.DataFrame,
    cfg: PortfolioConfig,
    *,
    tradable: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Equal-weight buffered top-k long-only target weights from class probabilities.

    Decisions are taken on every ``cfg.rebalance_every``-th prediction date (from the first).
    On a decision date, symbols with ``p_up >= cfg.min_probability`` (every symbol when it is
    None; and tradable, if ``tradable`` is given) are ranked by the score (``p_up``,
    ``p_up - p_down`` or the generic ``score`` column, per ``cfg.score``), highest first,
    ties broken by symbol name (ascending) so the result is deterministic. Symbols held since
    the last decision stay while they rank within ``top_k + hold_buffer`` (hysteresis, to
    avoid trading on noise in the ranks); the free
    slots go to the best-ranked other symbols, up to ``top_k`` names at ``1 / top_k`` each.
    Unfilled slots stay in cash, so gross exposure is ``n_selected / top_k <= 1``. A decision
    date where nothing qualifies is an all-zero row (the backtest then sells everything).

    Parameters
    ----------
    predictions : pandas.DataFrame
        Long frame, one row per (symbol, timestamp): ``symbol``, ``timestamp`` (the decision
        bar; probabilities use information up to that bar's close), ``p_down``, ``p_flat``,
        ``p_up`` (probabilities). Rows with a NaN ``p_up`` or score are never selected. With
        ``cfg.score == "score"``: ``symbol``, ``timestamp``, ``score`` (any real-valued score
        known at that bar's close; higher = better); ``p_up`` only if a floor is set.
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
    floor = cfg.min_probability
    ranked, dates, symbols = _ranked(predictions, cfg.score, tradable, floor=floor is not None)
    ranked = _above_floor(ranked, floor)
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


# ---------------------------------------------------------------------------- sizing rules


def _wide(
    rows: pd.DataFrame, weight: pd.Series, dates: pd.Index, symbols: list[str]
) -> pd.DataFrame:
    """Pivot (timestamp, symbol, weight) rows to the dates x symbols frame, 0.0 elsewhere."""
    out = pd.DataFrame(0.0, index=dates, columns=pd.Index(symbols, name="symbol"))
    if len(rows):
        r = dates.get_indexer(pd.Index(rows["timestamp"]))
        c = pd.Index(symbols).get_indexer(pd.Index(rows["symbol"]))
        values = out.to_numpy(copy=True)
        values[r, c] = weight.to_numpy(dtype=float)
        out = pd.DataFrame(values, index=dates, columns=out.columns)
    return out


def probability_threshold_weights(
    predictions: pd.DataFrame,
    *,
    min_probability: float | None,
    max_positions: int,
    score: Score = "p_up_minus_p_down",
    tradable: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Equal weight among every name whose ``p_up`` clears a threshold, capped in count.

    On each date, the names with ``p_up >= min_probability`` (all when None; non-NaN score,
    tradable if
    ``tradable`` is given) are ranked by the score; the best ``max_positions`` are held at
    ``1 / n`` each, n = the number held (so the book is fully invested whenever anything
    qualifies, unlike :func:`target_weights`, which keeps unfilled slots in cash). A date where
    nothing qualifies is an all-zero row. Every date is a decision date (no buffer).

    Parameters
    ----------
    predictions : pandas.DataFrame
        Long frame as for :func:`target_weights` (``symbol``, ``timestamp``, ``p_down``,
        ``p_up``; probabilities decided at that bar's close).
    min_probability : float or None
        Threshold on ``p_up`` in [0, 1]; None = no probability floor.
    max_positions : int
        Most names held, >= 1.
    score : {"p_up", "p_up_minus_p_down", "score"}
        Ranking score when more than ``max_positions`` qualify (``"score"``: the generic
        ``score`` column).
    tradable : pandas.DataFrame, optional
        Wide boolean frame (timestamp x symbol); absent/NaN = not tradable.

    Returns
    -------
    pandas.DataFrame
        Dates x sorted symbols, fractions of equity; rows sum to 1 or 0.

    Raises
    ------
    DataError
        Missing columns or duplicate (symbol, timestamp) rows.
    ConfigError
        Parameters out of range or an unknown score.
    """
    if min_probability is not None:
        _check_param("min_probability", min_probability, low=0.0, high=1.0)
    _check_param("max_positions", max_positions, low=1.0)
    floor = min_probability is not None
    ranked, dates, symbols = _ranked(predictions, score, tradable, floor=floor)
    ranked = _above_floor(ranked, min_probability)
    ranked = ranked.assign(rank=ranked.groupby("timestamp", sort=False).cumcount())
    held = ranked.loc[ranked["rank"] < int(max_positions)]
    count = held.groupby("timestamp", sort=False)["symbol"].transform("size")
    return _wide(held, 1.0 / count, dates, symbols)


def probability_scaled_weights(
    predictions: pd.DataFrame,
    *,
    min_probability: float | None,
    score: Score = "p_up_minus_p_down",
    gross: float = 1.0,
    tradable: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Weights proportional to the score above its floor, normalised to ``gross``.

    Among the names with ``p_up >= min_probability`` (non-NaN score, tradable), the conviction
    of a name is ``max(score - floor, 0)`` with floor = ``min_probability`` for
    ``score="p_up"`` (the excess over the threshold) and 0 for ``"p_up_minus_p_down"`` (a name
    more likely down than up gets nothing) and for ``"score"`` (only positive scores count).
    ``min_probability=None``: no ``p_up`` filter (and floor 0 for every score).
    Weights are ``gross * c_i / sum_j c_j``; a date with zero total conviction is an all-zero
    row. Pass the result through :func:`apply_caps` to bound single names (one qualifying
    name otherwise takes the whole ``gross``).

    Parameters
    ----------
    predictions : pandas.DataFrame
        Long frame as for :func:`target_weights`.
    min_probability : float or None
        Threshold on ``p_up`` in [0, 1]; None = no probability floor.
    score : {"p_up", "p_up_minus_p_down", "score"}
    gross : float, default 1.0
        Sum of the weights on dates with any conviction, in (0, 1] (no leverage).
    tradable : pandas.DataFrame, optional
        Wide boolean frame (timestamp x symbol); absent/NaN = not tradable.

    Returns
    -------
    pandas.DataFrame
        Dates x sorted symbols, fractions of equity >= 0; rows sum to ``gross`` or 0.

    Raises
    ------
    DataError
        Missing columns or duplicate (symbol, timestamp) rows.
    ConfigError
        Parameters out of range or an unknown score.
    """
    if min_probability is not None:
        _check_param("min_probability", min_probability, low=0.0, high=1.0)
    _check_param("gross", gross, low=np.nextafter(0.0, 1.0), high=1.0)
    has_floor = min_probability is not None
    ranked, dates, symbols = _ranked(predictions, score, tradable, floor=has_floor)
    floor = min_probability if score == "p_up" and min_probability is not None else 0.0
    rows = _above_floor(ranked, min_probability)
    conviction = (rows["score"] - floor).clip(lower=0.0)
    total = conviction.groupby(rows["timestamp"], sort=False).transform("sum")
    held = conviction > 0
    weight = gross * conviction[held] / total[held]
    return _wide(rows.loc[held], weight, dates, symbols)


def long_short_weights(
    predictions: pd.DataFrame,
    *,
    top_k: int,
    bottom_k: int,
    gross: float = 1.0,
    score: Score = "p_up_minus_p_down",
    tradable: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Dollar-neutral long-short book: long the best ``top_k``, short the worst ``bottom_k``.

    On each date the names with a score (tradable, if given) are ranked best first; the first
    ``top_k`` are long at ``+gross / 2 / n_long`` each and the last ``bottom_k`` of the REST
    are short at ``-gross / 2 / n_short`` each (so with fewer than ``top_k + bottom_k`` names
    the short side shrinks first). Longs and shorts each sum to ``gross / 2``: net exposure 0,
    gross ``gross``. A date without at least one name on each side is an all-zero row. No
    probability threshold is applied: a long-short book always holds both tails. With
    ``score="score"`` the frame needs only ``symbol``, ``timestamp``, ``score``.

    Only the intraday segment may be short on NSE cash equities: backtest these weights with
    ``run_backtest(..., allow_short=True)`` and ``cost_segment="intraday"``.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Long frame as for :func:`target_weights`.
    top_k, bottom_k : int
        Names per side, >= 1.
    gross : float, default 1.0
        Sum of ``|w|`` in (0, 1] (the backtest allows no leverage).
    score : {"p_up", "p_up_minus_p_down", "score"}
    tradable : pandas.DataFrame, optional
        Wide boolean frame (timestamp x symbol); absent/NaN = not tradable.

    Returns
    -------
    pandas.DataFrame
        Dates x sorted symbols, fractions of equity (negative = short).

    Raises
    ------
    DataError
        Missing columns or duplicate (symbol, timestamp) rows.
    ConfigError
        Parameters out of range or an unknown score.
    """
    _check_param("top_k", top_k, low=1.0)
    _check_param("bottom_k", bottom_k, low=1.0)
    _check_param("gross", gross, low=np.nextafter(0.0, 1.0), high=1.0)
    ranked, dates, symbols = _ranked(predictions, score, tradable)
    rank, n = ranked["rank"], ranked["n"]
    is_long = rank < top_k
    is_short = (rank >= top_k) & (rank >= n - bottom_k)
    n_long = np.minimum(n, top_k)
    n_short = (n - top_k).clip(lower=0).clip(upper=bottom_k)
    both = n_short > 0
    keep = (is_long | is_short) & both
    weight = np.where(is_long, gross / 2 / n_long, -gross / 2 / n_short.where(both, 1))
    return _wide(ranked.loc[keep], pd.Series(weight, index=ranked.index)[keep], dates, symbols)
