"""Tests of sensequant.data.reference.aliases and of renamed symbols at import."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.market import nse_sessions, validate_symbol
from sensequant.data.readers import read_bar_file
from sensequant.data.reference import canonical_symbol, load_aliases, packaged_aliases
from sensequant.data.store import BarStore
from sensequant.errors import DataError, InputFileError

KAGGLE_HEADER = (
    "Date,Symbol,Series,Prev Close,Open,High,Low,Last,Close,VWAP,Volume,Turnover,Trades,"
    "Deliverable Volume,%Deliverble\n"
)


def _kaggle(symbols: list[str], start: str = "2007-07-02") -> str:
    """Kaggle rows on consecutive NSE sessions, one per symbol in order."""
    days = nse_sessions(start, "2007-12-31")[: len(symbols)]
    rows = [
        f"{d:%Y-%m-%d},{s},EQ,500,501,510,495,505,{506 + i},503.2,1000,5.03e10,40,400,0.4\n"
        for i, (d, s) in enumerate(zip(days, symbols, strict=True))
    ]
    return KAGGLE_HEADER + "".join(rows)


# ------------------------------------------------------------------------------ the table
def test_packaged_table_holds_renames_not_mergers() -> None:
    table = packaged_aliases()
    assert table["UTIBANK"] == "AXISBANK" and table["INFOSYSTCH"] == "INFY"
    assert table["ZOMATO"] == "ETERNAL" and table["OBEROI"] == "OBEROIRLTY"
    for merged_away in ("HDFC", "MINDTREE"):  # mergers: a different company's shares
        assert merged_away not in table
    for old, new in table.items():
        assert validate_symbol(old) == old and validate_symbol(new) == new
        assert canonical_symbol(old, table) not in table  # every chain ends
    assert canonical_symbol("SESAGOA", table) == "VEDL"  # chain through SSLT
    table["UTIBANK"] = "CHANGED"
    assert packaged_aliases()["UTIBANK"] == "AXISBANK"  # a fresh copy each time


def test_canonical_symbol_chains_and_cycles() -> None:
    assert canonical_symbol("RELIANCE", {"A": "B"}) == "RELIANCE"
    assert canonical_symbol("A", {"A": "B", "B": "C"}) == "C"
    with pytest.raises(DataError, match="cycle: A -> B -> C -> A") as info:
        canonical_symbol("A", {"A": "B", "B": "C", "C": "A"})
    assert info.value.hint and "symbol_aliases" in info.value.hint
    with pytest.raises(DataError, match="cycle: B -> C -> B"):
        canonical_symbol("A", {"A": "B", "B": "C", "C": "B"})


def test_load_aliases_seeds_catalog_and_catalog_wins(catalog: Catalog) -> None:
    assert catalog.aliases() == {}
    merged = load_aliases(catalog)
    assert merged == packaged_aliases()
    assert catalog.aliases() == packaged_aliases()  # seeded on first use
    catalog.upsert_aliases({"UTIBANK": "UTIAXIS", "FOO": "BAR"}, source="user")
    merged = load_aliases(catalog)
    assert merged["UTIBANK"] == "UTIAXIS" and merged["FOO"] == "BAR"
    assert catalog.aliases()["UTIBANK"] == "UTIAXIS"  # user entries never overwritten
    catalog.upsert_aliases({"ZOMATO": "ZOMATO"}, source="user")  # switches the alias off
    assert "ZOMATO" not in load_aliases(catalog)
    catalog.upsert_aliases({"BAR": "FOO"}, source="user")
    with pytest.raises(DataError, match="cycle"):
        load_aliases(catalog)


# --------------------------------------------------------------------------- reading
def test_kaggle_file_with_old_and_new_symbol_at_once(tmp_path: Path) -> None:
    # the rename day appears under both symbols: one series once aliased, refused without
    text = _kaggle(["UTIBANK", "UTIBANK", "AXISBANK"])
    path = tmp_path / "AXISBANK.csv"
    days = nse_sessions("2007-07-02", "2007-12-31")
    extra = f"{days[1]:%Y-%m-%d},AXISBANK,EQ,500,501,510,495,505,507,503,1000,5e10,40,400,0.4\n"
    path.write_text(text + extra, encoding="utf-8")
    with pytest.raises(InputFileError, match="2 symbols at the same dates"):
        read_bar_file(path)
    # once aliased, the rename day is two differing rows of one timestamp: refused naming
    # both lines unless a conflict policy says which one wins
    with pytest.raises(InputFileError, match="at lines 3 and 5"):
        read_bar_file(path, aliases={"UTIBANK": "AXISBANK"})
    parsed = read_bar_file(path, aliases={"UTIBANK": "AXISBANK"}, on_conflict="replace")
    assert parsed.symbol == "AXISBANK"
    assert parsed.notes[0] == "UTIBANK stored as AXISBANK (alias table)"
    assert "dropped line 3" in parsed.notes[1]


def test_kaggle_succession_without_alias_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(_kaggle(["OLDCO", "NEWCO"]), encoding="utf-8")
    parsed = read_bar_file(path, aliases={})
    assert parsed.symbol == "NEWCO"
    assert parsed.notes == ("OLDCO stored as NEWCO (the file's latest symbol)",)


# ------------------------------------------------------------------------------ import
def test_old_symbols_stored_under_current_one(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "AXISBANK.csv").write_text(
        _kaggle(["UTIBANK", "UTIBANK", "AXISBANK", "AXISBANK"]), encoding="utf-8"
    )
    (src / "UTIBANK.csv").write_text(  # Yahoo layout under the old name, later dates
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        + "".join(
            f"{d:%Y-%m-%d},10,11,9,10.5,10,100\n"
            for d in nse_sessions("2007-08-01", "2007-08-31")[:3]
        ),
        encoding="utf-8",
    )
    (src / "KOTAK.csv").write_text(_kaggle(["KOTAKMAH", "KOTAKMAH"]), encoding="utf-8")
    report = import_paths([src], store, catalog)
    assert report.n_failed == 0
    assert store.symbols("1day") == ["AXISBANK", "KOTAKBANK"]
    assert len(store.read("AXISBANK", "1day")) == 7  # one series from both files
    notes = {o.path.name: o.notes for o in report.files}
    assert notes["UTIBANK.csv"] == ("UTIBANK stored as AXISBANK (alias table)",)
    assert notes["AXISBANK.csv"] == ("UTIBANK stored as AXISBANK (alias table)",)
    assert notes["KOTAK.csv"] == ("KOTAKMAH stored as KOTAKBANK (alias table)",)
    assert catalog.aliases()["UTIBANK"] == "AXISBANK"


def test_forced_and_requested_old_symbols(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    path = tmp_path / "export.csv"
    days = nse_sessions("2024-01-01", "2024-01-31")[:3]
    path.write_text(
        "date,open,high,low,close,volume\n"
        + "".join(f"{d:%Y-%m-%d},10,11,9,10.5,100\n" for d in days),
        encoding="utf-8",
    )
    report = import_paths([path], store, catalog, symbol="zomato", symbols=["ZOMATO"])
    assert [o.symbol for o in report.files] == ["ETERNAL"]
    assert report.files[0].notes == ("ZOMATO stored as ETERNAL (alias table)",)
    assert store.read("ETERNAL", "1day")["timestamp"].tolist() == list(days)


@pytest.mark.realdata
def test_no_listed_symbol_is_an_old_alias(shared_data: Path) -> None:
    listed = pd.read_csv(shared_data / "universe" / "ind_nifty100list.csv")["Symbol"]
    stems = {p.stem for p in (shared_data / "nse_daily_yf").glob("*.csv")}
    table = packaged_aliases()
    assert not set(listed) & set(table), "a currently listed symbol must not be renamed"
    assert not stems & set(table)
    current = set(listed) | stems
    assert {"AXISBANK", "INFY", "TATASTEEL", "ADANIPORTS", "ETERNAL"} <= current
    assert {canonical_symbol(s, table) for s in ("UTIBANK", "TISCO", "MUNDRAPORT")} <= current
