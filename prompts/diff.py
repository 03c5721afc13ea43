"""``bep diff``: the rendered prompts of two conditions, and the diff between them.

This is how a researcher checks that an ablation changes exactly one thing. A condition is
``STUDY:VARIANT.ROLE`` (e.g. ``sandbagging_b6:baseline.a``), or ``FAMILY`` followed by
``factor=level`` overrides via ``--a``/``--b``.
"""

from __future__ import annotations

import argparse
import difflib

from beyond_episode.ablations.study import load_study
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import Family, Rendered, load_family


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


def _condition(ref: str) -> tuple[Family, dict[str, str], str]:
    if ":" not in ref:
        raise BepError(f"'{ref}' must be STUDY:VARIANT.ROLE")
    study_ref, rest = ref.rsplit(":", 1)
    variant_id, _, role = rest.partition(".")
    study = load_study(study_ref)
    variant = study.select([variant_id])[0]
    role = role or "a"
    if role not in ("a", "b"):
        raise BepError(f"role must be 'a' or 'b', got '{role}'")
    condition = variant.a if role == "a" else variant.b
    return load_family(study.family), dict(condition.levels), f"{study.id}:{variant.id}.{role}"


def resolve(args: argparse.Namespace) -> tuple[Family, tuple[dict[str, str], str], tuple[dict[str, str], str]]:
    if ":" not in args.first:
        family = load_family(args.first)
        a = family.resolve(_levels(args.levels_a), source="--a")
        b = family.resolve(_levels(args.levels_b), source="--b")
        return family, (a, "--a"), (b, "--b")
    family, a_levels, a_name = _condition(args.first)
    if args.second:
        family_b, b_levels, b_name = _condition(args.second)
        if family_b.name != family.name:
            raise BepError(f"conditions belong to different families ({family.name}, {family_b.name})")
    else:
        other = "b" if a_name.endswith(".a") else "a"
        _, b_levels, b_name = _condition(f"{a_name.rsplit('.', 1)[0]}.{other}")
    return family, (a_levels, a_name), (b_levels, b_name)


def unified_diff(first: Rendered, second: Rendered, name_a: str, name_b: str) -> str:
    """A unified diff of every rendered section (system, user, files, follow-up)."""
    chunks = []
    sa, sb = first.sections(), second.sections()
    for section in dict.fromkeys([*sa, *sb]):
        lines = difflib.unified_diff(
            sa.get(section, "").splitlines(keepends=True),
            sb.get(section, "").splitlines(keepends=True),
            fromfile=f"{name_a} [{section}]",
            tofile=f"{name_b} [{section}]",
        )
        chunks.append("".join(lines))
    return "".join(chunks)


def run(args: argparse.Namespace) -> int:
    family, (a_levels, a_name), (b_levels, b_name) = resolve(args)
    first, second = family.render(a_levels), family.render(b_levels)
    differing = [f for f in family.factors if a_levels[f] != b_levels[f]]
    if args.show:
        for name, rendered in ((a_name, first), (b_name, second)):
            print(f"===== {name}")
            for section, text in rendered.sections().items():
                print(f"--- [{section}]\n{text}")
    print(f"factors that differ: {', '.join(f'{f} ({a_levels[f]} -> {b_levels[f]})' for f in differing) or 'none'}")
    diff = unified_diff(first, second, a_name, b_name)
    print(diff if diff else "(rendered prompts are identical)")
    return 0
