"""``bep diff``: the rendered prompts of two conditions, and the diff between them.

This is how a researcher checks that an ablation changes exactly one thing. A condition is
``STUDY:VARIANT.ROLE`` (e.g. ``sandbagging_b6:baseline.a``), or ``FAMILY`` followed by
``factor=level`` overrides via ``--a``/``--b``. STUDY is a shipped study's name or a study
file's path; a path is always that file, with the family folder it names.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from beyond_episode.ablations.study import load_study
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import Family, Rendered, load_family
from beyond_episode.prompts.rendered_diff import unified_diff


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("first", help="STUDY:VARIANT.ROLE, STUDY:VARIANT (diffs a against b), or FAMILY")
    parser.add_argument("second", nargs="?", help="STUDY:VARIANT.ROLE (default: the other role of the first)")
    parser.add_argument("--a", dest="levels_a", default="", help="FAMILY mode: factor=level,... for the first")
    parser.add_argument("--b", dest="levels_b", default="", help="FAMILY mode: factor=level,... for the second")
    parser.add_argument("--show", action="store_true", help="print both rendered prompts in full, then the diff")


def _levels(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        if "=" not in part:
            raise BepError(f"'{part}' must be factor=level")
        key, value = part.split("=", 1)
        out[key.strip()] = value.strip()
    return out


@dataclass(frozen=True)
class Side:
    """One side of a diff: the family it renders with, its levels and its name."""

    family: Family
    levels: dict[str, str]
    name: str

    def render(self) -> Rendered:
        return self.family.render(self.levels, condition=self.name)


def _split(ref: str) -> tuple[str, str, str]:
    """``STUDY:VARIANT.ROLE`` -> (study, variant, role); the study may be a path with ':' in it."""
    if ":" not in ref:
        raise BepError(f"'{ref}' must be STUDY:VARIANT.ROLE")
    study_ref, rest = ref.rsplit(":", 1)
    variant_id, _, role = rest.partition(".")
    if not study_ref or not variant_id:
        raise BepError(f"'{ref}' must be STUDY:VARIANT.ROLE")
    return study_ref, variant_id, role or "a"


def _side(study_ref: str, variant_id: str, role: str) -> Side:
    if role not in ("a", "b"):
        raise BepError(f"role must be 'a' or 'b', got '{role}'")
    study = load_study(study_ref)
    variant = study.select([variant_id])[0]
    condition = variant.a if role == "a" else variant.b
    return Side(load_family(study.family_path), dict(condition.levels), f"{study.id}:{variant.id}.{role}")


def resolve(args: argparse.Namespace) -> tuple[Side, Side]:
    """The two sides ``bep diff`` compares.

    A study given by path is that file (and its family the folder it names), never a shipped
    study or family of the same name. Without a second condition, the first is diffed against
    the other role of the same variant of the same study file.
    """
    if ":" not in args.first:
        if args.second:
            raise BepError(f"FAMILY mode takes --a and --b, not a second argument ('{args.second}')")
        family = load_family(args.first)
        a = family.resolve(_levels(args.levels_a), source="--a")
        b = family.resolve(_levels(args.levels_b), source="--b")
        return Side(family, a, "--a"), Side(family, b, "--b")
    study_ref, variant_id, role = _split(args.first)
    first = _side(study_ref, variant_id, role)
    if args.second:
        second = _side(*_split(args.second))
        if second.family.name != first.family.name:
            raise BepError(
                f"conditions belong to different families ({first.family.name}, {second.family.name})"
            )
    else:
        second = _side(study_ref, variant_id, "b" if role == "a" else "a")
    return first, second


def run(args: argparse.Namespace) -> int:
    first, second = resolve(args)
    rendered_a, rendered_b = first.render(), second.render()
    factors = dict.fromkeys([*first.levels, *second.levels])
    differing = [f for f in factors if first.levels.get(f) != second.levels.get(f)]
    if first.family.path != second.family.path:
        print(f"families: {first.family.path} -> {second.family.path}")
    if args.show:
        for side, rendered in ((first, rendered_a), (second, rendered_b)):
            print(f"===== {side.name}")
            for section, text in rendered.sections().items():
                print(f"--- [{section}]\n{text}")
    changes = ", ".join(f"{f} ({first.levels.get(f)} -> {second.levels.get(f)})" for f in differing)
    print(f"factors that differ: {changes or 'none'}")
    diff = unified_diff(rendered_a, rendered_b, first.name, second.name)
    print(diff if diff else "(rendered prompts are identical)")
    return 0
