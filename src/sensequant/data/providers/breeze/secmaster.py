"""ICICI Breeze security master: NSE symbol -> ISEC code, token, ISIN, listing date.

Breeze's historical calls take the ISEC code (``RELIND``), not the NSE symbol
(``RELIANCE``). The mapping comes from ``SecurityMaster.zip`` (``NSEScripMaster.txt``),
which the project downloads, caches per IST day as
``<cache>/breeze/SecurityMaster_<YYYY-MM-DD>.zip`` and parses itself (the SDK's own reader
works from an import-time download and is fragile). Offline, the newest cached copy is used
with a warning naming its date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import requests

from sensequant.data.catalog import SymbolInfo
from sensequant.errors import ProviderError, ProviderUnavailableError, UnknownInstrumentError
from sensequant.fsutil import write_bytes_atomic
from sensequant.settings import Settings
from sensequant.types import IST

__all__ = ["INDEX_CODES", "MasterRow", "SecurityMaster", "parse_nse_scrip_master"]

logger = logging.getLogger(__name__)

_PROVIDER: Final = "breeze"
INDEX_CODES: Final[dict[str, str]] = {"NIFTY 50": "NIFTY", "NIFTY BANK": "CNXBAN"}
"""Index symbols -> ISEC codes, built in (the master may not list indices as ``EQ``)."""

_NSE_FILE: Final = "nsescripmaster.txt"
_CACHE_NAME = re.compile(r"SecurityMaster_(\d{4}-\d{2}-\d{2})\.zip")
_KEEP_CACHED: Final = 3
_DATE_FORMATS: Final = ("%d-%b-%Y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %b %Y", "%Y%m%d")
_REQUIRED: Final = ("Token", "ShortName", "Series", "ExchangeCode")


@dataclass(frozen=True)
class MasterRow:
    """One cash-equity (or index) instrument of the security master.

    Attributes
    ----------
    symbol : str
        NSE symbol (``ExchangeCode`` column), e.g. ``RELIANCE``.
    isec_code : str
        ICICI short name (``ShortName``), the ``stock_code`` of Breeze calls.
    token : str or None
        Exchange token (``None`` for built-in index codes).
    isin : str or None
        12-character ISIN.
    company : str or None
        Company name.
    listing_date : datetime.date or None
        ``DateOfListing`` when parseable.
    """

    symbol: str
    isec_code: str
    token: str | None
    isin: str | None
    company: str | None
    listing_date: dt.date | None


def _clean(cell: str) -> str:
    return cell.strip().strip('"').strip()


def _parse_date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_nse_scrip_master(text: str) -> dict[str, MasterRow]:
    """Parse ``NSEScripMaster.txt``: cash equities (``Series == "EQ"``), by NSE symbol.

    Parameters
    ----------
    text : str
        The file's text. Comma-separated, double-quoted cells; the header separates names
        with ``", "``. Spaces and quotes are stripped from header names and cells.

    Returns
    -------
    dict of str to MasterRow
        NSE symbol -> row, for ``EQ`` rows (ETFs such as GOLDBEES are ``EQ`` too); the first
        row wins when a symbol repeats.

    Raises
    ------
    ProviderError
        If the header lacks ``Token``, ``ShortName``, ``Series`` or ``ExchangeCode``.
    """
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = next(reader, None)
    if header is None:
        raise ProviderError(
            "the Breeze security master NSEScripMaster.txt is empty",
            hint="delete the cached SecurityMaster_*.zip and fetch again",
            provider=_PROVIDER,
        )
    names = {_clean(h).lower(): i for i, h in enumerate(header)}
    missing = [c for c in _REQUIRED if c.lower() not in names]
    if missing:
        raise ProviderError(
            f"the Breeze security master NSEScripMaster.txt lacks columns {missing} "
            f"(header: {[_clean(h) for h in header][:20]})",
            hint="the master's layout changed; report it with the header shown",
            provider=_PROVIDER,
        )

    def col(cells: list[str], name: str) -> str:
        i = names.get(name.lower())
        return _clean(cells[i]) if i is not None and i < len(cells) else ""

    rows: dict[str, MasterRow] = {}
    for cells in reader:
        if not cells or col(cells, "Series").upper() != "EQ":
            continue
        symbol = col(cells, "ExchangeCode").upper()
        code = col(cells, "ShortName")
        if not symbol or not code or symbol in rows:
            continue
        rows[symbol] = MasterRow(
            symbol=symbol,
            isec_code=code,
            token=col(cells, "Token") or None,
            isin=col(cells, "ISINCode") or None,
            company=col(cells, "CompanyName") or None,
            listing_date=_parse_date(col(cells, "DateOfListing")),
        )
    return rows


def _today_ist() -> dt.date:
    return dt.datetime.now(ZoneInfo(IST)).date()


def _cached_copies(folder: Path) -> list[tuple[dt.date, Path]]:
    """Cached masters, newest first."""
    found: list[tuple[dt.date, Path]] = []
    if folder.is_dir():
        for path in folder.iterdir():
            m = _CACHE_NAME.fullmatch(path.name)
            if m:
                found.append((dt.date.fromisoformat(m.group(1)), path))
    return sorted(found, reverse=True)


class SecurityMaster:
    """NSE symbol -> Breeze instrument lookup, as of one master file's date.

    Parameters
    ----------
    rows : Mapping[str, MasterRow]
        NSE symbol -> row (index codes of :data:`INDEX_CODES` are added when absent).
    as_of : datetime.date
        IST date of the master file (shown in messages so users see how fresh it is).
    """

    def __init__(self, rows: Mapping[str, MasterRow], as_of: dt.date) -> None:
        merged = dict(rows)
        for symbol, code in INDEX_CODES.items():
            merged.setdefault(symbol, MasterRow(symbol, code, None, None, symbol, None))
        self._rows = merged
        self._as_of = as_of

    def __repr__(self) -> str:
        return f"SecurityMaster(as_of={self._as_of}, {len(self._rows)} instruments)"

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and symbol.strip().upper() in self._rows

    @property
    def as_of(self) -> dt.date:
        """IST date of the master file."""
        return self._as_of

    @classmethod
    def from_zip_bytes(cls, data: bytes, as_of: dt.date) -> SecurityMaster:
        """Parse a ``SecurityMaster.zip`` held in memory.

        Parameters
        ----------
        data : bytes
            The zip (must contain ``NSEScripMaster.txt``, any case, any folder).
        as_of : datetime.date
            Date of the file.

        Returns
        -------
        SecurityMaster

        Raises
        ------
        ProviderError
            Not a zip, no ``NSEScripMaster.txt`` in it, or a header without the needed columns.
        """
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                member = next(
                    (n for n in zf.namelist() if n.rsplit("/", 1)[-1].lower() == _NSE_FILE),
                    None,
                )
                if member is None:
                    raise ProviderError(
                        f"the Breeze security master zip has no NSEScripMaster.txt "
                        f"(members: {zf.namelist()[:10]})",
                        hint="check SENSEQUANT_BREEZE_SECURITY_MASTER_URL",
                        provider=_PROVIDER,
                    )
                raw = zf.read(member)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ProviderError(
                f"the Breeze security master is not a readable zip ({exc})",
                hint="check SENSEQUANT_BREEZE_SECURITY_MASTER_URL; delete a corrupt cached copy",
                provider=_PROVIDER,
            ) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        return cls(parse_nse_scrip_master(text), as_of)

    @classmethod
    def load(cls, settings: Settings, *, today: dt.date | None = None) -> SecurityMaster:
        """Today's master: the cached copy of today, else a download, else an older copy.

        Parameters
        ----------
        settings : Settings
            ``breeze_security_master_url``, ``fetch_deadline_s`` (download timeout, seconds)
            and ``cache_dir`` (copies live in ``<cache_dir>/breeze``; the newest 3 are kept).
        today : datetime.date, optional
            IST date to use (default: today in IST).

        Returns
        -------
        SecurityMaster

        Raises
        ------
        ProviderUnavailableError
            The download failed and no cached copy exists.
        """
        today = today or _today_ist()
        folder = settings.cache_dir / _PROVIDER
        target = folder / f"SecurityMaster_{today.isoformat()}.zip"
        if target.is_file():
            try:
                return cls.from_zip_bytes(target.read_bytes(), today)
            except ProviderError:
                logger.warning("cached security master %s is corrupt; downloading again", target)
                target.unlink(missing_ok=True)
        url = settings.breeze_security_master_url
        try:
            response = requests.get(url, timeout=settings.fetch_deadline_s)
            response.raise_for_status()
            master = cls.from_zip_bytes(response.content, today)
        except (requests.RequestException, ProviderError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
        else:
            write_bytes_atomic(target, response.content)
            for _, old in _cached_copies(folder)[_KEEP_CACHED:]:
                old.unlink(missing_ok=True)
            return master
        for day, path in _cached_copies(folder):
            try:
                master = cls.from_zip_bytes(path.read_bytes(), day)
            except (ProviderError, OSError):
                continue
            logger.warning(
                "Breeze security master download from %s failed (%s); using the cached copy "
                "of %s (%d days old)",
                url,
                reason,
                day.isoformat(),
                (today - day).days,
            )
            return master
        raise ProviderUnavailableError(
            f"cannot download the Breeze security master from {url} ({reason}) and no "
            f"cached copy exists in {folder}",
            hint="check the internet connection or SENSEQUANT_BREEZE_SECURITY_MASTER_URL; "
            "without Breeze use --provider yahoo or files",
            provider=_PROVIDER,
        )

    def get(self, symbol: str) -> MasterRow | None:
        """The row of an NSE symbol (case-insensitive), or ``None``."""
        return self._rows.get(symbol.strip().upper())

    def isec_code(self, symbol: str) -> str:
        """ISEC code (Breeze ``stock_code``) of an NSE symbol.

        Parameters
        ----------
        symbol : str
            NSE symbol, e.g. ``RELIANCE`` or ``NIFTY 50``.

        Returns
        -------
        str
            e.g. ``RELIND``.

        Raises
        ------
        UnknownInstrumentError
            The symbol has no ``EQ`` row in the master.
        """
        row = self.get(symbol)
        if row is None:
            raise UnknownInstrumentError(
                f"{symbol!r} is not an NSE cash equity (series EQ) in the Breeze security "
                f"master of {self._as_of.isoformat()}",
                hint="check the NSE symbol's spelling; a renamed symbol needs its new name "
                "(e.g. OBEROI -> OBEROIRLTY, see the alias table); a newly listed one may "
                "appear in tomorrow's master",
                provider=_PROVIDER,
            )
        return row.isec_code

    def symbol_infos(self, symbols: Iterable[str]) -> list[SymbolInfo]:
        """Symbol-master rows (ISEC code, ISIN, name, listing date) for the catalog.

        Parameters
        ----------
        symbols : iterable of str
            NSE symbols; those absent from the master are left out.

        Returns
        -------
        list of SymbolInfo
            In the order given, for :meth:`Catalog.upsert_symbols`; unknown fields ``None``.
        """
        out: list[SymbolInfo] = []
        for symbol in symbols:
            row = self.get(symbol)
            if row is None:
                continue
            out.append(
                SymbolInfo(
                    symbol=row.symbol,
                    name=row.company,
                    isin=row.isin,
                    series=None if row.token is None else "EQ",
                    isec_code=row.isec_code,
                    listing_date=row.listing_date,
                )
            )
        return out
