"""``bep validate``: load every family and study (or the given files) and report each problem.

A family is loaded and every level of every factor rendered. A study is loaded against its
family (the shipped one it names, or the folder its ``family:`` path points to, relative to the
study file), and every condition of every variant is rendered with that family. A path is
always the given file or folder, never a shipped one of the same name; a bare name is a shipped
study. With ``-v``, or for each study given, it prints the study's prediction table: every
hypothesis's sign for every variant with its reason (derived from the levels, or overridden).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from beyond_episode.ablations.study import Study, load_study, study_names
from beyond_episode.ablations.table import prediction_lines
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import family_names, load_family, validate_family


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="study files (.yaml) or names, family folders or family.yaml files (default: everything shipped)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="print every study's prediction table with reasons (always printed for studies given)",
    )


def validate_study(study: Study) -> None:
    """Render every condition of ``study`` with its family; a failure names the condition."""
    from beyond_episode.subjects.profile import profile_names

    unknown = [s for s in study.subjects if s not in profile_names()]
    if unknown:
        raise BepError(f"{study.path}: subjects: unknown profile '{unknown[0]}' (shipped: {', '.join(profile_names())})")
    family = load_family(study.family_path)
    for condition in study.conditions():
        family.render(condition.levels, condition=f"{study.id}:{condition.id}")


def check(paths: list[str], studies: list[Study] | None = None) -> list[str]:
    """One-line problems of the given families/studies (all shipped ones if none given).

    Every study that is valid is appended to ``studies`` if given.
    """
    targets: list[tuple[str, str | Path]] = []
    if not paths:
        targets += [("family", name) for name in family_names()]
        targets += [("study", name) for name in study_names()]
    for raw in paths:
        path = Path(raw)
        if path.is_dir() or path.name == "family.yaml":
            targets.append(("family", path))
        elif path.suffix in (".yaml", ".yml"):
            targets.append(("study", path))
        elif not path.exists() and raw in study_names():
            targets.append(("study", raw))
        elif not path.exists():
            targets.append(("missing", raw))
        else:
            targets.append(("other", raw))
    problems: list[str] = []
    for kind, target in targets:
        try:
            if kind == "family":
                validate_family(load_family(target))
            elif kind == "study":
                study = load_study(target)
                validate_study(study)
                if studies is not None:
                    studies.append(study)
            elif kind == "missing":
                raise BepError(f"{target}: no such file or folder")
            else:
                raise BepError(f"{target}: not a study file (.yaml) or a family folder")
        except BepError as err:
            problems.append(str(err))
    return problems


def run(args: argparse.Namespace) -> int:
    studies: list[Study] = []
    problems = check(list(args.paths), studies)
    if args.verbose or args.paths:
        for study in studies:
            print("\n".join(prediction_lines(study)))
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("ok: every family and study is valid" if not args.paths else f"ok: {len(args.paths)} file(s) valid")
    return 0
