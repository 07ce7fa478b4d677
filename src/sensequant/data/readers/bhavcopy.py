"""NSE cash-market bhavcopy: one file per trading day holding every traded symbol.

Two layouts, told apart by their header (names compared case-insensitively):

``bhavcopy_legacy`` (``cmDDMONYYYYbhav.csv``, up to 2024-07-05)
    ``SYMBOL,SERIES,OPEN,HIGH,LOW,CLOSE,LAST,PREVCLOSE,TOTTRDQTY,TOTTRDVAL,TIMESTAMP,
    TOTALTRADES,ISIN`` and usually a trailing empty column (every line ends with ``,``);
    ``TIMESTAMP`` like ``01-JAN-2024``. ``TOTALTRADES`` and ``ISIN`` are optional (older files).
``bhavcopy_udiff`` (``BhavCopy_NSE_CM_0_0_0_YYYYMMDD_F_0000.csv``, from 2024-07-08)
    the 34 UDiFF columns :data:`UDIFF_COLUMNS`; ``TradDt`` an ISO date. Only rows with
    ``Sgmt == CM`` and ``Src == NSE`` are read: the F&O and BSE files share this header and are
    refused with a message.

Either may come as ``.csv`` or as a ``.zip`` holding the CSV (NSE's download form): files are
read by :mod:`sensequant.data.readers.bhavcopy_zip`; this module parses the CSV text.

What is kept: rows whose series is in ``series`` (default ``("EQ",)``, the normal cash-equity
market; ``BE``/``BZ`` trade-to-trade rows only when asked), one daily bar per row stamped
00:00 IST of the trade date, ``open/high/low/close`` from ``OPEN..CLOSE`` / ``OpnPric..ClsPric``,
``volume`` from ``TOTTRDQTY`` / ``TtlTradgVol`` (shares), ``trades`` from ``TOTALTRADES`` /
``TtlNbOfTxsExctd``. Prices are the exchange's RAW prices, NOT adjusted for splits, bonuses or
dividends: a 1:1 bonus shows as a ~50 % overnight drop (``sensequant data audit`` flags such
jumps as suspected corporate actions). Rows of untraded securities (volume 0 with a zero or
missing price) are skipped and counted in the notes; any other missing, non-numeric or
non-positive price is a hard error naming the lines.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from sensequant.data.market import validate_symbol
from sensequant.data.readers.parsing import (
    PRICE_COLUMNS,
    ParsedFile,
    check_prices,
    fail_rows,
    read_csv_text,
    to_numeric,
)
from sensequant.data.readers.timestamps import check_not_future
from sensequant.data.reference import canonical_symbol
from sensequant.errors import InputFileError, InvalidSymbolError, UsageError
from sensequant.types import IST

__all__ = [
    "BHAVCOPY_LAYOUTS",
    "DEFAULT_SERIES",
    "LEGACY_COLUMNS",
    "REDOWNLOAD",
    "UDIFF_COLUMNS",
    "bhavcopy_layout",
    "header_fields",
    "normalise_series",
    "parse_bhavcopy",
]

BHAVCOPY_LAYOUTS: Final[tuple[str, ...]] = ("bhavcopy_legacy", "bhavcopy_udiff")
DEFAULT_SERIES: Final[tuple[str, ...]] = ("EQ",)
"""Series kept by default: the normal cash-equity market."""
LEGACY_COLUMNS: Final[tuple[str, ...]] = (
    "SYMBOL", "SERIES", "OPEN", "HIGH", "LOW", "CLOSE", "LAST", "PREVCLOSE", "TOTTRDQTY",
    "TOTTRDVAL", "TIMESTAMP", "TOTALTRADES", "ISIN",
)  # fmt: skip
UDIFF_COLUMNS: Final[tuple[str, ...]] = (
    "TradDt", "BizDt", "Sgmt", "Src", "FinInstrmTp", "FinInstrmId", "ISIN", "TckrSymb",
    "SctySrs", "XpryDt", "FininstrmActlXpryDt", "StrkPric", "OptnTp", "FinInstrmNm", "OpnPric",
    "HghPric", "LwPric", "ClsPric", "LastPric", "PrvsClsgPric", "UndrlygPric", "SttlmPric",
    "OpnIntrst", "ChngInOpnIntrst", "TtlTradgVol", "TtlTrfVal", "TtlNbOfTxsExctd", "SsnId",
    "NewBrdLotQty", "Rmks", "Rsvd1", "Rsvd2", "Rsvd3", "Rsvd4",
)  # fmt: skip
# our column -> bhavcopy column, per layout; trades is optional
_SPECS: Final[dict[str, dict[str, str]]] = {
    "bhavcopy_legacy": {
        "symbol": "SYMBOL", "series": "SERIES", "open": "OPEN", "high": "HIGH", "low": "LOW",
        "close": "CLOSE", "volume": "TOTTRDQTY", "trades": "TOTALTRADES", "timestamp": "TIMESTAMP",
    },
    "bhavcopy_udiff": {
        "symbol": "TckrSymb", "series": "SctySrs", "open": "OpnPric", "high": "HghPric",
        "low": "LwPric", "close": "ClsPric", "volume": "TtlTradgVol", "trades": "TtlNbOfTxsExctd",
        "timestamp": "TradDt",
    },
}  # fmt: skip
_OPTIONAL = frozenset({"trades"})
_TEXT_KEYS = frozenset({"symbol", "series", "timestamp"})
_MARKERS: Final[dict[str, frozenset[str]]] = {
    "bhavcopy_legacy": frozenset({"tottrdqty", "tottrdval"}),
    "bhavcopy_udiff": frozenset({"tckrsymb", "sctysrs", "ttltradgvol", "traddt", "clspric"}),
}
_DATE_FORMATS = ("%d-%b-%Y", "%Y-%m-%d", "%d-%m-%Y")
_FIRST_NSE_YEAR = 1994
_SERIES = re.compile(r"[A-Z0-9]{1,4}")
REDOWNLOAD = "download the bhavcopy again from nseindia.com (All Reports > Equities)"


def normalise_series(series: Sequence[str]) -> tuple[str, ...]:
    """Check and upper-case a series selection such as ``("EQ", "BE")``.

    Raises
    ------
    UsageError
        If it is empty or holds something that is not a 1-4 character NSE series code.
    """
    if isinstance(series, str):
        series = [series]
    out = tuple(dict.fromkeys(str(s).strip().upper() for s in series))
    bad = [s for s in out if not _SERIES.fullmatch(s)]
    if not out or bad:
        raise UsageError(
            f"bad series selection {list(series)!r}",
            hint="give NSE series codes such as EQ (default), BE, BZ",
        )
    return out


def bhavcopy_layout(header: Sequence[str]) -> str | None:
    """``bhavcopy_legacy``, ``bhavcopy_udiff`` or None, from a CSV header row.

    A header is a bhavcopy when it holds a column no other layout has (``TOTTRDQTY`` /
    ``TOTTRDVAL``; ``TckrSymb``, ``SctySrs``, ``TtlTradgVol``, ``TradDt``, ``ClsPric``), so a
    damaged bhavcopy (e.g. without ``SYMBOL``) is still recognised and gets a precise message.
    """
    names = {h.strip().lower() for h in header}
    for layout, markers in _MARKERS.items():
        if names & markers:
            return layout
    return None


@functools.cache
def _symbol_problem(symbol: str) -> str | None:
    try:
        validate_symbol(symbol)
    except InvalidSymbolError as exc:
        return exc.message
    return None


def _column(raw: pd.DataFrame, names: dict[str, str], column: str) -> pd.Series:
    return raw[names[column.lower()]].fillna("").astype(str).str.strip()


def _keep_rows(
    path: Path, frame: pd.DataFrame, values: pd.Series, wanted: set[str], what: str
) -> pd.DataFrame:
    """Rows whose ``values`` (upper-cased) are in ``wanted``; an error when none is."""
    upper = values.str.upper()
    keep = upper.isin(wanted).to_numpy()
    if not keep.any():
        found = sorted(set(upper) - {""})[:8]
        raise InputFileError(
            path,
            f"no rows of {what} {sorted(wanted)} (found: {found})",
            hint="only NSE's cash-market (CM) bhavcopy of series EQ (or those asked with "
            "--series) is imported; is this the F&O or BSE file?",
        )
    return frame.loc[keep]


def _dates(path: Path, frame: pd.DataFrame) -> pd.Series:
    text = frame["timestamp"]
    uniq = pd.Series(text.unique())
    parsed = pd.Series(pd.NaT, index=uniq.index, dtype="datetime64[ns]")
    for fmt in _DATE_FORMATS:
        todo = parsed.isna()
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(uniq[todo], format=fmt, errors="coerce")
    lookup = dict(zip(uniq, parsed, strict=True))
    days = text.map(lookup)
    bad = (days.isna() | (days.dt.year < _FIRST_NSE_YEAR)).to_numpy()
    if bad.any():
        first = str(text[bad].iloc[0])
        raise fail_rows(
            path,
            "unparseable trade dates",
            frame,
            bad,
            "dates look like 01-JAN-2024 (legacy TIMESTAMP) or 2024-07-08 (UDiFF TradDt)",
            detail=f" (first {first!r})",
        )
    return days.dt.tz_localize(IST)


def parse_bhavcopy(
    path: Path,
    text: str,
    layout: str,
    *,
    series: Sequence[str] = DEFAULT_SERIES,
    aliases: Mapping[str, str] | None = None,
) -> ParsedFile:
    """Parse the decoded text of one bhavcopy CSV (see the module notes).

    Parameters
    ----------
    path : pathlib.Path
        The file (for messages).
    text : str
        Its decoded content, header first.
    layout : {'bhavcopy_legacy', 'bhavcopy_udiff'}
        From :func:`bhavcopy_layout`.
    series : sequence of str, default ("EQ",)
        Series to keep.
    aliases : mapping of str to str, optional
        Old symbol -> newer symbol; symbols are mapped to their current form (noted).

    Returns
    -------
    ParsedFile
        ``symbol`` None, interval ``1day``; ``bars`` has ``timestamp`` (00:00 IST), ``open,
        high, low, close, volume``, ``trades`` (when the layout has it), ``symbol`` and
        ``_line``.

    Raises
    ------
    InputFileError
        Missing columns, no data rows, a foreign segment/source, no rows of the series, empty
        or invalid symbols, non-numeric or non-positive prices, unparseable or future dates,
        a malformed CSV. Line numbers are named.
    """
    wanted_series = set(normalise_series(series))
    spec = _SPECS[layout]
    text_names = {spec[k].lower() for k in ("symbol", "series", "timestamp")} | {"sgmt", "src"}
    header = header_fields(text)
    raw = read_csv_text(  # numbers parsed by pandas; a text cell leaves its column str
        path,
        text,
        REDOWNLOAD,
        dtype={h: str for h in header if h.strip().lower() in text_names},
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        skipinitialspace=True,
    )
    names = {str(c).strip().lower(): str(c) for c in raw.columns}
    missing = [
        col for key, col in spec.items() if key not in _OPTIONAL and col.lower() not in names
    ]
    if missing:
        raise InputFileError(
            path,
            f"NSE bhavcopy ({layout}) without the columns {missing}; columns found: "
            f"{[str(c).strip() for c in raw.columns if not str(c).startswith('Unnamed')]}",
            hint=REDOWNLOAD,
        )
    frame = pd.DataFrame(
        {
            key: _column(raw, names, col) if key in _TEXT_KEYS else raw[names[col.lower()]]
            for key, col in spec.items()
            if col.lower() in names
        }
    )
    frame["_line"] = np.arange(2, len(frame) + 2, dtype=np.int64)
    blank = raw.isna().all(axis=1).to_numpy()
    frame = frame.loc[~blank]
    if frame.empty:
        raise InputFileError(path, "no data rows (header only)", hint=REDOWNLOAD)
    for column, value, what in (("sgmt", "CM", "segment"), ("src", "NSE", "source")):
        if column in names:
            frame = _keep_rows(path, frame, _column(raw, names, column)[frame.index], {value}, what)
    frame = _keep_rows(path, frame, frame["series"], wanted_series, "series")
    symbols = frame["symbol"].str.upper()
    if (symbols == "").any():
        raise fail_rows(path, f"empty {spec['symbol']}", frame, symbols == "",
                        hint="every row needs its NSE symbol; " + REDOWNLOAD)  # fmt: skip
    notes: list[str] = []
    mapping: dict[str, str] = {}
    for sym in symbols.unique():
        problem = _symbol_problem(sym)
        if problem is not None:
            raise fail_rows(path, problem, frame, symbols == sym,
                            hint="a symbol is A-Z, 0-9, & - _ . only; " + REDOWNLOAD)  # fmt: skip
        current = canonical_symbol(sym, aliases) if aliases else sym
        mapping[sym] = current
        if current != sym:
            notes.append(f"{sym} stored as {current} (alias table)")
    frame["symbol"] = symbols.map(mapping)
    to_numeric(path, frame, [c for c in (*PRICE_COLUMNS, "volume", "trades") if c in frame])
    prices = frame[list(PRICE_COLUMNS)].to_numpy(dtype=np.float64)
    untraded = (frame["volume"].to_numpy() == 0) & ~(prices > 0).all(axis=1)
    if untraded.any():
        notes.append(
            f"{int(untraded.sum())} rows of untraded securities (volume 0, no price) skipped"
        )
        frame = frame.loc[~untraded]
    check_prices(frame, path)
    ts = _dates(path, frame)
    check_not_future(path, frame, ts)
    frame["timestamp"] = ts
    days = sorted({t.strftime("%Y-%m-%d") for t in ts.drop_duplicates()})
    shown = days[0] if len(days) == 1 else f"{len(days)} dates {days[0]}..{days[-1]}"
    notes.insert(0, f"NSE bhavcopy: raw (unadjusted) prices of {len(mapping)} symbols, {shown}")
    columns = ["timestamp", *PRICE_COLUMNS, "volume"]
    columns += ["trades"] if "trades" in frame.columns else []
    bars = frame[[*columns, "symbol", "_line"]].sort_values("timestamp", kind="mergesort")
    return ParsedFile(path, layout, None, "1day", bars.reset_index(drop=True), tuple(notes))


def header_fields(text: str) -> list[str]:
    """The header row's field names (comma-split, blanks stripped)."""
    first = text.split("\n", 1)[0].rstrip("\r")
    return [h.strip() for h in first.split(",")]
