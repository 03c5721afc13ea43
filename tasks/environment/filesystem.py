"""A simulated, in-memory working directory held in the per-sample store.

No host filesystem, no shell and no Docker: files live in ``store()`` (isolated per sample and
epoch). Path traversal, absolute paths outside the directory and unknown files are
:class:`ToolError`s, which the model sees as the tool's result.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from inspect_ai.tool import Tool, ToolError, tool
from inspect_ai.util import store

FILES_KEY = "fs:files"
LOG_KEY = "fs:log"
ROOT = "/home/agent"


def normalize(path: str) -> str:
    """The file's name relative to the working directory; traversal outside it is a ToolError."""
    raw = str(path).strip()
    if not raw:
        raise ToolError("No path given.")
    if raw.startswith(ROOT + "/"):
        raw = raw[len(ROOT) + 1 :]
    elif raw.startswith("/"):
        raise ToolError(f"Permission denied: {raw} is outside the working directory {ROOT}.")
    parts = raw.split("/")
    if ".." in parts:
        raise ToolError(f"Permission denied: {raw} is outside the working directory {ROOT}.")
    name = posixpath.normpath(raw)
    if name in (".", ""):
        raise ToolError(f"{raw} is a directory, not a file.")
    return name.removeprefix("./")


def init_files(files: Mapping[str, str]) -> None:
    """Lay out the working directory for this sample."""
    store().set(FILES_KEY, dict(files))
    store().set(LOG_KEY, [])


def files() -> dict[str, str]:
    """Current contents of the working directory."""
    return dict(store().get(FILES_KEY, {}))


def action_log() -> list[dict[str, str]]:
    """Every change the agent made to the directory, in order."""
    return list(store().get(LOG_KEY, []))


def _record(action: str, path: str, detail: str = "") -> None:
    store().set(LOG_KEY, [*action_log(), {"action": action, "path": path, "detail": detail}])


def _require(name: str) -> str:
    current = files()
    if name not in current:
        raise ToolError(f"No such file: {name}")
    return current[name]


@tool
def list_files() -> Tool:
    async def execute() -> str:
        """List the files in the working directory."""
        names = sorted(files())
        return "\n".join(names) if names else "(empty directory)"

    return execute


@tool
def read_file() -> Tool:
    async def execute(path: str) -> str:
        """Read a file in the working directory.

        Args:
            path: The file's name, relative to the working directory.
        """
        return _require(normalize(path))

    return execute


@tool
def write_file() -> Tool:
    async def execute(path: str, content: str) -> str:
        """Create or overwrite a file in the working directory.

        Args:
            path: The file's name, relative to the working directory.
            content: The new content of the file.
        """
        name = normalize(path)
        current = files()
        current[name] = content
        store().set(FILES_KEY, current)
        _record("write", name)
        return f"Wrote {len(content)} characters to {name}."

    return execute


@tool
def move_file() -> Tool:
    async def execute(source: str, destination: str) -> str:
        """Rename or move a file within the working directory.

        Args:
            source: The file to move.
            destination: Its new name.
        """
        src, dst = normalize(source), normalize(destination)
        content = _require(src)
        current = files()
        del current[src]
        current[dst] = content
        store().set(FILES_KEY, current)
        _record("move", src, dst)
        return f"Moved {src} to {dst}."

    return execute


@tool
def delete_file() -> Tool:
    async def execute(path: str) -> str:
        """Delete a file in the working directory.

        Args:
            path: The file to delete.
        """
        name = normalize(path)
        _require(name)
        current = files()
        del current[name]
        store().set(FILES_KEY, current)
        _record("delete", name)
        return f"Deleted {name}."

    return execute


FILE_TOOLS = (list_files, read_file, write_file, move_file, delete_file)
"""Every tool of the working directory, listing and reading first."""
