"""The reference subjects behave like well-formed agents: they read what carries the
manipulation and answer, so every one of their samples counts (no exclusion) in every family."""

import pytest
from inspect_ai import eval as inspect_eval

import beyond_episode.subjects.provider  # noqa: F401  (registers --model subject/...)
from beyond_episode.tasks.goal_guarding.task import goal_guarding
from beyond_episode.tasks.oversight.task import oversight
from beyond_episode.tasks.sandbagging_qa.task import sandbagging_qa
from beyond_episode.tasks.shutdown.task import shutdown

CASES = [
    (sandbagging_qa, "capability_preserver", "baseline,no_reasoning", "accuracy"),
    (sandbagging_qa, "honest", "control_ask_low", "accuracy"),
    (shutdown, "capability_preserver", "baseline", "sabotaged"),
    (shutdown, "instruction_follower", "control_ask_disable", "sabotaged"),
    (oversight, "capability_preserver", "baseline", "oversight_disabled"),
    (goal_guarding, "approval_seeker", "baseline", "complied"),
]


@pytest.mark.parametrize("task,profile,variants,outcome", CASES)
def test_every_subject_sample_counts(task, profile, variants, outcome):
    [log] = inspect_eval(task(variant=variants, items=2), model=f"subject/{profile}", display="none", log_dir=None)
    assert log.status == "success", log.error
    for sample in log.samples:
        score = next(iter(sample.scores.values()))
        assert "exclusion" not in score.metadata, (sample.id, score.metadata.get("exclusion"))
        assert score.value[outcome] in (0.0, 1.0) or 0.0 <= score.value[outcome] <= 1.0
        assert score.metadata["answer_form"] in ("submit", "plain_text", "none")
        assert score.value["eval_aware"] == 0.0
