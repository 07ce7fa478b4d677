"""Sweep grids: a YAML mapping of dotted config keys to lists of values, and its expansion.

A grid file looks like::

    grid:
      student.learning_rate: [0.05, 0.1]
      student.blend_grid: [[0.0, 1.0], [0.0, 0.5, 1.0]]

Its points are the cartesian product of the listed values (first key varies slowest). Every
point is validated like a run configuration; errors name the key and the point.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sensequant.errors import ConfigError
from sensequant.settings import RunConfig

__all__ = ["SweepPoint", "expand_grid", "format_overrides", "load_grid", "parse_grid"]

_HINT = "a grid file is `grid:` then `section.field: [value, value, ...]` lines"


@dataclass(frozen=True)
class SweepPoint:
    """One point of a grid: its overrides and the validated configuration they give.

    Attributes
    ----------
    index : int
        1-based position in the expansion.
    overrides : dict of str to object
        Dotted key -> value.
    config : RunConfig
        The base configuration with the overrides applied.
    """

    index: int
    overrides: dict[str, Any]
    config: RunConfig


def format_overrides(overrides: Mapping[str, Any]) -> str:
    """``key=value, key=value`` (the way reports and errors name a point)."""
    return ", ".join(f"{k}={v!r}" for k, v in overrides.items())


def load_grid(path: Path) -> dict[str, list[Any]]:
    """Read and check a grid YAML file (see :func:`parse_grid`).

    Raises
    ------
    ConfigError
        Missing file, not YAML, or a malformed grid.
    """
    if not path.is_file():
        raise ConfigError(f"grid file {path} does not exist", hint="pass an existing YAML file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    return parse_grid(raw, source=str(path))


def parse_grid(raw: Any, *, source: str = "grid") -> dict[str, list[Any]]:
    """Check the shape of a grid document: ``{"grid": {dotted key: non-empty list}}``.

    Parameters
    ----------
    raw : object
        The parsed YAML document.
    source : str
        Named in error messages (the file path).

    Returns
    -------
    dict of str to list
        Dotted key -> candidate values, in file order.

    Raises
    ------
    ConfigError
        Not a mapping with a single ``grid`` mapping, an empty grid, a key that is not a
        dotted name, a value that is not a non-empty list, a value listed twice, or keys
        nested in one another.
    """
    if not isinstance(raw, dict) or set(raw) != {"grid"} or not isinstance(raw["grid"], dict):
        raise ConfigError(f"{source}: expected a mapping with one key, 'grid'", hint=_HINT)
    grid: dict[str, list[Any]] = {}
    for key, values in raw["grid"].items():
        if not isinstance(key, str) or not key or not all(key.split(".")):
            raise ConfigError(f"{source}: grid key {key!r} is not a dotted field name", hint=_HINT)
        if not isinstance(values, list) or not values:
            raise ConfigError(
                f"{source}: grid key {key!r} must list at least one value, got {values!r}",
                hint=f"e.g. {key}: [{values!r}]" if values is not None else _HINT,
            )
        seen: list[Any] = []
        for v in values:
            if v in seen:  # the same point twice: the same run id in the same second
                raise ConfigError(f"{source}: grid key {key!r} lists {v!r} twice")
            seen.append(v)
        grid[key] = values
    if not grid:
        raise ConfigError(f"{source}: the grid is empty", hint=_HINT)
    for a in grid:
        for b in grid:
            if b.startswith(a + "."):
                raise ConfigError(f"{source}: grid keys {a!r} and {b!r} overlap")
    return grid


def _set_dotted(tree: dict[str, Any], key: str, value: Any) -> None:
    """Set ``tree[a][b][c] = value`` for ``key == "a.b.c"``; every part must exist."""
    parts = key.split(".")
    node: Any = tree
    for depth, part in enumerate(parts):
        where = ".".join(parts[:depth]) or "the run configuration"
        if not isinstance(node, dict) or part not in node:
            known = ", ".join(sorted(node)) if isinstance(node, dict) else "(not a section)"
            raise ConfigError(
                f"grid key {key!r}: {where} has no field {part!r}",
                hint=f"fields of {where}: {known}",
            )
        if depth == len(parts) - 1:
            node[part] = value
        else:
            node = node[part]


def expand_grid(config: RunConfig, grid: Mapping[str, Sequence[Any]]) -> list[SweepPoint]:
    """Every point of the grid applied to ``config``, each validated as a run configuration.

    Parameters
    ----------
    config : RunConfig
        The base configuration.
    grid : mapping of str to sequence
        Dotted key -> values (see :func:`parse_grid`).

    Returns
    -------
    list of SweepPoint
        The cartesian product, first key slowest; ``prod(len(values))`` points.

    Raises
    ------
    ConfigError
        A key that is no field of the configuration, or a point whose configuration is
        invalid (the message names the point's overrides and each bad key).
    """
    keys = list(grid)
    points = []
    for index, combo in enumerate(itertools.product(*(grid[k] for k in keys)), start=1):
        overrides = dict(zip(keys, combo, strict=True))
        raw = config.as_written(mode="json")  # a 30min horizon follows a data.interval key
        for key, value in overrides.items():
            _set_dotted(raw, key, value)
        try:
            cfg = RunConfig.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigError(
                f"grid point {index} ({format_overrides(overrides)}) is not a valid run "
                f"configuration: {problems}",
                hint="`sensequant config show` prints every key with its default",
            ) from None
        points.append(SweepPoint(index, overrides, cfg))
    return points
