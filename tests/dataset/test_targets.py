"""Cross-sectional targets, ranking groups and relevance grades; look-ahead of targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sensequant.dataset import cs_target, date_t1, make_labels, rank_groups, relevance_grades
from sensequant.errors import DataError
from sensequant.settings import LabelConfig
from sensequant.types import IST
from tests.conftest import make_daily_bars


def _panel(
    n_sym: int = 12, n: int = 300, method: str = "fixed_horizon"
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    cfg = LabelConfig(method=method)  # type: ignore[arg-type]
    bars = {f"S{i:02d}": make_daily_bars(n=n, seed=100 + i) for i in range(n_sym)}
    return _labels_panel(bars, cfg), bars


def _labels_panel(bars: dict[str, pd.DataFrame], cfg: LabelConfig) -> pd.DataFrame:
    parts = []
    for sym, b in bars.items():
        lab = make_labels(b, cfg).reset_index()
        lab.insert(0, "symbol", sym)
        parts.append(lab)
    panel = pd.concat(parts, ignore_index=True)
    return panel.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)


def test_cs_rank_is_qlib_csranknorm() -> None:
    panel, _ = _panel()
    y = cs_target(panel, "cs_rank")
    expected = (panel.groupby("timestamp")["fwd_return"].rank(pct=True) - 0.5) * np.sqrt(12)
    np.testing.assert_allclose(y, expected, atol=1e-12)
    assert y.index.equals(panel.index)
    assert y.dropna().var() == pytest.approx(1.0, abs=0.1)
    assert y.isna().sum() == panel["fwd_return"].isna().sum()


def test_cs_zscore_robust_and_clipped() -> None:
    panel, _ = _panel()
    panel.loc[5, "fwd_return"] = 10.0  # outlier
    z = cs_target(panel, "cs_zscore")
    assert z.max() <= 3.0 and z.min() >= -3.0 and z[5] == 3.0
    d = panel[panel["timestamp"] == panel["timestamp"].iloc[40]]["fwd_return"]
    med = d.median()
    mad = (d - med).abs().median()
    expect = np.clip((d - med) / (1.4826 * mad), -3, 3)
    np.testing.assert_allclose(z[d.index], expect, atol=1e-12)


def test_dates_with_few_valid_values_are_nan() -> None:
    panel, _ = _panel(n_sym=6)
    t = panel["timestamp"].iloc[60]
    rows = panel.index[panel["timestamp"] == t]
    panel.loc[rows[:2], "fwd_return"] = np.nan  # 4 valid left
    for kind in ("cs_rank", "cs_zscore"):
        assert cs_target(panel, kind)[rows].isna().all()  # type: ignore[arg-type]
    assert relevance_grades(panel)[rows].isna().all()
    with pytest.raises(ValueError):
        cs_target(panel, "bogus")  # type: ignore[arg-type]


def test_rank_groups_and_grades() -> None:
    panel, _ = _panel(n_sym=10)
    keep = panel.dropna(subset=["fwd_return"])
    groups = rank_groups(keep["timestamp"])
    assert groups.sum() == len(keep)
    assert (groups == keep.groupby("timestamp").size().to_numpy()).all()
    g = relevance_grades(keep, n_grades=5)
    assert str(g.dtype) == "Int64" and g.min() == 0 and g.max() == 4
    assert (g.groupby(keep["timestamp"]).value_counts().unstack() == 2).all().all()
    # the best return of a date gets the top grade
    best = keep.groupby("timestamp")["fwd_return"].idxmax()
    assert (g[best] == 4).all()
    with pytest.raises(DataError, match="sorted"):
        rank_groups(keep["timestamp"].iloc[::-1])
    assert rank_groups(pd.DatetimeIndex([], tz=IST)).size == 0


@pytest.mark.parametrize("method", ["fixed_horizon", "triple_barrier"])
def test_targets_use_only_bars_up_to_t1(method: str) -> None:
    cfg = LabelConfig(method=method)  # type: ignore[arg-type]
    bars = {f"S{i:02d}": make_daily_bars(n=300, seed=200 + i) for i in range(8)}
    full = _labels_panel(bars, cfg)
    y_full = cs_target(full, "cs_rank")
    for t in (30, 120, 250):
        cut_ts = bars["S00"]["timestamp"].iloc[t]
        part = _labels_panel({s: b.iloc[: t + 1] for s, b in bars.items()}, cfg)
        head = full[full["timestamp"] <= cut_ts]
        # a date's target is known once EVERY symbol's label of that date is known
        end = date_t1(full)[: len(head)]
        pd.testing.assert_series_equal(
            end, head.groupby("timestamp")["t1"].transform("max"), check_names=False
        )
        known = (end <= cut_ts).to_numpy()
        assert known.any()
        y_part = cs_target(part, "cs_rank")
        np.testing.assert_array_equal(y_part[: len(head)][known], y_full[: len(head)][known])
        pd.testing.assert_frame_equal(
            part.loc[: len(head) - 1][known], head[known], check_index_type=False
        )
