"""The adjusted view: catalog corporate-action factors applied on read, raw bars untouched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore
from tests.conftest import make_daily_bars

EX_DATE = dt.date(2019, 3, 1)


def _bonus_series() -> pd.DataFrame:
    """Raw bars with an unadjusted 1:1 bonus: prices halve from the ex-date, volume doubles."""
    bars = make_daily_bars(400)
    after = bars["timestamp"].dt.date >= EX_DATE
    for col in ("open", "high", "low", "close"):
        bars.loc[after, col] = bars.loc[after, col] * 0.5
    bars.loc[after, "volume"] = bars.loc[after, "volume"] * 2
    return bars


def _setup(tmp_path: Path, status: str = "suspected") -> tuple[BarStore, Catalog, pd.DataFrame]:
    store, catalog = BarStore(tmp_path / "store"), Catalog(tmp_path / "catalog.sqlite")
    raw = _bonus_series()
    store.write("ABC", "1day", raw)
    catalog.upsert_corporate_actions(
        [
            {
                "symbol": "ABC",
                "ex_date": EX_DATE,
                "kind": "bonus 1:1",
                "price_factor": 0.5,
                "source": "detected",
                "status": status,
            }
        ]
    )
    return store, catalog, raw


def test_adjusted_view_applies_the_factor_and_raw_view_is_unchanged(tmp_path: Path) -> None:
    store, catalog, raw = _setup(tmp_path)
    view = AdjustedBarStore(tmp_path / "store", catalog)
    adjusted = view.read("ABC", "1day")
    before = adjusted["timestamp"].dt.date < EX_DATE
    np.testing.assert_allclose(adjusted.loc[before, "close"], raw.loc[before, "close"] * 0.5)
    np.testing.assert_allclose(adjusted.loc[before, "volume"], raw.loc[before, "volume"] * 2)
    np.testing.assert_allclose(adjusted.loc[~before, "close"], raw.loc[~before, "close"])
    # no overnight jump of -50 % is left at the ex-date
    ret = adjusted["close"].pct_change().abs().max()
    assert ret < 0.2
    # the store itself still holds the raw bars
    pd.testing.assert_frame_equal(
        store.read("ABC", "1day").reset_index(drop=True),
        raw.reset_index(drop=True),
        check_dtype=False,
    )
    assert view.applied_actions() == [
        {
            "symbol": "ABC",
            "ex_date": EX_DATE.isoformat(),
            "kind": "bonus 1:1",
            "price_factor": 0.5,
            "source": "detected",
            "status": "suspected",
        }
    ]


def test_column_selection_and_unaffected_symbols(tmp_path: Path) -> None:
    store, catalog, raw = _setup(tmp_path)
    store.write("XYZ", "1day", make_daily_bars(50, seed=3))
    view = AdjustedBarStore(tmp_path / "store", catalog)
    part = view.read("ABC", "1day", columns=["timestamp", "close"])
    assert list(part.columns) == ["timestamp", "close"]
    assert part["close"].iloc[0] == raw["close"].iloc[0] * 0.5
    pd.testing.assert_frame_equal(view.read("XYZ", "1day"), store.read("XYZ", "1day"))
    assert view.applied_actions(["XYZ"]) == []


def test_rejected_action_is_not_applied(tmp_path: Path) -> None:
    store, catalog, _ = _setup(tmp_path)
    catalog.set_corporate_action_status("ABC", EX_DATE, "rejected")
    view = AdjustedBarStore(tmp_path / "store", catalog)
    pd.testing.assert_frame_equal(view.read("ABC", "1day"), store.read("ABC", "1day"))
