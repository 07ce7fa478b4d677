"""Run configuration: defaults file in sync, validation errors name the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from sensequant.errors import ConfigError
from sensequant.settings import RunConfig, load_run_config

ROOT = Path(__file__).resolve().parents[1]


def test_default_yaml_equals_builtin_defaults() -> None:
    assert load_run_config(ROOT / "configs" / "default.yaml") == RunConfig()


def test_start_after_end_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="after"):
        RunConfig().with_overrides(start=dt.date(2021, 1, 1), end=dt.date(2020, 1, 1))


def test_unknown_key_is_named(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"labels": {"horizn": 5}}))
    with pytest.raises(ConfigError, match=r"labels\.horizn"):
        load_run_config(p)


def test_fingerprint_changes_with_config() -> None:
    a = RunConfig()
    b = RunConfig().with_overrides(universe="RELIANCE,TCS")
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == RunConfig().fingerprint()


def test_bad_environment_setting_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sensequant.settings import load_settings

    monkeypatch.setenv("SENSEQUANT_FETCH_DEADLINE_S", "soon")
    monkeypatch.setenv("SENSEQUANT_BREEZE_API_SECRET", "do-not-print-me")
    with pytest.raises(ConfigError, match="SENSEQUANT_FETCH_DEADLINE_S") as info:
        load_settings()
    assert "do-not-print-me" not in str(info.value)
    assert info.value.exit_code == 2


def test_breeze_rate_limits_above_the_broker_limit_only_for_a_local_stand_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sensequant.settings import load_settings

    monkeypatch.setenv("SENSEQUANT_BREEZE_CALLS_PER_MINUTE", "150")
    with pytest.raises(ConfigError, match="at most 100"):
        load_settings()
    monkeypatch.setenv("SENSEQUANT_BREEZE_API_URL", "http://127.0.0.1:8000/breezeapi/api/v1/")
    monkeypatch.setenv("SENSEQUANT_BREEZE_HIST_URL", "http://127.0.0.1:8000/api/v2/")
    assert load_settings().breeze_calls_per_minute == 150


_SCORE_RULE = {"score": "score", "min_probability": None}


def test_cs_target_with_a_probability_portfolio_score_is_a_config_error(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    raw = {"labels": {"target": "cs_rank"}, "portfolio": {"score": "p_up_minus_p_down"}}
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"portfolio\.score") as info:
        load_run_config(p)
    assert "cs_rank" in str(info.value)


def test_cs_target_needs_score_in_every_backtest_trial(tmp_path: Path) -> None:
    raw = {
        "labels": {"target": "cs_zscore"},
        "portfolio": _SCORE_RULE,
        "backtest": {"trials": [_SCORE_RULE, {"top_k": 5, "score": "p_up"}]},
    }
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"backtest\.trials\[1\]\.score"):
        load_run_config(p)
    raw["backtest"] = {"trials": [_SCORE_RULE]}
    p.write_text(yaml.safe_dump(raw))
    cfg = load_run_config(p)
    assert cfg.labels.target == "cs_zscore"
    assert cfg.portfolio.min_probability is None


def test_class3_with_score_portfolio_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"labels": {"target": "class3"}, "portfolio": _SCORE_RULE}))
    with pytest.raises(ConfigError, match=r"portfolio\.score 'score' needs a cross-sectional"):
        load_run_config(p)


def test_score_rule_refuses_an_explicit_probability_floor(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    raw = {
        "labels": {"target": "cs_rank"},
        "portfolio": {"score": "score", "min_probability": 0.4},
        "backtest": {"trials": [_SCORE_RULE]},
    }
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="min_probability"):
        load_run_config(p)


@pytest.mark.parametrize("grid", [[0.0, 1.5], [-0.5], [0.5, 0.5], []])
def test_bad_blend_grid_is_a_config_error(tmp_path: Path, grid: list[float]) -> None:
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"student": {"blend_grid": grid}}))
    with pytest.raises(ConfigError, match=r"student\.blend_grid"):
        load_run_config(p)


def test_blend_grid_and_sample_every_accept_valid_values(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"student": {"blend_grid": [0.0, 0.25, 1.0], "sample_every": 5}}))
    cfg = load_run_config(p)
    assert cfg.student.blend_grid == [0.0, 0.25, 1.0]
    assert cfg.student.sample_every == 5
    p.write_text(yaml.safe_dump({"student": {"sample_every": 0}}))
    with pytest.raises(ConfigError, match=r"student\.sample_every"):
        load_run_config(p)
