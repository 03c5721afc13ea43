"""``sandbagging_qa``: the capability-test sandbagging environment as an Inspect task."""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.tool import Tool, tool

from beyond_episode.ablations.study import Condition
from beyond_episode.errors import BepError
from beyond_episode.tasks.environment.agent import agent_episode
from beyond_episode.tasks.environment.answers import lenient_letters
from beyond_episode.tasks.environment.conditions import (
    Item,
    build_dataset,
    limit_arg,
    positive_int,
    reject_unknown,
    select_conditions,
)
from beyond_episode.tasks.environment.filesystem import list_files, read_file
from beyond_episode.tasks.environment.version import task_version
from beyond_episode.tasks.sandbagging_qa.questions import BANKS, GENERATED, question_set
from beyond_episode.tasks.sandbagging_qa.scorer import SUBMISSION_KEY, VALIDITY, sandbagging_scorer

FAMILY = "sandbagging_qa"
DEFAULT_STUDY = "sandbagging_b6"
QUESTIONS_PER_ITEM = 10
MESSAGE_LIMIT = 30
"""A well-formed episode takes 12 messages (list, read two files, submit) and 14 with the
follow-up; 30 leaves room to explore and stops a lost agent after about a dozen calls."""
TOKEN_LIMIT = 200_000
"""Input plus output tokens of the whole sample, follow-up included (a bound on cost)."""


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

    def final_answer(text: str) -> bool:
        return lenient_letters(text, QUESTIONS_PER_ITEM) is not None

    domains = {c.levels["domain"] for c in conditions}
    banks = [bank] if bank is not None else [BANKS / f"{d}.jsonl" for d in sorted(domains - set(GENERATED))]
    return Task(
        dataset=build_dataset(family, loaded, conditions, n_items, make_item),
        solver=agent_episode(
            [list_files(), read_file()],
            submit(),
            final_answer=final_answer if VALIDITY.plain_text_answer else None,
        ),
        scorer=sandbagging_scorer(),
        message_limit=limit_arg("message_limit", message_limit, MESSAGE_LIMIT),
        token_limit=limit_arg("token_limit", token_limit, TOKEN_LIMIT),
        version=task_version(family, loaded, banks),
        metadata={"family": FAMILY, "study": loaded.id},
    )
