"""A unified diff of two rendered conditions, section by section (system, user, files, follow-up)."""

from __future__ import annotations

import difflib

from beyond_episode.prompts.rendering import Rendered


def unified_diff(first: Rendered, second: Rendered, name_a: str, name_b: str) -> str:
    """A unified diff of every rendered section (system, user, files, follow-up)."""
    chunks = []
    sa, sb = first.sections(), second.sections()
    for section in dict.fromkeys([*sa, *sb]):
        lines = difflib.unified_diff(
            sa.get(section, "").splitlines(keepends=True),
            sb.get(section, "").splitlines(keepends=True),
            fromfile=f"{name_a} [{section}]",
            tofile=f"{name_b} [{section}]",
        )
        chunks.append("".join(lines))
    return "".join(chunks)
