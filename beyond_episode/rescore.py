"""``bep rescore``: classify existing logs again with a grader, without running the agents again.

Each log is scored again by its family's own scorer (taken from the task the log was made
with) through Inspect's scoring of logs (``inspect_ai.score_async``), with the ``grader`` model
role (or any other) bound. The new scores replace the old ones in a copy of each log, written
under ``--out``; the originals are kept unless ``--in-place`` is given. ``bep report`` on the new
logs then shows the judge's labels beside the rules'.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError
from beyond_episode.run_options import check_model_name, key_values


@dataclass(frozen=True)
class Rescored:
    source: Path
    target: Path
    samples: int


def find_log_files(paths: Sequence[Path]) -> list[tuple[Path, Path]]:
    """Every ``.eval``/``.json`` log under ``paths``, with the root it was found under."""
    from inspect_ai.log import list_eval_logs

    found: list[tuple[Path, Path]] = []
    for path in paths:
        if path.is_file():
            found.append((path, path.parent))
        elif path.is_dir():
            infos = list_eval_logs(str(path.resolve()), recursive=True, descending=False)
            found += [(Path(_local(info.name)), path.resolve()) for info in infos]
        else:
            raise BepError(f"no log file or directory '{path}'")
    if not found:
        raise BepError(f"no Inspect logs in {', '.join(map(str, paths))}")
    return found


def _local(name: str) -> str:
    return name[len("file://"):] if name.startswith("file://") else name


def family_scorers(log: Any) -> list[Any]:
    """The scorers of the task a log was made with, rebuilt from its name and arguments."""
    from beyond_episode.runner import task_function

    family = log.eval.task.rsplit("/", 1)[-1]
    try:
        task = task_function(family)(**dict(log.eval.task_args_passed))
    except BepError as err:
        raise BepError(f"log {Path(_local(log.location)).name}: {err}") from None
    scorers = task.scorer or []
    if not scorers:
        raise BepError(f"log {Path(_local(log.location)).name}: task '{family}' has no scorer")
    return list(scorers)


def _active_model(log: Any) -> Any:
    """The log's model, or a stand-in when it cannot be built here (the scorers ask only roles)."""
    from inspect_ai.model import get_model

    import beyond_episode._registry  # noqa: F401  (registers the subject provider)

    try:
        return get_model(log.eval.model, base_url=log.eval.model_base_url, **log.eval.model_args)
    except Exception:  # e.g. a provider that needs an API key this machine lacks
        return get_model("mockllm/model")


async def _rescore_one(source: Path, target: Path, roles: Mapping[str, Any]) -> Rescored:
    from inspect_ai import score_async
    from inspect_ai.log import read_eval_log_async, write_eval_log_async

    log = await read_eval_log_async(str(source))
    if not log.samples:
        raise BepError(f"log {source.name} holds no samples to score")
    scored = await score_async(
        log, family_scorers(log), model=_active_model(log), model_roles=dict(roles),
        action="overwrite", copy=False,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    await write_eval_log_async(scored, str(target))
    return Rescored(source, target, len(log.samples))


def rescore_logs(
    paths: Sequence[Path],
    model_roles: Mapping[str, Any],
    out: Path | None = None,
    in_place: bool = False,
) -> list[Rescored]:
    """Score every log under ``paths`` again with its family's scorers and these model roles.

    New logs go to ``out`` (default: ``<first path>-rescored``), keeping their paths relative to
    the directory they were found in; with ``in_place`` the originals are replaced.
    """
    import anyio

    if not model_roles:
        raise BepError("give the judge as --model-role grader=<provider>/<model>")
    if in_place and out is not None:
        raise BepError("--out and --in-place exclude each other")
    files = find_log_files(paths)
    if not in_place:
        first = paths[0]
        out = out or first.parent / f"{(first.stem if first.is_file() else first.name)}-rescored"
        if out.resolve() in {root for _, root in files} or any(out.resolve() == f.resolve() for f, _ in files):
            raise BepError(f"--out {out} would overwrite the logs; use --in-place for that")

    async def run_all() -> list[Rescored]:
        done = []
        for source, root in files:
            target = source if in_place else (out or Path()) / source.resolve().relative_to(root)
            done.append(await _rescore_one(source, target, model_roles))
        return done

    from inspect_ai._util.platform import platform_init

    platform_init()
    return anyio.run(run_all)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logs", nargs="+", type=Path, metavar="LOGS", help="Inspect log files or directories")
    parser.add_argument("--model-role", action="append", default=[], metavar="ROLE=MODEL",
                        help="the judge, e.g. grader=openai/gpt-4o-mini (repeatable)")
    parser.add_argument("-M", dest="model_args", action="append", default=[], metavar="KEY=VALUE",
                        help="argument for constructing the judge model")
    parser.add_argument("--model-base-url", help="base URL of the judge's API")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, help="directory for the new logs (default: LOGS-rescored)")
    where.add_argument("--in-place", action="store_true", help="replace the original logs")


def run(args: argparse.Namespace) -> int:
    from inspect_ai.model import get_model

    import beyond_episode._registry  # noqa: F401  (registers the subject provider)

    roles = {k: str(v) for k, v in key_values(args.model_role, "--model-role").items()}
    for role, name in roles.items():
        check_model_name(name, f"--model-role {role}")
    model_args = key_values(args.model_args, "-M")
    if args.model_base_url:
        model_args["base_url"] = args.model_base_url
    models = {role: get_model(name, **model_args) for role, name in roles.items()}
    done = rescore_logs(list(args.logs), models, out=args.out, in_place=args.in_place)
    for item in done:
        print(f"{item.source} -> {item.target} ({item.samples} samples)")
    if done:
        print(f"Rescored {len(done)} log(s); report them with: bep report {done[0].target.parent}")
    return 0
