"""YAML for configuration files: duplicate keys refused, a file laid over the defaults.

Used by :func:`sensequant.run_config.load_run_config` (and the sweep grid files).
"""

from __future__ import annotations

from typing import Any

import yaml

from sensequant.errors import ConfigError

__all__ = ["load_yaml_unique", "over_defaults"]


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` refusing a key written twice in one mapping (PyYAML keeps the last
    one silently, so a second ``gates:`` block would replace the first)."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise ConfigError(
                        f"duplicate key {key!r} at line {line} (first at line {seen[key]})",
                        hint="merge the two entries into one; YAML would silently keep the last",
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


def load_yaml_unique(text: str) -> Any:
    """Parse YAML text like ``yaml.safe_load`` but refuse duplicate keys.

    Raises
    ------
    ConfigError
        ``duplicate key 'gates' at line 40 (first at line 12)``.
    yaml.YAMLError
        If the text is not valid YAML.
    """
    return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: safe


def over_defaults(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` merged over ``base``: mappings key by key, anything else (lists too) replaced.

    Parameters
    ----------
    base : dict
        The defaults (e.g. ``RunConfig().model_dump()``).
    top : dict
        What the file sets.

    Returns
    -------
    dict
        A new mapping; neither argument is changed.

    Examples
    --------
    >>> over_defaults({"a": {"x": 1, "y": 2}, "b": [1]}, {"a": {"y": 3}, "b": []})
    {'a': {'x': 1, 'y': 3}, 'b': []}
    """
    out = dict(base)
    for key, value in top.items():
        old = out.get(key)
        out[key] = (
            over_defaults(old, value)
            if isinstance(old, dict) and isinstance(value, dict)
            else value
        )
    return out
