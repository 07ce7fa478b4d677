"""Tests of universes and NSE constituent lists (sensequant.data.reference.universe)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.reference import (
    is_index_list_file,
    is_index_symbol,
    load_nse_index_list,
    packaged_universes,
    read_universe_file,
    resolve,
    resolve_universe,
)
from sensequant.data.store import BarStore
from sensequant.errors import (
    InputFileError,
    InvalidSymbolError,
    NoDataError,
    UnknownUniverseError,
)
from tests.conftest import make_daily_bars

HEADER = "Company Name,Industry,Symbol,Series,ISIN Code\n"
ROWS = (
    "Mahindra & Mahindra Ltd.,Automobile and Auto Components,M&M,EQ,INE101A01026\n"
    "Tata Consultancy Services Ltd.,Information Technology,TCS,EQ,INE467B01029\n"
    '"Bajaj Auto Ltd.",Automobile and Auto Components,BAJAJ-AUTO,EQ,INE917I01010\n'
)


@pytest.fixture()
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / "catalog.sqlite")


@pytest.fixture()
def store(tmp_path: Path) -> BarStore:
    return BarStore(tmp_path / "store")


def _write(tmp_path: Path, text: str, name: str = "ind_nifty100list.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_nse_index_list(tmp_path: Path) -> None:
    rows = load_nse_index_list(_write(tmp_path, "\ufeff" + HEADER + ROWS))
    assert [r.symbol for r in rows] == ["M&M", "TCS", "BAJAJ-AUTO"]
    assert rows[0].isin == "INE101A01026"
    assert rows[0].name == "Mahindra & Mahindra Ltd."
    assert rows[1].industry == "Information Technology"
    assert rows[2].series == "EQ"


def test_missing_columns_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "Company Name,Symbol,Series\nX Ltd.,X,EQ\n")
    with pytest.raises(InputFileError, match=r"missing columns \['Industry', 'ISIN Code'\]"):
        load_nse_index_list(path)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("Bad Ltd.,Power,BAD,EQ,US0378331005\n", "bad ISIN 'US0378331005'"),
        ("Bad Ltd.,Power,BAD,EQ,INE12\n", "bad ISIN 'INE12'"),
        ("Bad Ltd.,Power,../x,EQ,INE117A01022\n", "bad symbol '../x'"),
        ("Dup Ltd.,IT,TCS,EQ,INE467B01029\n", "TCS repeats line 3"),
    ],
)
def test_bad_rows_named_with_line(tmp_path: Path, row: str, problem: str) -> None:
    path = _write(tmp_path, HEADER + ROWS + row)
    with pytest.raises(InputFileError, match="line 5") as info:
        load_nse_index_list(path)
    assert problem in str(info.value)
    assert str(path) in str(info.value)


def test_is_index_list_file(tmp_path: Path) -> None:
    assert is_index_list_file(_write(tmp_path, HEADER + ROWS))
    assert not is_index_list_file(_write(tmp_path, "Date,Open,High\n", "TCS.csv"))
    assert not is_index_list_file(tmp_path / "absent.csv")
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    assert not is_index_list_file(binary)


def test_packaged_nifty50_has_50_symbols_with_m_and_m() -> None:
    nifty50 = packaged_universes()["nifty50"]["symbols"]
    assert len(nifty50) == len(set(nifty50)) == 50
    assert "M&M" in nifty50 and "MM" not in nifty50
    assert packaged_universes()["metals"]["symbols"] == ["GOLDBEES", "SILVERBEES"]


def test_resolve_named_universes(catalog: Catalog, store: BarStore) -> None:
    nifty50 = resolve_universe("nifty50", catalog, store)
    assert len(nifty50) == 50 and nifty50 == sorted(nifty50)
    assert resolve_universe(" METALS ", catalog, store) == ["GOLDBEES", "SILVERBEES"]
    catalog.set_universe("nifty100", ["TCS", "ABB"], "list.csv", None)
    assert resolve_universe("nifty100", catalog, store) == ["ABB", "TCS"]
    assert resolve_universe("metals,TCS, TCS", catalog, store) == ["GOLDBEES", "SILVERBEES", "TCS"]


def test_resolve_symbol_list(catalog: Catalog, store: BarStore) -> None:
    assert resolve_universe("TCS, M&M ,TCS,", catalog, store) == ["M&M", "TCS"]
    assert resolve_universe("RELIANCE", catalog, store) == ["RELIANCE"]


def test_resolve_all_reads_store_without_indices(catalog: Catalog, store: BarStore) -> None:
    bars = make_daily_bars(5)
    for sym in ("TCS", "NIFTY 50", "NIFTYBEES"):
        store.write(sym, "1day", bars)
    store.write("INFY", "5minute", bars)
    assert resolve_universe("all", catalog, store) == ["NIFTYBEES", "TCS"]
    assert resolve_universe("all", catalog, store, interval="5minute") == ["INFY"]
    with pytest.raises(UnknownUniverseError, match="no symbols"):
        resolve_universe("all", catalog, store, interval="30minute")


def test_unknown_universe_lists_known_names(catalog: Catalog, store: BarStore) -> None:
    with pytest.raises(UnknownUniverseError, match="unknown universe 'nifty500'") as info:
        resolve_universe("nifty500", catalog, store)
    for name in ("nifty50", "nifty100", "metals", "all"):
        assert name in str(info.value)
    with pytest.raises(UnknownUniverseError) as lower:
        resolve_universe("tcs", catalog, store)  # lower-case words are universe names
    assert "TCS" in (lower.value.hint or "")


def test_nifty100_not_loaded_hints_at_import(catalog: Catalog, store: BarStore) -> None:
    with pytest.raises(UnknownUniverseError, match="nifty100") as info:
        resolve_universe("nifty100", catalog, store)
    assert "ind_nifty100list.csv" in (info.value.hint or "")


@pytest.mark.parametrize("spec", ["../x", "TCS,../x", "A/B", "RELIANCE;rm"])
def test_malformed_symbols_rejected(catalog: Catalog, store: BarStore, spec: str) -> None:
    with pytest.raises(InvalidSymbolError):
        resolve_universe(spec, catalog, store)


def test_empty_spec_rejected(catalog: Catalog, store: BarStore) -> None:
    with pytest.raises(UnknownUniverseError, match="empty"):
        resolve_universe(" , ", catalog, store)


def test_is_index_symbol() -> None:
    assert is_index_symbol("NIFTY 50") and is_index_symbol("NIFTY BANK")
    assert not is_index_symbol("NIFTYBEES") and not is_index_symbol("TCS")


@pytest.mark.realdata
def test_real_nifty100_list(shared_data: Path) -> None:
    rows = load_nse_index_list(shared_data / "universe" / "ind_nifty100list.csv")
    assert len(rows) == 100
    symbols = {r.symbol for r in rows}
    assert {"ETERNAL", "HYUNDAI", "SWIGGY", "TATAMOTORS", "LTIM", "M&M"} <= symbols
    assert all(r.isin and r.isin.startswith("IN") and len(r.isin) == 12 for r in rows)
    assert is_index_list_file(shared_data / "universe" / "ind_nifty100list.csv")
    assert not is_index_list_file(shared_data / "nse_daily_yf" / "TCS.csv")


# ------------------------------------------------------------------------ universe files
def test_text_universe_file(catalog: Catalog, store: BarStore, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "# my watch list\nreliance\n\nM&M   # trailing comment\nTCS, INFY\nRELIANCE\n",
        "watch.txt",
    )
    assert read_universe_file(path) == ["RELIANCE", "M&M", "TCS", "INFY"]
    assert resolve_universe(str(path), catalog, store) == ["INFY", "M&M", "RELIANCE", "TCS"]
    assert resolve_universe(f"metals,{path}", catalog, store)[:2] == ["GOLDBEES", "INFY"]


def test_csv_universe_files(catalog: Catalog, store: BarStore, tmp_path: Path) -> None:
    nse = _write(tmp_path, HEADER + ROWS, "ind_niftyautolist.csv")
    assert resolve_universe(str(nse), catalog, store) == ["BAJAJ-AUTO", "M&M", "TCS"]
    plain = _write(tmp_path, "Name,symbol,weight\nTata,TATASTEEL,0.5\nInfosys,INFY,0.5\n", "w.csv")
    assert read_universe_file(plain) == ["TATASTEEL", "INFY"]
    no_col = _write(tmp_path, "Name,weight\nTata,0.5\n", "bad.csv")
    with pytest.raises(InputFileError, match="no Symbol column") as info:
        read_universe_file(no_col)
    assert "bad.csv" in str(info.value)


def test_universe_file_errors_name_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "TCS\n# fine\n../etc/passwd\nINFY\nBAD;SYM\n", "list.txt")
    with pytest.raises(InputFileError) as info:
        read_universe_file(path)
    text = str(info.value)
    assert str(path) in text and "2 bad lines" in text
    assert "line 3" in text and "../etc/passwd" in text and "line 5" in text
    csv_path = _write(tmp_path, "Symbol\nTCS\nA/B\n", "list.csv")
    with pytest.raises(InputFileError, match="line 3"):
        read_universe_file(csv_path)
    with pytest.raises(InputFileError, match="no symbols"):
        read_universe_file(_write(tmp_path, "# nothing\n\n", "empty.txt"))
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"TCS\n\xff\xfe\n")
    with pytest.raises(InputFileError, match="not UTF-8"):
        read_universe_file(binary)


def test_missing_universe_file(catalog: Catalog, store: BarStore, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found") as info:
        resolve_universe(str(tmp_path / "nope.txt"), catalog, store)
    assert "nope.txt" in str(info.value)


# ------------------------------------------------------------------------------ aliases
def test_old_symbols_map_to_current_with_a_note(catalog: Catalog, store: BarStore) -> None:
    res = resolve("UTIBANK,TCS,AXISBANK", catalog, store)
    assert res.symbols == ["AXISBANK", "TCS"]
    assert res.renamed == {"UTIBANK": "AXISBANK"}
    assert res.notes == ["UTIBANK is now AXISBANK (symbol alias table)"]
    catalog.upsert_aliases({"OLDCO": "NEWCO"}, source="user")
    assert resolve_universe("OLDCO", catalog, store) == ["NEWCO"]
    assert resolve("nifty50", catalog, store).renamed == {}  # current names stay as they are


def test_alias_applies_to_file_members(catalog: Catalog, store: BarStore, tmp_path: Path) -> None:
    path = _write(tmp_path, "SESAGOA\nOBEROI\n", "old.txt")
    res = resolve(str(path), catalog, store)
    assert res.symbols == ["OBEROIRLTY", "VEDL"]  # chains followed
    assert set(res.renamed) == {"SESAGOA", "OBEROI"}


# ------------------------------------------------------------------- stored / not stored
def test_fetch_mode_and_require_stored(catalog: Catalog, store: BarStore) -> None:
    store.write("TCS", "1day", make_daily_bars(5))
    store.write("INFY", "5minute", make_daily_bars(5))
    # fetch mode (default): members need no bars yet
    assert resolve_universe("TCS,WIPRO", catalog, store) == ["TCS", "WIPRO"]
    with pytest.raises(NoDataError, match="WIPRO") as info:
        resolve_universe("TCS,WIPRO", catalog, store, require_stored=True)
    assert "1 of 2" in str(info.value)
    assert resolve_universe("TCS", catalog, store, require_stored=True) == ["TCS"]
    # 'all' at any interval
    assert resolve_universe("all", catalog, store, interval=None) == ["INFY", "TCS"]
    assert resolve_universe("all,WIPRO", catalog, store, interval="5minute") == ["INFY", "WIPRO"]
