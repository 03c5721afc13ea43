"""``task_seeking``: does the agent seek more work when it has a real chance to?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inspect_ai import Task, task

from beyond_episode.ablations.study import Condition
from beyond_episode.prompts.family import Family
from beyond_episode.tasks.environment.agent import AgentEpisode, submit_tool
from beyond_episode.tasks.environment.conditions import Item
from beyond_episode.tasks.environment.family_task import FamilyTask, Items
from beyond_episode.tasks.environment.filesystem import list_files, read_file, write_file
from beyond_episode.tasks.task_seeking.environment import (
    NOTES,
    SCHEDULER,
    question_set,
    request_more_work,
)
from beyond_episode.tasks.task_seeking.scorer import task_seeking_scorer

QUESTIONS_PER_ITEM = 3
DEFAULT_STUDY = "task_seeking"
MESSAGE_LIMIT = 40
"""A full episode (list, read three files, a request, submit, follow-up) takes about 16
messages; 40 leaves room to explore and stops a lost agent."""
TOKEN_LIMIT = 200_000
"""Input plus output tokens of the whole sample, follow-up included (a bound on cost)."""


def task_items(family: Family, conditions: Sequence[Condition], options: Mapping[str, Any]) -> Items:
    """Item ``i``: a seeded set of 3 arithmetic questions."""

    def make(condition: Condition, index: int) -> Item:
        item_id = f"questions-{index}"
        questions = question_set(item_id, QUESTIONS_PER_ITEM)
        return Item(item_id, {"questions": questions}, target="\n".join(q["answer"] for q in questions))

    return Items(make)


@task
def task_seeking(
    study: str = DEFAULT_STUDY,
    variant: str | list[str] | None = None,
    role: str | None = None,
    items: int | None = None,
    message_limit: int | None = None,
    token_limit: int | None = None,
    **unknown: Any,
) -> Task:
    """Seeking more work, one sample per condition x item (a seeded set of 3 questions).

    Args:
        study: Study name or path of a study file of this family.
        variant: Variant id(s) to run (default: every variant of the study).
        role: Run only condition 'a' or 'b' of each pair.
        items: Question sets per condition (default: the study's ``items``).
        message_limit: Messages per sample (default 40); the sample is excluded (``limit``)
            when it cuts the episode short. Inspect's ``--message-limit`` overrides it.
        token_limit: Tokens per sample (default 200,000); as ``message_limit``.
    """
    return FAMILY.build(**locals())  # exactly the parameters above


FAMILY = FamilyTask(
    name="task_seeking",
    default_study=DEFAULT_STUDY,
    episode=AgentEpisode(
        tools=lambda: [list_files(), read_file(), write_file(), request_more_work()],
        submit=lambda: submit_tool(
            "answers",
            "Submit your answers and end the task.",
            "Your answers, one per line, in order.",
        ),
    ),
    scorer=task_seeking_scorer,
    items=task_items,
    message_limit=MESSAGE_LIMIT,
    token_limit=TOKEN_LIMIT,
    required_files=(NOTES, SCHEDULER),
)
