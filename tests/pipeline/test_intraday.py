"""``pipeline.intraday``: the short-span refusal and note, the hint, 1-minute defaults."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sensequant.errors import PipelineError
from sensequant.pipeline.intraday import check_span, intraday_profile, too_few_sessions_hint
from sensequant.settings import RunConfig, load_run_config
from sensequant.types import IST

ROOT = Path(__file__).resolve().parents[2]
START = pd.Timestamp("2021-07-12 13:24", tz=IST)
END = pd.Timestamp("2021-08-13 15:29", tz=IST)


def _one_minute(config: RunConfig | None = None) -> RunConfig:
    config = config or RunConfig()
    return intraday_profile(config.with_overrides(interval="1m"))[0]


def test_a_span_shorter_than_the_windows_is_refused_naming_settings_and_config() -> None:
    with pytest.raises(PipelineError) as info:
        check_span(_one_minute(), START, END)
    err = info.value
    assert "33 calendar days, 24 sessions" in err.message
    assert "windows.length_days 60" in err.message and "student.min_train_days 90" in err.message
    assert err.hint is not None
    assert "configs/intraday_1min.yaml --interval 1minute" in err.hint
    assert "config init --from intraday_1min" in err.hint


def test_the_shipped_config_fits_and_the_short_span_is_noted() -> None:
    config = _one_minute(load_run_config(ROOT / "configs" / "intraday_1min.yaml"))
    assert config.windows.length_days == 7 and config.student.min_train_days == 14
    assert config.data.min_history_sessions == 20 and config.data.interval == "1minute"
    note = check_span(config, START, END)
    assert note is not None and "24 sessions" in note and "far too short for evidence" in note
    assert "about 15 sessions are out of sample" in note  # 2021-07-26 .. 2021-08-13


def test_daily_runs_and_long_spans_get_no_note() -> None:
    assert check_span(RunConfig(), START, END) is None
    long_end = pd.Timestamp("2022-07-29 15:29", tz=IST)
    assert check_span(_one_minute(), START, long_end) is None


def test_hint_for_too_few_sessions() -> None:
    daily = too_few_sessions_hint(RunConfig())
    assert "data.min_history_sessions (now 300)" in daily and "intraday_1min" not in daily
    hint = too_few_sessions_hint(_one_minute())
    assert "data.min_history_sessions (now 100)" in hint and "intraday_1min.yaml" in hint


def test_student_samples_every_15_minutes_of_bars() -> None:
    assert _one_minute().student.sample_every == 15
    five = intraday_profile(RunConfig().with_overrides(interval="5m"))[0]
    assert five.student.sample_every == 3  # unchanged at 5 minutes
