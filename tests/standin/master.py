"""What the Breeze stand-in serves: instruments, ``SecurityMaster.zip``, bar and quote rows.

The zip holds ``NSEScripMaster.txt`` and ``BSEScripMaster.txt`` in the format of ICICI's
security master (see ``../shared/reference/breeze.md``): comma-separated, every cell in double
quotes, and a header whose names are separated by ``", "`` (quote, comma, SPACE, quote), so a
naive CSV reader sees header names such as `` "ShortName"`` with a leading space and quote.
Readers must strip spaces and quotes from header names and cells.

NSE columns: ``Token, ShortName, Series, CompanyName, ticksize, Lotsize, DateOfListing,
DateOfDeListing, IssuePrice, FaceValue, ISINCode, 52WeeksHigh, 52WeeksLow, LifeTimeHigh,
LifeTimeLow, HighDate, LowDate, Symbol, InstrumentType, ExchangeCode``. Cash rows have
``Series == "EQ"``, ``ShortName`` = ISEC code, ``ExchangeCode`` = ``Symbol`` = NSE symbol,
dates as ``DD-Mon-YYYY`` (``DateOfDeListing`` empty), ``InstrumentType`` ``EQUITY``, ``ETF`` or
``INDEX`` (the stand-in's convention; unverified against the real file). The indices
NIFTY 50 (``NIFTY``) and NIFTY BANK (``CNXBAN``) are listed like equities (``Series`` EQ, empty
ISIN, ``InstrumentType`` INDEX).

The ISINs and tokens of the default instruments are the public identifiers of those
securities as far as known; instruments added by a caller get made-up but well-formed ones
(``IN`` + 10 characters with a valid check digit).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.testing.synthetic import synthetic_bars

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "DEFAULT_UNAVAILABLE",
    "INDEX_CODES",
    "NSE_COLUMNS",
    "Instrument",
    "bar_rows",
    "build_instruments",
    "customer_details",
    "isin_check_digit",
    "quote_row",
    "security_master_zip",
]

NSE_COLUMNS: Final[tuple[str, ...]] = (
    "Token",
    "ShortName",
    "Series",
    "CompanyName",
    "ticksize",
    "Lotsize",
    "DateOfListing",
    "DateOfDeListing",
    "IssuePrice",
    "FaceValue",
    "ISINCode",
    "52WeeksHigh",
    "52WeeksLow",
    "LifeTimeHigh",
    "LifeTimeLow",
    "HighDate",
    "LowDate",
    "Symbol",
    "InstrumentType",
    "ExchangeCode",
)
"""Column order of ``NSEScripMaster.txt`` (and of the stand-in's ``BSEScripMaster.txt``)."""


@dataclass(frozen=True)
class Instrument:
    """One row of the stand-in's security master.

    Attributes
    ----------
    symbol : str
        NSE symbol (``RELIANCE``, ``NIFTY 50``).
    isec_code : str
        ICICI short name (``RELIND``), the ``stock_code`` of historical calls.
    token : str
        Exchange token (digits).
    isin : str
        12-character ISIN.
    company : str
        Company name as the master spells it.
    listed : str
        Listing date, ``DD-Mon-YYYY``.
    kind : str
        ``EQUITY``, ``ETF`` or ``INDEX``.
    bse_code : str
        BSE scrip code (digits) used in ``BSEScripMaster.txt``.
    """

    symbol: str
    isec_code: str
    token: str
    isin: str
    company: str
    listed: str
    kind: str
    bse_code: str


# symbol | isec | token | isin | company | listed | kind | bse code
_TABLE: Final = """
RELIANCE|RELIND|2885|INE002A01018|RELIANCE INDUSTRIES LIMITED|29-Nov-1995|EQUITY|500325
TATASTEEL|TATSTE|3499|INE081A01020|TATA STEEL LIMITED|03-Nov-1995|EQUITY|500470
SBIN|STABAN|3045|INE062A01020|STATE BANK OF INDIA|01-Mar-1995|EQUITY|500112
INFY|INFTEC|1594|INE009A01021|INFOSYS LIMITED|08-Feb-1995|EQUITY|500209
ICICIBANK|ICIBAN|4963|INE090A01021|ICICI BANK LIMITED|17-Sep-1998|EQUITY|532174
HDFCBANK|HDFBAN|1333|INE040A01034|HDFC BANK LIMITED|08-Nov-1995|EQUITY|500180
TCS|TCS|11536|INE467B01029|TATA CONSULTANCY SERVICES LIMITED|25-Aug-2004|EQUITY|532540
ITC|ITC|1660|INE154A01025|ITC LIMITED|23-Aug-1995|EQUITY|500875
LT|LARTOU|11483|INE018A01030|LARSEN & TOUBRO LIMITED|23-Jun-2004|EQUITY|500510
ADANIPORTS|ADAPOR|15083|INE742F01042|ADANI PORTS AND SEZ LIMITED|27-Nov-2007|EQUITY|532921
TITAN|TITIND|3506|INE280A01028|TITAN COMPANY LIMITED|05-Jan-1996|EQUITY|500114
IOC|INDOIL|1624|INE242A01010|INDIAN OIL CORPORATION LIMITED|06-Feb-1996|EQUITY|530965
OBEROIRLTY|OBEREA|20242|INE093I01010|OBEROI REALTY LIMITED|20-Oct-2010|EQUITY|533273
ADANIGREEN|ADAGRE|3563|INE364U01010|ADANI GREEN ENERGY LIMITED|18-Jun-2018|EQUITY|541450
IDEA|IDECEL|14366|INE669E01016|VODAFONE IDEA LIMITED|09-Mar-2007|EQUITY|532822
APLAPOLLO|APLAPO|25780|INE702C01027|APL APOLLO TUBES LIMITED|16-Jan-2017|EQUITY|533758
DIXON|DIXTEC|21690|INE935N01020|DIXON TECHNOLOGIES (INDIA) LIMITED|18-Sep-2017|EQUITY|540699
BAJAJFINSV|BAFINS|16675|INE918I01026|BAJAJ FINSERV LIMITED|26-May-2008|EQUITY|532978
INDUSINDBK|INDBA|5258|INE095A01012|INDUSIND BANK LIMITED|28-Jan-1998|EQUITY|532187
COFORGE|NIITEC|11543|INE591G01017|COFORGE LIMITED|26-Apr-2004|EQUITY|532541
LICI|LIC|9480|INE0J1Y01017|LIFE INSURANCE CORPORATION OF INDIA|17-May-2022|EQUITY|543526
GOLDBEES|GOLBEE|14428|INF204KB17I5|NIPPON INDIA ETF GOLD BEES|08-Mar-2007|ETF|590095
SILVERBEES|SILBEE|8080|INF204KC1402|NIPPON INDIA SILVER ETF|02-Feb-2022|ETF|543592
NIFTY 50|NIFTY|26000||NIFTY 50|03-Nov-1995|INDEX|999901
NIFTY BANK|CNXBAN|26009||NIFTY BANK|15-Sep-2003|INDEX|999902
"""
_KNOWN: Final[dict[str, tuple[str, ...]]] = {
    row.split("|")[0]: tuple(row.split("|")[1:]) for row in _TABLE.strip().splitlines()
}

DEFAULT_INSTRUMENTS: Final[dict[str, str]] = {sym: row[0] for sym, row in _KNOWN.items()}
"""NSE symbol -> ISEC code served by default (breeze.md's pairs plus GOLDBEES/SILVERBEES)."""

DEFAULT_UNAVAILABLE: Final[frozenset[str]] = frozenset({"ADAGRE", "IDECEL", "APLAPO", "DIXTEC"})
"""ISEC codes in the master whose historical calls answer ``Success: []`` (the project's
history found no Breeze data for ADANIGREEN, IDEA, APLAPOLLO, DIXON)."""

INDEX_CODES: Final[frozenset[str]] = frozenset({"NIFTY", "CNXBAN"})
"""ISEC codes of indices (historical rows carry ``volume`` 0)."""

_OHLC: Final = ("open", "high", "low", "close")
_ISIN_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def isin_check_digit(body: str) -> str:
    """Check digit of an 11-character ISIN body (ISO 6166, Luhn over letter-expanded digits).

    Parameters
    ----------
    body : str
        The first 11 characters (``IN`` + issuer + security), upper case alphanumeric.

    Returns
    -------
    str
        One digit.
    """
    digits = "".join(str(_ISIN_ALPHABET.index(c)) for c in body)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # rightmost digit of the body is doubled (the check digit follows)
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def _made_up(symbol: str, isec_code: str) -> Instrument:
    h = hashlib.sha256(f"{symbol}|{isec_code}".encode()).digest()
    issuer = "".join(_ISIN_ALPHABET[b % 36] for b in h[:4])
    body = f"INE{issuer}01{h[4] % 10}{h[11] % 10}"
    token = str(30_000 + int.from_bytes(h[5:8], "little") % 60_000)
    bse = str(500_000 + int.from_bytes(h[8:11], "little") % 99_999)
    kind = "INDEX" if isec_code in INDEX_CODES or symbol.startswith("NIFTY ") else "EQUITY"
    return Instrument(
        symbol,
        isec_code,
        token,
        body + isin_check_digit(body) if kind != "INDEX" else "",
        f"{symbol} LIMITED" if kind != "INDEX" else symbol,
        "01-Jan-2000",
        kind,
        bse,
    )


def build_instruments(mapping: Mapping[str, str] | None = None) -> tuple[Instrument, ...]:
    """Instrument rows for a symbol -> ISEC code mapping (default :data:`DEFAULT_INSTRUMENTS`).

    Parameters
    ----------
    mapping : Mapping[str, str], optional
        NSE symbol -> ISEC code. Known symbols with the known code get their real
        token/ISIN/listing date; others get deterministic made-up ones.

    Returns
    -------
    tuple of Instrument
        In the mapping's order.
    """
    out: list[Instrument] = []
    for symbol, code in (DEFAULT_INSTRUMENTS if mapping is None else mapping).items():
        known = _KNOWN.get(symbol)
        if known is not None and known[0] == code:
            out.append(Instrument(symbol, *known))
        else:
            out.append(_made_up(symbol, code))
    return tuple(out)


def _line(cells: list[str]) -> str:
    return ",".join(f'"{c}"' for c in cells)


def _prices(inst: Instrument) -> list[str]:
    level = 100 + int(hashlib.sha256(inst.isec_code.encode()).hexdigest()[:4], 16) % 2000
    return [f"{level * 1.3:.2f}", f"{level * 0.7:.2f}", f"{level * 1.6:.2f}", f"{level * 0.1:.2f}"]


def _nse_row(inst: Instrument) -> list[str]:
    hi52, lo52, hi_life, lo_life = _prices(inst)
    return [
        inst.token,
        inst.isec_code,
        "EQ",
        inst.company,
        "5",
        "1",
        inst.listed,
        "",
        "0",
        "10" if inst.kind == "EQUITY" else "1",
        inst.isin,
        hi52,
        lo52,
        hi_life,
        lo_life,
        "01-Jul-2024",
        "04-Jun-2024",
        inst.symbol,
        inst.kind,
        inst.symbol,
    ]


def security_master_zip(instruments: tuple[Instrument, ...]) -> bytes:
    """Bytes of a ``SecurityMaster.zip`` listing ``instruments``.

    Parameters
    ----------
    instruments : tuple of Instrument
        Rows to write, one per instrument, in both the NSE and the BSE master.

    Returns
    -------
    bytes
        A deflated zip holding ``NSEScripMaster.txt`` and ``BSEScripMaster.txt`` (CRLF line
        ends, header names joined by ``", "``).
    """
    header = '"' + '", "'.join(NSE_COLUMNS) + '"'
    nse = [header] + [_line(_nse_row(i)) for i in instruments]
    bse = [header]
    for inst in instruments:
        row = _nse_row(inst)
        row[0], row[2], row[-1] = inst.bse_code, "A", inst.bse_code
        bse.append(_line(row))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("NSEScripMaster.txt", "\r\n".join(nse) + "\r\n")
        zf.writestr("BSEScripMaster.txt", "\r\n".join(bse) + "\r\n")
    return buf.getvalue()


def bar_rows(
    code: str,
    interval: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    max_rows: int,
    as_text: bool,
) -> list[dict[str, Any]]:
    """Historical rows of ``code`` on the NSE session grid, as Breeze answers them.

    Parameters
    ----------
    code : str
        ISEC code (index codes in :data:`INDEX_CODES` get ``volume`` 0).
    interval : str
        ``1day``, ``30minute``, ``5minute`` or ``1minute``.
    start, end : pandas.Timestamp
        tz-aware IST bounds, both inclusive on bar START; ``1day`` compares dates only.
    max_rows : int
        Cap: the FIRST ``max_rows`` bars of the range.
    as_text : bool
        v1 style (every value a string, plus ``product_type``) instead of v2 (numbers).

    Returns
    -------
    list of dict
        Ascending rows ``datetime`` (``YYYY-MM-DD HH:MM:SS`` IST, naive), ``stock_code``,
        ``exchange_code`` (``NSE``), ``open``, ``high``, ``low``, ``close`` (rupees),
        ``volume`` (shares).
    """
    if interval == "1day":  # daily bars are stamped 00:00 IST: read the range as dates
        bars = synthetic_bars(code, interval, start.date(), end.date())
    else:
        bars = synthetic_bars(code, interval, start, end)
    bars = bars.iloc[:max_rows]
    wall = bars["timestamp"].dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    stamps = [t.replace("T", " ") for t in np.datetime_as_string(wall, unit="s").tolist()]
    prices = [bars[c].tolist() for c in _OHLC]
    volume = [0] * len(bars) if code in INDEX_CODES else bars["volume"].astype(int).tolist()
    rows: list[dict[str, Any]] = []
    for stamp, vol, *ohlc in zip(stamps, volume, *prices, strict=True):
        row: dict[str, Any] = {"datetime": stamp, "stock_code": code, "exchange_code": "NSE"}
        if as_text:
            row["product_type"] = "Cash"
            row.update({k: f"{x:.2f}" for k, x in zip(_OHLC, ohlc, strict=True)})
            row["volume"] = str(vol)
        else:
            row.update(zip(_OHLC, ohlc, strict=True))
            row["volume"] = vol
        rows.append(row)
    return rows


def quote_row(code: str, today: pd.Timestamp) -> dict[str, Any]:
    """One level-1 NSE quote of ``code`` built from its last synthetic daily bar.

    Parameters
    ----------
    code : str
        ISEC code.
    today : pandas.Timestamp
        IST date whose last 30 days are used (a fixed 2024 week when outside the calendar).

    Returns
    -------
    dict
        The fields of Breeze's ``get_quotes`` row (``ltp``, ``best_bid_price``, ``open`` ...).
    """
    bars = synthetic_bars(code, "1day", today - pd.Timedelta(days=30), today)
    if len(bars) < 2:
        bars = synthetic_bars(code, "1day", "2024-06-03", "2024-06-07")
    last, prev = bars.iloc[-1], float(bars.iloc[-2]["close"])
    ltp = float(last["close"])
    return {
        "exchange_code": "NSE",
        "product_type": "",
        "stock_code": code,
        "expiry_date": None,
        "right": None,
        "strike_price": 0.0,
        "ltt": last["timestamp"].strftime("%a %b %d 15:29:59 %Y"),
        "ltp": ltp,
        "ltq": 1.0,
        "total_quantity_traded": float(last["volume"]),
        "best_bid_price": round(ltp - 0.05, 2),
        "best_bid_quantity": 100.0,
        "best_offer_price": round(ltp + 0.05, 2),
        "best_offer_quantity": 100.0,
        "open": float(last["open"]),
        "high": float(last["high"]),
        "low": float(last["low"]),
        "previous_close": prev,
        "ltp_percent_change": round(100 * (ltp / prev - 1), 2),
        "upper_circuit": round(prev * 1.2, 2),
        "lower_circuit": round(prev * 0.8, 2),
        "total_buy_qty": 1000.0,
        "total_sell_qty": 1000.0,
        "spot_price": "0",
    }


def customer_details(user_id: str, session_header: str) -> dict[str, Any]:
    """``Success`` payload of a good ``customerdetails`` call.

    Parameters
    ----------
    user_id : str
        The account's user id.
    session_header : str
        ``base64(user_id:session_key)``, which the SDK decodes and signs later calls with.

    Returns
    -------
    dict
        Account fields as the real API names them (values made up).
    """
    return {
        "exg_trade_date": {"NSE": "", "BSE": "", "FNO": "", "NDX": ""},
        "exg_status": {"NSE": "O", "BSE": "O", "FNO": "O", "NDX": "C"},
        "segments_allowed": {"Trading": "Y", "Equity": "Y", "Derivatives": "N"},
        "idirect_userid": user_id,
        "session_token": session_header,
        "idirect_user_name": "STAND-IN TEST USER",
        "idirect_ORD_TYP": "N",
        "idirect_lastlogin_time": "01-Jan-2024 09:00:00",
        "mf_holding_mode_popup_flg": "N",
        "commodity_exchange_status": "N",
        "commodity_trade_date": "",
        "commodity_allowed": "N",
    }
