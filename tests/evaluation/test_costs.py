"""Tests of the effective-dated NSE fee schedule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sensequant.errors import ConfigError
from sensequant.evaluation.costs import FeeSchedule, to_date

PAISA = 0.005  # "to the paisa": within half a paisa


@pytest.fixture(scope="module")
def fees() -> FeeSchedule:
    return FeeSchedule.load()


def test_delivery_round_trip_2024_to_the_paisa(fees: FeeSchedule) -> None:
    # Rs 1,00,000 bought and sold on delivery, rates in force from 2024-10-01, by hand:
    stt = 100.00 + 100.00  # 0.1 % each side
    txn = 2.97 + 2.97  # 0.00297 % each side
    ipft = 0.10 + 0.10  # 0.0001 % each side
    sebi = 0.10 + 0.10  # Rs 10 per crore each side
    stamp = 15.00  # 0.015 % on the buy
    brokerage = 0.0  # discount broker, delivery
    dp = 13.00  # one scrip sold on one day
    gst = 0.18 * (brokerage + txn + sebi + dp)  # 0.18 * 19.14 = 3.4452
    expected = stt + txn + ipft + sebi + stamp + brokerage + dp + gst  # 237.7852
    assert expected == pytest.approx(237.7852, abs=1e-9)

    buy = fees.order_costs(100_000, "buy", dt.date(2024, 10, 1), "delivery")
    sell = fees.order_costs(100_000, "sell", dt.date(2024, 10, 1), "delivery")
    assert buy.stt + sell.stt == pytest.approx(stt, abs=PAISA)
    assert buy.exchange_txn + sell.exchange_txn == pytest.approx(txn, abs=PAISA)
    assert buy.ipft + sell.ipft == pytest.approx(ipft, abs=PAISA)
    assert buy.sebi_fee + sell.sebi_fee == pytest.approx(sebi, abs=PAISA)
    assert buy.stamp_duty == pytest.approx(stamp, abs=PAISA) and sell.stamp_duty == 0
    assert buy.brokerage == 0 and sell.brokerage == 0
    assert buy.dp_charge == 0 and sell.dp_charge == pytest.approx(dp, abs=PAISA)
    assert buy.gst + sell.gst == pytest.approx(gst, abs=PAISA)
    assert buy.total + sell.total == pytest.approx(expected, abs=PAISA)
    assert (buy.total + sell.total) / 100_000 * 1e4 == pytest.approx(23.8, abs=0.05)


def test_intraday_round_trip_2024_to_the_paisa(fees: FeeSchedule) -> None:
    stt = 25.00  # 0.025 % on the sell only
    txn = 2.97 + 2.97
    ipft = 0.10 + 0.10
    sebi = 0.10 + 0.10
    stamp = 3.00  # 0.003 % on the buy
    brokerage = 20.00 + 20.00  # min(0.03 % = Rs 30, Rs 20) per order
    gst = 0.18 * (brokerage + txn + sebi)  # 0.18 * 46.14 = 8.3052
    expected = stt + txn + ipft + sebi + stamp + brokerage + gst  # 82.6452
    assert expected == pytest.approx(82.6452, abs=1e-9)

    buy = fees.order_costs(100_000, "buy", "2024-10-01", "intraday")
    sell = fees.order_costs(100_000, "sell", "2024-10-01", "intraday")
    assert buy.stt == 0 and sell.stt == pytest.approx(stt, abs=PAISA)
    assert buy.brokerage == pytest.approx(20.0) and sell.brokerage == pytest.approx(20.0)
    assert buy.dp_charge == 0 and sell.dp_charge == 0
    assert buy.gst + sell.gst == pytest.approx(gst, abs=PAISA)
    assert buy.total + sell.total == pytest.approx(expected, abs=PAISA)
    assert (buy.total + sell.total) / 100_000 * 1e4 == pytest.approx(8.3, abs=0.05)


def test_brokerage_cap_only_binds_on_large_orders(fees: FeeSchedule) -> None:
    small = fees.order_costs(10_000, "buy", "2024-10-01", "intraday")
    assert small.brokerage == pytest.approx(3.0)  # 0.03 % of 10,000 < Rs 20
    big = fees.order_costs(5_000_000, "buy", "2024-10-01", "intraday")
    assert big.brokerage == pytest.approx(20.0)


def test_stt_history(fees: FeeSchedule) -> None:
    def stt(day: str) -> float:
        return fees.order_costs(100_000, "buy", day, "delivery").stt / 100_000

    assert stt("2003-06-02") == 0.0  # before STT (2004-10-01)
    assert stt("2005-01-03") == pytest.approx(0.00075)
    assert stt("2012-03-15") == pytest.approx(0.00125)  # 2012 delivery STT is 0.125 %
    assert stt("2012-06-29") == pytest.approx(0.00125)
    assert stt("2012-07-02") == pytest.approx(0.001)  # Finance Act 2012 cut, from 2012-07-01
    assert stt("2024-10-01") == pytest.approx(0.001)


def test_proportional_rates_match_order_costs(fees: FeeSchedule) -> None:
    for day in ("2003-01-06", "2012-03-15", "2016-08-01", "2021-05-05", "2024-10-01"):
        buy_bps, sell_bps = fees.proportional_rates_bps(day, "delivery")
        buy = fees.order_costs(1_000_000, "buy", day, "delivery")
        sell = fees.order_costs(1_000_000, "sell", day, "delivery")
        dp = fees.fixed_sell_charge_inr(day, "delivery")
        assert buy_bps == pytest.approx(buy.bps, rel=1e-12)
        assert sell_bps == pytest.approx((sell.total - dp) / 1_000_000 * 1e4, rel=1e-12)
    assert fees.fixed_sell_charge_inr("2024-10-01", "delivery") == pytest.approx(13 * 1.18)
    assert fees.fixed_sell_charge_inr("2024-10-01", "intraday") == 0.0


def test_proportional_rates_apply_brokerage_cap_when_order_size_given(fees: FeeSchedule) -> None:
    uncapped, _ = fees.proportional_rates_bps("2024-10-01", "intraday")
    capped, _ = fees.proportional_rates_bps("2024-10-01", "intraday", order_notional_inr=1e6)
    # uncapped: 3 bp brokerage; capped at Rs 20 on Rs 10 lakh: 0.2 bp (both * 1.18 GST)
    assert uncapped - capped == pytest.approx((3.0 - 0.2) * 1.18)


def test_daily_rates_vectorised_matches_scalar(fees: FeeSchedule) -> None:
    days = pd.bdate_range("2000-01-03", "2024-12-31", freq="37B", tz="Asia/Kolkata")
    table = fees.daily_rates(days, "delivery")
    for i, day in enumerate(days):
        buy, sell = fees.proportional_rates_bps(day, "delivery")
        assert table.loc[i, "buy_bps"] == pytest.approx(buy, rel=1e-12)
        assert table.loc[i, "sell_bps"] == pytest.approx(sell, rel=1e-12)
        assert table.loc[i, "dp_sell_inr"] == pytest.approx(fees.fixed_sell_charge_inr(day))


def test_tz_aware_timestamp_is_read_in_ist() -> None:
    # 2024-09-30 20:00 UTC is 2024-10-01 01:30 IST
    assert to_date(pd.Timestamp("2024-09-30 20:00", tz="UTC")) == dt.date(2024, 10, 1)


def test_packaged_schedule_covers_2000_onwards_with_sources(fees: FeeSchedule) -> None:
    assert all(row.source for row in fees.charges)
    assert min(row.valid_from for row in fees.charges) == dt.date(2000, 1, 1)
    fees.daily_rates(pd.bdate_range("2000-01-03", "2030-12-31"), "delivery")
    fees.daily_rates(pd.bdate_range("2000-01-03", "2030-12-31"), "intraday")
    with pytest.raises(ConfigError, match="1999-12-31"):
        fees.order_costs(1000, "buy", "1999-12-31", "delivery")


def _row(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "charge": "stt", "segment": "delivery", "side": "both", "rate": 0.001,
        "valid_from": dt.date(2000, 1, 1), "valid_to": None, "gst_applies": False, "source": "t",
    }  # fmt: skip
    base.update(kw)
    return base


def _schedule(rows: list[dict[str, Any]]) -> dict[str, Any]:
    gst = [{"rate": 0.18, "valid_from": dt.date(2000, 1, 1), "valid_to": None, "source": "t"}]
    return {"version": 1, "currency": "INR", "charges": rows, "gst": gst}


def test_overlapping_rows_are_rejected() -> None:
    rows = [
        _row(),
        _row(side="sell", valid_from=dt.date(2010, 6, 1)),  # overlaps the 'both' row
    ]
    with pytest.raises(ConfigError, match="overlapping rows for stt/delivery/sell"):
        FeeSchedule.from_mapping(_schedule(rows))


def test_gaps_and_closed_histories_are_rejected() -> None:
    gap = [_row(valid_to=dt.date(2010, 12, 31)), _row(valid_from=dt.date(2011, 1, 5))]
    with pytest.raises(ConfigError, match="gap"):
        FeeSchedule.from_mapping(_schedule(gap))
    with pytest.raises(ConfigError, match="valid_to: null"):
        FeeSchedule.from_mapping(_schedule([_row(valid_to=dt.date(2010, 12, 31))]))


def test_invalid_rows_name_the_row_and_field() -> None:
    with pytest.raises(ConfigError, match=r"charges\.0"):
        FeeSchedule.from_mapping(_schedule([_row(rate=None)]))
    with pytest.raises(ConfigError, match=r"charges\.0\.charge"):
        FeeSchedule.from_mapping(_schedule([_row(charge="courier")]))


def test_load_from_file_and_missing_file(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "fees.yaml"
    path.write_text(yaml.safe_dump(_schedule([_row()])), encoding="utf-8")
    custom = FeeSchedule.load(path)
    assert custom.proportional_rates_bps("2020-01-01") == pytest.approx((10.0, 10.0))
    assert custom.fixed_sell_charge_inr("2020-01-01") == 0.0
    with pytest.raises(ConfigError, match="does not exist"):
        FeeSchedule.load(tmp_path / "absent.yaml")
