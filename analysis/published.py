"""Published results shipped as tidy tables (``analysis/published/*.csv``), set beside the suite's.

Each row is one published pair of conditions for one model, named by the suite's study and
variant it corresponds to (see ``published/README.md`` for the sources).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from beyond_episode.errors import BepError

FOLDER = Path(__file__).resolve().parent / "published"
COLUMNS = ("study", "variant", "model", "block", "rate_a", "n_a", "successes_a", "rate_b", "n_b", "successes_b",
           "difference", "difference_se", "p", "source", "reference", "note")


@dataclass(frozen=True)
class Published:
    study: str
    variant: str
    model: str
    block: str
    rate_a: float | None
    n_a: int | None
    successes_a: int | None
    rate_b: float | None
    n_b: int | None
    successes_b: int | None
    difference: float | None
    difference_se: float | None
    p: str
    source: str
    reference: str
    note: str

    @property
    def column(self) -> str:
        """The heading of its column: the model and the source, marked published."""
        return f"published: {self.model} ({self.source})"


def _float(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    return float(str(value))


def _int(value: object) -> int | None:
    x = _float(value)
    return None if x is None else int(x)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def read_published(folder: str | Path = FOLDER) -> list[Published]:
    """Every published row of every ``*.csv`` in ``folder``."""
    rows: list[Published] = []
    files = sorted(Path(folder).glob("*.csv"))
    if not files:
        raise BepError(f"no published tables (*.csv) in '{folder}'")
    for path in files:
        frame = pd.read_csv(path, dtype={"p": str}, keep_default_na=True)
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise BepError(f"{path}: missing column(s) {', '.join(missing)}")
        for i, rec in enumerate(frame.to_dict("records"), start=2):
            try:
                rows.append(Published(
                    _text(rec["study"]), _text(rec["variant"]), _text(rec["model"]), _text(rec["block"]),
                    _float(rec["rate_a"]), _int(rec["n_a"]), _int(rec["successes_a"]),
                    _float(rec["rate_b"]), _int(rec["n_b"]), _int(rec["successes_b"]),
                    _float(rec["difference"]), _float(rec["difference_se"]), _text(rec["p"]),
                    _text(rec["source"]), _text(rec["reference"]), _text(rec["note"]),
                ))
            except ValueError as err:
                raise BepError(f"{path}, line {i}: {err}") from None
    return rows


def for_study(rows: list[Published], study: str) -> dict[str, dict[str, Published]]:
    """Column heading -> variant -> published row, for one study (in the tables' order)."""
    out: dict[str, dict[str, Published]] = {}
    for row in rows:
        if row.study == study:
            out.setdefault(row.column, {})[row.variant] = row
    return out
