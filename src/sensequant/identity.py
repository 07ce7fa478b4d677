"""Who reviews: the OS user, plus an optional validated display name (one rule for every review).

The registry's review events (:mod:`sensequant.release.review`), the corporate-action reviews
(``sensequant data actions``) and the structural-break reviews (``sensequant data breaks``)
all record the actor this module gives: the operating-system account running the command
(:func:`getpass.getuser`), which a reviewer cannot choose on the command line; ``--by`` only
adds a display name. It sits in the foundations layer so the data layer can use it.

Display names must be printable text of at most :data:`MAX_NAME_LENGTH` characters without
markup or control characters, and may not be one of :data:`RESERVED_NAMES`
(case-insensitive), which would impersonate the pipeline itself or an administrator. The OS
user ``sensequant`` (:data:`SYSTEM_ACTOR`, the actor of the pipeline's own events) cannot
review either; other OS accounts, ``root`` included, are taken as they are (containers often
run as root).

The identity is only as strong as the OS account: :func:`getpass.getuser` reads ``LOGNAME``,
``USER``, ``LNAME`` and ``USERNAME`` before the password database, so a user who can set the
environment can claim another name. Four-eyes is a guard against mistakes and shortcuts within
a team sharing a machine, not against a hostile operator (who could also edit the database).
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from typing import Final

from sensequant.errors import UsageError

__all__ = [
    "MAX_NAME_LENGTH",
    "RESERVED_NAMES",
    "SYSTEM_ACTOR",
    "Actor",
    "current_actor",
    "os_user",
    "validate_display_name",
]

SYSTEM_ACTOR: Final = "sensequant"
"""The actor of the pipeline's own registry events; no person may review under it."""
MAX_NAME_LENGTH: Final = 64
RESERVED_NAMES: Final = frozenset(
    {SYSTEM_ACTOR, "system", "root", "admin", "administrator", "nobody", "anonymous", "unknown"}
)
"""Display names refused (case-insensitive, surrounding spaces ignored)."""
_MARKUP: Final = re.compile(r"[\[\]<>{}`\\]")
"""Characters that carry markup in rich, HTML/Markdown or shells' eyes."""


@dataclass(frozen=True)
class Actor:
    """Who performs a review action.

    Attributes
    ----------
    os_user : str
        Operating-system account (what four-eyes compares with the run's producer).
    display_name : str or None
        Validated free name from ``--by``.
    """

    os_user: str
    display_name: str | None = None

    def label(self) -> str:
        """``os_user`` or ``os_user (display name)``."""
        return self.os_user if not self.display_name else f"{self.os_user} ({self.display_name})"


def os_user() -> str:
    """The OS account running this process (:func:`getpass.getuser`; ``uid-<n>`` for an
    account without a name, e.g. a container user missing from ``/etc/passwd``).

    Raises
    ------
    UsageError
        If no user name or id can be determined.
    """
    try:
        name = getpass.getuser().strip()
    except (OSError, KeyError):
        name = f"uid-{os.getuid()}" if hasattr(os, "getuid") else ""
    if not name:
        raise UsageError(
            "cannot tell which OS user is running this command",
            hint="set the USER (or LOGNAME) environment variable",
        )
    return name


def validate_display_name(name: str | None) -> str | None:
    """Check a ``--by`` display name; returns it stripped (None/blank stays None).

    Raises
    ------
    UsageError
        If it is longer than :data:`MAX_NAME_LENGTH`, holds a control or non-printable
        character or a markup character (``[ ] < > { } ` \\``), or is a reserved name.
    """
    if name is None or not name.strip():
        return None
    name = name.strip()
    shown = ascii(name)
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(
            f"display name {shown} is {len(name)} characters long",
            hint=f"use at most {MAX_NAME_LENGTH} characters",
        )
    if not name.isprintable() or _MARKUP.search(name):
        raise UsageError(
            f"display name {shown} holds control or markup characters",
            hint="use plain letters, digits, spaces and punctuation such as . - ' ,",
        )
    if name.casefold() in RESERVED_NAMES:
        raise UsageError(
            f"display name {shown} is reserved",
            hint=f"reserved: {', '.join(sorted(RESERVED_NAMES))}; use your own name",
        )
    return name


def current_actor(display_name: str | None = None) -> Actor:
    """The acting OS user with a validated display name.

    Raises
    ------
    UsageError
        Bad display name (:func:`validate_display_name`), no OS user, or the OS user is the
        pipeline's own actor ``sensequant``.
    """
    user = os_user()
    if user.casefold() == SYSTEM_ACTOR:
        raise UsageError(
            f"the OS account {SYSTEM_ACTOR!r} is the pipeline's own identity and cannot review",
            hint="run review commands from your personal account",
        )
    return Actor(os_user=user, display_name=validate_display_name(display_name))
