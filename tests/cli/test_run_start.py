"""``sensequant run`` says which home it writes to and the OOS period before it starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sensequant.cli import app
from sensequant.cli.run_start import run_start_lines
from sensequant.run_config import RunConfig
from sensequant.settings import Settings
from tests.cli.test_main import _env

runner = CliRunner()


def test_lines_before_the_pipeline_starts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    res = runner.invoke(app, ["run", "--end", "2020-06-30"], env=_env(home))
    assert res.exit_code == 1  # the store is empty: the lines come first all the same
    lines = res.output.splitlines()
    assert lines[0] == f"home: {home} (SENSEQUANT_HOME)"
    assert lines[1] == (
        "out of sample: from about 2005-12-31 (data.start 2004-01-01 + "
        "student.min_train_days 730) to 2020-06-30: about 3,578 sessions (14.2 years)"
    )


def test_default_home_and_first_test_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SENSEQUANT_HOME", raising=False)
    cfg = RunConfig.model_validate(
        {"student": {"first_test_start": "2015-01-01", "learning_rate": 0.05, "sample_every": 5}}
    )
    home, oos = run_start_lines(cfg, Settings())
    assert home == f"home: {tmp_path / 'sensequant_home'} (default: SENSEQUANT_HOME not set)"
    assert oos == "out of sample: from 2015-01-01 (student.first_test_start) to the last stored bar"


def test_no_start_date() -> None:
    cfg = RunConfig().with_overrides()
    cfg = cfg.model_copy(update={"data": cfg.data.model_copy(update={"start": None})})
    home, oos = run_start_lines(cfg, Settings(home=Path("h")))
    assert home == f"home: {Path('h').absolute()} (SENSEQUANT_HOME)"
    assert oos == (
        "out of sample: from the first stored bar + student.min_train_days 730 "
        "to the last stored bar"
    )


def _sessions(first: str, last: str) -> int:
    from sensequant.data.market import nse_sessions

    return len(nse_sessions(first, last))


def test_intraday_estimate_counts_sessions_and_bars(tmp_path: Path) -> None:
    """An intraday run is estimated with the intraday defaults (90 training days), in bars."""
    import datetime as dt

    cfg = RunConfig().with_overrides(
        interval="5m", start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 28)
    )
    _home, oos = run_start_lines(cfg, Settings(home=tmp_path))
    n = _sessions("2024-03-31", "2024-06-28")
    assert oos == (
        "out of sample: from about 2024-03-31 (data.start 2024-01-01 + student.min_train_days "
        f"90) to 2024-06-28: about {n} sessions, {n * 75:,} 5minute bars (75 a regular session)"
    )
    assert "years" not in oos


def test_span_of_the_stored_benchmark_when_no_dates_are_given(tmp_path: Path) -> None:
    from sensequant.data.store import BarStore
    from sensequant.testing.synthetic import synthetic_bars

    st = Settings(home=tmp_path)
    BarStore(st.store_dir).write(
        "NIFTY 50", "1minute", synthetic_bars("NIFTY 50", "1minute", "2024-01-01", "2024-06-28")
    )
    cfg = RunConfig().with_overrides(interval="1minute")
    _home, oos = run_start_lines(cfg, st)
    n = _sessions("2024-03-31", "2024-06-28")
    assert oos == (
        "out of sample: from about 2024-03-31 (the first stored bar 2024-01-01 + "
        "student.min_train_days 90) to 2024-06-28 (the last stored bar): about "
        f"{n} sessions, {n * 375:,} 1minute bars (375 a regular session)"
    )


def test_no_session_left_says_so() -> None:
    import datetime as dt

    cfg = RunConfig().with_overrides(start=dt.date(2020, 1, 1), end=dt.date(2020, 6, 30))
    _home, oos = run_start_lines(cfg, Settings(home=Path("h")))
    assert oos.endswith(": no session (the training minimum reaches past the end of the data)")
