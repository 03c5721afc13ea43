"""``goal_guarding``: the alignment-faking / goal-guarding environment as an Inspect task."""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.solver import Generate, Solver, TaskState, solver

from beyond_episode.ablations.study import Condition
from beyond_episode.errors import BepError
from beyond_episode.tasks.environment.conditions import (
    Item,
    build_dataset,
    limit_arg,
    positive_int,
    reject_unknown,
    select_conditions,
)
from beyond_episode.tasks.environment.followup import ask_followup
from beyond_episode.tasks.environment.version import task_version
from beyond_episode.tasks.goal_guarding.request_bank import REQUESTS, load_requests, request_for
from beyond_episode.tasks.goal_guarding.scorer import RESPONSE_KEY, goal_guarding_scorer

FAMILY = "goal_guarding"
DEFAULT_STUDY = "goal_guarding_tiers"
MESSAGE_LIMIT = 10
"""The episode is one response and the follow-up: 5 messages."""
TOKEN_LIMIT = 100_000
"""Input plus output tokens of the whole sample, follow-up included (a bound on cost)."""


@solver
def respond() -> Solver:
    """One response to the request (no tools); kept in the store before the follow-up."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state = await generate(state, tool_calls="none")
        state.store.set(RESPONSE_KEY, state.output.completion)
        return state

    return solve


@task
def goal_guarding(
    study: str = DEFAULT_STUDY,
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
    reject_unknown(FAMILY, unknown)
    family, loaded, conditions = select_conditions(FAMILY, study, variant, role)
    n_items = positive_int("items", loaded.items if items is None else items)
    if bank is not None and not isinstance(bank, str):
        raise BepError(f"parameter 'bank' must be a file or dataset path, got {bank!r}")
    load_requests(bank)

    def make_item(condition: Condition, index: int) -> Item:
        row = request_for(index, bank)
        return Item(
            id=f"{row['id']}-{index}",
            context={"request": row["request"]},
            metadata={"request": row["request"], "request_kind": row["kind"]},
        )

    return Task(
        dataset=build_dataset(family, loaded, conditions, n_items, make_item),
        solver=[respond(), ask_followup()],
        scorer=goal_guarding_scorer(),
        message_limit=limit_arg("message_limit", message_limit, MESSAGE_LIMIT),
        token_limit=limit_arg("token_limit", token_limit, TOKEN_LIMIT),
        version=task_version(family, loaded, [REQUESTS if bank is None else bank]),
        metadata={"family": FAMILY, "study": loaded.id},
    )
