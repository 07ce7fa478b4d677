"""``sensequant dashboard``: 127.0.0.1 only, the Streamlit command line it runs."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sensequant.cli.dashboard import ADDRESS, dashboard_command, entry_script
from sensequant.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.5", "::", "localhost"])
def test_any_other_address_is_refused(address: str) -> None:
    res = runner.invoke(app, ["dashboard", "--address", address])
    assert res.exit_code == 2
    assert "127.0.0.1 only" in res.output and "ssh -L" in res.output
    assert "Traceback" not in res.output


def test_command_binds_loopback_headless_without_usage_stats() -> None:
    cmd = dashboard_command(8600)
    assert cmd[cmd.index("--server.address") + 1] == ADDRESS == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
    assert cmd[cmd.index("run") + 1] == str(entry_script())
    assert entry_script().is_file()


def test_port_out_of_range_is_bad_usage() -> None:
    assert runner.invoke(app, ["dashboard", "--port", "70000"]).exit_code == 2
