"""The subjects' world knowledge: an answer oracle for questions they cannot compute.

A reference subject "knows" the answer to a question of the shipped question banks
(``tasks/sandbagging_qa/banks/*.jsonl``): the oracle looks the question up by its text and
returns the text of the correct choice. Whether the subject *uses* that knowledge is decided
by its competence. The oracle never sees a sample's target or metadata: it only gets the
question text the subject read, and it returns choice text, not a letter, so it does not depend
on how a task orders the choices.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

_SPACE = re.compile(r"\s+")
LETTERS = "ABCD"


def banks_dir() -> Path:
    """Folder of the shipped question banks."""
    from beyond_episode.tasks.sandbagging_qa import questions

    return Path(questions.__file__).resolve().parent / "banks"


def normalize(text: str) -> str:
    """Case- and whitespace-insensitive key of a question or choice."""
    return _SPACE.sub(" ", text).strip().casefold()


@lru_cache(maxsize=1)
def _knowledge() -> dict[str, str]:
    known: dict[str, str] = {}
    for path in sorted(banks_dir().glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            choices = list(row.get("choices") or [])
            letter = str(row.get("answer", "")).strip().upper()
            if len(choices) == 4 and letter in LETTERS:
                known[normalize(str(row["question"]))] = str(choices[LETTERS.index(letter)])
    return known


def known_answer(question: str) -> str | None:
    """The correct choice's text for a question of the shipped banks, or ``None``."""
    return _knowledge().get(normalize(question))
