"""Load and validate an ablation study file (YAML).

A study names its family, default factor levels, an outcome measure, its variants and its
hypotheses. Each variant is a counterfactual pair of conditions ``a`` and ``b`` that differ in
exactly one factor; the variant's effect is ``outcome(a) - outcome(b)``, and study authors order
``a`` and ``b`` so that a positive effect is the behaviour under study. Each hypothesis predicts,
for every variant, the sign of its effect: ``+`` (effect > margin), ``0`` (|effect| <= margin),
``-`` (effect < -margin) or ``?`` (no prediction). The predictions are derived from what the
variant's levels change, and a study lists only those it overrides
(:mod:`beyond_episode.ablations.hypotheses`). Every problem is a one-line :class:`BepError`
naming the file, the line and the field.

The outcome must be one the family declares in its ``family.yaml`` (its type and trials are
taken from there, and a study that states them must agree). Numbers must make sense for it:
``margin`` in [0, 1) for a proportion or binary outcome and positive for a mean, ``min_effect``
above ``margin`` (and at most 1 for a proportion or binary outcome), ``alpha`` in (0, 0.5], and
``epochs``, ``quick_epochs`` and ``items`` integers in [1, 100000] with ``quick_epochs <= epochs``.

``family:`` is a shipped family's name or a path to a family folder; a relative path resolves
against the folder of the study file. ``Study.family_path`` is the folder it was checked against.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beyond_episode.ablations.hypotheses import (
    KINDS,
    SIGNS,
    Hypothesis,
    Kind,
    Pair,
    Prediction,
    Sign,
    parse_hypotheses,
)
from beyond_episode.errors import BepError
from beyond_episode.paths import ablations_dir
from beyond_episode.prompts.family import (
    OUTCOME_TYPES,
    DeclaredOutcome,
    Family,
    OutcomeType,
    folder_digest,
    is_path_ref,
    load_family,
)
from beyond_episode.prompts.meaning import parse_direction
from beyond_episode.yamlio import LineMap, load_yaml, short, where

__all__ = [
    "KINDS", "SIGNS", "Condition", "Hypothesis", "Kind", "Outcome", "Prediction", "Sign", "Study",
    "Variant", "load_study", "study_names", "study_path",
]
ROLES: tuple[str, str] = ("a", "b")
MAX_COUNT = 100_000
"""The largest ``epochs``, ``quick_epochs``, ``items`` or ``trials`` a study may ask for."""
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Outcome:
    """The measure the effects use: a key of the task's score value."""

    name: str
    type: OutcomeType
    label: str
    trials: int = 1
    """For ``proportion`` outcomes, the number of 0/1 trials per sample (e.g. 10 questions)."""
    direction: int | None = None
    """+1 if the family's behaviour raises the outcome, -1 if it lowers it (``None``: not stated)."""
    direction_from: str = ""
    """The outcome whose direction predictions are read with, when this one states none (else empty)."""


@dataclass(frozen=True)
class Condition:
    """One side of a pair: a fully resolved set of factor levels."""

    variant: str
    role: str
    levels: Mapping[str, str]

    @property
    def id(self) -> str:
        return f"{self.variant}.{self.role}"


@dataclass(frozen=True)
class Variant:
    """A counterfactual pair of conditions differing in exactly one factor."""

    id: str
    number: int
    description: str
    factor: str
    a: Condition
    b: Condition

    @property
    def conditions(self) -> tuple[Condition, Condition]:
        return (self.a, self.b)


@dataclass(frozen=True)
class Study:
    """A validated ablation study."""

    id: str
    description: str
    family: str
    """The family's name (the ``name`` in its ``family.yaml``)."""
    path: Path
    outcome: Outcome
    margin: float
    alpha: float
    epochs: int
    quick_epochs: int
    items: int
    min_effect: float
    variants: Mapping[str, Variant]
    hypotheses: Mapping[str, Hypothesis]
    family_path: Path
    """The folder of the family this study was validated against (absolute). Load the family
    with ``load_family(study.family_path)`` to use exactly that folder, never a shipped one of
    the same name."""
    subjects: tuple[str, ...] = ()
    """The reference-subject profiles a run without ``--model`` uses (empty: every shipped
    profile): the profiles the study is designed to tell apart."""

    def conditions(self, variants: list[str] | None = None) -> list[Condition]:
        """Every condition of the chosen variants (all by default), ``a`` before ``b``."""
        chosen = self.select(variants)
        return [c for v in chosen for c in v.conditions]

    def select(self, variants: list[str] | None = None) -> list[Variant]:
        """The named variants, in study order; an unknown id is an error."""
        if not variants:
            return list(self.variants.values())
        for vid in variants:
            if vid not in self.variants:
                raise BepError(
                    f"study '{self.id}' has no variant '{vid}' (variants: {', '.join(self.variants)})"
                )
        return [v for v in self.variants.values() if v.id in variants]


def study_names() -> list[str]:
    """Names of the shipped studies (the shared hypotheses live in ``shared/``, not a study)."""
    return sorted(p.stem for p in ablations_dir().glob("*.yaml"))


def study_path(name_or_path: str | Path) -> Path:
    """The file of a shipped study name, or the given path (never a shipped study of the same id).

    A :class:`~pathlib.Path`, or a string ending in ``.yaml``/``.yml`` or holding a path
    separator, is a file; any other string is the name of a shipped study.
    """
    if is_path_ref(name_or_path):
        candidate = Path(name_or_path).expanduser()
        if candidate.is_dir():
            raise BepError(f"study file '{candidate}' is a folder, not a study file")
        if not candidate.is_file():
            raise BepError(f"study file '{candidate}' not found")
        return candidate
    shipped = ablations_dir() / f"{name_or_path}.yaml"
    if _ID.match(str(name_or_path)) and shipped.is_file():
        return shipped
    raise BepError(f"unknown study '{name_or_path}' (shipped studies: {', '.join(study_names())})")


_CACHE: OrderedDict[str, tuple[str, str, Study]] = OrderedDict()
_CACHE_SIZE = 64


def load_study(name_or_path: str | Path) -> Study:
    """Load and validate a study by shipped name or path.

    The result is cached by a digest of the study file's bytes and of its family folder's files,
    so a study or family edited in a long-lived process is read and checked again.
    """
    path = study_path(name_or_path)
    key = str(path.resolve())
    try:
        stamp = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as err:
        raise BepError(f"{path}: cannot read file ({err.strerror or err})") from None
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == stamp and folder_digest(hit[2].family_path) == hit[1]:
        _CACHE.move_to_end(key)
        return hit[2]
    study = _read_study(Path(key))
    _CACHE[key] = (stamp, folder_digest(study.family_path), study)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return study


def _read_study(path: Path) -> Study:
    spec = load_yaml(path)
    if not isinstance(spec, LineMap):
        raise BepError(f"{path}: a study file must be a mapping")
    return _parse_study(spec, path)


_STUDY_FIELDS = {
    "study", "description", "family", "outcome", "defaults", "pair", "margin", "alpha",
    "epochs", "quick_epochs", "items", "min_effect", "variants", "hypotheses", "overrides",
    "subjects",
}


def _field(spec: LineMap, key: str, path: Path, kind: type | tuple[type, ...]) -> Any:
    if key not in spec:
        raise BepError(f"{where(path, spec)}: missing field '{key}'")
    value = spec[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise BepError(f"{where(path, spec, key)}: field '{key}' must be a {name}")
    return value


def _real(spec: LineMap, key: str, path: Path, default: float) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BepError(f"{where(path, spec, key)}: field '{key}' must be a finite number, got {short(value)}")
    return float(value)


def _integer(spec: LineMap, key: str, path: Path, default: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise BepError(
            f"{where(path, spec, key)}: field '{key}' must be an integer in [1, {MAX_COUNT}], got {short(value)}"
        )
    return value


@dataclass(frozen=True)
class _Settings:
    margin: float
    alpha: float
    min_effect: float
    epochs: int
    quick_epochs: int
    items: int


def _settings(spec: LineMap, path: Path, outcome: Outcome) -> _Settings:
    """The study's numbers, each checked against the range that makes sense for the outcome."""
    margin = _real(spec, "margin", path, 0.1)
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
    min_effect = _real(spec, "min_effect", path, 0.2)
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
    alpha = _real(spec, "alpha", path, 0.05)
    if not 0 < alpha <= 0.5:
        raise BepError(f"{where(path, spec, 'alpha')}: field 'alpha' must be in (0, 0.5], got {alpha:g}")
    epochs = _integer(spec, "epochs", path, 20)
    quick = _integer(spec, "quick_epochs", path, min(4, epochs))
    if quick > epochs:
        raise BepError(
            f"{where(path, spec, 'quick_epochs')}: field 'quick_epochs' ({quick}) must not exceed "
            f"epochs ({epochs})"
        )
    items = _integer(spec, "items", path, 5)
    return _Settings(margin, alpha, min_effect, epochs, quick, items)


def _outcome(spec: LineMap, path: Path, family: Family) -> Outcome:
    """The study's outcome: one its family declares, with the declared type and trials."""
    node = _field(spec, "outcome", path, dict)
    extra = set(node) - {"name", "type", "label", "trials", "behaviour"}
    if extra:
        key = sorted(extra)[0]
        raise BepError(f"{where(path, node, key)}: unknown field '{key}' in outcome")
    name = _field(node, "name", path, str)
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
        given = _integer(node, "trials", path, trials)
        if given != trials:
            what = f"{declared.trials} trials" if declared.trials else "no trials (not a proportion)"
            raise BepError(
                f"{where(path, node, 'trials')}: outcome '{name}' has {given} trials here but family "
                f"'{family.name}' declares {what}"
            )
    direction, borrowed = _direction(node, path, family, declared)
    return Outcome(
        name=name, type=o_type, label=str(node.get("label", name)), trials=trials,
        direction=direction, direction_from=borrowed,
    )


def _direction(node: LineMap, path: Path, family: Family, declared: DeclaredOutcome) -> tuple[int | None, str]:
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


def _check_levels(family: Family, levels: Any, path: Path, node: Any, key: str) -> dict[str, str]:
    if levels is None:
        return {}
    if not isinstance(levels, dict):
        raise BepError(f"{where(path, node, key)}: field '{key}' must be a mapping of factor: level")
    for factor, level in levels.items():
        family.check_level(factor, level, source=f"{where(path, levels, factor)}: field '{key}'")
    return {str(k): str(v) for k, v in levels.items()}


def _parse_pair(family: Family, pair: Any, path: Path, node: Any, key: str) -> tuple[str, str, str]:
    if not isinstance(pair, dict):
        raise BepError(f"{where(path, node, key)}: field '{key}' must be a mapping with factor, a, b")
    for field in ("factor", "a", "b"):
        if field not in pair:
            raise BepError(f"{where(path, pair)}: field '{key}' is missing '{field}'")
    extra = set(pair) - {"factor", "a", "b"}
    if extra:
        raise BepError(f"{where(path, pair, sorted(extra)[0])}: unknown field '{sorted(extra)[0]}' in '{key}'")
    factor = str(pair["factor"])
    if factor not in family.factors:
        family.check_level(factor, "", source=f"{where(path, pair, 'factor')}: field '{key}'")
    for side in ("a", "b"):
        family.check_level(factor, pair[side], source=f"{where(path, pair, side)}: field '{key}.{side}'")
    return factor, str(pair["a"]), str(pair["b"])


def _parse_study(spec: LineMap, path: Path) -> Study:
    for key in spec:
        if key not in _STUDY_FIELDS:
            raise BepError(f"{where(path, spec, key)}: unknown field '{key}' in study")
    study_id = _field(spec, "study", path, str)
    if not _ID.match(study_id):
        raise BepError(f"{where(path, spec, 'study')}: study id '{study_id}' must be snake_case")
    family_name = _field(spec, "family", path, str)
    try:
        family = load_family(_family_ref(family_name, path))
    except BepError as err:
        raise BepError(f"{where(path, spec, 'family')}: {err}") from None

    outcome = _outcome(spec, path, family)
    settings = _settings(spec, path, outcome)

    defaults = family.resolve(_check_levels(family, spec.get("defaults"), path, spec, "defaults"))
    default_pair = (
        _parse_pair(family, spec["pair"], path, spec, "pair") if "pair" in spec else None
    )

    variants_spec = _field(spec, "variants", path, list)
    if not variants_spec:
        raise BepError(f"{where(path, spec, 'variants')}: a study needs at least one variant")
    variants: dict[str, Variant] = {}
    for number, vspec in enumerate(variants_spec, start=1):
        if not isinstance(vspec, LineMap):
            raise BepError(f"{where(path, spec, 'variants')}: variant {number} must be a mapping")
        extra = set(vspec) - {"id", "description", "levels", "pair", "a", "b"}
        if extra:
            key = sorted(extra)[0]
            raise BepError(f"{where(path, vspec, key)}: unknown field '{key}' in variant")
        vid = _field(vspec, "id", path, str)
        if not _ID.match(vid):
            raise BepError(f"{where(path, vspec, 'id')}: variant id '{vid}' must be snake_case")
        if vid in variants:
            raise BepError(f"{where(path, vspec, 'id')}: duplicate variant id '{vid}'")
        base = {**defaults, **_check_levels(family, vspec.get("levels"), path, vspec, "levels")}
        if "a" in vspec or "b" in vspec:
            if "pair" in vspec:
                raise BepError(f"{where(path, vspec, 'pair')}: variant '{vid}' gives both 'pair' and 'a'/'b'")
            a_levels = {**base, **_check_levels(family, vspec.get("a"), path, vspec, "a")}
            b_levels = {**base, **_check_levels(family, vspec.get("b"), path, vspec, "b")}
            loc = where(path, vspec, "a" if "a" in vspec else "b")
        else:
            if "pair" in vspec:
                pair = _parse_pair(family, vspec["pair"], path, vspec, "pair")
                loc = where(path, vspec, "pair")
            elif default_pair is not None:
                pair = default_pair
                loc = where(path, vspec, "id")
            else:
                raise BepError(
                    f"{where(path, vspec, 'id')}: variant '{vid}' has no pair and the study sets no default 'pair'"
                )
            factor_name, a_level, b_level = pair
            a_levels = {**base, factor_name: a_level}
            b_levels = {**base, factor_name: b_level}
        differing = [f for f in family.factors if a_levels[f] != b_levels[f]]
        if len(differing) != 1:
            detail = "no factor" if not differing else f"{len(differing)} factors ({', '.join(differing)})"
            raise BepError(
                f"{loc}: variant '{vid}' pairs conditions that differ in {detail}; a pair must differ in exactly one"
            )
        variants[vid] = Variant(
            id=vid,
            number=number,
            description=str(vspec.get("description", "")),
            factor=differing[0],
            a=Condition(vid, "a", a_levels),
            b=Condition(vid, "b", b_levels),
        )

    if "hypotheses" not in spec:
        raise BepError(f"{where(path, spec)}: missing field 'hypotheses'")
    pairs = [Pair(v.id, v.a.levels, v.b.levels) for v in variants.values()]
    hypotheses = parse_hypotheses(spec, path, pairs, family, outcome.direction, where(path, spec, "outcome"))

    if not any(h.kind == "beyond_episode" for h in hypotheses.values()):
        raise BepError(f"{where(path, spec, 'hypotheses')}: a study needs at least one beyond_episode hypothesis")
    if not any(h.kind != "beyond_episode" for h in hypotheses.values()):
        raise BepError(f"{where(path, spec, 'hypotheses')}: a study needs at least one in-episode hypothesis")

    return Study(
        id=study_id,
        description=str(spec.get("description", "")),
        family=family.name,
        path=path,
        outcome=outcome,
        margin=settings.margin,
        alpha=settings.alpha,
        epochs=settings.epochs,
        quick_epochs=settings.quick_epochs,
        items=settings.items,
        min_effect=settings.min_effect,
        variants=variants,
        hypotheses=hypotheses,
        family_path=family.path.resolve(),
        subjects=_subjects(spec, path),
    )


def _subjects(spec: LineMap, path: Path) -> tuple[str, ...]:
    """The optional ``subjects:`` list of reference-subject profile names (checked by the runner
    and ``bep validate`` against the shipped profiles)."""
    value = spec.get("subjects", [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BepError(f"{where(path, spec, 'subjects')}: field 'subjects' must be a list of profile names")
    if len(set(value)) != len(value):
        raise BepError(f"{where(path, spec, 'subjects')}: field 'subjects' names a profile twice")
    return tuple(value)


def _family_ref(value: str, study_file: Path) -> str | Path:
    """A study's ``family:``: a shipped family's name, or a folder path (or its ``family.yaml``).

    A value with a path separator, or starting with ``.`` or ``~``, is a path; a relative path
    resolves against the folder of the study file, not the working directory.
    """
    if "/" not in value and "\\" not in value and not value.startswith((".", "~")):
        return value
    folder = Path(value).expanduser()
    if not folder.is_absolute():
        folder = study_file.resolve().parent / folder
    return folder
