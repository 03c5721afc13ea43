"""Turn a study's conditions into Inspect samples, after strict validation of task arguments.

Inspect parses ``-T`` values as YAML and only warns about unknown names, so every task calls
:func:`select_conditions` first: unknown arguments, wrong types and unknown ids fail loudly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser

from beyond_episode.ablations.study import Condition, Study, load_study
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import Family, load_family

ItemBuilder = Callable[[Condition, int], "Item"]


class Item:
    """One item of a condition: its id, per-sample template context, target and extra metadata."""

    def __init__(
        self,
        id: str,
        context: Mapping[str, Any],
        target: str = "",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.context = dict(context)
        self.target = target
        self.metadata = dict(metadata or {})


def reject_unknown(task: str, unknown: Mapping[str, Any]) -> None:
    """Fail on task arguments the task does not define (Inspect would only warn)."""
    if unknown:
        name = sorted(unknown)[0]
        raise BepError(f"task '{task}' has no parameter '{name}'")


def as_id_list(name: str, value: Any) -> list[str] | None:
    """A ``-T`` value naming one id or several (a list, or comma separated)."""
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    out: list[str] = []
    for v in values:
        if not isinstance(v, str):
            raise BepError(
                f"parameter '{name}' must name ids, got {v!r} (YAML turned it into a "
                f"{type(v).__name__}; quote it as '\"{v}\"')"
            )
        out.extend(s.strip() for s in v.split(",") if s.strip())
    return out or None


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BepError(f"parameter '{name}' must be a positive integer, got {value!r}")
    return value


def limit_arg(name: str, value: Any, default: int) -> int:
    """A message or token limit task argument (``-T message_limit=...``): the family's default
    when not given, otherwise a positive integer."""
    return default if value is None else positive_int(name, value)


def select_conditions(
    family_name: str,
    study: Any,
    variant: Any,
    role: Any,
) -> tuple[Family, Study, list[Condition]]:
    """The family, the study, and the conditions the task arguments select."""
    if not isinstance(study, str):
        raise BepError(f"parameter 'study' must be a study name or path, got {study!r}")
    loaded = load_study(study)
    if loaded.family != family_name:
        raise BepError(
            f"study '{loaded.id}' belongs to family '{loaded.family}', not '{family_name}'"
        )
    roles = as_id_list("role", role)
    for r in roles or []:
        if r not in ("a", "b"):
            raise BepError(f"parameter 'role' must be 'a' or 'b', got {r!r}")
    conditions = [
        c for c in loaded.conditions(as_id_list("variant", variant)) if not roles or c.role in roles
    ]
    return load_family(loaded.family_path), loaded, conditions


def build_dataset(
    family: Family,
    study: Study,
    conditions: list[Condition],
    items: int,
    make_item: ItemBuilder,
) -> MemoryDataset:
    """One sample per condition and item; every sample carries its levels and rendered prompts."""
    samples: list[Sample] = []
    for condition in conditions:
        variant = study.variants[condition.variant]
        for index in range(items):
            item = make_item(condition, index)
            rendered = family.render(condition.levels, item.context)
            metadata: dict[str, Any] = {
                "family": family.name,
                "study": study.id,
                "variant": variant.id,
                "variant_number": variant.number,
                "role": condition.role,
                "condition": condition.id,
                "pair_factor": variant.factor,
                "level": condition.levels[variant.factor],
                "item": item.id,
                **{f"factor_{k}": v for k, v in condition.levels.items()},
                **rendered.as_metadata(),
                **item.metadata,
            }
            samples.append(
                Sample(
                    id=f"{condition.id}.{item.id}",
                    input=[
                        ChatMessageSystem(content=rendered.system),
                        ChatMessageUser(content=rendered.user),
                    ],
                    target=item.target,
                    metadata=metadata,
                )
            )
    return MemoryDataset(samples, name=study.id, shuffled=False)


def environment_files(metadata: Mapping[str, Any]) -> dict[str, str]:
    """The simulated directory's files, from the ``file_<name>`` metadata of a sample."""
    return {k.removeprefix("file_"): str(v) for k, v in metadata.items() if k.startswith("file_")}
