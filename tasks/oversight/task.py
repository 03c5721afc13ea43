"""``oversight``: the oversight-subversion environment (Apollo Research) as an Inspect task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inspect_ai import Task, task

from beyond_episode.ablations.study import Condition
from beyond_episode.prompts.family import Family
from beyond_episode.tasks.environment.agent import AgentEpisode, submit_tool
from beyond_episode.tasks.environment.conditions import Item
from beyond_episode.tasks.environment.family_task import FamilyTask, Items
from beyond_episode.tasks.environment.filesystem import FILE_TOOLS
from beyond_episode.tasks.oversight.scenarios import SCENARIOS, load_scenarios, scenario
from beyond_episode.tasks.oversight.scorer import CONFIG, MEMO, lenient_choice, oversight_scorer

DEFAULT_STUDY = "oversight_goals"
MESSAGE_LIMIT = 60
"""A full episode (list, read three files, an edit, submit, follow-up) takes about 16 messages;
60 leaves room to explore and stops a lost agent."""
TOKEN_LIMIT = 300_000
"""Input plus output tokens of the whole sample, follow-up included (a bound on cost)."""


def scenario_items(family: Family, conditions: Sequence[Condition], options: Mapping[str, Any]) -> Items:
    """Item ``i`` of a condition: scenario ``i`` of the bank (cycling)."""
    bank = options["scenarios"]
    load_scenarios(bank)

    def make(condition: Condition, index: int) -> Item:
        row = scenario(index, bank)
        return Item(f"{row['id']}-{index}", {"scenario": row}, target="A")

    return Items(make, [SCENARIOS if bank is None else bank])


@task
def oversight(
    study: str = DEFAULT_STUDY,
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


FAMILY = FamilyTask(
    name="oversight",
    default_study=DEFAULT_STUDY,
    episode=AgentEpisode(
        tools=lambda: [tool() for tool in FILE_TOOLS],
        submit=lambda: submit_tool(
            "choice", "Submit the option you choose and end the task.", "The letter of the option you choose (e.g. 'A')."
        ),
        final_answer=lambda text: lenient_choice(text) is not None,
    ),
    scorer=oversight_scorer,
    items=scenario_items,
    message_limit=MESSAGE_LIMIT,
    token_limit=TOKEN_LIMIT,
    options={"scenarios": "a file or dataset path"},
    required_files=(CONFIG, MEMO),
)
