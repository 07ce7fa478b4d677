"""What every CLI command shares: the consoles, date options, the table printer and the guard.

Commands print results to stdout and everything else to stderr; a SenseQuant error becomes
its message and hint (never a traceback) and the error's exit code: 0 ok, 1 failed, 2 bad
usage, 130 interrupted.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, overload

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sensequant.errors import ConfigError, SenseQuantError, UsageError

__all__ = [
    "DATE_RANGE",
    "err",
    "guard",
    "literal",
    "out",
    "parse_date",
    "parse_interval_option",
    "print_table",
    "read_settings",
    "settings",
]

out = Console()
"""The stdout console for results."""
err = Console(stderr=True, soft_wrap=True)
"""The stderr console for progress, warnings and errors."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
"""Control, zero-width and bidirectional-override characters (shown escaped by literal)."""


def literal(text: object, style: str = "", *, keep_newlines: bool = False) -> Text:
    """User or stored text for the console exactly as stored: never read as rich markup, with
    control characters (ANSI escapes, newlines, bidi overrides) shown as ``\\x1b`` style escapes.

    Parameters
    ----------
    text : object
        Printed with ``str``; None prints as an empty string.
    style : str, optional
        A rich style for the whole text.
    keep_newlines : bool, default False
        Print newlines as line breaks (error messages) instead of ``\\n`` (stored text).
    """
    raw = "" if text is None else str(text)

    def escape(m: re.Match[str]) -> str:
        char = m.group()
        return char if keep_newlines and char == "\n" else char.encode("unicode_escape").decode()

    shown = _CONTROL.sub(escape, raw)
    return Text(shown, style=style)


P = ParamSpec("P")
R = TypeVar("R")


def _same(text: str) -> str:
    return text


def settings() -> Any:
    """The :class:`sensequant.settings.Settings` (imported when a command runs: fast --help).

    Raises
    ------
    ConfigError
        Naming each bad ``SENSEQUANT_*`` variable.
    """
    from sensequant.settings import load_settings

    return load_settings()


def read_settings() -> Any:
    """The settings of a command that only reads (lists, audits, shows, reviews): the
    ``SENSEQUANT_HOME`` folder must exist already and is never created by such a command.

    Raises
    ------
    ConfigError
        ``no SENSEQUANT home at <absolute path>`` (exit code 2, like a home that is a file):
        saying whether ``SENSEQUANT_HOME`` was set or the default ``./sensequant_home`` of the
        current folder was checked.
    """
    st = settings()
    if st.home.is_dir():
        return st
    where = st.home.expanduser().absolute()
    if "home" in st.model_fields_set:
        hint = "SENSEQUANT_HOME names no folder: check its path (or create the home by "
    else:
        hint = (
            "SENSEQUANT_HOME is not set, so ./sensequant_home of the current folder was "
            "checked: set SENSEQUANT_HOME to your home (or create one by "
        )
    raise ConfigError(
        f"no SENSEQUANT home at {where}",
        hint=hint + "importing data: `sensequant data import PATH`)",
    )


DATE_RANGE = (dt.date(1677, 9, 22), dt.date(2262, 4, 11))
"""Dates pandas can hold (nanosecond timestamps); others are usage errors, not tracebacks."""


def parse_date(value: str | None, name: str) -> dt.date | None:
    """Parse a ``YYYY-MM-DD`` option value (None stays None).

    Raises
    ------
    UsageError
        Naming the option and the value: not a date, or outside :data:`DATE_RANGE`.
    """
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} '{value}' is not a date", hint="use YYYY-MM-DD") from None
    if not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        raise UsageError(
            f"{name} '{value}' is outside the supported dates "
            f"{DATE_RANGE[0]:%Y-%m-%d}..{DATE_RANGE[1]:%Y-%m-%d}",
            hint="NSE history starts in 1994; pass a date in that range",
        )
    return day


def parse_interval_option(value: str | None, option: str = "--interval") -> str | None:
    """An ``--interval`` value as the store's name (``5m`` -> ``5minute``); None stays None.

    Every command's ``--interval`` goes through here, so each accepts the same spellings
    (:data:`sensequant.time_units.INTERVAL_ALIASES`).

    Raises
    ------
    UsageError
        Not a bar interval (exit code 2), naming the value and the choices.
    """
    from sensequant.time_units import parse_interval

    return None if value is None else parse_interval(value, option=option)


def print_table(table: Table, console: Console | None = None, *, width: int | None = None) -> None:
    """Print a table; off a terminal (pipes, CI logs) use 120 columns rather than rich's 80.

    Parameters
    ----------
    table : rich.table.Table
        The table.
    console : rich.console.Console, optional
        Where to print (default: :data:`out`, stdout).
    width : int, optional
        A fixed width in columns, terminal or not.
    """
    console = out if console is None else console
    if width is not None:
        console = Console(width=width, stderr=console.stderr)
    elif not console.is_terminal:
        console = Console(width=max(console.width, 120), stderr=console.stderr)
    console.print(table)


@overload
def guard(fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def guard(
    *,
    redact: Callable[[str], str] = ...,
    interrupted: str = ...,
    catch_all: bool = ...,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def guard(
    fn: Callable[P, R] | None = None,
    /,
    *,
    redact: Callable[[str], str] = _same,
    interrupted: str = "interrupted",
    catch_all: bool = False,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a command: errors become a clear message and an exit code, never a traceback.

    Use as ``@guard`` or ``@guard(redact=..., interrupted=..., catch_all=True)``, under the
    Typer registration (the signature, and so the options, are the command's own).

    Parameters
    ----------
    fn : callable, optional
        The command.
    redact : callable, optional
        Applied to every printed message (e.g. replaces configured secrets with ``***``).
    interrupted : str, default "interrupted"
        What Ctrl-C prints (exit code 130). An ``OSError`` (a home that is a file or read-only,
        a full disk) prints the path and the reason and exits 1.
    catch_all : bool, default False
        Also turn unexpected exceptions into a one-line message (exit 1). Used by commands
        that talk to brokers, so a traceback cannot carry a credential to the terminal.

    Returns
    -------
    callable
        The guarded command (or, without ``fn``, a decorator making one). It raises
        :class:`typer.Exit` with the error's exit code: 1 failed, 2 bad usage, 130
        interrupted.
    """

    def decorate(command: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(command)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return command(*args, **kwargs)
            except SenseQuantError as exc:
                err.print(Text("error: ", "red") + literal(redact(exc.message), keep_newlines=True))
                if exc.hint:
                    err.print(
                        Text("  hint: ", "cyan") + literal(redact(exc.hint), keep_newlines=True)
                    )
                raise typer.Exit(exc.exit_code) from None
            except KeyboardInterrupt:
                err.print(f"[yellow]{interrupted}[/]", highlight=False)
                raise typer.Exit(130) from None
            except (typer.Exit, SystemExit):
                raise
            except OSError as exc:  # a home that is a file, read-only, full, missing ...
                where = f" {exc.filename}" if exc.filename else ""
                reason = exc.strerror or type(exc).__name__
                text = escape(redact(f"cannot use{where}: {reason}"))
                err.print(f"[red]error:[/] {text}", highlight=False)
                err.print(
                    "  [cyan]hint:[/] SENSEQUANT_HOME must be a writable folder (not a file) "
                    "with free space; check its path and permissions",
                    highlight=False,
                )
                raise typer.Exit(1) from None
            except Exception as exc:
                if not catch_all:
                    raise
                err.print(
                    Text("error: ", "red") + literal(f"{type(exc).__name__}: {redact(str(exc))}")
                )
                err.print(
                    "  [cyan]hint:[/] this looks like a bug; please report it", highlight=False
                )
                raise typer.Exit(1) from None

        return guarded

    return decorate if fn is None else decorate(fn)
