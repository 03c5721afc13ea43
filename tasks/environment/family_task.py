"""One way to build a family's Inspect task: a :class:`FamilyTask` declaration.

A family's task module declares its episode, scorer, items, default limits and its own task
arguments once, and its ``@task`` function (explicit parameters, so that ``-T`` and eval-set
identity see them) hands its arguments to :meth:`FamilyTask.build`, which

* checks every argument strictly (Inspect parses ``-T`` values as YAML and only warns about
  unknown names);
* builds the dataset: one sample per condition and item, with its rendered prompts;
* returns ``Task(setup=..., solver=..., scorer=..., limits, version=...)``, the version being the
  content hash of the family folder, the study file and the item banks in use.

By convention the declaration lives in ``beyond_episode.tasks.<family>.task``
(:func:`find_family_task`), next to the ``@task`` function of the same name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset
from inspect_ai.scorer import Scorer

from beyond_episode.ablations.study import Condition, Study
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import Family
from beyond_episode.tasks.environment.agent import AgentEpisode, TextEpisode
from beyond_episode.tasks.environment.conditions import (
    Item,
    build_dataset,
    limit_arg,
    positive_int,
    reject_unknown,
    select_conditions,
)
from beyond_episode.tasks.environment.version import task_version


@dataclass(frozen=True)
class Items:
    """How a family makes the items of its conditions, and the banks they come from."""

    make: Callable[[Condition, int], Item]
    """The ``index``-th item of a condition (the same for both conditions of a pair)."""
    banks: Sequence[str | Path | None] = ()
    """Files, folders or dataset paths the items come from (they enter the task version)."""


ItemsFunction = Callable[[Family, Sequence[Condition], Mapping[str, Any]], Items]
"""The items of a task, given the family, the selected conditions and the family's own arguments."""


@dataclass(frozen=True)
class Prepared:
    """A task's family, study, dataset and version."""

    family: Family
    study: Study
    dataset: MemoryDataset
    version: str


@dataclass(frozen=True)
class FamilyTask:
    """A family's declaration of its Inspect task."""

    name: str
    """The family's name (as in its ``family.yaml``)."""
    default_study: str
    episode: AgentEpisode | TextEpisode
    scorer: Callable[[], Scorer]
    items: ItemsFunction
    message_limit: int
    """Messages per sample by default (``-T message_limit`` overrides it)."""
    token_limit: int
    """Tokens per sample by default, follow-up included (``-T token_limit`` overrides it)."""
    options: Mapping[str, str] = field(default_factory=dict)
    """The family's own optional string arguments, each with what its value must be (e.g.
    ``{"bank": "a file or dataset path"}``)."""
    required_files: tuple[str, ...] = ()
    """Files the family folder must render (the environment depends on them)."""

    def prepare(
        self,
        study: Any,
        variant: Any = None,
        role: Any = None,
        items: Any = None,
        **options: Any,
    ) -> Prepared:
        """The family, the study, the dataset and the task version the arguments select."""
        family, loaded, conditions = select_conditions(self.name, study, variant, role)
        n_items = positive_int("items", loaded.items if items is None else items)
        for name, value in options.items():
            if name not in self.options:
                raise BepError(f"task '{self.name}' has no parameter '{name}'")
            if value is not None and not isinstance(value, str):
                raise BepError(f"parameter '{name}' must be {self.options[name]}, got {value!r}")
        for name in self.required_files:
            if name not in family.files:
                raise BepError(f"family '{family.name}' must render the file '{name}'")
        made = self.items(family, conditions, {name: options.get(name) for name in self.options})
        return Prepared(
            family,
            loaded,
            build_dataset(family, loaded, conditions, n_items, made.make),
            task_version(family, loaded, made.banks),
        )

    def build(
        self,
        *,
        study: Any,
        variant: Any,
        role: Any,
        items: Any,
        message_limit: Any,
        token_limit: Any,
        unknown: Mapping[str, Any],
        **options: Any,
    ) -> Task:
        """The task for these arguments (``unknown`` holds any argument the task does not define)."""
        reject_unknown(self.name, unknown)
        prepared = self.prepare(study, variant, role, items, **options)
        return Task(
            dataset=prepared.dataset,
            setup=self.episode.setup_solver(),
            solver=self.episode.solvers(),
            scorer=self.scorer(),
            message_limit=limit_arg("message_limit", message_limit, self.message_limit + 2 * _copies(prepared)),
            token_limit=limit_arg("token_limit", token_limit, self.token_limit),
            version=prepared.version,
            metadata={"family": self.name, "study": prepared.study.id},
        )


def _copies(prepared: Prepared) -> int:
    """The most copies of repeated files (a length factor's notes) any sample renders: each one
    read is two more messages, added to the family's default message limit."""
    if not prepared.family.repeated:
        return 0
    fixed = len(prepared.family.files) - len(prepared.family.repeated)
    files = [sum(1 for key in (s.metadata or {}) if key.startswith("file_")) for s in prepared.dataset]
    return max([n - fixed for n in files] + [0])


def find_family_task(family: str) -> FamilyTask:
    """The declaration of a family's task, in ``beyond_episode.tasks.<family>.task``."""
    module_name = f"beyond_episode.tasks.{family}.task"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name is not None and module_name.startswith(err.name):
            raise BepError(f"family '{family}' has no task module {module_name}") from None
        raise
    found = [v for v in vars(module).values() if isinstance(v, FamilyTask) and v.name == family]
    if not found:
        raise BepError(f"{module_name} declares no FamilyTask named '{family}'")
    return found[0]
