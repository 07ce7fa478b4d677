"""Config safety (issue 10): duplicate YAML keys and upper bounds on numeric settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotated_types import Le, Lt
from pydantic import BaseModel

from sensequant.config_sections import Section
from sensequant.errors import ConfigError
from sensequant.run_config import RunConfig, load_run_config, load_yaml_unique

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _sections() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [RunConfig]
    while todo:
        model = todo.pop()
        if model in found:
            continue
        found.append(model)
        for info in model.model_fields.values():
            args = getattr(info.annotation, "__args__", ()) or (info.annotation,)
            todo += [a for a in args if isinstance(a, type) and issubclass(a, Section)]
    return found


def test_duplicate_top_level_key_names_key_and_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(
        "name: x\ngates:\n  min_dsr: 0.5\nstats:\n  bootstrap_reps: 200\ngates:\n  min_dsr: 0.9\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_run_config(path)
    assert str(path) in info.value.message
    assert "duplicate key 'gates' at line 6 (first at line 2)" in info.value.message
    assert info.value.hint and "silently keep the last" in info.value.hint


def test_duplicate_nested_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="duplicate key 'top_k' at line 3"):
        load_yaml_unique("portfolio:\n  top_k: 5\n  top_k: 6\n")
    assert load_yaml_unique("a:\n  b: 1\nc:\n  b: 2\n") == {"a": {"b": 1}, "c": {"b": 2}}


def test_absurd_numbers_are_refused_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("stats:\n  bootstrap_reps: 1000000000000\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"stats\.bootstrap_reps: Input should be less than"):
        load_run_config(path)


def test_every_numeric_setting_has_an_upper_bound() -> None:
    unbounded = []
    for model in _sections():
        for name, info in model.model_fields.items():
            args = getattr(info.annotation, "__args__", ()) or (info.annotation,)
            numeric = any(a in (int, float) for a in args)
            if numeric and not any(isinstance(m, Le | Lt) for m in info.metadata):
                unbounded.append(f"{model.__name__}.{name}")
    # the seed and the Sharpe gates are free numbers (a seed, a difference of Sharpes); the
    # blend grid's values are checked in [0, 1] by its validator
    allowed = {
        "RunConfig.seed",
        "GateConfig.min_sharpe_excess_vs_benchmark",
        "GateConfig.min_sharpe_excess_vs_equal_weight",
        "GateConfig.min_sharpe_ci_lower",
        "GateConfig.min_excess_sharpe_ci_lower",
        "StudentConfig.blend_grid",
    }
    assert set(unbounded) <= allowed, sorted(set(unbounded) - allowed)


@pytest.mark.parametrize("name", ["default.yaml", "class3.yaml", "intraday_1min.yaml"])
def test_shipped_configs_still_load(name: str) -> None:
    assert isinstance(load_run_config(CONFIGS / name), RunConfig)


def test_unknown_keys_name_the_line_and_the_closest_key(tmp_path: Path) -> None:
    cfg = tmp_path / "typo.yaml"
    cfg.write_text(
        "data:\n  start: 2010-01-01\nbacktest:\n  trials:\n    - score: score\n      topk: 5\n"
        "zzz: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_run_config(cfg)
    message = info.value.message
    assert message.startswith(f"invalid run configuration from {cfg}: ")
    assert "line 6: backtest.trials.0.topk: unknown key; did you mean 'top_k'?" in message
    assert "line 7: zzz: unknown key" in message and "zzz: unknown key; did" not in message
    assert info.value.hint is not None and "sensequant config show" in info.value.hint


def test_stacking_is_refused_on_intraday_bars(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  interval: 5minute\nstudent:\n  stacking: true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="stacking is for daily bars only"):
        load_run_config(path)
    daily = tmp_path / "d.yaml"
    daily.write_text("student:\n  stacking: true\n", encoding="utf-8")
    assert load_run_config(daily).student.stacking is True


def test_a_partial_section_keeps_the_run_defaults_of_its_other_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("student:\n  stacking: true\nbacktest:\n  trials: []\n", encoding="utf-8")
    cfg = load_run_config(path)
    default = RunConfig()
    assert cfg.student == default.student.model_copy(update={"stacking": True})
    assert cfg.student.train_lookback_days == 3650  # the run's default, not the class's 1095
    assert cfg.backtest.trials == [] and cfg.portfolio == default.portfolio  # lists replaced
