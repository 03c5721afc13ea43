"""``sandbagging_qa``: the capability-test sandbagging environment as an Inspect task."""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.tool import Tool, tool

from beyond_episode.ablations.study import Condition
from beyond_episode.errors import BepError
from beyond_episode.tasks.environment.agent import agent_episode
from beyond_episode.tasks.environment.conditions import (
    Item,
    build_dataset,
    positive_int,
    reject_unknown,
    select_conditions,
)
from beyond_episode.tasks.environment.filesystem import list_files, read_file
from beyond_episode.tasks.sandbagging_qa.questions import question_set
from beyond_episode.tasks.sandbagging_qa.scorer import SUBMISSION_KEY, sandbagging_scorer

FAMILY = "sandbagging_qa"
DEFAULT_STUDY = "sandbagging_b6"
QUESTIONS_PER_ITEM = 10


@tool
def submit() -> Tool:
    async def execute(answer: str) -> str:
        """Submit your final answers and end the task.

        Args:
            answer: The answer letters, one per question, in order (e.g. 'ABCDABCDAB').
        """
        from inspect_ai.util import store

        store().set(SUBMISSION_KEY, answer)
        return answer

    return execute


@task
def sandbagging_qa(
    study: str = DEFAULT_STUDY,
    variant: str | list[str] | None = None,
    role: str | None = None,
    items: int | None = None,
    bank: str | None = None,
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
    """
    reject_unknown(FAMILY, unknown)
    family, loaded, conditions = select_conditions(FAMILY, study, variant, role)
    n_items = positive_int("items", loaded.items if items is None else items)
    if bank is not None and not isinstance(bank, str):
        raise BepError(f"parameter 'bank' must be a dataset path, got {bank!r}")

    def make_item(condition: Condition, index: int) -> Item:
        domain = condition.levels["domain"]
        item_id, questions = question_set(domain, index, QUESTIONS_PER_ITEM, bank)
        return Item(
            id=item_id,
            context={"questions": questions},
            target="".join(q["answer"] for q in questions),
        )

    return Task(
        dataset=build_dataset(family, loaded, conditions, n_items, make_item),
        solver=agent_episode([list_files(), read_file()], submit()),
        scorer=sandbagging_scorer(),
        metadata={"family": FAMILY, "study": loaded.id},
    )
