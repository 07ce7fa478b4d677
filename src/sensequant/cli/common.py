"""What every CLI command shares: the stderr console, date options and the error guard.

Commands print results to stdout and everything else to stderr; a SenseQuant error becomes
its message and hint (never a traceback) and the error's exit code: 0 ok, 1 failed, 2 bad
usage, 130 interrupted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

from sensequant.errors import SenseQuantError, UsageError

__all__ = ["err", "guard", "parse_date"]

err = Console(stderr=True, soft_wrap=True)
"""The stderr console for progress, warnings and errors."""

T = TypeVar("T")


def _same(text: str) -> str:
    return text


def parse_date(value: str | None, name: str) -> dt.date | None:
    """Parse a ``YYYY-MM-DD`` option value (None stays None).

    Raises
    ------
    UsageError
        Naming the option and the value.
    """
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} '{value}' is not a date", hint="use YYYY-MM-DD") from None


def guard(
    fn: Callable[[], T],
    *,
    redact: Callable[[str], str] = _same,
    interrupted: str = "interrupted",
    catch_all: bool = False,
) -> T:
    """Run ``fn``; turn errors into a clear message and an exit code, never a traceback.

    Parameters
    ----------
    fn : callable
        The command body.
    redact : callable, optional
        Applied to every printed message (e.g. replaces configured secrets with ``***``).
    interrupted : str, default "interrupted"
        What Ctrl-C prints (exit code 130).
    catch_all : bool, default False
        Also turn unexpected exceptions into a one-line message (exit 1). Used by commands
        that talk to brokers, so a traceback cannot carry a credential to the terminal.

    Raises
    ------
    typer.Exit
        With the error's exit code.
    """
    try:
        return fn()
    except SenseQuantError as exc:
        err.print(f"[red]error:[/] {redact(exc.message)}", highlight=False)
        if exc.hint:
            err.print(f"  [cyan]hint:[/] {redact(exc.hint)}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print(f"[yellow]{interrupted}[/]", highlight=False)
        raise typer.Exit(130) from None
    except (typer.Exit, SystemExit):
        raise
    except Exception as exc:
        if not catch_all:
            raise
        err.print(f"[red]error:[/] {type(exc).__name__}: {redact(str(exc))}", highlight=False)
        err.print("  [cyan]hint:[/] this looks like a bug; please report it", highlight=False)
        raise typer.Exit(1) from None
