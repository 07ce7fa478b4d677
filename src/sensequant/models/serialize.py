"""Save and load models as LightGBM text + JSON metadata (never pickle).

Loading a pickle from an untrusted folder runs arbitrary code; LightGBM's text format and
JSON do not. A model ``<name>`` in a directory is two files:

* ``<name>.txt`` -- ``Booster.model_to_string()``;
* ``<name>.json`` -- metadata: feature names, optional feature-set hash, parameters, training
  window, metrics, seed (whatever the caller passes) plus ``lightgbm_version``,
  ``model_sha256`` (of the text file) and ``num_class`` added here.

Both files are written atomically (temporary file in the same folder, fsync, ``os.replace``),
the text file first, so a crash never leaves a torn file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import pandas as pd

from sensequant.errors import InputFileError, ModelError
from sensequant.fsutil import write_bytes_atomic

_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, pd.Timestamp | dt.datetime | dt.date):
        return obj.isoformat()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"metadata value of type {type(obj).__name__} is not JSON serialisable")


def _atomic_write(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def _paths(directory: Path | str, name: str) -> tuple[Path, Path]:
    if not _NAME.match(name):
        raise ModelError(
            f"model name {name!r} must be letters, digits, '_', '.', '-' (no path separators)"
        )
    d = Path(directory)
    return d / f"{name}.txt", d / f"{name}.json"


def save_model(
    directory: Path | str, name: str, model_text: str, metadata: dict[str, Any]
) -> tuple[Path, Path]:
    """Write ``<name>.txt`` (LightGBM text) and ``<name>.json`` (metadata) atomically.

    Parameters
    ----------
    directory : pathlib.Path or str
        Target folder (created if missing).
    name : str
        File stem: letters, digits, ``_ . -``; no path separators.
    model_text : str
        ``Booster.model_to_string()``.
    metadata : dict
        JSON-serialisable description (timestamps, numpy scalars and paths are converted):
        e.g. ``feature_set_hash``, ``params``, ``train_start``/``train_end``, ``metrics``,
        ``seed``. If it holds ``feature_names`` they must equal the model's.

    Returns
    -------
    (txt_path, json_path) : tuple of pathlib.Path

    Raises
    ------
    ModelError
        If the name is unsafe, the text is not a LightGBM model, or ``feature_names``
        disagree with the model's.
    TypeError
        If a metadata value is not JSON serialisable.
    """
    txt_path, json_path = _paths(directory, name)
    try:
        booster = lgb.Booster(model_str=model_text)
    except lgb.basic.LightGBMError as exc:
        raise ModelError(f"model_text for {name!r} is not a LightGBM model: {exc}") from None
    names = list(booster.feature_name())
    given = metadata.get("feature_names")
    if given is not None and [str(c) for c in given] != names:
        raise ModelError(
            f"metadata feature_names {list(given)[:5]}... differ from the model's {names[:5]}..."
        )
    meta = {
        **metadata,
        "feature_names": names,
        "num_class": int(booster.num_model_per_iteration()),
        "lightgbm_version": lgb.__version__,
        "model_sha256": hashlib.sha256(model_text.encode("utf-8")).hexdigest(),
    }
    blob = json.dumps(meta, default=_json_default, indent=2, sort_keys=True)
    txt_path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(txt_path, model_text)
    _atomic_write(json_path, blob + "\n")
    return txt_path, json_path


def load_model(directory: Path | str, name: str) -> tuple[lgb.Booster, dict[str, Any]]:
    """Load a model saved by :func:`save_model` and check it against its metadata.

    Parameters
    ----------
    directory : pathlib.Path or str
        Folder holding ``<name>.txt`` and ``<name>.json``.
    name : str
        File stem.

    Returns
    -------
    (booster, metadata) : tuple of lightgbm.Booster and dict

    Raises
    ------
    InputFileError
        If a file is missing or unreadable, the text does not match ``model_sha256``, or the
        metadata ``feature_names`` differ from the booster's.
    ModelError
        If the name is unsafe (path separators, illegal characters).
    """
    txt_path, json_path = _paths(directory, name)
    for p in (txt_path, json_path):
        if not p.is_file():
            raise InputFileError(p, "model file not found", hint="save it with save_model first")
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(json_path, f"unreadable metadata ({exc})") from None
    if not isinstance(meta, dict):
        raise InputFileError(json_path, "metadata is not a JSON object")
    text = txt_path.read_text(encoding="utf-8")
    digest = meta.get("model_sha256")
    if digest is not None and hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
        raise InputFileError(
            txt_path,
            "model text does not match model_sha256 in its metadata (modified or torn)",
            hint="re-train or restore both files from the same save",
        )
    try:
        booster = lgb.Booster(model_str=text)
    except lgb.basic.LightGBMError as exc:
        raise InputFileError(txt_path, f"not a LightGBM model ({exc})") from None
    names = list(booster.feature_name())
    given = meta.get("feature_names")
    if not isinstance(given, list) or [str(c) for c in given] != names:
        shown = given[:5] if isinstance(given, list) else given
        raise InputFileError(
            json_path,
            f"metadata feature_names {shown} differ from the model's {names[:5]} "
            f"({len(names)} features)",
            hint="the metadata belongs to another model; restore the matching pair",
        )
    return booster, meta
