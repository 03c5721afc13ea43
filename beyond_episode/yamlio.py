"""YAML loading that remembers the line of every mapping key, for one-line errors that point at it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from beyond_episode.errors import BepError


class LineMap(dict):
    """A dict from YAML that also knows the 1-based line of each of its keys (``.lines``)."""

    lines: dict[Any, int]
    line: int

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.lines = {}
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise BepError(
                f"{Path(str(loader.name)).name}:{key_node.start_mark.line + 1}: duplicate key '{key}'"
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Load one YAML file; a syntax error becomes a one-line :class:`BepError` naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise BepError(f"{path}: cannot read file ({err.strerror})") from None
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else "?"
        raise BepError(f"{path}:{line}: invalid YAML: {err.problem}") from None
    finally:
        loader.dispose()


def where(path: Path, node: Any, key: Any = None) -> str:
    """``file:line`` for a key of a mapping loaded by :func:`load_yaml` (or just the file)."""
    if isinstance(node, LineMap):
        return f"{path}:{node.line_of(key) if key is not None else node.line}"
    return str(path)
