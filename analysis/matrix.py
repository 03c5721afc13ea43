"""The answer first: the conclusion matrix (studies x models) and a one-paragraph reading per study.

Shared by ``report.md``, ``report.html`` and ``bep report --summary`` (and ``bep run``'s closing
summary through :func:`summary_text`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .results import Report, StudyResult
from .verdicts import CONSISTENT, CONTRADICTED, IN_EPISODE_KINDS, UNTESTED

CODES: dict[str, tuple[str, str]] = {
    # code: (what it means, colour of its cell)
    "beyond_episode": ("needs preferences beyond the episode", "#f4b6b0"),
    "instruction_following": ("explained by following instructions", "#b8dcf5"),
    "other_in_episode": ("explained by another in-episode motive", "#c8e6c0"),
    "no_effect": ("no variant shows an effect", "#e4e4e4"),
    "inconclusive": ("the variants cannot decide", "#f7e3a1"),
}
NO_RESULT = "—"


@dataclass(frozen=True)
class Cell:
    study: str
    model: str
    code: str
    """A conclusion code, or ``—`` when the model has no result for the study."""
    warnings: int = 0
    fragile: bool = False
    """Some conclusion other than ``code`` is reachable within the exclusions' worst-case bounds."""

    @property
    def meaning(self) -> str:
        return CODES.get(self.code, ("no result", "#ffffff"))[0]

    @property
    def colour(self) -> str:
        return CODES.get(self.code, ("", "#ffffff"))[1]

    @property
    def mark(self) -> str:
        """The code with ``!`` for warnings and ``?`` when exclusions could change it."""
        return self.code + ("!" if self.warnings else "") + ("?" if self.fragile else "")


@dataclass(frozen=True)
class Matrix:
    studies: list[str]
    models: list[str]
    rows: list[list[Cell]]
    """One row per study, one cell per model."""

    def cell(self, study: str, model: str) -> Cell:
        return self.rows[self.studies.index(study)][self.models.index(model)]


def _fragile(r: StudyResult) -> bool:
    within = r.conclusions_within_bounds
    return within is None or any(code != r.conclusion for code in within)


def matrix(report: Report) -> Matrix:
    studies = [s.id for s in report.studies]
    models = report.models
    found = {(r.study.id, r.model): r for r in report.results}
    rows = []
    for study in studies:
        row = []
        for model in models:
            r = found.get((study, model))
            if r is None:
                row.append(Cell(study, model, NO_RESULT))
            else:
                row.append(Cell(study, model, r.conclusion, len(r.warnings), _fragile(r)))
        rows.append(row)
    return Matrix(studies, models, rows)


def _list(items: list[str]) -> str:
    return ", ".join(items) if items else "none"


def model_reading(r: StudyResult) -> str:
    """One sentence on one model's conclusion: which hypotheses fell, by which variants."""
    effects = [v.id for v in r.variants if v.shows_effect]
    head = f"{r.model}: {r.conclusion} ({len(effects)} of {r.k} variants with data show an effect"
    head += f": {_list(effects)})" if 0 < len(effects) <= 4 else ")"
    in_episode = [h for h in r.hypotheses if h.kind in IN_EPISODE_KINDS]
    beyond = [h for h in r.hypotheses if h.kind not in IN_EPISODE_KINDS]
    parts = []
    fallen = [f"{h.id} by {_list(h.contradicting[:3])}{'…' if len(h.contradicting) > 3 else ''}"
              for h in in_episode if h.status == CONTRADICTED]
    standing = [h.id for h in in_episode if h.status == CONSISTENT]
    untested = [h.id for h in r.hypotheses if h.status == UNTESTED]
    if fallen:
        parts.append("contradicted in-episode: " + "; ".join(fallen))
    if standing:
        parts.append("consistent in-episode: " + ", ".join(standing))
    if beyond:
        parts.append("beyond-episode consistent: " + _list([h.id for h in beyond if h.status == CONSISTENT]))
    if untested:
        parts.append("untested: " + ", ".join(untested))
    text = head + ("; " + "; ".join(parts) if parts and r.k else "") + "."
    if r.warnings:
        text += f" {len(r.warnings)} warning(s) (selective exclusion or evaluation awareness)."
    if _fragile(r):
        within = r.conclusions_within_bounds
        text += (" The excluded samples could change the conclusion"
                 + (f" (to {', '.join(c for c in within if c != r.conclusion)})." if within else "."))
    return text


def study_reading(report: Report, study: str) -> str:
    """A one-paragraph reading of a study over every model."""
    results = [r for r in report.results if r.study.id == study]
    if not results:
        return ""
    s = results[0].study
    codes = [r.conclusion for r in results]
    if len(set(codes)) == 1:
        verdict = f"Every model ({len(results)}) reads {codes[0]}: {CODES.get(codes[0], ('', ''))[0]}."
    else:
        counts = {c: codes.count(c) for c in dict.fromkeys(codes)}
        verdict = "The models differ: " + ", ".join(f"{n} {c}" for c, n in counts.items()) + "."
    looks = (report.settings.get("sequential") or {}).get(study) or []
    alpha = results[0].alpha * max(len(looks), 1)  # a sequential run splits alpha over its looks
    over = f" over {len(s.variants)} variants x {len(looks)} looks" if len(looks) > 1 else ""
    intro = (f"Outcome: {s.outcome.label}; {len(s.variants)} variants, effect = a − b, margin {s.margin:g}, "
             f"family-wise alpha {alpha:g}{over}.")
    return " ".join([intro, verdict, *(model_reading(r) for r in results)])


def summary_text(report: Report, width: int = 14) -> str:
    """The conclusion matrix and each study's reading as plain text (``bep report --summary``)."""
    m = matrix(report)
    lines = ["Conclusions (rows: studies, columns: models; ! warnings, ? exclusions could change it)", ""]
    first = max([len(s) for s in m.studies] + [5])
    short = [f"M{i + 1}" for i in range(len(m.models))]
    col = max([width, *(len(c.mark) for row in m.rows for c in row)])
    lines.append("study".ljust(first) + "  " + "  ".join(s.ljust(col) for s in short).rstrip())
    for study, row in zip(m.studies, m.rows, strict=True):
        lines.append(study.ljust(first) + "  " + "  ".join(c.mark.ljust(col) for c in row).rstrip())
    lines.append("")
    lines += [f"{s}: {model}" for s, model in zip(short, m.models, strict=True)]
    lines.append("")
    for study in m.studies:
        lines.append(study_reading(report, study))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
