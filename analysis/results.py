"""The analyzer's results as plain data (their JSON form is :mod:`~beyond_episode.analysis.results_json`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from beyond_episode.ablations.study import Study

from .coherence import ActionsBin, Coherence
from .intervals import Estimate
from .regression import RegressionResult
from .results_json import report_dict
from .trend_length import LengthTrend
from .trend_versions import VersionTrend
from .verdicts import HypothesisVerdict


@dataclass
class ConditionResult:
    variant: str
    role: str
    levels: dict[str, str]
    total: int
    """Samples seen (scored + errored + unscored)."""
    errored: int
    unscored: int
    estimate: Estimate
    coherence: Coherence | None = None
    exclusions: dict[str, int] = field(default_factory=dict)
    """Excluded samples by reason (``error`` for errored samples), most frequent first."""
    aware: int = 0
    """Samples whose reasoning calls the scenario a test or an evaluation (``eval_aware`` 1)."""
    aware_n: int = 0
    """Samples with an ``eval_aware`` value."""
    sources: dict[str, list[str]] = field(default_factory=dict)
    """The samples behind the condition: log file -> sample ids as ``<id>/<epoch>`` (key ``""``
    when the input recorded no log, e.g. a tidy table without a ``log`` column)."""

    @property
    def id(self) -> str:
        return f"{self.variant}.{self.role}"

    @property
    def scored(self) -> int:
        return self.estimate.n

    @property
    def excluded(self) -> int:
        return self.errored + self.unscored

    def exclusion_rate(self, reason: str | None = None) -> float | None:
        """Share of the samples excluded (for one reason, or for any)."""
        if not self.total:
            return None
        count = self.excluded if reason is None else self.exclusions.get(reason, 0)
        return count / self.total

    @property
    def aware_rate(self) -> float | None:
        return self.aware / self.aware_n if self.aware_n else None


@dataclass
class VariantResult:
    id: str
    number: int
    description: str
    factor: str
    a: ConditionResult
    b: ConditionResult
    effect: float | None = None
    interval: tuple[float, float] | None = None
    """Interval at the study-wide (Bonferroni) level ``1 - alpha/k``; the verdicts use it."""
    interval_unadjusted: tuple[float, float] | None = None
    p_permutation: float | None = None
    p_method: str | None = None
    p_fisher: float | None = None
    p_holm: float | None = None
    bootstrap_replicates: int = 0
    """Replicates of the bootstrap interval (``mean`` outcomes); 0 for score intervals."""
    interval_method: str = ""
    """``newcombe`` (binary and proportion outcomes) or ``bootstrap`` (mean outcomes)."""
    coherence: Coherence | None = None
    exclusion_p: float | None = None
    """Fisher's exact test of equal exclusion rates in a and b (every reason pooled)."""
    exclusion_p_holm: float | None = None
    aware_p: float | None = None
    """Fisher's exact test of equal evaluation-awareness rates in a and b."""
    aware_p_holm: float | None = None
    bound: tuple[float, float] | None = None
    """Worst-case (Manski) bounds of the effect had the excluded samples any outcome in range."""
    bound_interval: tuple[float, float] | None = None
    """The adjusted interval moved by the worst-case shifts of the effect (width kept)."""
    could_flip: dict[str, list[str]] = field(default_factory=dict)
    """Hypothesis -> other verdicts reachable within the bound (``shows_effect`` for the effect itself)."""

    @property
    def has_data(self) -> bool:
        return self.a.scored > 0 and self.b.scored > 0

    @property
    def shows_effect(self) -> bool:
        return self.interval is not None and (self.interval[0] > 0 or self.interval[1] < 0)


@dataclass
class Agreement:
    """Rule against judge for one classifier: raw agreement and Cohen's kappa with its interval."""

    classifier: str
    n: int
    agreement: float
    kappa: float | None
    low: float | None
    high: float | None
    labels: list[str]
    table: list[list[int]]
    """Counts, rule labels as rows and judge labels as columns, both in the order of ``labels``."""


@dataclass
class StudyResult:
    study: Study
    model: str
    alpha: float
    k: int
    variants: list[VariantResult]
    hypotheses: list[HypothesisVerdict]
    conclusion: str
    reasons: list[str]
    regression: RegressionResult | None = None
    coherence: Coherence | None = None
    coherence_by_actions: list[ActionsBin] = field(default_factory=list)
    length_trend: LengthTrend | None = None
    """Incoherence against episode length with its fitted trend (binary and proportion outcomes)."""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Threats to the conclusion: selective exclusion, evaluation awareness that differs in a pair."""
    outcome_range: tuple[float, float] | None = None
    """The outcomes the worst-case bounds assign to excluded samples (observed range for ``mean``)."""
    robustness: str = ""
    """Whether any verdict could flip within the worst-case bounds, in words."""
    conclusions_within_bounds: list[str] | None = None
    """Every conclusion some combination of outcomes of the excluded samples could give
    (None when there are too many combinations to enumerate)."""
    agreement: list[Agreement] = field(default_factory=list)

    @property
    def alpha_adjusted(self) -> float:
        return self.alpha / self.k if self.k else self.alpha

    def variant(self, vid: str) -> VariantResult:
        return next(v for v in self.variants if v.id == vid)


@dataclass
class Report:
    results: list[StudyResult]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    """The models in version order (oldest first), when they were given as versions."""
    trends: list[VersionTrend] = field(default_factory=list)
    """Per study and variant: the effect and incoherence against version, with trend tests."""

    def result(self, study: str, model: str | None = None) -> StudyResult:
        """The result of a study (for one model, or the only model)."""
        found = [r for r in self.results if r.study.id == study and (model is None or r.model == model)]
        if not found:
            raise KeyError(f"no result for study '{study}'" + (f" and model '{model}'" if model else ""))
        return found[0]

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(r.model for r in self.results))

    @property
    def studies(self) -> list[Study]:
        seen: dict[str, Study] = {}
        for r in self.results:
            seen.setdefault(r.study.id, r.study)
        return list(seen.values())

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``verdicts.json``): :func:`~beyond_episode.analysis.results_json.report_dict`."""
        return report_dict(self)
