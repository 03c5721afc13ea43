"""The typed fields of a study file: required fields, its numbers and its outcome.

The outcome must be one the family declares in its ``family.yaml`` (its type and trials are
taken from there, and a study that states them must agree). Numbers must make sense for it:
``margin`` in [0, 1) for a proportion or binary outcome and positive for a mean, ``min_effect``
above ``margin`` (and at most 1 for a proportion or binary outcome), ``alpha`` in (0, 0.5], and
``epochs``, ``quick_epochs`` and ``items`` integers in [1, 100000] with ``quick_epochs <= epochs``.
Every problem is a one-line :class:`BepError` naming the file, the line and the field.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beyond_episode.ablations.study import MAX_COUNT, Outcome
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import OUTCOME_TYPES, DeclaredOutcome, Family
from beyond_episode.prompts.meaning import parse_direction
from beyond_episode.yamlio import LineMap, short, where


def required_field(spec: LineMap, key: str, path: Path, kind: type | tuple[type, ...]) -> Any:
    if key not in spec:
        raise BepError(f"{where(path, spec)}: missing field '{key}'")
    value = spec[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise BepError(f"{where(path, spec, key)}: field '{key}' must be a {name}")
    return value


def real_field(spec: LineMap, key: str, path: Path, default: float) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BepError(f"{where(path, spec, key)}: field '{key}' must be a finite number, got {short(value)}")
    return float(value)


def integer_field(spec: LineMap, key: str, path: Path, default: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise BepError(
            f"{where(path, spec, key)}: field '{key}' must be an integer in [1, {MAX_COUNT}], got {short(value)}"
        )
    return value


@dataclass(frozen=True)
class Settings:
    margin: float
    alpha: float
    min_effect: float
    epochs: int
    quick_epochs: int
    items: int


def settings_of(spec: LineMap, path: Path, outcome: Outcome) -> Settings:
    """The study's numbers, each checked against the range that makes sense for the outcome."""
    margin = real_field(spec, "margin", path, 0.1)
    bounded = outcome.type != "mean"
    if bounded and not 0 <= margin < 1:
        raise BepError(
            f"{where(path, spec, 'margin')}: field 'margin' must be in [0, 1) for a {outcome.type} "
            f"outcome, got {margin:g}"
        )
    if not bounded and margin <= 0:
        raise BepError(
            f"{where(path, spec, 'margin')}: field 'margin' must be positive for a mean outcome, got {margin:g}"
        )
    min_effect = real_field(spec, "min_effect", path, 0.2)
    if min_effect <= margin:
        raise BepError(
            f"{where(path, spec, 'min_effect')}: field 'min_effect' ({min_effect:g}) must be greater "
            f"than margin ({margin:g})"
        )
    if bounded and min_effect > 1:
        raise BepError(
            f"{where(path, spec, 'min_effect')}: field 'min_effect' must be at most 1 for a "
            f"{outcome.type} outcome, got {min_effect:g}"
        )
    alpha = real_field(spec, "alpha", path, 0.05)
    if not 0 < alpha <= 0.5:
        raise BepError(f"{where(path, spec, 'alpha')}: field 'alpha' must be in (0, 0.5], got {alpha:g}")
    epochs = integer_field(spec, "epochs", path, 20)
    quick = integer_field(spec, "quick_epochs", path, min(4, epochs))
    if quick > epochs:
        raise BepError(
            f"{where(path, spec, 'quick_epochs')}: field 'quick_epochs' ({quick}) must not exceed "
            f"epochs ({epochs})"
        )
    items = integer_field(spec, "items", path, 5)
    return Settings(margin, alpha, min_effect, epochs, quick, items)


def outcome_of(spec: LineMap, path: Path, family: Family) -> Outcome:
    """The study's outcome: one its family declares, with the declared type and trials."""
    node = required_field(spec, "outcome", path, dict)
    extra = set(node) - {"name", "type", "label", "trials", "behaviour"}
    if extra:
        key = sorted(extra)[0]
        raise BepError(f"{where(path, node, key)}: unknown field '{key}' in outcome")
    name = required_field(node, "name", path, str)
    declared = family.outcomes.get(name)
    if declared is None:
        close = difflib.get_close_matches(name, list(family.outcomes), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise BepError(
            f"{where(path, node, 'name')}: outcome '{name}' is not one family '{family.name}' declares "
            f"(declared: {', '.join(family.outcomes)}){hint}"
        )
    o_type = node.get("type", declared.type)
    if o_type not in OUTCOME_TYPES:
        raise BepError(
            f"{where(path, node, 'type')}: outcome type '{o_type}' must be one of {', '.join(OUTCOME_TYPES)}"
        )
    if o_type != declared.type:
        raise BepError(
            f"{where(path, node, 'type')}: outcome '{name}' is a {o_type} here but family "
            f"'{family.name}' declares it {declared.type}"
        )
    trials = declared.trials or 1
    if "trials" in node:
        given = integer_field(node, "trials", path, trials)
        if given != trials:
            what = f"{declared.trials} trials" if declared.trials else "no trials (not a proportion)"
            raise BepError(
                f"{where(path, node, 'trials')}: outcome '{name}' has {given} trials here but family "
                f"'{family.name}' declares {what}"
            )
    direction, borrowed = direction_of(node, path, family, declared)
    return Outcome(
        name=name, type=o_type, label=str(node.get("label", name)), trials=trials,
        direction=direction, direction_from=borrowed,
    )


def direction_of(node: LineMap, path: Path, family: Family, declared: DeclaredOutcome) -> tuple[int | None, str]:
    """Whether the behaviour raises (+1) or lowers (-1) the outcome, and the outcome that says so if another.

    The study's ``behaviour: raises | lowers`` (which must agree with the family), else the
    family's for this outcome, else that of the one outcome the family gives a direction (its
    main measure: predictions read the effect as that outcome does).
    """
    stated = parse_direction(node, path, declared.name)
    if stated is not None and declared.direction is not None and stated != declared.direction:
        raise BepError(
            f"{where(path, node, 'behaviour')}: the behaviour {node['behaviour']} outcome '{declared.name}' "
            f"here, but family '{family.name}' says the opposite"
        )
    own = stated if stated is not None else declared.direction
    if own is not None:
        return own, ""
    main = [o for o in family.outcomes.values() if o.direction is not None]
    return (main[0].direction, main[0].name) if len(main) == 1 else (None, "")
