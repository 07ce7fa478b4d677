"""Assembling the score student's per-period OOS predictions with one copy at a time.

A 95-symbol 5-minute run predicts ~6 million rows per blend weight; concatenating every
variant while all their per-period parts are alive doubled that memory at the end of the
walk-forward. :func:`collect_variants` concatenates one weight at a time (its parts are
released as it goes) and :func:`chosen_predictions` takes the student's rows from the variant
frames instead of from parts kept aside.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["PREDICTION_COLUMNS", "chosen_predictions", "collect_variants", "concat_sorted"]

PREDICTION_COLUMNS = ["symbol", "timestamp", "score", "period_id", "blend"]
"""Columns of a score student's prediction frame."""


def _sorted(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is sorted by (timestamp, symbol), strictly."""
    ts = frame["timestamp"].array.asi8
    if not (np.diff(ts) >= 0).all():
        return False
    tie = ts[1:] == ts[:-1]
    sym = frame["symbol"].to_numpy()
    return bool((sym[1:][tie] > sym[:-1][tie]).all())


def concat_sorted(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """``parts`` concatenated and sorted by (timestamp, symbol); RangeIndex.

    Parts of consecutive periods over a sorted panel are already in order: then the sort
    (and its copy) is skipped.
    """
    if not parts:
        return pd.DataFrame(columns=PREDICTION_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    if _sorted(out):
        return out
    return out.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)


def collect_variants(preds: dict[float, list[pd.DataFrame]]) -> dict[float, pd.DataFrame]:
    """Every blend weight's parts concatenated (:func:`concat_sorted`), emptying ``preds``.

    Parameters
    ----------
    preds : dict of float to list of pandas.DataFrame
        Per weight, its per-period prediction frames (columns :data:`PREDICTION_COLUMNS`);
        each list is cleared once concatenated.

    Returns
    -------
    dict of float to pandas.DataFrame
        In the order of ``preds``.
    """
    out: dict[float, pd.DataFrame] = {}
    for w, parts in preds.items():
        out[w] = concat_sorted(parts)
        parts.clear()
    return out


def chosen_predictions(
    variants: Mapping[float, pd.DataFrame], blend_of: Mapping[int, float]
) -> pd.DataFrame:
    """The student: per period, the rows of the weight chosen for it.

    Parameters
    ----------
    variants : mapping of float to pandas.DataFrame
        From :func:`collect_variants`: every weight predicts the same rows in the same order.
    blend_of : mapping of int to float
        Period id -> the weight chosen for it (every fitted period).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PREDICTION_COLUMNS`; ``score`` and ``blend`` those of the chosen weight;
        rows sorted as the variants.
    """
    if not variants or not blend_of:
        return pd.DataFrame(columns=PREDICTION_COLUMNS)
    weights = list(variants)
    base = variants[weights[0]]
    period = base["period_id"].to_numpy()
    ids = np.array(sorted(blend_of))
    pick = np.array([blend_of[int(k)] for k in ids])[np.searchsorted(ids, period)]
    score = np.select(
        [pick == w for w in weights], [variants[w]["score"].to_numpy() for w in weights]
    )
    out = base.copy()
    out["score"] = score
    out["blend"] = pick
    return out
