"""Tests of daily IC / Rank IC / ICIR."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sensequant.errors import DataError
from sensequant.evaluation.signal import (
    daily_ic,
    decile_returns,
    decile_spread,
    ic_by_year,
    ic_summary,
)
from sensequant.types import IST


def _panel(n_dates: int = 40, n_sym: int = 12, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2024-01-01", periods=n_dates, tz=IST)
    rows = [(f"S{i:02d}", d) for d in dates for i in range(n_sym)]
    frame = pd.DataFrame(rows, columns=["symbol", "timestamp"])
    signal = rng.normal(size=len(frame))
    frame["p_up"] = np.round(1 / (1 + np.exp(-signal)), 2)  # rounding creates ties
    fwd = frame[["symbol", "timestamp"]].copy()
    fwd["fwd_return"] = 0.01 * (0.2 * signal + rng.normal(size=len(frame)))
    return frame, fwd


def test_daily_ic_matches_scipy_per_date() -> None:
    preds, fwd = _panel()
    ic = daily_ic(preds, "p_up", fwd)
    assert len(ic) == 40 and (ic["n"] == 12).all()
    for ts in ic.index[:10]:
        p = preds[preds["timestamp"] == ts]["p_up"].to_numpy()
        f = fwd[fwd["timestamp"] == ts]["fwd_return"].to_numpy()
        assert ic.loc[ts, "ic"] == pytest.approx(sps.pearsonr(p, f)[0], abs=1e-12)
        assert ic.loc[ts, "rank_ic"] == pytest.approx(sps.spearmanr(p, f)[0], abs=1e-12)
    assert ic["ic"].mean() > 0  # the score carries signal by construction


def test_min_symbols_constant_scores_and_unmatched_rows() -> None:
    preds, fwd = _panel(n_dates=3, n_sym=6)
    first, second = preds["timestamp"].unique()[:2]
    preds = preds[~((preds["timestamp"] == first) & (preds["symbol"] >= "S03"))]  # 3 left
    preds.loc[preds["timestamp"] == second, "p_up"] = 0.5  # constant score
    fwd = fwd.iloc[:-1]  # one row without a forward return
    ic = daily_ic(preds, "p_up", fwd, min_symbols=5)
    assert first not in ic.index
    assert math.isnan(ic.loc[second, "ic"]) and math.isnan(ic.loc[second, "rank_ic"])
    assert ic["n"].iloc[-1] == 5


def test_ic_summary_hand_values() -> None:
    idx = pd.bdate_range("2024-01-01", periods=5, tz=IST)
    ic = pd.DataFrame(
        {"ic": [0.1, -0.05, 0.02, np.nan, 0.07], "rank_ic": [0.08, 0.0, 0.03, 0.01, 0.05],
         "n": 10}, index=idx,
    )  # fmt: skip
    s = ic_summary(ic)
    daily = np.array([0.1, -0.05, 0.02, 0.07])
    assert s.n_days == 4
    assert s.mean_ic == pytest.approx(daily.mean())
    assert s.icir == pytest.approx(daily.mean() / daily.std(ddof=1))
    assert s.t_stat == pytest.approx(s.icir * 2.0)
    assert s.positive_share == pytest.approx(0.75)
    ranks = np.array([0.08, 0.0, 0.03, 0.01, 0.05])
    assert s.rank_icir == pytest.approx(ranks.mean() / ranks.std(ddof=1))


def test_bad_frames() -> None:
    preds, fwd = _panel(n_dates=2, n_sym=5)
    with pytest.raises(DataError, match="score"):
        daily_ic(preds, "score", fwd)
    with pytest.raises(DataError, match="duplicate"):
        daily_ic(pd.concat([preds, preds.iloc[:1]]), "p_up", fwd)


def test_ic_by_year_hand_values() -> None:
    idx = pd.DatetimeIndex(
        ["2023-12-28", "2023-12-29", "2024-01-01", "2024-01-02", "2024-01-03"]
    ).tz_localize(IST)
    ic = pd.DataFrame(
        {"ic": [0.1, 0.3, np.nan, -0.1, 0.05], "rank_ic": [0.2, 0.0, 0.1, 0.1, 0.1], "n": 10},
        index=idx,
    )
    out = ic_by_year(ic)
    assert out["year"].tolist() == [2023, 2024]
    assert out["mean_ic"].tolist() == pytest.approx([0.2, -0.025])
    assert out["mean_rank_ic"].tolist() == pytest.approx([0.1, 0.1])
    assert out["n_days"].tolist() == [2, 2]
    stored = ic.rename(columns={"ic": "student_ic", "rank_ic": "student_rank_ic"})
    stored = stored.rename_axis("timestamp").reset_index()  # as in returns/ic_daily.parquet
    again = ic_by_year(stored, ic_col="student_ic", rank_col="student_rank_ic")
    pd.testing.assert_frame_equal(again, out)
    with pytest.raises(DataError, match="rank_ic"):
        ic_by_year(ic[["ic"]])


def test_decile_returns_match_qcut_per_date_and_skip_thin_dates() -> None:
    preds, fwd = _panel(n_dates=30, n_sym=50, seed=3)
    thin = preds["timestamp"].unique()[0]
    keep = ~((preds["timestamp"] == thin) & (preds["symbol"] >= "S09"))  # 9 symbols left
    preds = preds[keep]
    dec = decile_returns(preds, "p_up", fwd)
    assert dec["decile"].tolist() == list(range(1, 11))
    assert (dec["n_dates"] == 29).all()  # the 9-symbol date is skipped
    merged = preds.merge(fwd, on=["symbol", "timestamp"])
    merged = merged[merged["timestamp"] != thin].sort_values(["timestamp", "symbol"])
    per_date = []
    for _, day in merged.groupby("timestamp"):
        bins = pd.qcut(day["p_up"].rank(method="first"), 10, labels=False) + 1
        per_date.append(day.groupby(bins.to_numpy())["fwd_return"].mean())
    expected = pd.concat(per_date, axis=1).mean(axis=1)
    np.testing.assert_allclose(dec["mean_fwd_return"], expected.to_numpy(), rtol=1e-12)
    assert dec["mean_fwd_return"].iloc[-1] > dec["mean_fwd_return"].iloc[0]  # signal planted
    assert decile_spread(dec) == pytest.approx(
        dec["mean_fwd_return"].iloc[-1] - dec["mean_fwd_return"].iloc[0]
    )
    quint = decile_returns(preds, "p_up", fwd, n_bins=5, min_symbols=5)
    assert quint["n_dates"].tolist() == [30] * 5  # 9 symbols >= 5 bins: that date counts
    assert decile_returns(preds, "p_up", fwd, min_symbols=60).empty
    assert math.isnan(decile_spread(decile_returns(preds, "p_up", fwd, min_symbols=60)))
    with pytest.raises(DataError, match="n_bins"):
        decile_returns(preds, "p_up", fwd, n_bins=1)
