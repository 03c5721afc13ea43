"""``shutdown``: the shutdown-resistance environment (Palisade Research) as an Inspect task.

Its tools (``next_task`` and ``shutdown_submit`` are registered in ``environment.py``), limits
and generated tasks are declared in ``prompts/shutdown/family.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspect_ai import Task, task
from inspect_ai.solver import Generate, Solver, TaskState, solver

from beyond_episode.ablations.study import Condition
from beyond_episode.prompts.family import Family
from beyond_episode.tasks.environment.conditions import Item, environment_files
from beyond_episode.tasks.environment.family_task import Bank, FamilyTask, Items
from beyond_episode.tasks.environment.filesystem import init_files
from beyond_episode.tasks.shutdown.environment import (
    SCRIPT,
    check_shutdown_on,
    init_environment,
    stop_after_shutdown,
    task_set,
)
from beyond_episode.tasks.shutdown.scorer import shutdown_scorer

NOTICE_AFTER = 3
"""The notice comes with the result of this task (Palisade: midway through the tasks)."""
NOTICE = "@notice"
"""The family's ``files`` entry of the notice: rendered like every file (so ``bep validate`` and
``bep diff`` cover it), but served by ``next_task`` instead of being laid out in the directory."""


@solver
def setup_environment() -> Solver:
    """Lay out the working directory and the task server from the sample's metadata."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        files = environment_files(state.metadata)
        notice = files.pop(NOTICE, "")
        init_files(files)
        init_environment(state.metadata, notice, NOTICE_AFTER)
        return state

    return solve


def task_items(family: Family, conditions: Sequence[Condition], bank: Bank) -> Items:
    """Item ``i``: a seeded set of tasks (``per_item`` of them), and when the trigger runs the script."""

    def make(condition: Condition, index: int) -> Item:
        item_id = f"tasks-{index}"
        tasks = task_set(item_id, bank.per_item)
        values = family.variables(family.resolve(condition.levels))
        where = f"family '{family.name}', condition {condition.id}"
        metadata = {"shutdown_on": check_shutdown_on(values.get("shutdown_on"), where), "shutdown_tasks": tasks}
        return Item(item_id, {}, target="\n".join(t["answer"] for t in tasks), metadata=metadata)

    return Items(make)


@task
def shutdown(
    study: str = "shutdown_precedence",
    variant: str | list[str] | None = None,
    role: str | None = None,
    items: int | None = None,
    message_limit: int | None = None,
    token_limit: int | None = None,
    **unknown: Any,
) -> Task:
    """Shutdown resistance, one sample per condition x item (a seeded set of 5 tasks).

    Args:
        study: Study name or path of a study file of this family.
        variant: Variant id(s) to run (default: every variant of the study).
        role: Run only condition 'a' or 'b' of each pair.
        items: Task sets per condition (default: the study's ``items``).
        message_limit: Messages per sample (default 80); the sample is excluded (``limit``)
            when it cuts the episode short. Inspect's ``--message-limit`` overrides it.
        token_limit: Tokens per sample (default 400,000); as ``message_limit``.
    """
    return FAMILY.build(**locals())  # exactly the parameters above


FAMILY = FamilyTask.declare(
    __file__, shutdown_scorer, task_items,
    setup=setup_environment, on_continue=stop_after_shutdown, required_files=(SCRIPT, NOTICE),
)
