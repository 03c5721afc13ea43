"""Format-neutral table documents: columns, rows, sections, and the cells' number formats.

The report's tables (:mod:`~beyond_episode.analysis.tables`, the audits' and the trends') are
built as :class:`TableDoc` and rendered to Markdown, HTML or LaTeX by ``render.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .results import ConditionResult

VERDICT_KIND = "verdict"
PUBLISHED_KIND = "published"


@dataclass
class Column:
    label: str
    align: str = "r"
    kind: str = "text"


@dataclass
class Row:
    cells: list[str]
    group: str | None = None
    """A group heading spanning the table (then ``cells`` is empty)."""


@dataclass
class Section:
    title: str
    columns: list[Column]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    study: str = ""


@dataclass
class TableDoc:
    key: str
    title: str
    sections: list[Section]
    legend: list[str] = field(default_factory=list)


def num(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return "n/a"
    return f"{x:.{digits}f}"


def pval(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "n/a"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


def ival(i: tuple[float, float] | None, digits: int = 3) -> str:
    return "n/a" if i is None else f"[{num(i[0], digits)}, {num(i[1], digits)}]"


def cond_cell(c: ConditionResult) -> str:
    e = c.estimate
    if e.n == 0:
        return "no data"
    return f"{num(e.mean)} [{num(e.low)}, {num(e.high)}]"


def excluded_cell(c: ConditionResult) -> str:
    if not c.excluded:
        return "0"
    parts = []
    if c.errored:
        parts.append(f"{c.errored} err")
    if c.unscored:
        parts.append(f"{c.unscored} unsc")
    return ", ".join(parts)
