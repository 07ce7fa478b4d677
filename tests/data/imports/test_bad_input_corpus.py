"""The bad-input corpus: broken files generated here, imported together with good ones.

Acceptance (issue 3): every broken file gets a clear message naming the file (and the line or
column when known) and a fix; good files in the same call still import; nothing stored before
the call changes and no partial file is left in the store. Hard errors fail the file;
correctable problems (duplicated days, negative volume) import with a warning naming the file.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.imports import ImportReport, import_paths
from sensequant.data.market import nse_sessions
from sensequant.data.store import BarStore
from sensequant.types import IST
from tests.conftest import make_daily_bars
from tests.data.readers.test_bhavcopy import (
    LEGACY_HEADER,
    UDIFF_HEADER,
    day_rows,
    legacy_line,
    udiff_line,
    udiff_name,
    udiff_text,
    write_zip,
)

YAHOO_HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"
KAGGLE_HEADER = (
    "Date,Symbol,Series,Prev Close,Open,High,Low,Last,Close,VWAP,Volume,Turnover,Trades,"
    "Deliverable Volume,%Deliverble"
)
DAYS = [f"{d:%Y-%m-%d}" for d in nse_sessions("2024-01-01", "2024-01-31")[:5]]


def _yahoo(rows: list[str] | None = None) -> str:
    """Yahoo daily text; ``rows`` replace the default five good rows."""
    body = rows or [f"{d},100,102,99,101,95,1000" for d in DAYS]
    return "\n".join([YAHOO_HEADER, *body]) + "\n"


def _intraday(stamps: list[str]) -> str:
    return "date,open,high,low,close,volume\n" + "".join(f"{s},10,11,9,10.5,100\n" for s in stamps)


def _kaggle(symbols: list[str]) -> str:
    rows = [
        f"{d},{s},EQ,500,501,510,495,505,506,503.2,1000,5.03e10,40,400,0.4"
        for d, s in zip(DAYS, symbols, strict=False)
    ]
    return "\n".join([KAGGLE_HEADER, *rows]) + "\n"


def _parquet_bytes() -> bytes:
    bars = make_daily_bars(30, seed=4)
    buffer = io.BytesIO()
    bars.to_parquet(buffer)
    return buffer.getvalue()


def _zip_bytes(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@dataclass(frozen=True)
class Case:
    """One broken file: its name, bytes, and what its error message must contain."""

    name: str
    data: bytes
    expect: tuple[str, ...]


def hard_cases() -> list[Case]:
    """Files that must FAIL with a message naming the file, the problem and a fix."""
    future = (pd.Timestamp.now(tz=IST) + pd.Timedelta(days=3)).strftime("%Y-%m-%d")
    html = (
        "<!DOCTYPE html>\n<html><head><title>NSE - Site under maintenance</title></head>"
        "<body><h1>We will be back soon</h1></body></html>\n"
    )
    ragged = _yahoo([f"{DAYS[0]},100,102,99,101,95,1000,7,8", f"{DAYS[1]},1,1,1,1,1,1"])
    mixed = ["2023-07-03 09:15:00+05:30", "2023-07-03 09:20:00", "2023-07-03 09:25:00+05:30"]
    weekly = [f"{d:%Y-%m-%d},1,1,1,1,1,1" for d in pd.date_range("2024-01-01", periods=5, freq="W")]
    bhav_no_symbol = (
        LEGACY_HEADER.replace("SYMBOL,", "") + "\nEQ,1,1,1,1,1,1,1,1,01-JAN-2024,1,X,\n"
    )
    bhav_empty_symbol = "\n".join(
        [LEGACY_HEADER, legacy_line("TCS", "EQ", 3600.0, 10.0, DAYS[2]),
         legacy_line("", "EQ", 10.0, 5.0, DAYS[2])]
    ) + "\n"  # fmt: skip
    fo = UDIFF_HEADER + "\n" + udiff_line("NIFTY", "", 22000.0, 10.0, "2024-07-08", segment="FO")
    parquet = _parquet_bytes()
    text = _yahoo()
    good = f"{DAYS[0]},1,1,1,1,1,1"
    latin1 = b"Date,Open,High,Low,Close,Volume,Prix d\xe9part\n2024-01-02,1,1,1,1,1,1\n"
    garbage = np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    return [
        Case("wrong_columns.csv", b"Ticker,Price,When\nA,1,2024-01-02\n",
             ("unknown layout", "Ticker", "rename the columns")),
        Case("NOCLOSE.csv", b"Date,Open,High,Low,Volume\n2024-01-02,1,1,1,1\n",
             ("missing required columns ['close']",)),
        Case("NODATE.csv", b"Open,High,Low,Close,Volume\n1,1,1,1,1\n", ("date (or timestamp)",)),
        Case("UTF16.csv", text.encode("utf-16-le"), ("UTF-16", "without a byte-order mark")),
        Case("LATIN1.csv", latin1, ("not UTF-8) at line 1", "column 7 of the header", "UTF-8")),
        Case("GARBAGE.csv", garbage, ("binary content",)),
        Case("EMPTY.csv", b"", ("the file is empty",)),
        Case("HEADERONLY.csv", (YAHOO_HEADER + "\n").encode(), ("no data rows (header only)",)),
        Case("MIXEDTZ.csv", _intraday(mixed).encode(), ("mixed time zones", "line 3")),
        Case("FUTURE.csv", (text + f"{future},1,1,1,1,1,1\n").encode(),
             ("timestamps in the future at line 7", "today is")),
        Case("NEGATIVE.csv", _yahoo([f"{DAYS[0]},100,102,-99,101,95,10"]).encode(),
             ("non-positive", "line 2", "prices must be > 0")),
        Case("ZERO.csv", _yahoo([f"{DAYS[0]},1,1,1,1,1,1", f"{DAYS[1]},0,0,0,0,0,0"]).encode(),
             ("non-positive", "line 3")),
        Case("NANROW.csv", (text + "2024-01-09,nan,nan,nan,nan,nan,nan\n").encode(),
             ("missing (NaN) prices at line 7",)),
        Case("NANCLOSE.csv", _yahoo([f"{DAYS[0]},1,1,1,1,1,1", f"{DAYS[1]},1,1,1,,1,1"]).encode(),
             ("missing (NaN) prices at line 3",)),
        Case("x\\y.csv", text.encode(), ("not an NSE symbol", "path separator", "--symbol")),
        Case("x..y.csv", text.encode(), ("not an NSE symbol", "'..'")),
        Case("kaggle_slash.csv", _kaggle(["AXB", "A/B"]).encode(),
             ("bad value in the Symbol column", "path separator", "line 3")),
        Case("kaggle_dotdot.csv", _kaggle(["../x", "../x"]).encode(),
             ("bad value in the Symbol column", "lines 2, 3")),
        Case("kaggle_two_at_once.csv", (_kaggle(["TCS"]) + _kaggle(["INFY"]).split("\n", 1)[1]
                                        ).encode(), ("2 symbols at the same dates",)),
        Case("UNPARSEABLE.csv", _yahoo([good, "31/02/2024x,1,1,1,1,1,1"]).encode(),
             ("unparseable timestamps at line 3", "31/02/2024x")),
        Case("maintenance.csv", html.encode(),
             ("HTML web page", "Site under maintenance", "download it again")),
        Case("TRUNC.parquet", parquet[: len(parquet) // 2], ("cannot read Parquet", "truncated")),
        Case("nocsv.zip", _zip_bytes({"readme.txt": "hello"}), ("holds no CSV",)),
        Case("foreign_member.zip", _zip_bytes({"prices.csv": text}),
             ("zip member 'prices.csv'", "not an NSE bhavcopy")),
        Case("bhav_nosymbol.csv", bhav_no_symbol.encode(), ("without the columns ['SYMBOL']",)),
        Case("bhav_emptysymbol.csv", bhav_empty_symbol.encode(), ("empty SYMBOL at line 3",)),
        Case("bhav_fo.csv", (fo + "\n").encode(), ("segment ['CM'] (found: ['FO'])",)),
        Case("TEXTPRICE.csv", _yahoo([good, f"{DAYS[1]},1,1,1,abc,1,1"]).encode(),
             ("non-numeric close at line 3", "'abc'")),
        Case("ind_badisin_list.csv",
             b"Company Name,Industry,Symbol,Series,ISIN Code\nTata,IT,TCS,EQ,XX123\n",
             ("bad ISIN 'XX123'", "line 2", "12 characters")),
        Case("RAGGED.csv", ragged.encode(), ("malformed CSV: line 2 has 9 fields",)),
        Case("DUPCOLS.csv", b"Date,Open,Open,High,Low,Close,Volume\n2024-01-02,1,1,1,1,1,1\n",
             ("duplicated column names",)),
        Case("WEEKLY.csv", _yahoo(weekly).encode(), ("weekly or monthly",)),
        Case("TCS.csv", _yahoo([f"{DAYS[0]},100,102,99,-101,95,1000"]).encode(), ("line 2",)),
        Case("INFY.parquet", parquet[:100], ("cannot read Parquet",)),
        *value_cases(),
    ]  # fmt: skip


def _parquet_of(rows: list[tuple[str, float]]) -> bytes:
    frame = pd.DataFrame(
        {
            "timestamp": pd.DatetimeIndex([d for d, _ in rows]).tz_localize(IST),
            **{k: [v for _, v in rows] for k in ("open", "high", "low", "close")},
            "volume": 100.0,
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def value_cases() -> list[Case]:
    """Issue 10: bad values, dates and encodings, each refused naming the file and the line."""
    d = DAYS
    ok = [f"{x},100,102,99,101,95,1000" for x in d]
    weekend = ["2024-01-06", "2024-01-07", "2024-01-13"]  # Saturdays and a Sunday
    # Holi and Good Friday with the weekends around them
    holidays = ["2024-03-23", "2024-03-24", "2024-03-25", "2024-03-29", "2024-03-30"]
    semi = "Date;Open;High;Low;Close;Volume\n" + "".join(f"{x};1,5;1,6;1,4;1,5;10\n" for x in d)
    stamps = [f"{d[3]} 09:{m:02d}:00" for m in (15, 20, 25)]
    conflict_5m = _intraday(stamps).replace(f"{stamps[1]},10,11,9,10.5", f"{stamps[1]},10,12,9,11")
    conflict_5m += f"{stamps[1]},10,11,9,10.5,100\n"
    return [
        Case("INF.csv", _yahoo([ok[0], f"{d[1]},100,inf,99,101,95,1000"]).encode(),
             ("infinite prices at line 3",)),
        Case("HUGE.csv", _yahoo([ok[0], f"{d[1]},1e308,1e308,1e308,1e308,1,1"]).encode(),
             ("implausible prices above 1e+08 rupees", "line 3", "1e+308")),
        Case("CRORE.csv", _yahoo([*ok[:2], f"{d[2]},2e8,2e8,2e8,2e8,1,1"]).encode(),
             ("implausible prices above 1e+08", "line 4")),
        Case("SPIKE.csv", _yahoo([*ok[:2], f"{d[2]},100,102,99,10100,1,1", *ok[3:]]).encode(),
             ("more than 20x away from both neighbouring rows' closes at line 4", "10100")),
        Case("DIP.csv", _yahoo([*ok[:2], f"{d[2]},1,1.02,0.99,1.01,1,1", *ok[3:]]).encode(),
             ("more than 20x away", "line 4")),
        Case("HIGHLOW.csv", _yahoo([ok[0], f"{d[1]},100,98,99,99,1,1"]).encode(),
             ("inconsistent OHLC", "at line 3", "--repair-ohlc")),
        Case("OPENHIGH.csv", _yahoo([ok[0], ok[1], f"{d[2]},110,102,99,101,1,1"]).encode(),
             ("inconsistent OHLC", "at line 4", "open 110")),
        Case("CLOSELOW.csv", _yahoo([f"{d[0]},100,102,99,95,1,1"]).encode(),
             ("inconsistent OHLC", "at line 2", "close 95")),
        Case("DUPDAYS.csv", _yahoo([ok[0], f"{d[1]},2,2,2,2,2,2", f"{d[1]},3,3,3,3,3,3"]).encode(),
             ("conflicting rows for one timestamp", "at lines 3 and 4", "--on-conflict")),
        Case("DUP5MIN.csv", conflict_5m.encode(), ("conflicting rows", "lines 3 and 5")),
        Case("CONFLICT.parquet", _parquet_of([(d[0], 10.0), (d[1], 11.0), (d[1], 12.0)]),
             ("conflicting rows", "lines 2 and 3")),
        Case("WEEKEND.csv", _yahoo([f"{x},100,102,99,101,95,1000" for x in weekend]).encode(),
             ("no rows left to import: all 3 rows were dropped", "2024-01-06")),
        Case("HOLIDAYS.csv", _yahoo([f"{x},100,102,99,101,95,0" for x in holidays]).encode(),
             ("no rows left to import", "holiday", "2024-03-25")),
        Case("ANCIENT.csv", _yahoo([ok[0], "1500-01-02,1,1,1,1,1,1"]).encode(),
             ("outside the dates pandas can hold", "line 3", "1500-01-02")),
        Case("MIXEDDATES.csv", _yahoo([ok[0], "03/01/2024,1,1,1,1,1,1"]).encode(),
             ("unparseable timestamps at line 3", "03/01/2024")),
        Case("BLANKDATE.csv", _yahoo([ok[0], ",1,1,1,1,1,1"]).encode(),
             ("unparseable timestamps at line 3",)),
        Case("ONLYUNKNOWN.csv", b"Date,Foo,Bar\n2024-01-02,1,2\n",
             ("unknown layout", "unknown columns ['Foo', 'Bar']", "rename the columns")),
        Case("DECIMALCOMMA.csv", semi.encode(),
             ("non-numeric open at lines 2", "'1,5'", "decimals with a point")),
        Case("PIPES.csv", b"Date|Open|High|Low|Close|Volume\n2024-01-02|1|1|1|1|1\n",
             ("unknown layout", "Date|Open|High|Low|Close|Volume")),
        Case("TRUNCATED.csv", (_yahoo() + f"{d[4]},100,10").encode(),
             ("missing (NaN) prices at line 7",)),
        Case("UTF16ODD.csv", codecs.BOM_UTF16_LE + _yahoo().encode("utf-16-le") + b"\x00",
             ("broken UTF-16 text",)),
        Case("SPACED.csv", _yahoo([ok[0], f"{d[1]},1 000,1,1,1,1,1"]).encode(),
             ("non-numeric open at line 3", "'1 000'")),
    ]  # fmt: skip


def corrected_cases() -> dict[str, tuple[bytes, str, str]]:
    """Files that import with a correction: name -> (bytes, finding kind, expected text)."""
    day = nse_sessions("2024-01-01", "2024-01-31")[3]
    stamps = [f"{day + pd.Timedelta(minutes=555 + 5 * i):%Y-%m-%d %H:%M:%S}" for i in range(75)]
    neg_vol = [f"{DAYS[0]},1,1,1,1,1,1", f"{DAYS[1]},1,1,1,1,1,-5"]
    return {
        "DUPINTRADAY.csv": (_intraday(stamps + stamps).encode(), "exact_duplicate_removed",
                            "75 exact repeats"),
        "NEGVOL.csv": (_yahoo(neg_vol).encode(), "negative_volume_clipped", "set to 0"),
    }  # fmt: skip


GOOD_EXTRA = (
    "GOODS_2020-10-01_to_2025-09-30.csv",
    "GOODT.csv",
    "GOODU.csv",
    "NSE_GOODV.csv",
    "GOODW.csv",
    "GOODX_5minute.csv",
)


def good_files(folder: Path) -> None:
    """Good files: Yahoo daily, broker export with oi, a zipped UDiFF bhavcopy; and (issue 10)
    a dated file name, a semicolon file, UTF-16 with a BOM, an NSE_ prefix with an extra
    column, a file with weekend and holiday rows (dropped), a 5-minute file name."""
    (folder / "GOODA.csv").write_text(_yahoo(), encoding="utf-8")
    (folder / "GOODB.csv").write_text(
        "timestamp,open,high,low,close,volume,oi\n"
        + "".join(f"{d} 00:00:00+05:30,10,11,9,10.5,100,7\n" for d in DAYS),
        encoding="utf-8",
    )
    rows = [("GOODC", "EQ", 55.0, 100.0), ("GOODD", "EQ", 66.0, 100.0)]
    name = udiff_name("2024-07-08")
    write_zip(folder / f"{name}.zip", {name: udiff_text(rows, "2024-07-08")})
    yahoo = _yahoo()
    (folder / GOOD_EXTRA[0]).write_text(yahoo, encoding="utf-8")
    (folder / GOOD_EXTRA[1]).write_text(yahoo.replace(",", ";"), encoding="utf-8")
    (folder / GOOD_EXTRA[2]).write_bytes(codecs.BOM_UTF16_LE + yahoo.encode("utf-16-le"))
    extra = yahoo.replace("Volume\n", "Volume,Dividends\n").replace("1000\n", "1000,0\n")
    (folder / GOOD_EXTRA[3]).write_text(extra, encoding="utf-8")
    off = [f"{x},100,102,99,101,95,1000" for x in ("2024-01-06", *DAYS, "2024-01-26")]
    (folder / GOOD_EXTRA[4]).write_text(_yahoo(off), encoding="utf-8")
    day = nse_sessions("2024-01-01", "2024-01-31")[3]
    stamps = [f"{day + pd.Timedelta(minutes=555 + 5 * i):%Y-%m-%d %H:%M:%S}" for i in range(75)]
    (folder / GOOD_EXTRA[5]).write_text(_intraday(stamps), encoding="utf-8")


def _preexisting(tmp_path: Path, store: BarStore, catalog: Catalog) -> None:
    """TCS and INFY stored before the corpus is imported (the corpus holds broken files of
    both, and a bhavcopy with TCS rows that fails)."""
    src = tmp_path / "before"
    src.mkdir()
    for sym in ("TCS", "INFY"):
        (src / f"{sym}.csv").write_text(_yahoo(), encoding="utf-8")
    assert import_paths([src], store, catalog).n_failed == 0


def _stray_files(store: BarStore) -> list[Path]:
    return [
        p
        for p in store.root.rglob("*")
        if p.is_file() and p.name != ".lock" and (p.suffix != ".parquet" or p.name[0] == ".")
    ]


def test_corpus_with_good_files(tmp_path: Path, store: BarStore, catalog: Catalog) -> None:
    _preexisting(tmp_path, store, catalog)
    before = {s: store.fingerprint(s, "1day") for s in ("TCS", "INFY")}
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    hard = hard_cases()
    assert len(hard) + len(corrected_cases()) >= 40
    for case in hard:
        (corpus / case.name).write_bytes(case.data)
    for name, (data, _, _) in corrected_cases().items():
        (corpus / name).write_bytes(data)
    good_files(corpus)

    report = import_paths([corpus], store, catalog)  # DUPDAYS.csv: refused by default

    outcomes = {o.path.name: o for o in report.files}
    assert len(outcomes) == len(report.files)  # one outcome per file
    for case in hard:
        outcome = outcomes[case.name]
        assert outcome.status == "failed", case.name
        error = outcome.error or ""
        assert str(corpus / case.name) in error, error  # names the file
        assert "hint:" in error, error  # and a fix
        for text in case.expect:
            assert text in error, (case.name, text, error)
    for name, (_, kind, text) in corrected_cases().items():
        outcome = outcomes[name]
        assert outcome.status == "ok", (name, outcome.error)
        assert kind in {f.kind for f in outcome.findings}
        warning = next(w for w in report.warnings if name in w and kind in w)
        assert text in warning, warning
    for name in ("GOODA.csv", "GOODB.csv", f"{udiff_name('2024-07-08')}.zip", *GOOD_EXTRA):
        assert outcomes[name].status == "ok", outcomes[name].error
    assert {"GOODA", "GOODB", "GOODC", "GOODD"} <= set(store.symbols("1day"))
    assert {f"GOOD{c}" for c in "STUVW"} <= set(store.symbols("1day"))
    assert "GOODX" in store.symbols("5minute")
    assert len(store.read("GOODW", "1day")) == 5  # the weekend and holiday rows dropped
    assert "off_calendar_row_dropped" in {f.kind for f in outcomes["GOODW.csv"].findings}
    assert any("['Dividends'] ignored" in n for n in outcomes["NSE_GOODV.csv"].notes)
    # symbols unknown to the symbol master import with a warning naming them
    assert any("symbol GOODS is not in the symbol master" in w for w in report.warnings)
    assert len(store.read("GOODB", "1day")) == 5
    assert {s: store.fingerprint(s, "1day") for s in ("TCS", "INFY")} == before
    assert _stray_files(store) == []
    failed = catalog.imports(limit=None).query("status == 'failed'")
    assert len(failed) == len(hard)
    assert report.n_failed == len(hard) and isinstance(report, ImportReport)


def _single(tmp_path: Path, name: str, data: bytes) -> ImportReport:
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / name).write_bytes(data)
    store = BarStore(tmp_path / "home1" / "store", lock_timeout=0.5)
    catalog = Catalog(tmp_path / "home1" / "c.sqlite")
    return import_paths([folder / name], store, catalog)


@pytest.mark.parametrize("index", range(len(hard_cases())))
def test_each_broken_file_alone(tmp_path: Path, index: int) -> None:
    case = hard_cases()[index]
    report = _single(tmp_path, case.name, case.data)
    assert [o.status for o in report.files] == ["failed"], case.name
    error = report.files[0].error or ""
    assert case.name in error and "hint:" in error
    assert all(text in error for text in case.expect), (case.expect, error)


@pytest.mark.parametrize("name", sorted(corrected_cases()))
def test_each_corrected_file_alone(tmp_path: Path, name: str) -> None:
    data, kind, text = corrected_cases()[name]
    report = _single(tmp_path, name, data)
    assert [o.status for o in report.files] == ["ok"]
    finding = next(f for f in report.files[0].findings if f.kind == kind)
    assert finding.lines, "the finding names source lines"
    assert any(name in w and text in w for w in report.warnings), report.warnings


def test_bhavcopy_with_rows_of_a_stored_symbol_changes_nothing(
    tmp_path: Path, store: BarStore, catalog: Catalog
) -> None:
    _preexisting(tmp_path, store, catalog)
    before = store.path("TCS", "1day").read_bytes()
    bad = "\n".join([UDIFF_HEADER, *(udiff_line(*r, day="2024-07-09") for r in day_rows(1))])
    bad += "\n" + udiff_line("TCS", "EQ", 1.0, 10.0, "2024-07-09").replace(",0.99,", ",x,")
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "bhav.csv").write_text(bad + "\n", encoding="utf-8")
    report = import_paths([folder], store, catalog)
    assert report.n_failed == 1 and "non-numeric open at line 6" in (report.files[0].error or "")
    assert store.path("TCS", "1day").read_bytes() == before
