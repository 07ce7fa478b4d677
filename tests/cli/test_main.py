"""CLI behaviour: clear errors (no traceback), exit codes, nothing stored lost on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app
from tests.conftest import make_daily_bars

runner = CliRunner()


def _env(home: Path) -> dict[str, str]:
    return {"SENSEQUANT_HOME": str(home), "COLUMNS": "200"}


def _write_yahoo(path: Path, n: int = 400, seed: int = 1) -> Path:
    bars = make_daily_bars(n=n, seed=seed)
    frame = bars.assign(Date=bars["timestamp"].dt.strftime("%Y-%m-%d"))
    frame = frame.rename(columns=str.title).rename(columns={"Timestamp": "_"})
    frame["Adj Close"] = frame["Close"]
    frame[["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]].to_csv(path, index=False)
    return path


def _store_bytes(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in (home / "store").rglob("*.parquet")}


def test_run_with_empty_store_says_how_to_bring_data(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run"], env=_env(tmp_path))
    assert res.exit_code == 1
    text = res.output
    assert "Traceback" not in text
    assert "data import" in text and "DATA=" in text


def test_import_then_list(tmp_path: Path) -> None:
    csv = _write_yahoo(tmp_path / "ABC.csv")
    res = runner.invoke(app, ["data", "import", str(csv)], env=_env(tmp_path / "home"))
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["data", "list", "--json"], env=_env(tmp_path / "home"))
    assert res.exit_code == 0
    assert '"symbol": "ABC"' in res.output


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("Date,Open,High,Close,Volume\n2020-01-01,1,2,1.5,10\n", "missing"),
        ("Date,Open,High,Low,Close,Adj Close,Volume\nnot-a-date,1,2,0.5,1.5,1.5,10\n", "line"),
        ("Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,1,2,0.5,-1.5,1.5,10\n", "line"),
    ],
    ids=["missing-columns", "unparseable-dates", "non-positive-prices"],
)
def test_bad_csv_names_the_file_and_keeps_store(tmp_path: Path, content: str, needle: str) -> None:
    home = tmp_path / "home"
    good = _write_yahoo(tmp_path / "ABC.csv")
    assert runner.invoke(app, ["data", "import", str(good)], env=_env(home)).exit_code == 0
    before = _store_bytes(home)
    bad = tmp_path / "ABC_bad.csv"
    bad.write_text(content)
    res = runner.invoke(app, ["data", "import", str(bad), "--symbol", "ABC"], env=_env(home))
    assert res.exit_code == 1
    assert "ABC_bad.csv" in res.output
    assert needle in res.output.lower()
    assert "Traceback" not in res.output
    assert _store_bytes(home) == before


def test_symbol_with_path_separator_is_rejected(tmp_path: Path) -> None:
    good = _write_yahoo(tmp_path / "ABC.csv")
    res = runner.invoke(app, ["data", "import", str(good), "--symbol", "../x"], env=_env(tmp_path))
    assert res.exit_code == 2
    assert "../x" in res.output
    assert not list(tmp_path.rglob("x.parquet"))


def test_unknown_universe_member_and_bad_dates(tmp_path: Path) -> None:
    home = tmp_path / "home"
    res = runner.invoke(app, ["run", "--universe", "nifty51"], env=_env(home))
    assert res.exit_code == 2 and "nifty51" in res.output
    res = runner.invoke(
        app, ["run", "--start", "2021-01-01", "--end", "2020-01-01"], env=_env(home)
    )
    assert res.exit_code == 2
    assert "2021-01-01" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["run", "--start", "01/02/2020"], env=_env(home))
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output


def test_unknown_symbol_in_universe_list(tmp_path: Path) -> None:
    home = tmp_path / "home"
    csv = _write_yahoo(tmp_path / "ABC.csv")
    assert runner.invoke(app, ["data", "import", str(csv)], env=_env(home)).exit_code == 0
    res = runner.invoke(app, ["run", "--universe", "ABC,NOPE"], env=_env(home))
    assert res.exit_code != 0
    assert "NOPE" in res.output and "Traceback" not in res.output


def test_review_commands_on_unknown_run(tmp_path: Path) -> None:
    res = runner.invoke(app, ["approve", "nope", "--by", "me"], env=_env(tmp_path))
    assert res.exit_code == 2 and "nope" in res.output  # unknown run id: usage
    res = runner.invoke(app, ["candidates"], env=_env(tmp_path))
    assert res.exit_code == 0


def test_data_list_shows_the_symbol_master(tmp_path: Path) -> None:
    import datetime as dt
    import json

    from sensequant.data.catalog import Catalog, SymbolInfo

    home = tmp_path / "home"
    csv = _write_yahoo(tmp_path / "ABC.csv")
    assert runner.invoke(app, ["data", "import", str(csv)], env=_env(home)).exit_code == 0
    Catalog(home / "catalog.sqlite").upsert_symbols(
        [
            SymbolInfo(
                "ABC", isin="INE000A01011", industry="Metals", listing_date=dt.date(2018, 1, 1)
            ),
            SymbolInfo("IDEA", data_unavailable_reason="breeze: no data for IDECEL"),
        ]
    )
    res = runner.invoke(app, ["data", "list", "--json", "--gaps"], env=_env(home))
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r["symbol"] for r in rows] == ["ABC"]
    abc = rows[0]
    # business days: the 22 NSE holidays among them (traded synthetic rows) are dropped
    assert abc["interval"] == "1day" and abc["bars"] == 378
    assert abc["isin"] == "INE000A01011" and abc["industry"] == "Metals"
    assert abc["listing_date"] == "2018-01-01" and isinstance(abc["missing_sessions"], int)
    assert abc["first"].startswith("2018-01-01") and abc["isec_code"] is None
    res = runner.invoke(app, ["data", "list", "--universe", "ABC,IDEA", "--json"], env=_env(home))
    rows = json.loads(res.output)
    assert "missing_sessions" not in rows[0]  # fast by default: Parquet footers only
    idea = next(r for r in rows if r["symbol"] == "IDEA")
    assert idea["interval"] is None and idea["bars"] == 0 and idea["first"] is None
    assert idea["data_unavailable_reason"] == "breeze: no data for IDECEL"
    res = runner.invoke(app, ["data", "list", "--universe", "ABC,IDEA"], env=_env(home))
    assert res.exit_code == 0
    for text in ("ISIN", "INE000A01011", "Metals", "2018-01-01", "IDECEL", "listed"):
        assert text in res.output
    assert "ISEC" not in res.output  # columns nobody has are left out


def test_data_list_empty_store_and_bad_universe(tmp_path: Path) -> None:
    home = tmp_path / "home"
    res = runner.invoke(app, ["data", "list"], env=_env(home))
    assert res.exit_code == 2 and f"no SENSEQUANT home at {home}" in res.output
    assert not home.exists()  # a read-only command never creates the home
    home.mkdir()
    res = runner.invoke(app, ["data", "list"], env=_env(home))
    assert res.exit_code == 0 and "the store is empty" in res.output
    assert str(home / "store") in res.output  # the path it checked
    res = runner.invoke(app, ["data", "list", "--json"], env=_env(home))
    assert res.exit_code == 0 and res.output.strip() == "[]"
    res = runner.invoke(app, ["data", "list", "--universe", "nifty51"], env=_env(home))
    assert res.exit_code == 2 and "nifty51" in res.output and "Traceback" not in res.output
