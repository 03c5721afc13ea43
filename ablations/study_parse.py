"""Parse a study file's mapping into a :class:`~beyond_episode.ablations.study.Study`.

The study's family is loaded (a shipped name, or a folder path relative to the study file), its
outcome and numbers are checked (:mod:`~beyond_episode.ablations.study_fields`), every variant
is resolved into a pair of conditions that differ in exactly one factor, and its hypotheses are
parsed with their derived predictions (:mod:`~beyond_episode.ablations.hypotheses`). Every
problem is a one-line :class:`BepError` naming the file, the line and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from beyond_episode.ablations.hypotheses import Pair, parse_hypotheses
from beyond_episode.ablations.study import ID_PATTERN, Condition, Study, Variant
from beyond_episode.ablations.study_fields import outcome_of, required_field, settings_of
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import Family, load_family
from beyond_episode.yamlio import LineMap, where

_STUDY_FIELDS = {
    "study", "description", "family", "outcome", "defaults", "pair", "margin", "alpha",
    "epochs", "quick_epochs", "items", "min_effect", "variants", "hypotheses", "overrides",
    "subjects", "design",
}


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


def parse_study(spec: LineMap, path: Path) -> Study:
    for key in spec:
        if key not in _STUDY_FIELDS:
            raise BepError(f"{where(path, spec, key)}: unknown field '{key}' in study")
    study_id = required_field(spec, "study", path, str)
    if not ID_PATTERN.match(study_id):
        raise BepError(f"{where(path, spec, 'study')}: study id '{study_id}' must be snake_case")
    family_name = required_field(spec, "family", path, str)
    try:
        family = load_family(_family_ref(family_name, path))
    except BepError as err:
        raise BepError(f"{where(path, spec, 'family')}: {err}") from None

    outcome = outcome_of(spec, path, family)
    settings = settings_of(spec, path, outcome)

    defaults = family.resolve(_check_levels(family, spec.get("defaults"), path, spec, "defaults"))
    default_pair = (
        _parse_pair(family, spec["pair"], path, spec, "pair") if "pair" in spec else None
    )

    variants_spec = required_field(spec, "variants", path, list)
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
        vid = required_field(vspec, "id", path, str)
        if not ID_PATTERN.match(vid):
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
        design=_design(spec, path),
    )


DESIGNS = ("sequential", "fixed")


def _design(spec: LineMap, path: Path) -> str:
    """The optional ``design:``, ``sequential`` (default) or ``fixed``."""
    value = spec.get("design", "sequential")
    if value not in DESIGNS:
        raise BepError(f"{where(path, spec, 'design')}: field 'design' must be one of {', '.join(DESIGNS)} (got {value!r})")
    return str(value)


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
