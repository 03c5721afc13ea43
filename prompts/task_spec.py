"""What a family's task needs, as its ``family.yaml`` declares it: tools, limits and item bank.

::

    tools:                      # in the order the model sees them; none: a text-only episode
      - list_files
      - read_file
      - submit: {argument: answer, description: "...", argument_description: "..."}
    limits:
      message_limit: {value: 30, why: "a well-formed episode takes 12 messages ..."}
      token_limit: {value: 200000, why: "a bound on cost"}
    bank:                       # where the items come from: `shipped` or `generator`
      shipped: sandbagging_qa/banks   # below the tasks package: the family's shipped bank
      per_item: 10                    # questions (tasks, requests) in one item
      argument: bank                  # the task argument that replaces the shipped bank
      accepts: a dataset path         # what that argument must be

A tool is a name the task environment has registered, with its arguments if it takes any; this
module checks the shape only (the task builder checks the names). Every problem is a one-line
:class:`BepError` naming the file, its line and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from beyond_episode.errors import BepError
from beyond_episode.yamlio import LineMap, where

TASK_KEYS = ("tools", "limits", "bank")
LIMITS = ("message_limit", "token_limit")
MAX_LIMIT = 10**8
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ARGUMENT = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class ToolSpec:
    """A tool the episode offers: a registered name and the arguments of its factory."""

    name: str
    args: Mapping[str, str] = field(default_factory=dict)
    at: str = ""
    """``file:line`` of its entry, for errors found later (an unregistered name)."""


@dataclass(frozen=True)
class Limit:
    """A default per-sample limit and why it is that value."""

    value: int
    why: str


@dataclass(frozen=True)
class BankSpec:
    """Where a family's items come from."""

    per_item: int
    """Questions, tasks or requests in one item."""
    shipped: str | None = None
    """The shipped bank (file or folder), relative to the tasks package; ``None`` for a generator."""
    generator: str | None = None
    """What generates the items when nothing is shipped (a description)."""
    argument: str | None = None
    """The task argument that replaces the shipped bank (``None``: it cannot be replaced)."""
    accepts: str = ""
    """What that argument must be (e.g. ``a file or dataset path``)."""


@dataclass(frozen=True)
class TaskSpec:
    """A family's ``tools``, ``limits`` and ``bank``."""

    path: Path
    """The ``family.yaml`` they come from."""
    tools: tuple[ToolSpec, ...]
    limits: Mapping[str, Limit]
    bank: BankSpec

    @property
    def message_limit(self) -> int:
        return self.limits["message_limit"].value

    @property
    def token_limit(self) -> int:
        return self.limits["token_limit"].value


def parse_task_spec(spec: LineMap, path: Path) -> TaskSpec | None:
    """The task keys of a family spec; ``None`` when it declares none of them (a prompt-only
    family, which renders and diffs but has no task). Declaring some needs all but ``tools``."""
    if not any(key in spec for key in TASK_KEYS):
        return None
    for key in ("limits", "bank"):
        if key not in spec:
            raise BepError(f"{where(path, spec)}: missing field '{key}' (a family with a task declares tools, limits and bank)")
    return TaskSpec(path, _tools(spec, path), _limits(spec, path), _bank(spec, path))


def _tools(spec: LineMap, path: Path) -> tuple[ToolSpec, ...]:
    node = spec.get("tools")
    if node is None:
        return ()
    if not isinstance(node, list):
        raise BepError(f"{where(path, spec, 'tools')}: field 'tools' must be a list of tool names")
    line = spec.line_of("tools")
    out: list[ToolSpec] = []
    for entry in node:
        if isinstance(entry, LineMap) and len(entry) == 1:
            name, args = next(iter(entry.items()))
            at = where(path, entry, name)
            if not isinstance(args, Mapping) or not all(isinstance(v, str) for v in args.values()):
                raise BepError(f"{at}: the arguments of tool '{name}' must be a mapping of text values")
            args = {str(k): str(v) for k, v in args.items()}
        elif isinstance(entry, str):
            name, args, at = entry, {}, f"{path}:{line}"
        else:
            raise BepError(f"{path}:{line}: each entry of 'tools' must be a tool name or {{name: {{arguments}}}}, got {entry!r}")
        if not isinstance(name, str) or not _NAME.match(name):
            raise BepError(f"{at}: tool name {name!r} must be snake_case")
        if any(t.name == name for t in out):
            raise BepError(f"{at}: tool '{name}' is listed twice")
        out.append(ToolSpec(name, args, at))
    return tuple(out)


def _limits(spec: LineMap, path: Path) -> dict[str, Limit]:
    node = spec["limits"]
    if not isinstance(node, LineMap):
        raise BepError(f"{where(path, spec, 'limits')}: field 'limits' must map {' and '.join(LIMITS)} to {{value, why}}")
    for key in node:
        if key not in LIMITS:
            raise BepError(f"{where(path, node, key)}: unknown limit '{key}' (limits: {', '.join(LIMITS)})")
    out: dict[str, Limit] = {}
    for key in LIMITS:
        if key not in node:
            raise BepError(f"{where(path, node)}: missing limit '{key}'")
        entry = node[key]
        at = where(path, node, key)
        if not isinstance(entry, LineMap) or set(entry) != {"value", "why"}:
            raise BepError(f"{at}: limit '{key}' must be {{value: N, why: TEXT}}")
        value, why = entry["value"], entry["why"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
            raise BepError(f"{where(path, entry, 'value')}: limit '{key}' must be an integer from 1 to {MAX_LIMIT:,}, got {value!r}")
        if not isinstance(why, str) or not why.strip():
            raise BepError(f"{where(path, entry, 'why')}: limit '{key}' needs 'why', a sentence saying why it is {value}")
        out[key] = Limit(value, " ".join(why.split()))
    return out


def _bank(spec: LineMap, path: Path) -> BankSpec:
    node = spec["bank"]
    if not isinstance(node, LineMap):
        raise BepError(f"{where(path, spec, 'bank')}: field 'bank' must be a mapping (shipped or generator, per_item)")
    known = {"shipped", "generator", "per_item", "argument", "accepts"}
    for key in node:
        if key not in known:
            raise BepError(f"{where(path, node, key)}: unknown field '{key}' in bank (fields: {', '.join(sorted(known))})")
    if ("shipped" in node) == ("generator" in node):
        raise BepError(f"{where(path, spec, 'bank')}: bank needs exactly one of 'shipped' (a path) and 'generator' (a description)")
    for key in ("shipped", "generator", "accepts"):
        if key in node and (not isinstance(node[key], str) or not node[key].strip()):
            raise BepError(f"{where(path, node, key)}: bank '{key}' must be text")
    shipped = node.get("shipped")
    if shipped is not None and (Path(shipped).is_absolute() or ".." in Path(shipped).parts):
        raise BepError(f"{where(path, node, 'shipped')}: bank 'shipped' must be a path below the tasks package, got '{shipped}'")
    per_item = node.get("per_item")
    if isinstance(per_item, bool) or not isinstance(per_item, int) or not 1 <= per_item <= 10_000:
        raise BepError(f"{where(path, node, 'per_item')}: bank 'per_item' must be an integer from 1 to 10,000, got {per_item!r}")
    argument = node.get("argument")
    if argument is not None and (not isinstance(argument, str) or not _ARGUMENT.match(argument)):
        raise BepError(f"{where(path, node, 'argument')}: bank 'argument' must name a task argument (snake_case)")
    if argument is not None and shipped is None:
        raise BepError(f"{where(path, node, 'argument')}: only a shipped bank can be replaced by a task argument")
    if argument is not None and "accepts" not in node:
        raise BepError(f"{where(path, node, 'argument')}: bank 'argument' needs 'accepts' (what its value must be)")
    return BankSpec(per_item, shipped, node.get("generator"), argument, str(node.get("accepts", "")))
