"""``bep list``: the shipped families, studies (with their variants) and subject profiles.

``bep list STUDY`` (a shipped study's name or a study file) shows that study: its variants and
the prediction table, every hypothesis's sign for every variant with its reason.
"""

from __future__ import annotations

import argparse
import textwrap

from beyond_episode.ablations.study import Study, load_study, study_names
from beyond_episode.ablations.table import prediction_lines
from beyond_episode.prompts.family import family_names, load_family
from beyond_episode.subjects.profile import load_profile, profile_names


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "what",
        nargs="?",
        default="all",
        help="families, studies, profiles or all (default: all), or a study (name or file) to show its predictions",
    )


def _line(name: str, description: str, indent: int = 2, width: int = 26) -> str:
    text = " ".join(description.split())
    first = textwrap.shorten(text, 110 - indent - width, placeholder="...") if text else ""
    return f"{' ' * indent}{name:<{width}} {first}".rstrip()


WHATS = ("families", "studies", "profiles", "all")


def study_lines(name_or_path: str) -> list[str]:
    """One study: its description, variants and prediction table."""
    study = load_study(name_or_path)
    out = [_line(study.id, f"[{study.family}, outcome {study.outcome.name}] {study.description}", indent=0)]
    out += _variant_lines(study)
    return out + prediction_lines(study)


def _variant_lines(study: Study) -> list[str]:
    out = []
    for variant in study.variants.values():
        pair = f"{variant.factor}: {variant.a.levels[variant.factor]} vs {variant.b.levels[variant.factor]}"
        out.append(_line(f"{variant.number:>2}. {variant.id}", f"{variant.description} ({pair})", indent=4))
    return out


def lines(what: str = "all") -> list[str]:
    """The listing, one entry per line; a study's name or file shows that study."""
    if what not in WHATS:
        return study_lines(what)
    out: list[str] = []
    if what in ("families", "all"):
        out.append("Families:")
        for name in family_names():
            family = load_family(name)
            out.append(_line(name, family.description))
            out.append(f"    factors: {', '.join(family.factors)}")
            declared = [
                f"{o.name} ({o.type}{f', {o.trials} trials' if o.trials else ''})"
                for o in family.outcomes.values()
            ]
            out.append(f"    outcomes: {', '.join(declared)}")
    if what in ("studies", "all"):
        out.append("Studies:")
        for name in study_names():
            study = load_study(name)
            out.append(_line(name, f"[{study.family}, outcome {study.outcome.name}] {study.description}"))
            out += _variant_lines(study)
    if what in ("profiles", "all"):
        out.append("Subject profiles (--model subject/<profile>):")
        for name in profile_names():
            out.append(_line(name, load_profile(name).description))
    return out


def run(args: argparse.Namespace) -> int:
    print("\n".join(lines(args.what)))
    return 0
