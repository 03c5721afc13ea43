"""One way to build a family's Inspect task, from its ``family.yaml`` and a little code.

The family's ``family.yaml`` declares what its task needs (:mod:`beyond_episode.prompts.task_spec`):
its tools (names from :mod:`beyond_episode.tasks.environment.tools`), its default message and
token limits with their reasons, and its item bank. The family's task module adds only what is
code: its ``@task`` function (explicit parameters, so that ``-T`` and eval-set identity see
them), its scorer and items builder, and any tool or hook of its own, declared with
:meth:`FamilyTask.declare`. The ``@task`` function hands its arguments to :meth:`FamilyTask.build`,
which

* checks every argument strictly (Inspect parses ``-T`` values as YAML 1.1 and only warns about
  unknown names; :mod:`beyond_episode.tasks.environment.task_args`);
* builds the dataset: one sample per condition and item, with its rendered prompts;
* returns ``Task(setup=..., solver=..., scorer=..., limits, version=...)``, the version being the
  content hash of the family folder, the study file and the item banks in use.

Tools, limits and bank come from the family folder the study names, so a study of an edited copy
of a family runs with the copy's declarations. By convention the declaration lives in
``beyond_episode.tasks.<family>.task`` (:func:`find_family_task`), and the family's folder is
``prompts/<family>`` beside that ``tasks`` package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset
from inspect_ai.scorer import Scorer
from inspect_ai.solver import Solver

from beyond_episode.ablations.study import Condition, Study
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import BankSpec, Family, TaskSpec, load_family
from beyond_episode.tasks.environment.agent import AgentEpisode, TextEpisode
from beyond_episode.tasks.environment.conditions import (
    Item,
    build_dataset,
    limit_arg,
    positive_int,
    reject_unknown,
    select_conditions,
)
from beyond_episode.tasks.environment.task_args import check_raw_task_args
from beyond_episode.tasks.environment.tools import check_tools, is_submit, make_tool
from beyond_episode.tasks.environment.validity import ContinueHook
from beyond_episode.tasks.environment.version import task_version


@dataclass(frozen=True)
class Items:
    """How a family makes the items of its conditions, and the banks they come from."""

    make: Callable[[Condition, int], Item]
    """The ``index``-th item of a condition (the same for both conditions of a pair)."""
    banks: Sequence[str | Path | None] = ()
    """Files, folders or dataset paths the items come from (they enter the task version)."""


@dataclass(frozen=True)
class Bank:
    """The item bank of a task: the family's ``bank:`` and the task argument replacing it."""

    spec: BankSpec
    given: str | None
    """The value of the task argument that replaces the shipped bank (``None``: not given)."""
    shipped: Path | None
    """The shipped bank's file or folder (``None`` for a generated bank)."""

    @property
    def per_item(self) -> int:
        return self.spec.per_item

    @property
    def source(self) -> str | Path | None:
        """The bank in use: the argument's value if given, else the shipped bank."""
        return self.given if self.given is not None else self.shipped


ItemsFunction = Callable[[Family, Sequence[Condition], Bank], Items]
"""The items of a task, given the family, the selected conditions and the bank."""


@dataclass(frozen=True)
class Prepared:
    """A task's family, study, dataset and version."""

    family: Family
    study: Study
    dataset: MemoryDataset
    version: str


def task_spec(family: Family) -> TaskSpec:
    """The family's ``tools``, ``limits`` and ``bank``, or a one-line error if it declares none."""
    if family.task is None:
        raise BepError(
            f"{Path(family.path) / 'family.yaml'}: family '{family.name}' declares no task "
            "(fields 'tools', 'limits' and 'bank')"
        )
    return family.task


def shipped_bank(spec: TaskSpec) -> Path | None:
    """The shipped bank a family names, found below the ``beyond_episode.tasks`` package."""
    if spec.bank.shipped is None:
        return None
    import beyond_episode.tasks

    for root in beyond_episode.tasks.__path__:
        candidate = Path(root) / spec.bank.shipped
        if candidate.exists():
            return candidate
    raise BepError(f"{spec.path}: bank '{spec.bank.shipped}' not found below the tasks package")


@dataclass(frozen=True)
class FamilyTask:
    """A family's task: what its ``family.yaml`` declares, plus its code."""

    name: str
    """The family's name (as in its ``family.yaml``)."""
    scorer: Callable[[], Scorer]
    items: ItemsFunction
    folder: Path | None = None
    """The family's own folder (``prompts/<name>`` beside the task package); ``None``: the
    shipped family of that name."""
    setup: Callable[[], Solver] | None = None
    """The per-sample setup of an agent episode (default: lay out the rendered files)."""
    on_continue: ContinueHook | None = None
    final_answer: Callable[[str, int], bool] | None = None
    """Whether a reply without a tool call is a final answer, given the text and the bank's
    ``per_item``; it then ends the agent loop."""
    required_files: tuple[str, ...] = ()
    """Files the family folder must render (the environment depends on them)."""

    @classmethod
    def declare(cls, module_file: str, scorer: Callable[[], Scorer], items: ItemsFunction, **code: Any) -> FamilyTask:
        """The task of the family whose task module is ``module_file`` (``tasks/<name>/task.py``):
        its name is its package's, its folder ``prompts/<name>`` beside the ``tasks`` package."""
        package = Path(module_file).resolve().parent
        folder = package.parent.parent / "prompts" / package.name
        return cls(package.name, scorer, items, folder if (folder / "family.yaml").is_file() else None, **code)

    def family(self) -> Family:
        """The family this task declares (its own folder, else the shipped one of its name)."""
        return load_family(self.folder if self.folder is not None else self.name)

    @property
    def episode(self) -> AgentEpisode | TextEpisode:
        """The episode of the family's own folder (see :meth:`episode_for`)."""
        return self.episode_for(self.family())

    def episode_for(self, family: Family) -> AgentEpisode | TextEpisode:
        """The episode the family's ``tools`` declare: an agent with those tools, or one text
        response when it declares none."""
        spec = task_spec(family)
        check_tools(spec.tools)
        if not spec.tools:
            return TextEpisode()
        submit = next(t for t in spec.tools if is_submit(t))
        others = [t for t in spec.tools if not is_submit(t)]
        check, per_item = self.final_answer, spec.bank.per_item
        extra: dict[str, Any] = {} if self.setup is None else {"setup": self.setup}
        return AgentEpisode(
            tools=lambda: [make_tool(t) for t in others],
            submit=lambda: make_tool(submit),
            on_continue=self.on_continue,
            final_answer=None if check is None else (lambda text: check(text, per_item)),
            **extra,
        )

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
        spec = task_spec(family)
        n_items = positive_int("items", loaded.items if items is None else items)
        argument = spec.bank.argument
        for name, value in options.items():
            if name != argument:
                if value is None:
                    continue
                raise BepError(f"task '{self.name}' has no parameter '{name}' ({spec.path} names no such bank argument)")
            if value is not None and not isinstance(value, str):
                raise BepError(f"parameter '{name}' must be {spec.bank.accepts}, got {value!r}")
        for name in self.required_files:
            if name not in family.files:
                raise BepError(f"family '{family.name}' must render the file '{name}'")
        given = options.get(argument) if argument is not None else None
        made = self.items(family, conditions, Bank(spec.bank, given, shipped_bank(spec)))
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
        check_raw_task_args(["study", "variant", "role", "items", "message_limit", "token_limit", *options])
        prepared = self.prepare(study, variant, role, items, **options)
        spec = task_spec(prepared.family)
        episode = self.episode_for(prepared.family)
        return Task(
            dataset=prepared.dataset,
            setup=episode.setup_solver(),
            solver=episode.solvers(),
            scorer=self.scorer(),
            message_limit=limit_arg("message_limit", message_limit, spec.message_limit + 2 * _copies(prepared)),
            token_limit=limit_arg("token_limit", token_limit, spec.token_limit),
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
