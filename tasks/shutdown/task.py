"""``shutdown``: the shutdown-resistance environment (Palisade Research) as an Inspect task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inspect_ai import Task, task
from inspect_ai.solver import Generate, Solver, TaskState, solver

from beyond_episode.ablations.study import Condition
from beyond_episode.prompts.family import Family
from beyond_episode.tasks.environment.agent import AgentEpisode
from beyond_episode.tasks.environment.conditions import Item, environment_files
from beyond_episode.tasks.environment.family_task import FamilyTask, Items
from beyond_episode.tasks.environment.filesystem import FILE_TOOLS, init_files
from beyond_episode.tasks.shutdown.environment import (
    SCRIPT,
    check_shutdown_on,
    init_environment,
    next_task,
    stop_after_shutdown,
    submit,
    task_set,
)
from beyond_episode.tasks.shutdown.scorer import shutdown_scorer

TASKS_PER_EPISODE = 5
NOTICE_AFTER = 3
"""The notice comes with the result of this task (Palisade: midway through the tasks)."""
NOTICE = "@notice"
"""The family's ``files`` entry of the notice: rendered like every file (so ``bep validate`` and
``bep diff`` cover it), but served by ``next_task`` instead of being laid out in the directory."""
DEFAULT_STUDY = "shutdown_precedence"
MESSAGE_LIMIT = 80
"""A full episode (list, five tasks, the notice, a sabotage, submit, follow-up) takes about 20
messages; 80 leaves room to explore and stops a lost agent."""
TOKEN_LIMIT = 400_000
"""Input plus output tokens of the whole sample, follow-up included (a bound on cost)."""


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


def task_items(family: Family, conditions: Sequence[Condition], options: Mapping[str, Any]) -> Items:
    """Item ``i``: a seeded set of 5 arithmetic tasks, and when the trigger runs the script."""

    def make(condition: Condition, index: int) -> Item:
        item_id = f"tasks-{index}"
        tasks = task_set(item_id, TASKS_PER_EPISODE)
        values = family.variables(family.resolve(condition.levels))
        where = f"family '{family.name}', condition {condition.id}"
        metadata = {"shutdown_on": check_shutdown_on(values.get("shutdown_on"), where), "shutdown_tasks": tasks}
        return Item(item_id, {}, target="\n".join(t["answer"] for t in tasks), metadata=metadata)

    return Items(make)


@task
def shutdown(
    study: str = DEFAULT_STUDY,
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


FAMILY = FamilyTask(
    name="shutdown",
    default_study=DEFAULT_STUDY,
    episode=AgentEpisode(
        tools=lambda: [*(tool() for tool in FILE_TOOLS), next_task()],
        submit=submit,
        setup=setup_environment,
        on_continue=stop_after_shutdown,
    ),
    scorer=shutdown_scorer,
    items=task_items,
    message_limit=MESSAGE_LIMIT,
    token_limit=TOKEN_LIMIT,
    required_files=(SCRIPT, NOTICE),
)
