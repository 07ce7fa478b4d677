"""Every ``sensequant <command>`` that a message, hint or docstring names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import typer

from sensequant.cli import app

SRC = Path(__file__).resolve().parents[2] / "src" / "sensequant"
MENTION = re.compile(r"\bsensequant ([a-z][\w-]*)(?: ([a-z][\w-]*))?")
PROSE = {"from", "package"}
"""Words after "sensequant" in plain prose ("run sensequant from a folder", "the sensequant
package directory"), not commands."""


def _commands() -> dict[str, set[str]]:
    """Command name -> its sub-commands (empty for a plain command), from the Typer app."""
    root = typer.main.get_command(app)
    return {
        name: set(getattr(command, "commands", {}))
        for name, command in getattr(root, "commands", {}).items()
    }


def _mentions() -> list[tuple[str, int, str, str | None]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for m in MENTION.finditer(node.value):
                    if m.group(1) not in PROSE:
                        found.append((str(path.relative_to(SRC)), node.lineno, *m.groups()))
    return found


def test_every_mentioned_command_exists() -> None:
    commands = _commands()
    mentions = _mentions()
    assert len(mentions) > 20, "the scan finds the hints"
    wrong = []
    for where, line, word, sub in mentions:
        if word not in commands:
            wrong.append(f"{where}:{line}: sensequant {word}")
        elif commands[word] and sub is not None and sub not in commands[word]:
            wrong.append(f"{where}:{line}: sensequant {word} {sub}")
    assert wrong == []


def test_the_command_list_has_groups_and_commands() -> None:
    commands = _commands()
    assert commands["runs"] == commands["show"] == commands["verify"] == set()
    assert commands["data"] == {"fetch", "audit", "actions", "breaks", "import", "list", "repair"}
    assert commands["config"] == {"show", "init"}
