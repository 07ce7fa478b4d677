"""How ``sensequant data import`` reports many files: notes and warnings grouped by kind.

One line per file is readable for a handful of files and useless for 5,000 bhavcopies: a
kind seen more than :data:`SHOW_EACH` times is printed once, with its count, the first few
files (or series) it concerns and one full example; ``--json`` keeps every message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

__all__ = ["SHOW_EACH", "MessageGroup", "group_messages", "subject_of"]

SHOW_EACH: Final = 3
"""A kind seen at most this often is printed message by message."""
_NAMES_SHOWN: Final = 3

_KINDS: Final[tuple[tuple[str, str], ...]] = (
    ("both hold the trading day", "trading day held by two bhavcopy files"),
    ("more trading days are held", "trading day held by two bhavcopy files"),
    ("not in the symbol master", "symbol not in the symbol master"),
    ("differ by more than", "overlapping files disagree"),
    ("are not stored", "extra columns not stored"),
    ("spliced with", "raw and adjusted prices spliced"),
    ("no .csv, .parquet or .zip", "folder without bar files"),
    ("inside the bar store", "file inside the bar store skipped"),
    ("not recorded in the catalog", "failure not recorded in the catalog"),
    ("exact_duplicate_removed", "exact duplicate rows removed"),
    ("conflicting_duplicate", "conflicting duplicate rows"),
    ("negative_volume_clipped", "negative volume clipped"),
    ("extended_hours_bar_dropped", "extended-hours bars dropped"),
    ("off_calendar_row_dropped", "rows off the NSE calendar dropped"),
    ("ohlc_repaired", "OHLC repaired"),
    ("timestamps had conflicting rows", "conflicting rows in one file"),
    ("stored as", "symbol renamed"),
    ("ignored", "columns ignored"),
    ("OHLC", "OHLC repaired"),
)
"""(phrase in the message, kind label), first match wins."""
_PATH = re.compile(r"\S*[/\\](\S+)")
_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\[[^\]]*\]|\d+(?:[.,:-]\d+)*")


@dataclass
class MessageGroup:
    """Messages of one kind.

    Attributes
    ----------
    kind : str
        The kind's label (``symbol renamed``) or, for an unlisted message, its text with
        quoted values and numbers blanked.
    subjects : list of str
        What each message concerns (a file name, ``SYMBOL interval``), in order.
    messages : list of str
        The full messages, in order.
    """

    kind: str
    subjects: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Each message when few, else one summary line and one example."""
        if len(self.messages) <= SHOW_EACH:
            return list(self.messages)
        names = list(dict.fromkeys(self.subjects))
        shown = ", ".join(names[:_NAMES_SHOWN])
        more = f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
        return [
            f"{len(self.messages)} x {self.kind}: {shown}{more} (every one in --json)",
            f"  e.g. {self.messages[0]}",
        ]


def _kind(message: str) -> str:
    for phrase, label in _KINDS:
        if phrase in message:
            return label
    return _VARYING.sub("#", message.split(": ", 1)[-1])


def group_messages(items: Iterable[tuple[str, str]]) -> list[MessageGroup]:
    """Group ``(subject, message)`` pairs by kind, in order of first appearance.

    Parameters
    ----------
    items : iterable of (str, str)
        The subject (a file name, a series) and the full message. The kind is read from
        the message (:data:`_KINDS`, else the text after its first ``": "`` with quoted
        values and numbers blanked, so messages of one template group together).

    Returns
    -------
    list of MessageGroup
    """
    groups: dict[str, MessageGroup] = {}
    for subject, message in items:
        kind = _kind(message)
        group = groups.setdefault(kind, MessageGroup(kind))
        group.subjects.append(subject)
        group.messages.append(message)
    return list(groups.values())


def subject_of(message: str) -> str:
    """The subject of an import warning: the text before its first ``": "`` (a path, a
    series, two files), every path in it shortened to its file name."""
    return _PATH.sub(r"\1", message.split(": ", 1)[0])
