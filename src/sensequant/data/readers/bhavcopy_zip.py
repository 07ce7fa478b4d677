"""NSE bhavcopy files on disk: a ``.csv`` or a ``.zip`` holding bhavcopy CSVs (NSE's download form).

Parsing of the CSV text is :func:`sensequant.data.readers.bhavcopy.parse_bhavcopy`; every
member of a zip must be a bhavcopy CSV, anything else is an error naming the zip and the member.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import pandas as pd

from sensequant.data.readers.bhavcopy import (
    DEFAULT_SERIES,
    REDOWNLOAD,
    bhavcopy_layout,
    header_fields,
    parse_bhavcopy,
)
from sensequant.data.readers.decoding import decode_text
from sensequant.data.readers.parsing import ParsedFile
from sensequant.errors import InputFileError

__all__ = ["MAX_MEMBER_BYTES", "read_bhavcopy", "read_bhavcopy_zip"]

MAX_MEMBER_BYTES: Final = 256 * 2**20
"""Largest zip member read (a real bhavcopy CSV is under 1 MB)."""
_ZIP_HINT = (
    "an NSE bhavcopy zip holds one CSV (cmDDMONYYYYbhav.csv or "
    "BhavCopy_NSE_CM_0_0_0_YYYYMMDD_F_0000.csv); unzip other files and import them on their own"
)


def _parse_raw(
    path: Path,
    raw: bytes,
    hint: str,
    series: Sequence[str],
    aliases: Mapping[str, str] | None,
) -> ParsedFile:
    """Decode the bytes of one bhavcopy CSV, detect its layout and parse it.

    Raises
    ------
    InputFileError
        If the header is not a bhavcopy's (with ``hint``), or as :func:`parse_bhavcopy`.
    """
    text = decode_text(path, raw)
    header = header_fields(text)
    layout = bhavcopy_layout(header)
    if layout is None:
        raise InputFileError(path, f"not an NSE bhavcopy (columns: {header[:8]})", hint=hint)
    return parse_bhavcopy(path, text, layout, series=series, aliases=aliases)


def read_bhavcopy_zip(
    path: Path,
    *,
    series: Sequence[str] = DEFAULT_SERIES,
    aliases: Mapping[str, str] | None = None,
) -> ParsedFile:
    """Read a zipped bhavcopy: every member must be a bhavcopy CSV (usually exactly one).

    Parameters
    ----------
    path : pathlib.Path
        The ``.zip`` file.
    series, aliases
        As :func:`parse_bhavcopy`.

    Returns
    -------
    ParsedFile
        The members' rows together (``path`` is the zip; lines are member lines).

    Raises
    ------
    InputFileError
        Not a readable zip, no CSV inside, a member that is not a bhavcopy (naming the zip and
        the member) or any error of :func:`parse_bhavcopy` (prefixed with the member's name).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(
            path, f"not a readable zip archive ({exc}); truncated download?", hint=REDOWNLOAD
        ) from None
    with archive:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir()
            and not any(p.startswith(("__MACOSX", ".")) for p in m.filename.split("/"))
        ]
        if not any(m.filename.lower().endswith(".csv") for m in members):
            raise InputFileError(
                path,
                f"the zip holds no CSV file (members: {[m.filename for m in members][:5]})",
                hint=_ZIP_HINT,
            )
        parts: list[ParsedFile] = []
        for member in members:
            name = member.filename
            try:
                if not name.lower().endswith(".csv"):
                    raise InputFileError(path, "not a CSV file", hint=_ZIP_HINT)
                if member.file_size > MAX_MEMBER_BYTES:
                    raise InputFileError(
                        path, f"{member.file_size:,} bytes uncompressed: too large", hint=_ZIP_HINT
                    )
                try:
                    raw = archive.read(member)
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    raise InputFileError(path, f"cannot be read ({exc})", hint=REDOWNLOAD) from None
                parts.append(_parse_raw(path, raw, _ZIP_HINT, series, aliases))
            except InputFileError as exc:
                problem = exc.problem.removeprefix(f"{path}: ")
                raise InputFileError(
                    path, f"zip member {name!r}: {problem}", hint=exc.hint
                ) from None
    if len(parts) == 1:
        return parts[0]
    bars = pd.concat([p.bars for p in parts], ignore_index=True)
    bars = bars.sort_values("timestamp", kind="mergesort").reset_index(drop=True)
    layout = "+".join(sorted({p.layout for p in parts}))
    notes = tuple(dict.fromkeys(n for p in parts for n in p.notes))
    return ParsedFile(path, layout, None, "1day", bars, notes)


def read_bhavcopy(
    path: Path,
    *,
    series: Sequence[str] = DEFAULT_SERIES,
    aliases: Mapping[str, str] | None = None,
) -> ParsedFile:
    """Read one bhavcopy, ``.csv`` or ``.zip`` (see the module notes).

    Parameters
    ----------
    path : pathlib.Path
    series : sequence of str, default ("EQ",)
    aliases : mapping of str to str, optional

    Returns
    -------
    ParsedFile

    Raises
    ------
    InputFileError
        If the file is not a bhavcopy, or as :func:`parse_bhavcopy` / :func:`read_bhavcopy_zip`.
    """
    path = Path(path)
    if path.suffix.lower() == ".zip":
        return read_bhavcopy_zip(path, series=series, aliases=aliases)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(
            path, f"cannot read the file ({exc.strerror})", hint="check the path"
        ) from None
    return _parse_raw(path, raw, REDOWNLOAD, series, aliases)
