"""The real 1-minute files (``../shared/data/nse_1min``, 24 sessions) from the CLI.

``sensequant data import`` then ``sensequant run --interval 1minute`` with the shipped
``configs/intraday_1min.yaml``: a bundle, report and briefing, the interval recorded, no
position across a session boundary, and the briefing saying the span is far too short for
evidence. With the defaults the run is refused at pre-flight, naming the setting and the
shipped configuration. Skips when the shared data are absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sensequant.cli import app

ROOT = Path(__file__).resolve().parents[2]
SYMBOLS = "HDFCBANK,ICICIBANK,INFY,RELIANCE,TCS"
runner = CliRunner()


def _env(home: Path) -> dict[str, str]:
    return {"SENSEQUANT_HOME": str(home), "COLUMNS": "200"}


@pytest.fixture(scope="module")
def home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = shared_data / "nse_1min"
    if not folder.is_dir():
        pytest.skip(f"{folder} absent")
    home = tmp_path_factory.mktemp("home1m")
    res = runner.invoke(app, ["data", "import", str(folder), "--json"], env=_env(home))
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["n_failed"] == 0 and report["n_ok"] == 5
    return home


def _bars(home: Path, symbol: str) -> pd.DataFrame:
    from sensequant.data.store import BarStore

    return BarStore(home / "store").read(symbol, "1minute")


def test_import_keeps_the_zero_volume_float32_rows(home: Path) -> None:
    bars = _bars(home, "TCS")
    day = bars[bars["timestamp"].dt.date == pd.Timestamp("2021-07-23").date()]
    zero = day[day["volume"] == 0]
    assert len(zero) == 29  # 13:00-13:28, filled by the vendor: kept, not dropped or "fixed"
    assert (zero["timestamp"].dt.strftime("%H:%M") >= "13:00").all()
    row = day[day["timestamp"].dt.strftime("%H:%M") == "13:05"].iloc[0]
    assert row["open"] == pytest.approx(3228.94995117, abs=1e-8)  # float32 artifact, as filed
    assert _bars(home, "RELIANCE")["volume"].gt(0).all()
    # the pre-open (09:07) and post-close (15:30, 15:40) prints are not session bars
    times = bars["timestamp"].dt.strftime("%H:%M")
    assert times.min() == "09:15" and times.max() == "15:29"


def test_defaults_are_refused_naming_the_setting_and_the_config(home: Path) -> None:
    res = runner.invoke(
        app, ["run", "--interval", "1minute", "--universe", SYMBOLS], env=_env(home)
    )
    assert res.exit_code != 0
    text = " ".join(res.output.split())
    assert "only 24 sessions" in text and "data.min_history_sessions" in text
    assert "configs/intraday_1min.yaml" in text and "Traceback" not in text


def test_lowering_only_the_history_is_refused_before_training(home: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "low.yaml"
    cfg.write_text("data:\n  interval: 1minute\n  min_history_sessions: 20\n", encoding="utf-8")
    res = runner.invoke(app, ["run", "--config", str(cfg), "--universe", SYMBOLS], env=_env(home))
    assert res.exit_code != 0
    text = " ".join(res.output.split())
    assert "windows.length_days 60" in text and "student.min_train_days 90" in text
    assert "intraday_1min" in text
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


@pytest.mark.slow
def test_one_minute_run_end_to_end_with_the_shipped_config(home: Path) -> None:
    config = ROOT / "configs" / "intraday_1min.yaml"
    args = ["run", "--config", str(config), "--interval", "1minute", "--universe", SYMBOLS]
    res = runner.invoke(app, [*args, "--json"], env=_env(home))
    assert res.exit_code == 0, res.output
    run_dir = max((home / "runs").iterdir())
    for name in ("promotion_briefing.md", "report.html", "manifest.yaml", "config.yaml"):
        assert (run_dir / name).is_file(), name
    saved = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    assert saved["data"]["interval"] == "1minute"
    assert saved["labels"]["horizon"] == 30  # 30 minutes of 1-minute bars
    assert saved["backtest"]["cost_segment"] == "intraday"
    manifest = (run_dir / "manifest.yaml").read_text(encoding="utf-8")
    assert "interval: 1minute" in manifest

    # no position crosses a session boundary: each symbol's last trade of a session is the
    # square-off sell at or before the last bar, and the end-of-session holdings are empty
    ledger = pd.read_parquet(run_dir / "returns" / "ledger.parquet")
    stamp = pd.DatetimeIndex(ledger["date"])
    assert len(ledger) > 0
    last = ledger.groupby([ledger["symbol"], stamp.normalize()]).tail(1)
    assert (last["side"] == "sell").all()
    assert (pd.DatetimeIndex(last["date"]).strftime("%H:%M") <= "15:29").all()
    holdings = pd.read_parquet(run_dir / "returns" / "holdings.parquet")
    assert (holdings.drop(columns="timestamp").abs().to_numpy() < 1e-12).all()

    returns = pd.read_parquet(run_dir / "returns" / "daily.parquet")
    days = pd.DatetimeIndex(returns["timestamp"])
    assert (days == days.normalize()).all() and 5 <= len(returns) <= 24
    briefing = (run_dir / "promotion_briefing.md").read_text(encoding="utf-8")
    assert "far too short for evidence" in briefing and "24 sessions" in briefing
    assert "squared off" in briefing
