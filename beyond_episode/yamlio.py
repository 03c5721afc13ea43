"""Strict reading of the suite's input files, and YAML that remembers the line of every key.

Every input file (study, family spec, template, item bank) must be UTF-8 text. Binary junk,
Latin-1 or UTF-16 bytes and YAML that the safe loader rejects become a one-line
:class:`BepError` naming the file and, where known, the line or byte offset.
"""

from __future__ import annotations

import codecs
import reprlib
from pathlib import Path
from typing import Any

import yaml

from beyond_episode.errors import BepError

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


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
        try:
            known = key in result
        except TypeError:
            raise BepError(
                f"{loader.name}:{key_node.start_mark.line + 1}: a mapping key must be a plain value"
            ) from None
        if known:
            raise BepError(f"{loader.name}:{key_node.start_mark.line + 1}: duplicate key '{key}'")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

MAX_NODES = 200_000
"""The most values a YAML file may hold once its aliases are expanded (guards against alias bombs)."""


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a cycle counts once
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[id(node)] = size
    return size


def read_text(path: Path) -> str:
    """The text of a UTF-8 file (a UTF-8 byte-order mark is allowed); anything else is a one-line error."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise BepError(f"{path}: is a folder, not a file") from None
    except OSError as err:
        raise BepError(f"{path}: cannot read file ({err.strerror or err})") from None
    if data.startswith(_UTF16_BOMS):
        raise BepError(f"{path}: file is UTF-16 or UTF-32 text; save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        head = data[:4096]
        byte = f"byte 0x{data[err.start]:02x} at offset {err.start}"
        if sum(1 for b in head if b < 9 or 13 < b < 32) * 50 > len(head):
            raise BepError(f"{path}:{line}: binary data, not a text file ({byte} is not UTF-8)") from None
        raise BepError(
            f"{path}:{line}: not UTF-8 text ({byte}; Latin-1 or another encoding?); save it as UTF-8"
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        if len(data) >= 2 and data[1::2].count(0) + data[0::2].count(0) >= len(data) // 2 - 1:
            raise BepError(f"{path}: file looks like UTF-16 text without a byte-order mark; save it as UTF-8")
        line = text.count("\n", 0, nul) + 1
        raise BepError(f"{path}:{line}: binary data: NUL byte at offset {nul}; not a text file")
    return text


def load_yaml(path: Path) -> Any:
    """Load one YAML file; bad bytes or syntax become a one-line :class:`BepError` naming file and line."""
    text = read_text(path)
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        loader.name = str(path)
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_NODES:
            raise BepError(f"{path}: YAML too large once its aliases are expanded (over {MAX_NODES} values)")
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else "?"
        problem = err.problem or err.context or "syntax error"
        raise BepError(f"{path}:{line}: invalid YAML: {problem}") from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        raise BepError(
            f"{path}:{line}: invalid YAML: control character #x{err.character:04x} "
            f"at offset {err.position}; is this a text file?"
        ) from None
    except yaml.YAMLError as err:
        raise BepError(f"{path}: invalid YAML: {err}") from None
    except RecursionError:
        raise BepError(f"{path}: invalid YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 2, 4, 4, 60, 60


def short(value: Any) -> str:
    """A bounded ``repr`` of a value from a YAML file, for error messages (safe on alias bombs)."""
    return _SHORT.repr(value)


def where(path: Path, node: Any, key: Any = None) -> str:
    """``file:line`` for a key of a mapping loaded by :func:`load_yaml` (or just the file)."""
    if isinstance(node, LineMap):
        return f"{path}:{node.line_of(key) if key is not None else node.line}"
    return str(path)
