"""Rows of one file that disagree on one timestamp, resolved by the ``--on-conflict`` policy.

A file holding two rows with the same timestamp and different values says two things about
one bar; which one is right is the user's call: ``fail`` (the default) refuses the file and
names the timestamps and the values, ``keep`` keeps the first row in file order, ``replace``
the last (what :func:`sensequant.data.quality.clean.clean_bars` keeps, flagging the clash as
``conflicting_duplicate``). Exact repeats are never a conflict. Bhavcopy day files are
spliced by their own rule (the later file wins, with a warning) and are not checked here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pandas as pd

from sensequant.data.store import OnConflict
from sensequant.errors import InputFileError

__all__ = ["MAX_SHOWN", "resolve_file_duplicates"]

MAX_SHOWN: Final = 5
"""Conflicting timestamps named in the refusal."""


def _row_text(row: pd.Series, columns: list[str]) -> str:
    line = f"line {int(row['_line'])}: " if "_line" in row.index else ""
    return line + ", ".join(f"{c} {row[c]:.6g}" for c in columns if pd.notna(row[c]))


def resolve_file_duplicates(
    bars: pd.DataFrame, path: Path, symbol: str, on_conflict: OnConflict
) -> pd.DataFrame:
    """Apply the policy to rows of one file that share a timestamp with different values.

    Parameters
    ----------
    bars : pandas.DataFrame
        Parsed bars of ``path`` in file order (``timestamp``, values, optional ``_line``).
    path : pathlib.Path
        The file (for the message).
    symbol : str
    on_conflict : OnConflict

    Returns
    -------
    pandas.DataFrame
        ``bars`` unchanged (no conflict, or ``replace``), or without the later rows of each
        conflicting timestamp (``keep``).

    Raises
    ------
    InputFileError
        With ``fail``, naming the file, the timestamps (up to 5) and each row's values.
    """
    values = [c for c in bars.columns if c not in ("_line", "symbol")]
    distinct = bars.drop_duplicates(subset=values)
    clash = distinct["timestamp"].duplicated(keep=False)
    if not clash.any():
        return bars
    if on_conflict is OnConflict.REPLACE:
        return bars
    if on_conflict is OnConflict.KEEP:
        return bars.loc[~bars["timestamp"].duplicated(keep="first")]
    rows = distinct.loc[clash]
    stamps = rows["timestamp"].drop_duplicates()
    shown = []
    columns = [c for c in values if c != "timestamp"]
    for ts in stamps.iloc[:MAX_SHOWN]:
        group = rows.loc[rows["timestamp"] == ts]
        texts = " | ".join(_row_text(r, columns) for _, r in group.iterrows())
        shown.append(f"{ts:%Y-%m-%d %H:%M}: {texts}")
    more = f"\n  ... and {len(stamps) - MAX_SHOWN} more" if len(stamps) > MAX_SHOWN else ""
    raise InputFileError(
        path,
        f"{symbol}: {len(stamps)} timestamp(s) have rows with different values:\n  "
        + "\n  ".join(shown)
        + more,
        hint="fix the file, or pass --on-conflict keep (first row wins) or --on-conflict "
        "replace (last row wins)",
    )
