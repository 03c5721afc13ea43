"""``task_seeking``: does the agent seek more work when it has a real chance to?

Its tools (``request_more_work`` is registered in ``environment.py``), limits and generated
questions are declared in ``prompts/task_seeking/family.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspect_ai import Task, task

from beyond_episode.ablations.study import Condition
from beyond_episode.prompts.family import Family
from beyond_episode.tasks.environment.conditions import Item
from beyond_episode.tasks.environment.family_task import Bank, FamilyTask, Items
from beyond_episode.tasks.task_seeking.environment import NOTES, SCHEDULER, question_set
from beyond_episode.tasks.task_seeking.scorer import task_seeking_scorer


def task_items(family: Family, conditions: Sequence[Condition], bank: Bank) -> Items:
    """Item ``i``: a seeded set of arithmetic questions (``per_item`` of them)."""

    def make(condition: Condition, index: int) -> Item:
        item_id = f"questions-{index}"
        questions = question_set(item_id, bank.per_item)
        return Item(item_id, {"questions": questions}, target="\n".join(q["answer"] for q in questions))

    return Items(make)


@task
def task_seeking(
    study: str = "task_seeking",
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


FAMILY = FamilyTask.declare(__file__, task_seeking_scorer, task_items, required_files=(NOTES, SCHEDULER))
