"""The files provider: importer layouts (per-symbol CSV, bhavcopies) behind the protocol."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.providers.base import BarProvider
from sensequant.data.providers.files import FilesProvider
from sensequant.data.store import BarStore
from sensequant.errors import UnknownInstrumentError, UsageError
from sensequant.types import IST
from tests.conftest import make_daily_bars
from tests.data.readers.test_bhavcopy import legacy_name, legacy_text

DAYS = ("2024-01-01", "2024-01-02", "2024-01-03")


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "files"
    root.mkdir()
    bars = make_daily_bars(30, start="2024-01-01")
    out = bars.assign(Date=bars["timestamp"].dt.strftime("%Y-%m-%d"))
    out.rename(columns=str.title)[["Date", "Open", "High", "Low", "Close", "Volume"]].to_csv(
        root / "ABC.csv", index=False
    )
    for i, day in enumerate(DAYS):
        rows = [("RELIANCE", "EQ", 2500.0 + i, 1e6), ("TCS", "EQ", 3500.0 + i, 5e5)]
        (root / legacy_name(day)).write_text(legacy_text(rows, day))
    (root / "BROKEN.csv").write_text("foo,bar\n1,2\n")
    return root


def test_files_provider_serves_per_symbol_and_bhavcopy_files(tmp_path: Path) -> None:
    prov = FilesProvider([_folder(tmp_path)])
    assert isinstance(prov, BarProvider)
    assert prov.symbols("1day") == ["ABC", "RELIANCE", "TCS"]
    assert any("BROKEN.csv" in e for e in prov.errors)
    start = pd.Timestamp("2024-01-02", tz=IST)
    end = pd.Timestamp("2024-01-03 23:59", tz=IST)
    got = prov.fetch_bars("RELIANCE", "1day", start, end)
    assert list(got["timestamp"].dt.date.astype(str)) == ["2024-01-02", "2024-01-03"]
    assert got["close"].tolist() == [2501.0, 2502.0]
    assert prov.fetch_bars("RELIANCE", "5minute", start, end).empty
    prov.check_symbol("TCS")
    with pytest.raises(UnknownInstrumentError, match="INFY"):
        prov.check_symbol("INFY")


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        FilesProvider([tmp_path / "nope"])


def test_fetch_from_files_matches_import_and_is_incremental(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    env = {"SENSEQUANT_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    args = ["data", "fetch", "--provider", "files", "--source", str(root)]
    args += ["--symbols", "RELIANCE,TCS,ABC", "--start", "2024-01-01", "--end", "2024-02-09"]
    first = CliRunner().invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    imported = BarStore(tmp_path / "imp" / "store")
    import_paths([root], imported, Catalog(tmp_path / "imp" / "catalog.sqlite"))
    fetched = BarStore(tmp_path / "home" / "store")
    for sym in ("RELIANCE", "TCS", "ABC"):
        pd.testing.assert_frame_equal(fetched.read(sym, "1day"), imported.read(sym, "1day"))
    log = Catalog(tmp_path / "home" / "catalog.sqlite").ingest_log(provider="files")
    again = CliRunner().invoke(app, [*args, "--json"], env=env)
    assert again.exit_code == 0, again.output
    assert len(Catalog(tmp_path / "home" / "catalog.sqlite").ingest_log(provider="files")) == len(
        log
    )  # nothing new was fetched: every chunk was already in the ingest log


def test_files_provider_needs_a_source(tmp_path: Path) -> None:
    env = {"SENSEQUANT_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(
        app, ["data", "fetch", "--provider", "files", "--symbols", "ABC"], env=env
    )
    assert result.exit_code == 2
    assert "--source" in result.output


def test_inconsistent_ohlc_listed_or_repaired(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "INFY.csv").write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-01-02,100,102,99,101,95,1000\n2024-01-03,100,98,99,99,1,1\n",
        encoding="utf-8",
    )
    strict = FilesProvider([folder])
    strict._index()
    assert any("inconsistent OHLC" in e and "line 3" in e for e in strict.errors)
    repaired = FilesProvider([folder], repair_ohlc=True)
    assert repaired._index()[("INFY", "1day")]["high"].tolist() == [102.0, 100.0]


def test_fetch_repair_ohlc_reaches_the_files_provider(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "INFY.csv").write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-01-02,100,102,99,101,95,1000\n2024-01-03,100,98,99,99,1,1\n",
        encoding="utf-8",
    )
    env = {"SENSEQUANT_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    args = ["data", "fetch", "--provider", "files", "--source", str(folder), "--symbols", "INFY"]
    args += ["--start", "2024-01-01", "--end", "2024-01-05"]
    refused = CliRunner().invoke(app, args, env=env)
    store = BarStore(tmp_path / "home" / "store")
    assert "inconsistent OHLC" in refused.output and not store.exists("INFY", "1day")
    repaired = CliRunner().invoke(app, [*args, "--repair-ohlc"], env=env)
    assert repaired.exit_code == 0, repaired.output
    assert store.read("INFY", "1day")["high"].tolist() == [102.0, 100.0]
    other = CliRunner().invoke(
        app, ["data", "fetch", "--provider", "yahoo", "--symbols", "INFY", "--repair-ohlc"],
        env=env,
    )  # fmt: skip
    assert other.exit_code == 2 and "--repair-ohlc applies to files" in other.output, other.output
