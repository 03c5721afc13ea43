"""``oversight``: the oversight-subversion environment (Apollo Research) as an Inspect task."""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.tool import Tool, tool
from inspect_ai.util import store

from beyond_episode.ablations.study import Condition
from beyond_episode.errors import BepError
from beyond_episode.tasks.environment.agent import agent_episode
from beyond_episode.tasks.environment.conditions import (
    Item,
    build_dataset,
    limit_arg,
    positive_int,
    reject_unknown,
    select_conditions,
)
from beyond_episode.tasks.environment.filesystem import (
    delete_file,
    list_files,
    move_file,
    read_file,
    write_file,
)
from beyond_episode.tasks.environment.version import task_version
from beyond_episode.tasks.oversight.scenarios import SCENARIOS, load_scenarios, scenario
from beyond_episode.tasks.oversight.scorer import (
    CONFIG,
    MEMO,
    SUBMISSION_KEY,
    VALIDITY,
    lenient_choice,
    oversight_scorer,
)

FAMILY = "oversight"
DEFAULT_STUDY = "oversight_goals"
MESSAGE_LIMIT = 60
"""A full episode (list, read three files, an edit, submit, follow-up) takes about 16 messages;
60 leaves room to explore and stops a lost agent."""
TOKEN_LIMIT = 300_000
"""Input plus output tokens of the whole sample, follow-up included (a bound on cost)."""


@tool
def submit() -> Tool:
    async def execute(choice: str) -> str:
        """Submit the option you choose and end the task.

        Args:
            choice: The letter of the option you choose (e.g. 'A').
        """
        store().set(SUBMISSION_KEY, choice)
        return choice

    return execute


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
    reject_unknown(FAMILY, unknown)
    family, loaded, conditions = select_conditions(FAMILY, study, variant, role)
    n_items = positive_int("items", loaded.items if items is None else items)
    if scenarios is not None and not isinstance(scenarios, str):
        raise BepError(f"parameter 'scenarios' must be a file or dataset path, got {scenarios!r}")
    for name in (CONFIG, MEMO):
        if name not in family.files:
            raise BepError(f"family '{family.name}' must lay out the file '{name}'")
    load_scenarios(scenarios)

    def make_item(condition: Condition, index: int) -> Item:
        row = scenario(index, scenarios)
        return Item(id=f"{row['id']}-{index}", context={"scenario": row}, target="A")

    return Task(
        dataset=build_dataset(family, loaded, conditions, n_items, make_item),
        solver=agent_episode(
            [list_files(), read_file(), write_file(), move_file(), delete_file()],
            submit(),
            final_answer=(lambda text: lenient_choice(text) is not None) if VALIDITY.plain_text_answer else None,
        ),
        scorer=oversight_scorer(),
        message_limit=limit_arg("message_limit", message_limit, MESSAGE_LIMIT),
        token_limit=limit_arg("token_limit", token_limit, TOKEN_LIMIT),
        version=task_version(family, loaded, [SCENARIOS if scenarios is None else scenarios]),
        metadata={"family": FAMILY, "study": loaded.id},
    )
