"""The samples behind every number: per condition, the Inspect log files, the sample ids and the
command that opens them in Inspect's log viewer (``inspect view``)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from .figures import slug
from .results import ConditionResult, Report, StudyResult, VariantResult


@dataclass(frozen=True)
class LogSamples:
    log: str
    """The log file ('' when the input recorded none, e.g. a tidy table without ``log``)."""
    samples: list[str]
    """Sample ids as ``<id>/<epoch>``, grouped by id: ``<id> (epochs 1-3, 5)``."""
    command: str
    """Shell command that opens the log's folder in ``inspect view`` ('' without a log)."""

    @property
    def name(self) -> str:
        return Path(self.log).name if self.log else ""


@dataclass(frozen=True)
class ConditionSamples:
    condition: str
    total: int
    logs: list[LogSamples] = field(default_factory=list)


@dataclass(frozen=True)
class Sources:
    anchor: str
    study: str
    model: str
    variant: str
    conditions: list[ConditionSamples]


def anchor(study: str, model: str, variant: str) -> str:
    """The HTML id of a variant's samples block."""
    return "src-" + "-".join(slug(x) for x in (study, model, variant))


def _epochs(epochs: list[int]) -> str:
    """``1-3, 5`` for [1, 2, 3, 5]."""
    spans: list[list[int]] = []
    for e in sorted(set(epochs)):
        if spans and e == spans[-1][1] + 1:
            spans[-1][1] = e
        else:
            spans.append([e, e])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _grouped(keys: list[str]) -> list[str]:
    by_id: dict[str, list[int]] = {}
    for key in keys:
        sid, _, epoch = key.rpartition("/")
        by_id.setdefault(sid, []).append(int(epoch) if epoch.isdigit() else 0)
    return [f"{sid} (epoch{'s' if len(set(e)) > 1 else ''} {_epochs(e)})" for sid, e in by_id.items()]


def _condition(c: ConditionResult) -> ConditionSamples:
    logs = []
    for log, keys in c.sources.items():
        command = f"inspect view --log-dir {shlex.quote(str(Path(log).parent))}" if log else ""
        logs.append(LogSamples(log, _grouped(keys), command))
    return ConditionSamples(c.id, c.total, logs)


def variant_sources(r: StudyResult, v: VariantResult) -> Sources:
    return Sources(anchor(r.study.id, r.model, v.id), r.study.id, r.model, v.id, [_condition(v.a), _condition(v.b)])


def sample_sources(report: Report) -> dict[str, Sources]:
    """Anchor -> the samples behind one variant of one study and model."""
    out: dict[str, Sources] = {}
    for r in report.results:
        for v in r.variants:
            src = variant_sources(r, v)
            out[src.anchor] = src
    return out
