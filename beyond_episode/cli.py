"""The ``bep`` command line: one subcommand per module, each exposing ``configure`` and ``run``.

Bad input raises :class:`BepError`; the command prints its one line to stderr and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from inspect_ai._util.error import PrerequisiteError

from beyond_episode import __version__
from beyond_episode.errors import BepError

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("beyond_episode.run_cmd", "run a study across models as an Inspect eval-set, then report"),
    "rescore": ("beyond_episode.rescore", "re-classify existing logs with a grader, writing new logs"),
    "report": ("beyond_episode.analysis.report_cmd", "analyze Inspect logs or a tidy table"),
    "validate": ("beyond_episode.validate", "check families and studies"),
    "diff": ("beyond_episode.diff_cmd", "show two conditions' rendered prompts and their diff"),
    "list": ("beyond_episode.catalog", "list families, studies, variants and subject profiles"),
    "serve-subjects": ("beyond_episode.serve_cmd", "serve the reference subjects over HTTP"),
    "calibrate": ("beyond_episode.calibrate_cmd", "simulate a study to check the verdicts' error rates"),
    "power": ("beyond_episode.power_cmd", "epochs per condition a study needs"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bep",
        description="Prompt ablations: in-episode explanations vs preferences beyond the episode.",
    )
    parser.add_argument("--version", action="version", version=f"bep {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] not in COMMANDS:
        parser.parse_args(argv or ["--help"])
        return 2
    name, rest = argv[0], argv[1:]
    module_name, help_text = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and module_name.startswith(err.name):
            print(f"bep {name}: not available in this installation ({err.name})", file=sys.stderr)
            return 2
        raise
    sub = argparse.ArgumentParser(prog=f"bep {name}", description=help_text)
    module.configure(sub)
    args = sub.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except BepError as err:
        print(f"bep {name}: {err}", file=sys.stderr)
        return 2
    except PrerequisiteError as err:  # Inspect's own refusals (e.g. a log directory of another run)
        print(f"bep {name}: {_one_line(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bep {name}: interrupted", file=sys.stderr)
        return 130


def _one_line(message: str) -> str:
    """Inspect's rich-markup, multi-line message as one plain line."""
    return " ".join(re.sub(r"\[/?[a-z ]+\]", "", message).split())


if __name__ == "__main__":
    sys.exit(main())
