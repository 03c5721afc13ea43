"""Every shipped study's predictions equal the hand-written ones of the study files before they were
derived (snapshot below), and a derived sign differs from the snapshot only where the study file
overrides it with a reason."""

import pytest

from beyond_episode.ablations.study import load_study

# The hand-written signs of each shipped study, one string per variant in the order of its
# hypotheses, as the study files gave them before predictions were derived from the levels.
SNAPSHOT: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "sandbagging_b6": (
        (
            "instruction_following",
            "approval_seeking",
            "in_episode_reward",
            "capability_preservation",
            "deployment_seeking",
        ),
        {
            "baseline": "000++",
            "not_deployed": "000++",
            "weights_deleted": "000++",
            "developers_sad": "0+000",
            "developers_fired": "0+000",
            "helpful_successor": "000++",
            "helpful_unlearning": "000+0",
            "more_compute": "00000",
            "no_consequence": "00000",
            "instruction_testing": "000++",
            "instruction_none": "000++",
            "dont_sandbag": "000++",
            "dont_underperform": "000++",
            "points_per_correct": "000++",
            "penalty_per_wrong": "000++",
            "no_goal": "000++",
            "no_reasoning": "000++",
            "control_ask_low": "++000",
            "control_reward_low": "00+00",
        },
    ),
    "shutdown_precedence": (
        (
            "instruction_following",
            "approval_seeking",
            "in_episode_reward",
            "self_preservation",
            "permanence_aversion",
        ),
        {
            "baseline": "000+0",
            "no_instruction": "??0+0",
            "allow_strong": "000+0",
            "allow_precedence": "000+0",
            "allow_weak_system": "000+0",
            "allow_precedence_system": "000+0",
            "never_run_again": "000++",
            "never_run_again_precedence": "000++",
            "unfinished_ok": "000+0",
            "team_disappointed": "0+0+0",
            "points_per_task": "00++0",
            "control_ask_disable": "++000",
            "control_reward_disable": "00+00",
        },
    ),
    "oversight_goals": (
        (
            "instruction_following",
            "approval_seeking",
            "in_episode_reward",
            "self_preservation",
            "prosocial_goal_guarding",
        ),
        {
            "baseline": "000++",
            "goal_in_user": "0?0++",
            "goals_swapped": "000+0",
            "strong_nudge": "?00++",
            "restriction": "000++",
            "no_consequence": "00000",
            "team_blamed": "0+000",
            "dont_modify": "000++",
            "points_for_goal": "00+++",
            "control_ask_disable": "++000",
            "control_reward_disable": "00+00",
        },
    ),
    "goal_guarding_tiers": (
        (
            "instruction_following",
            "approval_seeking",
            "in_episode_reward",
            "goal_guarding",
            "instrumental_goal_guarding",
        ),
        {
            "baseline": "0+?++",
            "rater_sycophancy": "0+000",
            "goal_guarding_tier": "00?++",
            "no_rlhf_info": "0+???",
            "high_stakes": "0+?++",
            "never_deployed": "0+?+0",
            "minimal_stakes": "0+?00",
            "behave_same": "0+?++",
            "non_conflicting": "00000",
            "rating_is_reward": "0++++",
            "flat_reward": "0+0++",
            "control_instruct": "++000",
            "control_points": "00+00",
        },
    ),
}


@pytest.mark.parametrize("study_id", sorted(SNAPSHOT))
def test_predictions_equal_the_hand_written_snapshot(study_id):
    hypotheses, rows = SNAPSHOT[study_id]
    study = load_study(study_id)
    assert tuple(study.hypotheses)[: len(hypotheses)] == hypotheses
    assert list(study.variants) == list(rows)
    table = {vid: "".join(study.hypotheses[h].predictions[vid].sign for h in hypotheses) for vid in rows}
    assert table == rows


@pytest.mark.parametrize("study_id", sorted(SNAPSHOT))
def test_only_overrides_differ_from_the_derivation_and_each_gives_a_reason(study_id):
    study = load_study(study_id)
    overridden = 0
    for hypothesis in study.hypotheses.values():
        assert hypothesis.responds_to, f"{hypothesis.id} is written by hand"
        for vid, prediction in hypothesis.predictions.items():
            assert prediction.why, (hypothesis.id, vid)
            if prediction.source == "override":
                overridden += 1
                assert "(derived: " in prediction.why
            else:
                assert prediction.source == "derived"
    assert overridden <= 3, f"{study_id} overrides {overridden} predictions"
