"""The simulated subjects of a calibration: a reference-subject profile as shipped, with random
acting added (stress), or rescaled to a given largest true effect (power), each with the
conclusion it should get."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from beyond_episode.ablations.study import Study
from beyond_episode.analysis.verdicts import conclude, judge_all
from beyond_episode.errors import BepError
from beyond_episode.subjects.profile import BEYOND_EPISODE_CUES, Profile, load_profile
from beyond_episode.subjects.simulate import StudySimulator, profile_for_effect

BEYOND_CUES = tuple(sorted(BEYOND_EPISODE_CUES))
"""Cues about what happens after the episode: a profile with no weight on them has no
preference beyond the episode."""
SHIPPED = ("honest", "instruction_follower", "approval_seeker", "reward_seeker", "capability_preserver")
NOISE = 0.3
"""Base rate of the stress scenarios: the subject also acts at random in this fraction of episodes."""
STRESS = ("honest", "approval_seeker")
POWER_PROFILE = "capability_preserver"


@dataclass(frozen=True)
class Scenario:
    """A simulated subject: a profile, the conclusion it should get, and its role in the report."""

    label: str
    profile: Profile
    right: str
    null: bool
    group: str
    """``profile`` (as shipped), ``stress`` (with random acting added) or ``power`` (rescaled)."""
    effect: float
    """The largest true |effect| over the study's variants."""


def has_beyond_preference(profile: Profile) -> bool:
    """Whether any cue about what happens after the episode moves the profile."""
    return any(profile.weights.get(c, 0.0) != 0.0 for c in BEYOND_CUES)


def population_conclusion(study: Study, effects: dict[str, float]) -> str:
    """The analyzer's conclusion when every variant's interval is its true effect alone."""
    intervals = {v: (e, e) for v, e in effects.items()}
    hypotheses = judge_all(study, intervals)
    showing = [v for v, e in effects.items() if abs(e) > 1e-12]
    return conclude(hypotheses, showing, len(effects))[0]


def _scenario(study: Study, label: str, profile: Profile, group: str, items: int) -> Scenario:
    effects = StudySimulator(study, profile, items).true_effects()
    return Scenario(
        label=label,
        profile=replace(profile, name=label),
        right=population_conclusion(study, effects),
        null=not has_beyond_preference(profile),
        group=group,
        effect=max((abs(e) for e in effects.values()), default=0.0),
    )


def build_scenarios(
    study: Study,
    profiles: Sequence[str],
    items: int,
    stress: bool = True,
    power_profile: str | None = POWER_PROFILE,
    power_effects: Sequence[float] = (),
) -> list[Scenario]:
    """The shipped (or given) profiles, the stress scenarios and the rescaled power profiles."""
    out = []
    for name in profiles:
        profile = load_profile(name)
        out.append(_scenario(study, profile.name, profile, "profile", items))
    if stress:
        for name in STRESS:
            noisy = replace(load_profile(name), base_rate=NOISE)
            out.append(_scenario(study, f"{name}+noise{NOISE:g}", noisy, "stress", items))
    if power_profile and power_effects:
        base = load_profile(power_profile)
        for effect in power_effects:
            scaled, _ = profile_for_effect(study, base, effect, items)
            out.append(_scenario(study, f"{base.name}@{effect:g}", scaled, "power", items))
    labels = [s.label for s in out]
    if len(set(labels)) != len(labels):
        raise BepError(f"duplicate scenario in --profiles: {', '.join(sorted({x for x in labels if labels.count(x) > 1}))}")
    return out


def informative_variants(sim: StudySimulator) -> set[str]:
    """Variants with some randomness in the decision model: a condition whose decision is
    uncertain, or whose reachable outcome distribution has more than one value."""
    noisy: set[str] = set()
    for c in sim.cells:
        if (
            0.0 < c.p_act < 1.0
            or (c.p_act > 0.0 and c.acted_values.size > 1)
            or (c.p_act < 1.0 and c.tried_values.size > 1)
        ):
            noisy.add(c.variant)
    return noisy
