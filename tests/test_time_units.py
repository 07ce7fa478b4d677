"""Time units in the run configuration and ``--interval`` aliases."""

from __future__ import annotations

import pytest

from sensequant.errors import ConfigError
from sensequant.settings import RunConfig
from sensequant.time_units import to_bars


@pytest.mark.parametrize(
    ("value", "interval", "bars"),
    [
        (5, "1day", 5),
        ("5d", "1day", 5),
        ("1session", "5minute", 75),
        ("30min", "5minute", 6),
        ("30min", "1minute", 30),
        ("30min", "30minute", 1),
        ("2h", "5m", 24),
        ("375min", "1day", 1),
        ("12 bars", "5minute", 12),
    ],
)
def test_to_bars(value: int | str, interval: str, bars: int) -> None:
    assert to_bars(value, interval) == bars


@pytest.mark.parametrize(
    ("value", "interval"), [("7min", "5minute"), ("30min", "1day"), ("x", "1day")]
)
def test_to_bars_refuses_partial_bars_and_unknown_units(value: str, interval: str) -> None:
    with pytest.raises(ValueError, match=value):
        to_bars(value, interval, key="labels.horizon")


def test_config_converts_units_per_interval_and_accepts_aliases() -> None:
    cfg = RunConfig.model_validate(
        {
            "data": {"interval": "5m"},
            "labels": {"horizon": "30min", "vol_lookback": "1session", "target": "cs_rank"},
            "portfolio": {"rebalance_every": "1h", "score": "score"},
        }
    )
    assert cfg.data.interval == "5minute"
    assert (cfg.labels.horizon, cfg.labels.vol_lookback, cfg.portfolio.rebalance_every) == (
        6,
        75,
        12,
    )
    assert RunConfig().with_overrides(interval="1d").data.interval == "1day"
    with pytest.raises(ConfigError, match="interval"):
        RunConfig().with_overrides(interval="2minute")


def test_intraday_start_and_end_may_be_timestamps() -> None:
    import datetime as dt

    cfg = RunConfig().with_overrides(
        interval="5minute", start=dt.datetime(2024, 1, 2, 10, 0), end=dt.date(2024, 1, 31)
    )
    assert cfg.data.start == dt.datetime(2024, 1, 2, 10, 0)
    with pytest.raises(ConfigError, match="after"):
        RunConfig().with_overrides(start=dt.datetime(2024, 2, 1, 10), end=dt.date(2024, 1, 31))
