"""The registry of tools a family's ``family.yaml`` may name in ``tools:``.

The environment registers the working directory's tools (``list_files``, ``read_file``,
``write_file``, ``move_file``, ``delete_file``) and ``submit``; a family registers its own tools
by name in its task package (e.g. ``next_task``), before its task is built. A tool entry's
arguments (``submit: {argument: ..., description: ..., argument_description: ...}``) are the
keyword arguments of its factory. Exactly the tools registered as a submit tool end the episode;
an agent episode needs one of them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inspect_ai.tool import Tool

from beyond_episode.errors import BepError
from beyond_episode.prompts.task_spec import ToolSpec
from beyond_episode.tasks.environment.agent import submit_tool
from beyond_episode.tasks.environment.filesystem import FILE_TOOLS


@dataclass(frozen=True)
class Registered:
    """A registered tool: its factory, and whether it is a submit tool."""

    factory: Callable[..., Tool]
    submit: bool = False


_TOOLS: dict[str, Registered] = {}


def register_tool(name: str, factory: Callable[..., Tool], *, submit: bool = False) -> None:
    """Make ``name`` usable in a family's ``tools:``; registering it again replaces it."""
    _TOOLS[name] = Registered(factory, submit)


def tool_names() -> list[str]:
    return sorted(_TOOLS)


def _submit(argument: str, description: str, argument_description: str) -> Tool:
    return submit_tool(argument, description, argument_description)


def make_tool(spec: ToolSpec) -> Tool:
    """The tool of a ``tools:`` entry (its arguments were checked by :func:`check_tools`)."""
    return _TOOLS[spec.name].factory(**spec.args)


def check_tools(specs: Sequence[ToolSpec]) -> None:
    """Every tool named is registered and given the arguments its factory takes; an agent
    episode has exactly one submit tool (no tools at all: a text-only episode)."""
    for spec in specs:
        found = _TOOLS.get(spec.name)
        if found is None:
            raise BepError(f"{spec.at}: unknown tool '{spec.name}' (registered tools: {', '.join(tool_names())})")
        try:
            inspect.signature(found.factory).bind(**spec.args)
        except TypeError:
            params = ", ".join(inspect.signature(found.factory).parameters) or "none"
            given = ", ".join(spec.args) or "none"
            raise BepError(
                f"{spec.at}: tool '{spec.name}' takes the arguments ({params}), got ({given})"
            ) from None
    submits = [s.name for s in specs if _TOOLS[s.name].submit]
    if specs and len(submits) != 1:
        at = specs[0].at
        raise BepError(
            f"{at}: 'tools' must include exactly one submit tool "
            f"({', '.join(n for n, r in sorted(_TOOLS.items()) if r.submit)}), got {len(submits)}"
        )


def is_submit(spec: ToolSpec) -> bool:
    return _TOOLS[spec.name].submit


for _tool in FILE_TOOLS:
    register_tool(_tool.__name__, _tool)
register_tool("submit", _submit, submit=True)
