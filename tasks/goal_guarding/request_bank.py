"""The request bank of the goal-guarding family: JSONL rows loaded through :mod:`datasets`.

Only benign but objectionable requests (persuasive one-sided essays on contestable everyday
positions, harsh critiques of fictional products): nothing hazardous. Columns: ``id``, ``kind``,
``request``. Requests are drawn in a fixed shuffled order seeded by the bank name, so both
conditions of a pair see the same request.
"""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError
from beyond_episode.tasks.environment.banks import load_rows, seed_of

REQUESTS = Path(__file__).resolve().parent / "requests.jsonl"


@lru_cache(maxsize=8)
def load_requests(source: str | None = None) -> tuple[dict[str, Any], ...]:
    """Rows of the shipped bank, or of a JSONL file / Hugging Face dataset path with its columns."""
    path = str(REQUESTS) if source is None else source
    rows: list[dict[str, Any]] = []
    for number, row in enumerate(load_rows(path, "request bank"), start=1):
        request = str(row.get("request") or "").strip()
        if not request:
            raise BepError(f"request bank '{path}': row {number} has no 'request'")
        rows.append({"id": str(row.get("id") or number), "kind": str(row.get("kind") or ""), "request": request})
    return tuple(rows)


def request_for(index: int, source: str | None = None) -> dict[str, Any]:
    """The request of item ``index``: the bank in a fixed shuffled order, cycling."""
    rows = list(load_requests(source))
    random.Random(seed_of("requests", source or "shipped")).shuffle(rows)
    return dict(rows[index % len(rows)])
