"""``sensequant config show`` and ``sensequant config init``: the run configuration as YAML.

Registered by :mod:`sensequant.cli.main` on the ``config`` group. The shipped configurations
(``default``: exactly the built-in defaults; ``class3``: the original 3-class model;
``intraday_1min``: a few weeks of 1-minute bars) are
package data, ``sensequant/resources/configs/*.yaml``, so an installed SenseQuant has them
without the repository (whose ``configs/`` holds the same files; a test keeps them equal).
Exit codes: 0 ok, 1 the file cannot be written, 2 bad usage (unknown ``--from``, an invalid
config, a file that exists without ``--force``).
"""

from __future__ import annotations

import re
import textwrap
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, get_args, get_origin

import typer

from sensequant.cli.common import err, guard
from sensequant.errors import UsageError

__all__ = [
    "SHIPPED_CONFIGS",
    "annotate_config",
    "config_init",
    "config_show",
    "shipped_config_text",
]

SHIPPED_CONFIGS: Final = ("default", "class3", "intraday_1min")
"""Names of the configurations shipped inside the package."""


def shipped_config_text(name: str) -> str:
    """The text of a shipped configuration (one of :data:`SHIPPED_CONFIGS`), comments included.

    Raises
    ------
    UsageError
        For another name (listing the shipped ones).
    """
    if name not in SHIPPED_CONFIGS:
        raise UsageError(
            f"--from {name!r} is not a shipped configuration",
            hint=f"use one of {', '.join(SHIPPED_CONFIGS)}",
        )
    folder = resources.files("sensequant") / "resources" / "configs"
    return (folder / f"{name}.yaml").read_text(encoding="utf-8")


_KEY_LINE = re.compile(r"^( *)([A-Za-z_][A-Za-z0-9_]*):")
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
"""A Sphinx role in a docstring (``:mod:`x```), written as plain ```x``` in a comment."""
_WIDTH: Final = 96


def _doc(path: list[str]) -> str | None:
    """The description of the config key at ``path`` (a field docstring, else the docstring
    of the section it holds); None when it has none."""
    from sensequant.run_config import RunConfig

    model: Any = RunConfig
    for i, part in enumerate(path):
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        if get_origin(field.annotation) is list and i < len(path) - 1:
            return None  # inside a list item (backtest.trials): said once, on the list
        args = get_args(field.annotation) or (field.annotation,)
        model = next((a for a in args if hasattr(a, "model_fields")), None)
        if i == len(path) - 1:
            if field.description:
                return str(field.description)
            section_doc = (model.__doc__ or "") if model is not None else ""
            return section_doc.split("\n\n")[0] or None
    return None


def annotate_config(text: str) -> str:
    """``text`` (a run configuration YAML) with each mapping key's description as a comment
    line above it. Keys already under a comment, and keys inside lists, are left as they are.
    """
    lines: list[str] = []
    stack: list[tuple[int, str]] = []
    for line in text.splitlines(keepends=True):
        match = _KEY_LINE.match(line)
        if match is None:
            lines.append(line)
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group(2)))
        doc = _doc([key for _, key in stack])
        if doc and not (lines and lines[-1].lstrip().startswith("#")):
            prefix = " " * indent + "# "
            flat = _ROLE.sub(r"`\1`", " ".join(doc.replace("``", "`").split()))
            lines.extend(
                f"{row}\n"
                for row in textwrap.wrap(
                    flat, _WIDTH, initial_indent=prefix, subsequent_indent=prefix
                )
            )
        lines.append(line)
    return "".join(lines)


@guard
def config_show(
    config: Annotated[
        Path | None, typer.Option(help="Run configuration YAML (default: the built-in defaults).")
    ] = None,
) -> None:
    """Print the resolved run configuration (every key, the file's over the defaults) as YAML.

    What `sensequant run --config FILE` would use and save with the run.
    """
    from sensequant.settings import load_run_config

    cfg = load_run_config(config)
    source = str(config) if config is not None else "the built-in defaults"
    print(f"# resolved run configuration from {source} (fingerprint {cfg.fingerprint()})")
    print(cfg.to_yaml(), end="")


@guard
def config_init(
    path: Annotated[Path, typer.Argument(help="File to write.")] = Path("sensequant.yaml"),
    from_: Annotated[
        str,
        typer.Option(
            "--from",
            help="default (the built-in defaults), class3 (the 3-class model) or "
            "intraday_1min (a few weeks of 1-minute bars).",
        ),
    ] = "default",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented run configuration (each key's meaning above it) to edit.

    Then use it with `sensequant run --config PATH`.
    """
    text = annotate_config(shipped_config_text(from_))
    if path.is_dir():
        raise UsageError(f"{path} is a folder", hint="give a file name, e.g. my_run.yaml")
    if path.exists() and not force:
        raise UsageError(f"{path} exists already", hint="choose another name or pass --force")
    path.write_text(text, encoding="utf-8")
    err.print(
        f"wrote {path} (from {from_}); edit it, then `sensequant run --config {path}`",
        highlight=False,
        markup=False,
    )
