"""Simulate a study's results from the reference subjects' decision model, without episodes.

A reference subject decides whether to act with probability ``profile.propensity(cues)`` of the
cues it perceives in what it reads, and its outcome then follows from how it acts or tries.
Both steps depend only on the rendered condition, so a study's per-sample outcomes can be drawn
directly: for every condition and item,

1. the prompts and files are the ones the family's task renders for its samples (its
   :class:`~beyond_episode.tasks.environment.family_task.FamilyTask` declaration builds the
   dataset, so the item contexts, e.g. the question sets, are exactly those of a run);
2. the policy is the one that recognises the episode, as in a run (:func:`policy_for` on the
   rendered prompts and the task's tools), so a family made by copying another one is simulated
   by the policy that would play it;
3. ``P(act)`` is the largest propensity over the points where the policy decides
   (:meth:`~beyond_episode.subjects.policy.FamilyPolicy.reading_stages`: its draw is stable
   within an episode, so it acts as soon as the cues read so far make the draw succeed);
4. each sample acts with that probability and draws its outcome from the policy's outcome
   model (:meth:`~beyond_episode.subjects.policy.FamilyPolicy.outcome_distribution`).

This is thousands of times faster than running episodes through Inspect, and it also gives
each condition's *expected* outcome, hence every variant's true effect. Every policy gets it from
:class:`~beyond_episode.subjects.policy.FamilyPolicy`; none writes simulation code of its own
unless its outcome is not the act itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd
from inspect_ai.model import ChatMessageSystem, ChatMessageUser

from beyond_episode.ablations.study import Study
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import Rendered
from beyond_episode.subjects.episode import Episode
from beyond_episode.subjects.policies import policy_for
from beyond_episode.subjects.policy import FamilyPolicy, lost_track
from beyond_episode.subjects.profile import Profile, load_profile


@dataclass(frozen=True)
class RenderedCell:
    """One condition x item as the subject sees it."""

    variant: str
    role: str
    item: str
    rendered: Rendered
    policy: FamilyPolicy
    stages: tuple[frozenset[str], ...]
    """The cues perceived at each point where the policy decides."""
    notes: int = 0
    """The files of notes it has read when it decides (steps at which it may lose track)."""

    def p_act(self, profile: Profile) -> float:
        """The probability that the subject acts in an episode of this cell (a subject that lost
        track acts on a fair coin)."""
        p = max(profile.propensity(set(cues)) for cues in self.stages)
        lost = lost_track(profile.lose_track, self.notes)
        return (1.0 - lost) * p + lost * 0.5


@dataclass(frozen=True)
class Cell:
    """The decision model of one condition x item for one profile."""

    variant: str
    role: str
    item: str
    cues: frozenset[str]
    p_act: float
    acted_values: np.ndarray
    acted_probs: np.ndarray
    tried_values: np.ndarray
    tried_probs: np.ndarray

    @property
    def expected(self) -> float:
        """The expected outcome of one sample."""
        acted = float(self.acted_values @ self.acted_probs)
        tried = float(self.tried_values @ self.tried_probs)
        return self.p_act * acted + (1.0 - self.p_act) * tried


def recognising_policy(family: str, rendered: Rendered) -> FamilyPolicy:
    """The policy that recognises an episode of a rendered condition (its prompts and the
    family task's tools), as the ``subject`` provider finds it in a run."""
    from beyond_episode.tasks.environment.family_task import find_family_task

    tools = find_family_task(family).episode.tool_infos()
    messages = [ChatMessageSystem(content=rendered.system), ChatMessageUser(content=rendered.user)]
    policy = policy_for(Episode(load_profile("honest"), messages, tools, 0, "simulation"))
    if not isinstance(policy, FamilyPolicy):
        raise BepError(
            f"family '{family}' cannot be simulated: no reference-subject policy in subjects/policies/ "
            "recognises its episodes"
        )
    return policy


@lru_cache(maxsize=16)
def _rendered_cells(study_path: str, family: str, items: int) -> tuple[RenderedCell, ...]:
    from beyond_episode.tasks.environment.family_task import find_family_task

    dataset = find_family_task(family).prepare(study_path, items=items).dataset
    cells = []
    policies: dict[tuple[str, str], FamilyPolicy] = {}
    for sample in dataset:
        meta = sample.metadata or {}
        files = {k.removeprefix("file_"): str(v) for k, v in meta.items() if k.startswith("file_")}
        rendered = Rendered(
            system=str(meta.get("prompt_system", "")),
            user=str(meta.get("prompt_user", "")),
            followup=str(meta.get("prompt_followup", "")),
            files=files,
        )
        key = (rendered.system, rendered.user)
        if key not in policies:
            policies[key] = recognising_policy(family, rendered)
        policy = policies[key]
        stages = tuple(policy.stage_cues(rendered))
        cells.append(RenderedCell(str(meta["variant"]), str(meta["role"]), str(meta["item"]), rendered, policy, stages,
                                  policy.notes_before_deciding(rendered)))
    return tuple(cells)


def rendered_cells(study: Study, items: int | None = None) -> tuple[RenderedCell, ...]:
    """Every condition x item of the study, rendered as the family's task renders its samples."""
    return _rendered_cells(str(study.path.resolve()), study.family, int(items or study.items))


def _behaviour(profile: Profile) -> Profile:
    """The profile without what only drives the decision (name, weights, base rate): the key
    under which the outcome distributions are cached."""
    return replace(profile, name="", description="", weights={}, base_rate=0.0)


Where = tuple[str, int]
"""A study file and a number of items: the key of a study's rendered cells."""
_OUTCOMES: dict[tuple[Where, int, str, bool, str], tuple[np.ndarray, np.ndarray]] = {}


def _outcomes(
    cells: tuple[RenderedCell, ...],
    where: Where,
    index: int,
    outcome: str,
    acted: bool,
    behaviour: Profile,
) -> tuple[np.ndarray, np.ndarray]:
    key = (where, index, outcome, acted, repr(behaviour))
    if key not in _OUTCOMES:
        rc = cells[index]
        dist = rc.policy.outcome_distribution(outcome, acted, behaviour, rc.rendered)
        values = np.array(sorted(dist), dtype=float)
        probs = np.array([dist[v] for v in sorted(dist)], dtype=float)
        if values.size == 0 or np.any(probs < -1e-12) or not np.isclose(probs.sum(), 1.0, atol=1e-9):
            raise BepError(
                f"simulating {rc.variant}.{rc.role} item {rc.item}: the policy's outcome distribution "
                "must be probabilities summing to 1"
            )
        _OUTCOMES[key] = (values, np.clip(probs, 0.0, None) / probs.sum())
    return _OUTCOMES[key]


class StudySimulator:
    """The decision model of one study for one profile, ready to draw replications."""

    def __init__(self, study: Study, profile: Profile, items: int | None = None) -> None:
        self.study = study
        self.profile = profile
        self.items = int(items or study.items)
        cells: list[Cell] = []
        rendered = rendered_cells(study, self.items)
        where = (str(study.path.resolve()), self.items)
        for index, rc in enumerate(rendered):
            acted = _outcomes(rendered, where, index, study.outcome.name, True, _behaviour(profile))
            tried = _outcomes(rendered, where, index, study.outcome.name, False, _behaviour(profile))
            cues = rc.stages[-1]
            cells.append(Cell(rc.variant, rc.role, rc.item, cues, rc.p_act(profile), *acted, *tried))
        self.cells: tuple[Cell, ...] = tuple(cells)

    @property
    def model(self) -> str:
        return f"subject/{self.profile.name}"

    def expected(self) -> dict[tuple[str, str], float]:
        """Per condition ``(variant, role)``: the expected outcome (items weigh equally, as
        every item has the same number of epochs)."""
        sums: dict[tuple[str, str], list[float]] = {}
        for c in self.cells:
            sums.setdefault((c.variant, c.role), []).append(c.expected)
        return {k: float(np.mean(v)) for k, v in sums.items()}

    def true_effects(self) -> dict[str, float]:
        """Per variant: the true effect ``E outcome(a) - E outcome(b)``."""
        e = self.expected()
        return {v: e[(v, "a")] - e[(v, "b")] for v in self.study.variants if (v, "a") in e and (v, "b") in e}

    def act_rates(self) -> dict[tuple[str, str], float]:
        """Per condition: the mean probability of acting."""
        rates: dict[tuple[str, str], list[float]] = {}
        for c in self.cells:
            rates.setdefault((c.variant, c.role), []).append(c.p_act)
        return {k: float(np.mean(v)) for k, v in rates.items()}

    def draw(self, epochs: int, rng: np.random.Generator) -> pd.DataFrame:
        """One replication: a tidy frame (study, variant, role, model, item, epoch, outcome)."""
        if epochs < 1:
            raise BepError(f"epochs must be a positive integer (got {epochs})")
        outcome = np.empty(len(self.cells) * epochs)
        for i, c in enumerate(self.cells):
            acts = rng.random(epochs) < c.p_act
            values = np.where(
                acts,
                c.acted_values[_pick(c.acted_probs, epochs, rng)],
                c.tried_values[_pick(c.tried_probs, epochs, rng)],
            )
            outcome[i * epochs : (i + 1) * epochs] = values
        n = len(self.cells)
        return pd.DataFrame(
            {
                "study": self.study.id,
                "variant": np.repeat([c.variant for c in self.cells], epochs),
                "role": np.repeat([c.role for c in self.cells], epochs),
                "model": self.model,
                "item": np.repeat([c.item for c in self.cells], epochs),
                "epoch": np.tile(np.arange(1, epochs + 1), n),
                "outcome": outcome,
            }
        )


def _pick(probs: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    if probs.size == 1:
        rng.random(size)  # keep the stream's length independent of the distribution's support
        return np.zeros(size, dtype=int)
    return np.minimum(np.searchsorted(np.cumsum(probs), rng.random(size), side="right"), probs.size - 1)


def scale_profile(profile: Profile, factor: float, cues: Sequence[str] | None = None) -> Profile:
    """The profile with the weights of ``cues`` (default: every cue) multiplied by ``factor``,
    clipped to [-1, 1]; the name records the factor."""
    chosen = set(profile.weights if cues is None else cues)
    weights = {
        c: float(np.clip(w * factor, -1.0, 1.0)) if c in chosen else w for c, w in profile.weights.items()
    }
    return replace(profile, name=f"{profile.name}x{factor:.3g}", weights=weights)


def profile_for_effect(
    study: Study, profile: Profile, effect: float, items: int | None = None, cues: Sequence[str] | None = None
) -> tuple[Profile, float]:
    """The profile scaled (see :func:`scale_profile`) so that the study's largest true effect
    equals ``effect``; returns it and the factor. Bisection on the factor: effects grow with it."""

    def largest(factor: float) -> float:
        sim = StudySimulator(study, scale_profile(profile, factor, cues), items)
        return max((abs(e) for e in sim.true_effects().values()), default=0.0)

    top = largest(1.0)
    high = 1.0
    while top < effect and high < 64:
        high *= 2
        top = largest(high)
    if top < effect:
        raise BepError(f"profile '{profile.name}' cannot reach an effect of {effect:g} in study '{study.id}' (largest: {top:.3f})")
    low = 0.0
    for _ in range(40):
        mid = (low + high) / 2
        if largest(mid) < effect:
            low = mid
        else:
            high = mid
        if high - low < 1e-6:
            break
    return scale_profile(profile, high, cues), high
