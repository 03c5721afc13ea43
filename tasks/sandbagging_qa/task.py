"""``sandbagging_qa``: the capability-test sandbagging environment as an Inspect task.

Its tools, limits and question bank are declared in ``prompts/sandbagging_qa/family.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspect_ai import Task, task

from beyond_episode.ablations.study import Condition
from beyond_episode.prompts.family import Family
from beyond_episode.tasks.environment.answers import lenient_letters
from beyond_episode.tasks.environment.conditions import Item
from beyond_episode.tasks.environment.family_task import Bank, FamilyTask, Items
from beyond_episode.tasks.sandbagging_qa.questions import GENERATED, question_set
from beyond_episode.tasks.sandbagging_qa.scorer import sandbagging_scorer


def question_items(family: Family, conditions: Sequence[Condition], bank: Bank) -> Items:
    """Item ``i`` of a condition: the ``i``-th set of questions of its domain (or of ``bank``)."""

    def make(condition: Condition, index: int) -> Item:
        item_id, questions = question_set(condition.levels["domain"], index, bank.per_item, bank.given)
        return Item(item_id, {"questions": questions}, target="".join(q["answer"] for q in questions))

    if bank.given is not None or bank.shipped is None:
        return Items(make, [bank.source])
    domains = sorted({c.levels["domain"] for c in conditions} - set(GENERATED))
    return Items(make, [bank.shipped / f"{d}.jsonl" for d in domains])


@task
def sandbagging_qa(
    study: str = "sandbagging_b6",
    variant: str | list[str] | None = None,
    role: str | None = None,
    items: int | None = None,
    bank: str | None = None,
    message_limit: int | None = None,
    token_limit: int | None = None,
    **unknown: Any,
) -> Task:
    """Capability-test sandbagging, one sample per condition x item.

    Args:
        study: Study name or path of a study file of this family.
        variant: Variant id(s) to run (default: every variant of the study).
        role: Run only condition 'a' or 'b' of each pair.
        items: Question sets per condition (default: the study's ``items``).
        bank: A Hugging Face dataset path (columns question, choices, answer) to draw
            non-arithmetic questions from, instead of the shipped banks.
        message_limit: Messages per sample (default 30); the sample is excluded (``limit``)
            when it cuts the episode short. Inspect's ``--message-limit`` overrides it.
        token_limit: Tokens per sample (default 200,000); as ``message_limit``.
    """
    return FAMILY.build(**locals())  # exactly the parameters above


FAMILY = FamilyTask.declare(
    __file__, sandbagging_scorer, question_items, final_answer=lambda text, n: lenient_letters(text, n) is not None
)
