"""Tests of the Breeze security master: parsing, lookups, dated cache, offline fallback."""

from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests

from sensequant.data.catalog import SymbolInfo
from sensequant.data.providers.breeze import SecurityMaster, parse_nse_scrip_master
from sensequant.data.providers.breeze import secmaster as sm
from sensequant.errors import ProviderError, ProviderUnavailableError, UnknownInstrumentError
from sensequant.settings import Settings
from tests.standin.master import build_instruments, security_master_zip

HEADER = (
    '"Token", "ShortName", "Series", "CompanyName", "ticksize", "Lotsize", "DateOfListing", '
    '"DateOfDeListing", "IssuePrice", "FaceValue", "ISINCode", "52WeeksHigh", "52WeeksLow", '
    '"LifeTimeHigh", "LifeTimeLow", "HighDate", "LowDate", "Symbol", "InstrumentType", '
    '"ExchangeCode"'
)


def _line(
    token: str, short: str, series: str, company: str, listed: str, isin: str, sym: str
) -> str:
    cells = [token, short, series, company, "5", "1", listed, "", "0", "10", isin]
    cells += ["1", "1", "1", "1", "", "", sym, "EQUITY", sym]
    return ",".join(f'"{c}"' for c in cells)


TEXT = "\r\n".join(
    [
        HEADER,
        _line(
            "2885",
            "RELIND",
            "EQ",
            "RELIANCE INDUSTRIES, LTD",
            "29-Nov-1995",
            "INE002A01018",
            "RELIANCE",
        ),
        _line("9999", "RELBE", "BE", "RELIANCE BE", "01-Jan-2000", "INE000000000", "RELBE"),
        _line("14428", "GOLBEE", "EQ", "GOLD BEES", "08-Mar-2007", "INF204KB17I5", "GOLDBEES"),
        _line("1", "MMCODE", " EQ ", "M AND M", "bad date", "", "M&M"),
        "",
    ]
)


def _zip(text: str = TEXT, name: str = "NSEScripMaster.txt") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name, text)
        zf.writestr("BSEScripMaster.txt", HEADER)
    return buf.getvalue()


def test_parse_strips_quotes_and_keeps_eq_only() -> None:
    rows = parse_nse_scrip_master(TEXT)
    assert set(rows) == {"RELIANCE", "GOLDBEES", "M&M"}
    rel = rows["RELIANCE"]
    assert (rel.isec_code, rel.token, rel.isin) == ("RELIND", "2885", "INE002A01018")
    assert rel.company == "RELIANCE INDUSTRIES, LTD"  # quoted comma kept inside the cell
    assert rel.listing_date == dt.date(1995, 11, 29)
    assert rows["M&M"].listing_date is None
    assert rows["M&M"].isin is None


def test_missing_columns_are_named() -> None:
    with pytest.raises(ProviderError, match="ShortName"):
        parse_nse_scrip_master('"Token", "Series", "ExchangeCode"\r\n"1","EQ","X"\r\n')


def test_lookups_and_index_codes() -> None:
    master = SecurityMaster.from_zip_bytes(_zip(), dt.date(2024, 6, 3))
    assert master.as_of == dt.date(2024, 6, 3)
    assert master.isec_code(" reliance ") == "RELIND"
    assert master.isec_code("GOLDBEES") == "GOLBEE"
    assert master.isec_code("NIFTY 50") == "NIFTY"
    assert master.isec_code("NIFTY BANK") == "CNXBAN"
    assert "M&M" in master and "RELBE" not in master
    assert master.get("NOPE") is None
    with pytest.raises(UnknownInstrumentError, match=r"'RELBE'.*2024-06-03") as info:
        master.isec_code("RELBE")
    assert info.value.provider == "breeze"
    assert "alias" in (info.value.hint or "")


def test_symbol_infos_for_catalog() -> None:
    master = SecurityMaster.from_zip_bytes(_zip(), dt.date(2024, 6, 3))
    infos = master.symbol_infos(["RELIANCE", "UNKNOWN", "GOLDBEES"])
    assert infos == [
        SymbolInfo(
            symbol="RELIANCE",
            name="RELIANCE INDUSTRIES, LTD",
            isin="INE002A01018",
            series="EQ",
            isec_code="RELIND",
            listing_date=dt.date(1995, 11, 29),
        ),
        SymbolInfo(
            symbol="GOLDBEES",
            name="GOLD BEES",
            isin="INF204KB17I5",
            series="EQ",
            isec_code="GOLBEE",
            listing_date=dt.date(2007, 3, 8),
        ),
    ]


def test_standin_master_layout_parses() -> None:
    master = SecurityMaster.from_zip_bytes(
        security_master_zip(build_instruments()), dt.date(2024, 6, 3)
    )
    assert master.isec_code("RELIANCE") == "RELIND"
    assert master.isec_code("SILVERBEES") == "SILBEE"
    assert master.isec_code("LICI") == "LIC"
    row = master.get("TCS")
    assert row is not None and row.token == "11536"


@pytest.mark.parametrize(
    ("data", "match"), [(b"not a zip", "not a readable zip"), (_zip(name="X.txt"), "NSEScrip")]
)
def test_bad_zip(data: bytes, match: str) -> None:
    with pytest.raises(ProviderError, match=match):
        SecurityMaster.from_zip_bytes(data, dt.date(2024, 6, 3))


class FakeGet:
    """Replacement of ``requests.get``: serves ``payload`` or raises ``error``."""

    def __init__(self, payload: bytes | None = None, error: Exception | None = None) -> None:
        self.payload, self.error = payload, error
        self.calls: list[tuple[str, float]] = []

    def __call__(self, url: str, timeout: float) -> Any:
        self.calls.append((url, timeout))
        if self.error is not None:
            raise self.error
        response = requests.Response()
        response.status_code = 200
        response._content = self.payload
        return response


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        home=tmp_path,
        breeze_security_master_url="http://127.0.0.1:9/SecurityMaster.zip",
        fetch_deadline_s=7.0,
    )


def test_load_downloads_caches_and_reuses(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    get = FakeGet(_zip())
    monkeypatch.setattr(sm.requests, "get", get)
    day = dt.date(2024, 6, 3)
    master = SecurityMaster.load(settings, today=day)
    assert master.isec_code("RELIANCE") == "RELIND"
    assert get.calls == [(settings.breeze_security_master_url, 7.0)]
    cached = settings.cache_dir / "breeze" / "SecurityMaster_2024-06-03.zip"
    assert cached.read_bytes() == _zip()
    assert not [p for p in cached.parent.iterdir() if p.name.endswith(".tmp")]
    again = SecurityMaster.load(settings, today=day)
    assert again.as_of == day and len(get.calls) == 1  # today's copy reused


def test_load_keeps_the_newest_three(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sm.requests, "get", FakeGet(_zip()))
    for d in range(1, 6):
        SecurityMaster.load(settings, today=dt.date(2024, 6, d))
    names = sorted(p.name for p in (settings.cache_dir / "breeze").iterdir())
    assert names == [f"SecurityMaster_2024-06-0{d}.zip" for d in (3, 4, 5)]


def test_offline_uses_newest_cached_copy_with_warning(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sm.requests, "get", FakeGet(_zip()))
    SecurityMaster.load(settings, today=dt.date(2024, 6, 1))
    monkeypatch.setattr(sm.requests, "get", FakeGet(error=requests.ConnectionError("offline")))
    with caplog.at_level(logging.WARNING):
        master = SecurityMaster.load(settings, today=dt.date(2024, 6, 5))
    assert master.as_of == dt.date(2024, 6, 1)
    assert master.isec_code("RELIANCE") == "RELIND"
    assert "2024-06-01" in caplog.text and "offline" in caplog.text


def test_offline_without_cache_is_unavailable(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sm.requests, "get", FakeGet(error=requests.ConnectionError("offline")))
    with pytest.raises(ProviderUnavailableError, match="no cached copy") as info:
        SecurityMaster.load(settings, today=dt.date(2024, 6, 5))
    assert "yahoo" in (info.value.hint or "")


def test_corrupt_download_is_not_cached(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sm.requests, "get", FakeGet(b"<html>maintenance</html>"))
    with pytest.raises(ProviderUnavailableError, match="not a readable zip"):
        SecurityMaster.load(settings, today=dt.date(2024, 6, 5))
    assert not (settings.cache_dir / "breeze" / "SecurityMaster_2024-06-05.zip").exists()
