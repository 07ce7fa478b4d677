"""``sensequant lookahead`` on a small store of synthetic bars."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.data.store import BarStore
from sensequant.dataset.features import sets as feature_sets
from sensequant.testing.synthetic import synthetic_bars

runner = CliRunner()


def _env(home: Path) -> dict[str, str]:
    return {"SENSEQUANT_HOME": str(home), "COLUMNS": "200"}


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    store = BarStore(tmp_path / "store")
    for sym in ("AAA", "BBB", "CCC", "NIFTY 50"):
        store.write(sym, "1day", synthetic_bars(sym, "1day", "2021-01-01", "2022-06-30"))
    return tmp_path


def test_clean_store_exits_0(home: Path) -> None:
    args = ["lookahead", "--symbols", "AAA,BBB,CCC", "--cuts", "2"]
    res = runner.invoke(
        app, [*args, "--features", "technical,returns,cross_sectional,market"], env=_env(home)
    )
    assert res.exit_code == 0, res.output
    assert "prediction check: not run" in res.output
    assert "no look-ahead" in res.output and "Traceback" not in res.output


def test_json(home: Path) -> None:
    args = ["lookahead", "--symbols", "AAA,BBB", "--cuts", "3", "--json"]
    res = runner.invoke(app, args, env=_env(home))
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["ok"] is True and payload["leaked_columns"] == []
    assert payload["symbols"] == ["AAA", "BBB"] and len(payload["cuts"]) == 3
    assert payload["prediction_check"] == "not run"


def test_leak_exits_1_and_names_the_column(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = feature_sets.return_features

    def leaky(close: np.ndarray) -> dict[str, np.ndarray]:
        out = real(close)
        out["ret_20"] = pd.Series(close).shift(-1).to_numpy() / close - 1.0
        return out

    monkeypatch.setattr(feature_sets, "return_features", leaky)
    args = ["lookahead", "--symbols", "AAA,BBB", "--cuts", "1", "--features", "returns"]
    res = runner.invoke(app, args, env=_env(home))
    assert res.exit_code == 1, res.output
    assert "ret_20" in res.output and "LEAK" in res.output


@pytest.mark.parametrize(
    "args",
    [["--features", "technical,astrology"], ["--cuts", "0"]],
    ids=["unknown-set", "zero-cuts"],
)
def test_bad_usage_exits_2(home: Path, args: list[str]) -> None:
    res = runner.invoke(app, ["lookahead", "--symbols", "AAA", *args], env=_env(home))
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
