"""Decoding of raw bar-file bytes into text, refusing what is not a text CSV file.

:func:`decode_text` accepts UTF-8 (with or without BOM) and UTF-16 with a BOM, and rejects,
each with its own :class:`~sensequant.errors.InputFileError`: UTF-16 without a BOM, other
undecodable bytes (Latin-1 / Windows-1252 exports), binary content, NUL bytes and HTML pages (a
maintenance, login or error page saved under a ``.csv`` name).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from sensequant.errors import InputFileError

__all__ = ["decode_text"]

_HTML_START = ("<!doctype html", "<html", "<?xml", "<head", "<body", "<!--")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_UTF8_HINT = "re-export the file as UTF-8 CSV (in Excel: Save As > CSV UTF-8)"


def _looks_utf16_without_bom(raw: bytes) -> bool:
    sample = raw[:4096]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    # ASCII text in UTF-16: every other byte is NUL (odd ones for LE, even ones for BE)
    return (
        max(odd.count(0) / len(odd), even.count(0) / len(even)) > 0.4
        and min(odd.count(0) / len(odd), even.count(0) / len(even)) < 0.05
    )


def _looks_binary(raw: bytes) -> bool:
    sample = raw[:4096]
    if not sample:
        return False
    text_bytes = set(range(32, 127)) | {9, 10, 13}
    odd = sum(b not in text_bytes and b < 128 for b in sample)
    return b"\x00" in sample or odd / len(sample) > 0.05


def _check_html(path: Path, text: str) -> None:
    head = text[:4096].lstrip()[:2048].lower()
    first = head.split("\n", 1)[0]
    if head.startswith(_HTML_START) or "<html" in first:
        match = _TITLE.search(text[:8192])
        title = " ".join(match.group(1).split())[:80] if match else ""
        shown = f" (page title {title!r})" if title else ""
        raise InputFileError(
            path,
            f"this is an HTML web page, not CSV data{shown}",
            hint="the download returned a web page (maintenance, login or error page) "
            "instead of the file: download it again later",
        )


def decode_text(path: Path, raw: bytes) -> str:
    """Decode a text data file: UTF-8 (BOM optional) or UTF-16 with a BOM.

    Parameters
    ----------
    path : pathlib.Path
        The file (for messages).
    raw : bytes
        Its content.

    Returns
    -------
    str
        The text (may be empty or blank: the caller decides).

    Raises
    ------
    InputFileError
        UTF-16 without a byte-order mark, binary content, undecodable bytes (naming line and
        byte offset), a NUL byte (naming the line) or an HTML page.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputFileError(
                path, f"broken UTF-16 text at byte {exc.start}", hint=_UTF8_HINT
            ) from None
    elif _looks_utf16_without_bom(raw):
        raise InputFileError(
            path,
            "the file looks like UTF-16 text without a byte-order mark (every other byte is 0)",
            hint=_UTF8_HINT,
        )
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if _looks_binary(raw):
                raise InputFileError(
                    path,
                    "binary content, not a text CSV file",
                    hint="is this really a CSV file? export the data as CSV or Parquet",
                ) from None
            line = raw.count(b"\n", 0, exc.start) + 1
            start = raw.rfind(b"\n", 0, exc.start) + 1
            column = raw.count(b",", start, exc.start) + 1
            where = "the header" if line == 1 else f"line {line}"
            raise InputFileError(
                path,
                f"undecodable bytes (not UTF-8) at line {line}, byte {exc.start}: column "
                f"{column} of {where} (Latin-1 / Windows-1252 text?)",
                hint=_UTF8_HINT,
            ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputFileError(
            path, f"binary data (NUL byte) at line {line}", hint="is this really a CSV file?"
        )
    _check_html(path, text)
    return text
