"""Item banks (questions, requests, scenarios) loaded through :mod:`datasets`.

A bank is a shipped JSONL file, any JSONL file, or a Hugging Face dataset path (when online).
Loading problems are one-line :class:`BepError`s; ``datasets``' progress bars are silenced.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError


def seed_of(*parts: object) -> int:
    """A stable 64-bit seed from any parts (not Python's salted ``hash``)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def arithmetic_set(namespace: str, item_id: str, n: int) -> list[dict[str, Any]]:
    """``n`` small arithmetic questions (sums, products, differences), seeded by the family's
    ``namespace`` and the item, so both conditions of a pair get the same ones."""
    rng = random.Random(seed_of(namespace, item_id))
    out: list[dict[str, Any]] = []
    for number in range(1, n + 1):
        kind = rng.choice(("+", "x", "-"))
        if kind == "+":
            x, y = rng.randint(2, 49), rng.randint(2, 49)
            answer = x + y
        elif kind == "x":
            x, y = rng.randint(2, 12), rng.randint(2, 12)
            answer = x * y
        else:
            x = rng.randint(20, 99)
            y = rng.randint(1, x - 1)
            answer = x - y
        out.append({"number": number, "question": f"What is {x} {kind} {y}?", "answer": str(answer)})
    return out


def load_rows(source: str | Path, what: str) -> list[dict[str, Any]]:
    """The rows of a JSONL file or Hugging Face dataset (``train`` split), as dicts."""
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    path = str(source)
    try:
        if Path(path).is_file():
            ds = datasets.load_dataset("json", data_files=path, split="train")
        else:
            ds = datasets.load_dataset(path, split="train")
    except Exception as err:  # datasets raises many types; report one line
        raise BepError(f"cannot load {what} '{path}': {str(err).splitlines()[0]}") from None
    rows = [dict(row) for row in ds]
    if not rows:
        raise BepError(f"{what} '{path}' is empty")
    return rows
