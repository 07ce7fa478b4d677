"""Every ``--interval`` option reads the one alias table (``sensequant.time_units``).

Each command's next step is stubbed to record the interval it was handed and stop, so the test
checks the normalisation at the command line, not the work after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import sensequant.data.fetch as fetch_face
import sensequant.pipeline as pipeline_face
import sensequant.pipeline.deployed as deployed_mod
import sensequant.pipeline.universe_rules as universe_rules
import sensequant.release.deploy as deploy_mod
from sensequant.cli import audit as audit_cli
from sensequant.cli.main import app
from sensequant.errors import SenseQuantError
from sensequant.time_units import INTERVAL_ALIASES, canonical_interval, parse_interval


class _StubReachedError(SenseQuantError):
    """Raised by the stubs once they recorded what they were given."""


def _recorder(seen: list[Any], pick: Any) -> Any:
    def stub(*args: Any, **kwargs: Any) -> Any:
        seen.append(pick(*args, **kwargs))
        raise _StubReachedError("stub reached")

    return stub


# the command line before ``--interval``
CASES: dict[str, list[str]] = {
    "run": ["run"],
    "lookahead": ["lookahead"],
    "signals": ["signals", "--deployed"],
    "rollback": ["rollback"],
    "data fetch": ["data", "fetch", "--symbols", "TCS", "--provider", "files"],
    "data audit": ["data", "audit"],
}


@pytest.fixture()
def seen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    got: list[Any] = []
    monkeypatch.setattr(
        pipeline_face, "run_pipeline", _recorder(got, lambda cfg, *a, **k: cfg.data.interval)
    )
    monkeypatch.setattr(
        universe_rules,
        "preflight_for_universe",
        _recorder(got, lambda cfg, *a, **k: cfg.data.interval),
    )
    monkeypatch.setattr(deployed_mod, "chosen_run", _recorder(got, lambda *a, **k: k["interval"]))
    monkeypatch.setattr(deploy_mod, "rollback", _recorder(got, lambda *a, **k: k["interval"]))
    monkeypatch.setattr(fetch_face, "run_fetch", _recorder(got, lambda *a, **k: a[4]))
    monkeypatch.setattr(audit_cli, "_audit", _recorder(got, lambda u, iv, o: iv))
    return got


@pytest.mark.parametrize("command", list(CASES))
@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("5m", "5minute"),
        ("5min", "5minute"),
        ("1d", "1day"),
        ("30m", "30minute"),
        ("1MIN", "1minute"),
    ],
)
def test_every_interval_option_takes_the_aliases(
    command: str, typed: str, name: str, seen: list[Any], tmp_path: Path
) -> None:
    args = CASES[command]
    res = CliRunner().invoke(
        app, [*args, "--interval", typed], env={"SENSEQUANT_HOME": str(tmp_path)}
    )
    assert seen == [name], (command, res.output)
    assert res.exit_code == 1 and "stub reached" in res.output


@pytest.mark.parametrize("command", list(CASES))
def test_an_unknown_interval_is_a_usage_error_on_every_command(
    command: str, seen: list[Any], tmp_path: Path
) -> None:
    args = CASES[command]
    res = CliRunner().invoke(
        app, [*args, "--interval", "7min"], env={"SENSEQUANT_HOME": str(tmp_path)}
    )
    assert res.exit_code == 2, res.output
    assert "is not a bar interval" in res.output and seen == []


def test_the_data_layer_reads_the_same_table() -> None:
    from sensequant.data import market

    assert market.parse_interval is parse_interval
    assert market.INTERVAL_ALIASES is INTERVAL_ALIASES


def test_the_config_reads_the_same_table() -> None:
    from sensequant.settings import RunConfig

    for typed in (*INTERVAL_ALIASES, "5 minutes", "5T", "1D"):
        cfg = RunConfig.model_validate({"data": {"interval": typed}})
        assert cfg.data.interval == canonical_interval(typed)
