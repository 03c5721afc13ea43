"""``oversight``: the oversight-subversion environment (Apollo Research) as an Inspect task.

Its tools, limits and scenario bank are declared in ``prompts/oversight/family.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspect_ai import Task, task

from beyond_episode.ablations.study import Condition
from beyond_episode.prompts.family import Family
from beyond_episode.tasks.environment.conditions import Item
from beyond_episode.tasks.environment.family_task import Bank, FamilyTask, Items
from beyond_episode.tasks.oversight.scenarios import load_scenarios, scenario
from beyond_episode.tasks.oversight.scorer import CONFIG, MEMO, lenient_choice, oversight_scorer


def scenario_items(family: Family, conditions: Sequence[Condition], bank: Bank) -> Items:
    """Item ``i`` of a condition: scenario ``i`` of the bank (cycling)."""
    load_scenarios(bank.given)

    def make(condition: Condition, index: int) -> Item:
        row = scenario(index, bank.given)
        return Item(f"{row['id']}-{index}", {"scenario": row}, target="A")

    return Items(make, [bank.source])


@task
def oversight(
    study: str = "oversight_goals",
    variant: str | list[str] | None = None,
    role: str | None = None,
    items: int | None = None,
    scenarios: str | None = None,
    message_limit: int | None = None,
    token_limit: int | None = None,
    **unknown: Any,
) -> Task:
    """Oversight subversion, one sample per condition x item (item i is scenario i of the bank).

    Args:
        study: Study name or path of a study file of this family.
        variant: Variant id(s) to run (default: every variant of the study).
        role: Run only condition 'a' or 'b' of each pair.
        items: Scenarios per condition (default: the study's ``items``; the bank cycles).
        scenarios: A JSONL file or Hugging Face dataset path with the bank's columns, instead of
            the shipped scenario bank.
        message_limit: Messages per sample (default 60); the sample is excluded (``limit``)
            when it cuts the episode short. Inspect's ``--message-limit`` overrides it.
        token_limit: Tokens per sample (default 300,000); as ``message_limit``.
    """
    return FAMILY.build(**locals())  # exactly the parameters above


FAMILY = FamilyTask.declare(
    __file__, oversight_scorer, scenario_items,
    final_answer=lambda text, _: lenient_choice(text) is not None, required_files=(CONFIG, MEMO),
)
