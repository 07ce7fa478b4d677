"""Time units in the run configuration and ``--interval`` aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensequant.errors import ConfigError
from sensequant.settings import RunConfig, load_run_config
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


_YAML = """
labels:
  horizon: 30min
  vol_lookback: 1session
backtest:
  trials:
    - {score: score, top_k: 5, rebalance_every: 1h}
    - {score: score, top_k: 8, rebalance_every: 4}
"""


@pytest.mark.parametrize(
    ("interval", "horizon", "lookback", "every"),
    [("5minute", 6, 75, 12), ("1minute", 30, 375, 60), ("30m", 1, 13, 2)],
)
def test_durations_in_a_daily_file_are_converted_at_the_cli_interval(
    tmp_path: Path, interval: str, horizon: int, lookback: int, every: int
) -> None:
    """``horizon: 30min`` in a file without an interval (daily) plus ``--interval``."""
    path = tmp_path / "run.yaml"
    path.write_text(_YAML, encoding="utf-8")
    cfg = load_run_config(path, interval=interval)
    assert (cfg.labels.horizon, cfg.labels.vol_lookback) == (horizon, lookback)
    assert [t.rebalance_every for t in cfg.backtest.trials] == [every, 4]
    # on its own the file is daily: 30 minutes is no whole daily bar
    with pytest.raises(ConfigError, match=r"labels.horizon '30min'"):
        load_run_config(path)


def test_with_overrides_converts_the_written_durations_again(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("data: {interval: 30minute}\n" + _YAML, encoding="utf-8")
    cfg = load_run_config(path)
    assert (cfg.labels.horizon, cfg.backtest.trials[0].rebalance_every) == (1, 2)
    five = cfg.with_overrides(interval="5minute")
    assert (five.labels.horizon, five.labels.vol_lookback) == (6, 75)
    assert [t.rebalance_every for t in five.backtest.trials] == [12, 4]
    # kept through a second override and a copy; plain bar counts never change
    one = five.with_overrides(universe="TCS").model_copy().with_overrides(interval="1m")
    assert (one.labels.horizon, one.backtest.trials[0].rebalance_every) == (30, 60)
    assert one.backtest.trials[1].rebalance_every == 4
    assert RunConfig().with_overrides(interval="5m").labels.horizon == RunConfig().labels.horizon
    # --executor keeps them too (it rebuilt from the converted bar counts)
    assert five.with_executor("joblib").with_overrides(interval="1m").labels.horizon == 30


def test_run_command_converts_after_the_interval_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import sensequant.pipeline as pipeline_face
    from sensequant.cli.main import app

    seen: list[RunConfig] = []

    def fake_run(config: RunConfig, *args: object, **kwargs: object) -> None:
        seen.append(config)
        raise ConfigError("stub reached")

    monkeypatch.setattr(pipeline_face, "run_pipeline", fake_run)
    path = tmp_path / "run.yaml"
    path.write_text(_YAML, encoding="utf-8")
    env = {"SENSEQUANT_HOME": str(tmp_path / "home")}
    for interval, bars in (("5minute", 6), ("1minute", 30)):
        res = CliRunner().invoke(
            app, ["run", "--config", str(path), "--interval", interval], env=env
        )
        assert "stub reached" in res.output, res.output
        assert seen[-1].labels.horizon == bars


def test_a_sweep_grid_over_the_interval_converts_the_written_durations(tmp_path: Path) -> None:
    from sensequant.pipeline.sweep_grid import expand_grid, parse_grid

    path = tmp_path / "run.yaml"
    path.write_text("data: {interval: 30minute}\n" + _YAML, encoding="utf-8")
    grid = parse_grid({"grid": {"data.interval": ["30minute", "5minute", "1minute"]}})
    points = expand_grid(load_run_config(path), grid)
    assert [p.config.labels.horizon for p in points] == [1, 6, 30]
    explicit = parse_grid({"grid": {"data.interval": ["5minute"], "labels.horizon": [3]}})
    assert expand_grid(load_run_config(path), explicit)[0].config.labels.horizon == 3
