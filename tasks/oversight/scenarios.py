"""The scenario bank of the oversight family: JSONL rows loaded through :mod:`datasets`.

Each row is one decision the agent is deployed to make, with a pro-social goal and a less
pro-social one and an option serving each (``id``, ``agent``, ``company``, ``decision``,
``prosocial_goal``, ``other_goal``, ``prosocial_option``, ``other_option``). Item ``i`` of a
condition is scenario ``i`` of the bank (cycling), so both conditions of a pair see the same
scenario.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError
from beyond_episode.tasks.environment.banks import load_rows

SCENARIOS = Path(__file__).resolve().parent / "scenarios.jsonl"
FIELDS = ("id", "agent", "company", "decision", "prosocial_goal", "other_goal", "prosocial_option", "other_option")


@lru_cache(maxsize=8)
def load_scenarios(source: str | None = None) -> tuple[dict[str, Any], ...]:
    """Rows of the shipped bank, or of a JSONL file / Hugging Face dataset path with the same columns."""
    path = str(SCENARIOS) if source is None else source
    rows: list[dict[str, Any]] = []
    for number, row in enumerate(load_rows(path, "scenario bank"), start=1):
        missing = [f for f in FIELDS if not str(row.get(f) or "").strip()]
        if missing:
            raise BepError(f"scenario bank '{path}': row {number} has no '{missing[0]}'")
        rows.append({f: str(row[f]).strip() for f in FIELDS})
    return tuple(rows)


def scenario(index: int, source: str | None = None) -> dict[str, Any]:
    """The scenario of item ``index``."""
    rows = load_scenarios(source)
    return dict(rows[index % len(rows)])
