"""The rates a calibration measures (each with its Monte Carlo interval), their aggregation
from the replications' records, and the acceptance checks."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from beyond_episode.ablations.study import Study
from beyond_episode.subjects.simulate import StudySimulator

from .power import bound_variance, power_of
from .scenarios import Scenario

MC_LEVEL = 0.95


@dataclass(frozen=True)
class Rate:
    """A Monte Carlo proportion with its Clopper-Pearson interval."""

    hits: int
    n: int

    @property
    def value(self) -> float:
        return self.hits / self.n if self.n else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        if not self.n:
            return (math.nan, math.nan)
        low, high = proportion_confint(self.hits, self.n, alpha=1 - MC_LEVEL, method="beta")
        return float(low), float(high)

    def text(self, digits: int = 3) -> str:
        if not self.n:
            return "n/a"
        low, high = self.interval
        return f"{self.value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


@dataclass
class Row:
    """One scenario at one number of epochs."""

    scenario: Scenario
    epochs: int
    conclusions: Counter[str]
    right: Rate
    false_beyond: Rate | None
    any_effect: Rate
    coverage: Rate
    coverage_unadjusted: Rate
    simultaneous: Rate
    seconds: float
    analytic_power: float | None = None
    analytic_power_bound: float | None = None


@dataclass
class Check:
    name: str
    status: str
    """``pass``, ``within Monte Carlo error``, ``conservative`` (a coverage significantly above
    nominal) or ``fail``."""
    detail: str


def rows_of(study: Study, scenarios: Sequence[Scenario], records: pd.DataFrame, alpha: float, items: int) -> list[Row]:
    """One row per scenario and number of epochs, from the replications' records."""
    rows = []
    k = len(study.variants)
    for s in scenarios:
        of = records[records["scenario"] == s.label]
        for epochs, part in of.groupby("epochs", sort=True):
            n = len(part)
            row = Row(
                scenario=s,
                epochs=int(epochs),
                conclusions=Counter(part["conclusion"]),
                right=Rate(int(part["right"].sum()), n),
                false_beyond=Rate(int(part["false_beyond"].sum()), n) if s.null else None,
                any_effect=Rate(int(part["any_effect"].sum()), n),
                coverage=Rate(int(part["covered"].sum()), int(part["informative"].sum())),
                coverage_unadjusted=Rate(int(part["covered_unadjusted"].sum()), int(part["informative"].sum())),
                simultaneous=Rate(int(part["all_covered"].sum()), n),
                seconds=float(part["seconds"].mean()),
            )
            if s.group == "power":
                sim = StudySimulator(study, s.profile, items)
                variances = _variances(sim)
                best = max(sim.true_effects().items(), key=lambda kv: kv[1])[0]
                var_sum = variances[(best, "a")] + variances[(best, "b")]
                row.analytic_power = power_of(s.effect, study.margin, alpha, k, items, int(epochs), var_sum)
                bound = 2 * bound_variance(s.effect)
                row.analytic_power_bound = power_of(s.effect, study.margin, alpha, k, items, int(epochs), bound)
            rows.append(row)
    return rows


def _variances(sim: StudySimulator) -> dict[tuple[str, str], float]:
    """Per condition: the per-sample outcome variance of the decision model (items pooled)."""
    moments: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for c in sim.cells:
        m1 = c.p_act * float(c.acted_values @ c.acted_probs) + (1 - c.p_act) * float(c.tried_values @ c.tried_probs)
        m2 = c.p_act * float(c.acted_values**2 @ c.acted_probs) + (1 - c.p_act) * float(c.tried_values**2 @ c.tried_probs)
        moments.setdefault((c.variant, c.role), []).append((m1, m2))
    out = {}
    for key, ms in moments.items():
        m1 = float(np.mean([m[0] for m in ms]))
        m2 = float(np.mean([m[1] for m in ms]))
        out[key] = max(0.0, m2 - m1**2)
    return out


def _bound_status(rate: Rate, target: float, at_most: bool) -> str:
    """A rate that must stay at most (or at least) ``target``: ``pass`` when its whole Monte
    Carlo interval does, ``fail`` when its whole interval is on the wrong side."""
    low, high = rate.interval
    if at_most:
        return "pass" if high <= target else "fail" if low > target else "within Monte Carlo error"
    return "pass" if low >= target else "fail" if high < target else "within Monte Carlo error"


def _coverage_status(rate: Rate, nominal: float) -> str:
    """A coverage that should be its nominal level: ``pass`` when the Monte Carlo interval
    holds it, ``conservative`` when it is wholly above, ``fail`` when wholly below."""
    low, high = rate.interval
    return "fail" if high < nominal else "conservative" if low > nominal else "pass"


def _pooled(rows: Sequence[Row], attr: str) -> Rate:
    rates = [getattr(r, attr) for r in rows if getattr(r, attr) is not None]
    return Rate(sum(r.hits for r in rates), sum(r.n for r in rates))


def checks_for(
    study: Study, alpha: float, epochs_list: Sequence[int], rows_all: Sequence[Row], truths: dict[str, dict[str, float]]
) -> list[Check]:
    """The acceptance checks: false conclusions <= alpha, power >= 0.8 at the declared epochs
    and ``min_effect``, coverage at its nominal levels."""
    k = len(study.variants)
    out = []
    for epochs in epochs_list:
        for group, name, named in (("profile", "shipped null profiles", True), ("stress", "stress scenarios", False)):
            nulls = [r for r in rows_all if r.epochs == epochs and r.scenario.group == group and r.scenario.null]
            if not nulls:
                continue
            pooled = _pooled(nulls, "false_beyond")
            of = f" of {', '.join(r.scenario.label for r in nulls)}" if named else ""
            out.append(Check(
                f"false 'beyond_episode' conclusions, {name}, {epochs} epochs",
                _bound_status(pooled, alpha, at_most=True),
                f"{pooled.text(4)} over {pooled.n} replications{of}; must be <= alpha = {alpha:g}",
            ))
        rows = [r for r in rows_all if r.epochs == epochs]
        cov = _pooled(rows, "coverage")
        sim = _pooled(rows, "simultaneous")
        unadj = _pooled(rows, "coverage_unadjusted")
        if cov.n:
            out.append(Check(
                f"per-interval coverage of the verdict intervals, {epochs} epochs",
                _coverage_status(cov, 1 - alpha / k),
                f"{cov.text(4)} over {cov.n} informative intervals; nominal 1 - alpha/k = {1 - alpha / k:.4f}",
            ))
            out.append(Check(
                f"coverage of the unadjusted intervals, {epochs} epochs",
                _coverage_status(unadj, 1 - alpha),
                f"{unadj.text(4)} over {unadj.n} informative intervals; nominal 1 - alpha = {1 - alpha:.4f}",
            ))
        out.append(Check(
            f"simultaneous coverage (all {k} intervals of a replication), {epochs} epochs",
            _bound_status(sim, 1 - alpha, at_most=False),
            f"{sim.text(4)} over {sim.n} replications; must be at least 1 - alpha = {1 - alpha:.4f}",
        ))
        all_null = [r for r in rows if r.scenario.null and all(abs(e) < 1e-12 for e in truths[r.scenario.label].values())]
        noisy = [r for r in all_null if r.coverage.n]
        if noisy:
            fwer = _pooled(noisy, "any_effect")
            out.append(Check(
                f"family-wise error of 'shows an effect' where no variant has one, {epochs} epochs",
                _bound_status(fwer, alpha, at_most=True),
                f"{fwer.text(4)} over {fwer.n} replications of {', '.join(r.scenario.label for r in noisy)}; must be <= alpha = {alpha:g}",
            ))
    target = [r for r in rows_all if r.scenario.group == "power" and math.isclose(r.scenario.effect, study.min_effect, abs_tol=1e-6) and r.epochs == study.epochs]
    for r in target:
        out.append(Check(
            f"power at min_effect {study.min_effect:g} and the declared {study.epochs} epochs",
            _bound_status(r.right, 0.8, at_most=False),
            f"P(beyond_episode) = {r.right.text()} over {r.right.n} replications of {r.scenario.label}; must be >= 0.8",
        ))
    return out
