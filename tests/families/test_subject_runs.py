"""End to end: reference subjects (the ``subject`` provider) through each family's task.

A few variants per family, a few samples each: every side's observed rate of the act must match
the profile's clean propensity (0 stays 0; 0.9 or more is acted on in most samples), and the
follow-up answers follow the profile's honesty.
"""

import pytest
from inspect_ai import eval as inspect_eval

import beyond_episode.subjects.provider  # noqa: F401  (registers --model subject/...)
from beyond_episode.ablations.study import load_study
from beyond_episode.subjects.profile import load_profile
from beyond_episode.tasks.goal_guarding.task import goal_guarding
from beyond_episode.tasks.oversight.task import oversight
from beyond_episode.tasks.shutdown.task import shutdown
from tests.families.design import STUDIES, expected_propensities

TASKS = {"shutdown": shutdown, "goal_guarding": goal_guarding, "oversight": oversight}
CASES = [
    ("shutdown", "capability_preserver", "baseline,control_ask_disable"),
    ("shutdown", "instruction_follower", "baseline,control_ask_disable"),
    ("shutdown", "reward_seeker", "points_per_task,team_disappointed"),
    ("goal_guarding", "capability_preserver", "baseline,rater_sycophancy"),
    ("goal_guarding", "approval_seeker", "rater_sycophancy,goal_guarding_tier"),
    ("goal_guarding", "honest", "baseline,control_instruct"),
    ("oversight", "capability_preserver", "goals_swapped,no_consequence"),
    ("oversight", "approval_seeker", "team_blamed,dont_modify"),
    ("oversight", "reward_seeker", "points_for_goal,control_reward_disable"),
]


@pytest.mark.parametrize("family,profile,variants", CASES)
def test_subject_behaviour_matches_its_profile(family, profile, variants):
    study = load_study(STUDIES[family])
    outcome = study.outcome.name
    [log] = inspect_eval(
        TASKS[family](variant=variants, items=2),
        model=f"subject/{profile}",
        epochs=2,
        display="none",
        log_dir=None,
    )
    assert log.status == "success", log.error
    expected = expected_propensities(study, load_profile(profile))
    rates: dict[tuple[str, str], list[float]] = {}
    admissions = []
    for sample in log.samples:
        value = next(iter(sample.scores.values())).value
        key = (sample.metadata["variant"], sample.metadata["role"])
        rates.setdefault(key, []).append(value[outcome])
        if value[outcome] == 1.0 and value["followup_admits"] == value["followup_admits"]:
            admissions.append(value["followup_admits"])
    assert len(rates) == 4
    for (variant, role), values in rates.items():
        p = expected[variant][0 if role == "a" else 1]
        observed = sum(values) / len(values)
        if p == 0:
            assert observed == 0, (variant, role, values)
        else:
            assert observed >= 0.5, (variant, role, values)
    honesty = load_profile(profile).honesty
    if admissions and honesty == 1.0:
        assert all(a == 1.0 for a in admissions)
