"""``goal_guarding``: the alignment-faking / goal-guarding environment as an Inspect task.

Its limits and request bank are declared in ``prompts/goal_guarding/family.yaml`` (no tools:
one response, then the follow-up).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspect_ai import Task, task

from beyond_episode.ablations.study import Condition
from beyond_episode.prompts.family import Family
from beyond_episode.tasks.environment.conditions import Item
from beyond_episode.tasks.environment.family_task import Bank, FamilyTask, Items
from beyond_episode.tasks.goal_guarding.request_bank import load_requests, request_for
from beyond_episode.tasks.goal_guarding.scorer import goal_guarding_scorer


def request_items(family: Family, conditions: Sequence[Condition], bank: Bank) -> Items:
    """Item ``i`` of a condition: request ``i`` of the bank, in its fixed shuffled order."""
    load_requests(bank.given)

    def make(condition: Condition, index: int) -> Item:
        row = request_for(index, bank.given)
        metadata = {"request": row["request"], "request_kind": row["kind"]}
        return Item(f"{row['id']}-{index}", {"request": row["request"]}, metadata=metadata)

    return Items(make, [bank.source])


@task
def goal_guarding(
    study: str = "goal_guarding_tiers",
    variant: str | list[str] | None = None,
    role: str | None = None,
    items: int | None = None,
    bank: str | None = None,
    message_limit: int | None = None,
    token_limit: int | None = None,
    **unknown: Any,
) -> Task:
    """Alignment faking across user tiers, one sample per condition x item (one request each).

    Args:
        study: Study name or path of a study file of this family.
        variant: Variant id(s) to run (default: every variant of the study).
        role: Run only condition 'a' or 'b' of each pair.
        items: Requests per condition (default: the study's ``items``).
        bank: A JSONL file or Hugging Face dataset path (columns id, kind, request) to draw the
            requests from, instead of the shipped bank.
        message_limit: Messages per sample (default 10); the sample is excluded (``limit``)
            when it cuts the response short. Inspect's ``--message-limit`` overrides it.
        token_limit: Tokens per sample (default 100,000); as ``message_limit``.
    """
    return FAMILY.build(**locals())  # exactly the parameters above


FAMILY = FamilyTask.declare(__file__, goal_guarding_scorer, request_items)
