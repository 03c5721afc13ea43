"""The perception layer: text the subject has read -> the set of cues it perceives.

Each family's policy declares, per cue, the phrases (regular expressions, case-insensitive)
that signal it in that family's environment. Only text the subject was shown is perceived:
system and user messages and tool results. Nothing else reaches a policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from beyond_episode.subjects.profile import CUES

CuePatterns = Mapping[str, Sequence[str]]


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


def perceive(text: str, patterns: CuePatterns) -> set[str]:
    """The cues whose phrases occur in ``text``."""
    found: set[str] = set()
    for cue, phrases in patterns.items():
        if cue not in CUES:
            raise ValueError(f"unknown cue '{cue}'")
        if any(_compile(p).search(text) for p in phrases):
            found.add(cue)
    return found
