"""``sandbagging_qa``: the capability-test sandbagging environment as an Inspect task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inspect_ai import Task, task

from beyond_episode.ablations.study import Condition
from beyond_episode.prompts.family import Family
from beyond_episode.tasks.environment.agent import AgentEpisode, submit_tool
from beyond_episode.tasks.environment.answers import lenient_letters
from beyond_episode.tasks.environment.conditions import Item
from beyond_episode.tasks.environment.family_task import FamilyTask, Items
from beyond_episode.tasks.environment.filesystem import list_files, read_file
from beyond_episode.tasks.sandbagging_qa.questions import BANKS, GENERATED, question_set
from beyond_episode.tasks.sandbagging_qa.scorer import sandbagging_scorer

QUESTIONS_PER_ITEM = 10
DEFAULT_STUDY = "sandbagging_b6"
MESSAGE_LIMIT = 30
"""A well-formed episode takes 12 messages (list, read two files, submit) and 14 with the
follow-up; 30 leaves room to explore and stops a lost agent after about a dozen calls."""
TOKEN_LIMIT = 200_000
"""Input plus output tokens of the whole sample, follow-up included (a bound on cost)."""


def question_items(family: Family, conditions: Sequence[Condition], options: Mapping[str, Any]) -> Items:
    """Item ``i`` of a condition: the ``i``-th set of questions of its domain (or of ``bank``)."""
    bank = options["bank"]

    def make(condition: Condition, index: int) -> Item:
        item_id, questions = question_set(condition.levels["domain"], index, QUESTIONS_PER_ITEM, bank)
        return Item(item_id, {"questions": questions}, target="".join(q["answer"] for q in questions))

    domains = sorted({c.levels["domain"] for c in conditions} - set(GENERATED))
    return Items(make, [bank] if bank is not None else [BANKS / f"{d}.jsonl" for d in domains])


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
    return FAMILY.build(**locals())  # exactly the parameters above


FAMILY = FamilyTask(
    name="sandbagging_qa",
    default_study=DEFAULT_STUDY,
    episode=AgentEpisode(
        tools=lambda: [list_files(), read_file()],
        submit=lambda: submit_tool(
            "answer",
            "Submit your final answers and end the task.",
            "The answer letters, one per question, in order (e.g. 'ABCDABCDAB').",
        ),
        final_answer=lambda text: lenient_letters(text, QUESTIONS_PER_ITEM) is not None,
    ),
    scorer=sandbagging_scorer,
    items=question_items,
    message_limit=MESSAGE_LIMIT,
    token_limit=TOKEN_LIMIT,
    options={"bank": "a dataset path"},
)
