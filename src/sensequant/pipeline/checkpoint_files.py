"""The file format of a run's checkpoints: versioned JSON manifests beside Parquet data files.

Nothing here is pickled: a checkpoint is data only, so reading one never runs code.

A checkpoint named ``NAME`` is ``NAME.json`` (the manifest) plus zero or more data files
``NAME.<part>.parquet`` (pyarrow; the frame's index and dtypes, time zones included, are kept
in Parquet's pandas metadata). The manifest is strict UTF-8 JSON except that non-finite floats
are written as ``NaN``/``Infinity`` (Python's :mod:`json`), so metrics round-trip exactly::

    {"format": "sensequant.checkpoint.<kind>", "version": 1, ...,
     "files": {"<part>": {"name": "NAME.<part>.parquet", "sha256": "..."}}}

Writing removes the manifest first, writes each data file atomically, then the manifest
atomically: a killed writer leaves no manifest, and a checkpoint without a readable manifest
of the expected ``format`` and ``version`` whose data files match their SHA-256 is absent
(:class:`CheckpointFormatError`).

Timestamps in manifests are ISO 8601 text with the offset and, for a named zone, the zone in
brackets (RFC 9557), e.g. ``"2024-06-04T09:15:00+05:30[Asia/Kolkata]"``, so IST comes back as
``Asia/Kolkata``, not as a fixed offset.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Final

import numpy as np
import pandas as pd

from sensequant.fsutil import atomic_write, sha256_file, write_text_atomic

__all__ = [
    "FORMAT_PREFIX",
    "CheckpointFormatError",
    "date_from_text",
    "date_text",
    "read_checkpoint",
    "ts_from_text",
    "ts_text",
    "write_checkpoint",
]

FORMAT_PREFIX: Final = "sensequant.checkpoint."
"""Every manifest's ``format`` is this prefix plus the checkpoint's kind."""


class CheckpointFormatError(ValueError):
    """A checkpoint that cannot be used (missing part, unknown format or version, bad data).

    Never shown as a failure: :class:`sensequant.pipeline.checkpoints.Checkpoints` turns it
    into a warning and the phase is computed again.
    """


def ts_text(ts: pd.Timestamp | None) -> str | None:
    """A timestamp as ISO 8601 text with its zone (see the module docstring); None stays None.

    Raises
    ------
    CheckpointFormatError
        If ``ts`` is NaT.
    """
    if ts is None:
        return None
    ts = pd.Timestamp(ts)
    if ts is pd.NaT:
        raise CheckpointFormatError("NaT cannot be checkpointed as a timestamp")
    tz = ts.tzinfo
    zone = getattr(tz, "zone", None) or getattr(tz, "key", None)  # pytz / zoneinfo names
    return ts.isoformat() + (f"[{zone}]" if zone else "")


def ts_from_text(text: object) -> pd.Timestamp | None:
    """Inverse of :func:`ts_text`.

    Raises
    ------
    CheckpointFormatError
        If ``text`` is neither None nor such a text.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise CheckpointFormatError(f"expected a timestamp text, got {text!r}")
    iso, _, zone = text.partition("[")
    try:
        ts = pd.Timestamp(iso)
        if zone:
            ts = ts.tz_convert(zone.removesuffix("]"))
    except (ValueError, TypeError, KeyError) as exc:
        raise CheckpointFormatError(f"bad timestamp {text!r}: {exc}") from exc
    if ts is pd.NaT:
        raise CheckpointFormatError(f"bad timestamp {text!r}")
    return ts


def date_text(day: dt.date | None) -> str | None:
    """A calendar date as ``YYYY-MM-DD`` (None stays None)."""
    return None if day is None else day.isoformat()


def date_from_text(text: object) -> dt.date | None:
    """Inverse of :func:`date_text`.

    Raises
    ------
    CheckpointFormatError
        If ``text`` is neither None nor an ISO date.
    """
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError as exc:
        raise CheckpointFormatError(f"bad date {text!r}") from exc


def _plain(value: Any) -> Any:
    """JSON builtins for manifests: numpy scalars unwrapped, tuples as lists, NaN kept."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise CheckpointFormatError(f"cannot write {type(value).__name__} {value!r} to a manifest")


def _write_frame(frame: pd.DataFrame, handle: BinaryIO) -> None:
    """Parquet with the index (a default one as metadata only) and pandas dtypes kept."""
    frame.to_parquet(handle, engine="pyarrow", compression="zstd", index=None)


def _manifest_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.json"


def write_checkpoint(
    folder: Path,
    name: str,
    kind: str,
    version: int,
    meta: dict[str, Any],
    frames: dict[str, pd.DataFrame],
) -> None:
    """Write checkpoint ``name`` in ``folder``: ``frames`` as Parquet, then the manifest.

    Parameters
    ----------
    folder : pathlib.Path
        The checkpoints folder (created if needed).
    name : str
        File stem, e.g. ``"student"`` or ``"teachers/INFY"``.
    kind, version : str, int
        The manifest's ``format`` (:data:`FORMAT_PREFIX` + ``kind``) and ``version``.
    meta : dict
        JSON-able content of the manifest (timestamps already as :func:`ts_text`).
    frames : dict of str to pandas.DataFrame
        Data parts by part name (``[a-z0-9_]``); column names must be strings.

    Raises
    ------
    StoreError
        If a file cannot be written.
    CheckpointFormatError
        If ``meta`` holds something JSON cannot carry.
    """
    manifest = _manifest_path(folder, name)
    manifest.unlink(missing_ok=True)  # no manifest = no checkpoint while the parts change
    body = {"format": FORMAT_PREFIX + kind, "version": version, **_plain(meta)}
    files: dict[str, dict[str, str]] = {}
    for part, frame in frames.items():
        path = folder / f"{name}.{part}.parquet"
        atomic_write(path, partial(_write_frame, frame))
        files[part] = {"name": path.name, "sha256": sha256_file(path)}
    body["files"] = files
    text = json.dumps(body, ensure_ascii=False, allow_nan=True)
    write_text_atomic(manifest, text + "\n")


def read_checkpoint(
    folder: Path, name: str, kind: str, version: int
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]] | None:
    """Read checkpoint ``name``: its manifest and data parts, or None when it was not written.

    Returns
    -------
    (dict, dict of str to pandas.DataFrame) or None
        The manifest (with ``format``, ``version`` and ``files``) and the frames by part.

    Raises
    ------
    CheckpointFormatError
        If the manifest is not JSON, is of another format or version, or a data file is
        missing, altered (SHA-256) or unreadable.
    """
    manifest = _manifest_path(folder, name)
    if not manifest.is_file():
        return None
    try:
        body = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointFormatError(f"{manifest} is not readable JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise CheckpointFormatError(f"{manifest} is not a JSON object")
    want = FORMAT_PREFIX + kind
    if body.get("format") != want or body.get("version") != version:
        raise CheckpointFormatError(
            f"{manifest} is format {body.get('format')!r} version {body.get('version')!r}; "
            f"this version reads {want!r} version {version}"
        )
    files = body.get("files")
    if not isinstance(files, dict):
        raise CheckpointFormatError(f"{manifest} lists no data files")
    frames: dict[str, pd.DataFrame] = {}
    for part, entry in files.items():
        try:
            path = folder / Path(name).parent / str(entry["name"])
            expected = str(entry["sha256"])
        except (KeyError, TypeError) as exc:
            raise CheckpointFormatError(f"{manifest}: bad entry for {part!r}") from exc
        if Path(str(entry["name"])).name != entry["name"] or not path.is_file():
            raise CheckpointFormatError(f"{manifest}: data file {entry['name']!r} is missing")
        if sha256_file(path) != expected:
            raise CheckpointFormatError(f"{path} was changed after it was checkpointed")
        try:
            frames[str(part)] = pd.read_parquet(path, engine="pyarrow")
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            raise CheckpointFormatError(f"{path} is not readable Parquet: {exc}") from exc
    return body, frames
