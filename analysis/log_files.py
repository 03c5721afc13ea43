"""Find Inspect logs and read their per-sample summaries (never the full samples).

For a finished ``.eval`` log the consolidated ``summaries.json`` is read straight from the zip
(:func:`fast_summaries`); anything else (an unfinished log, a ``.json`` log, an unreadable zip)
goes through :func:`inspect_ai.log.read_eval_log_sample_summaries` (:func:`api_summaries`).
"""

from __future__ import annotations

import importlib
import json
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError

LOG_SUFFIXES = (".eval", ".json")

if sys.version_info < (3, 14):
    # Inspect writes .eval logs with zstd compression; on Python < 3.14 its dependency
    # zipfile_zstd teaches the standard zipfile module to read them (Inspect imports it too)
    try:
        importlib.import_module("zipfile_zstd")
    except ImportError:  # then every log goes through Inspect's own reader
        pass


def find_logs(paths: Iterable[str | Path]) -> list[Path]:
    """Log files named directly or found recursively under folders (sorted, unique)."""
    from inspect_ai.log import list_eval_logs

    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            infos = list_eval_logs(str(path.resolve()), recursive=True, descending=False)
            logs = [Path(_local(info.name)) for info in infos]
            if not logs:
                raise BepError(f"no Inspect logs (.eval or .json) found under '{path}'")
            found.extend(sorted(logs))
        elif path.is_file():
            if path.suffix.lower() not in LOG_SUFFIXES:
                raise BepError(f"'{path}' is neither an Inspect log (.eval, .json) nor a tidy table (.csv, .parquet)")
            found.append(path.resolve())
        else:
            raise BepError(f"'{path}' does not exist")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique


def _local(name: str) -> str:
    if name.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(name).path)
    return name


def fast_summaries(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """Header and summaries of a finished ``.eval`` log, straight from its zip (else None)."""
    if path.suffix.lower() != ".eval":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "summaries.json" not in names or "header.json" not in names:
                return None
            header = json.loads(archive.read("header.json"))
            summaries = json.loads(archive.read("summaries.json"))
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, KeyError):
        return None
    if not isinstance(header, dict) or not isinstance(summaries, list):
        return None
    # the same last-entry-wins rule Inspect applies to a requeued sample's rows
    by_key: dict[tuple[str, int], dict[str, Any]] = {}
    for summary in summaries:
        by_key[(str(summary.get("id")), int(summary.get("epoch", 0)))] = summary
    return header, list(by_key.values())


def api_summaries(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Header and summaries of any log, through Inspect's reader; an unreadable log is a :class:`BepError`."""
    from inspect_ai.log import read_eval_log, read_eval_log_sample_summaries

    try:
        head = read_eval_log(str(path), header_only=True)
        summaries = read_eval_log_sample_summaries(str(path))
    except Exception as err:  # noqa: BLE001 - report any unreadable log as bad input
        raise BepError(f"cannot read Inspect log '{path}': {type(err).__name__}: {err}") from None
    header = {
        "status": head.status,
        "eval": {
            "model": head.eval.model,
            "task": head.eval.task,
            "task_version": head.eval.task_version,
            "created": head.eval.created,
        },
    }
    rows = []
    for s in summaries:
        scores = {
            name: {"value": score.value, "metadata": score.metadata} for name, score in (s.scores or {}).items()
        }
        rows.append(
            {"id": s.id, "epoch": s.epoch, "metadata": s.metadata, "scores": scores, "error": s.error}
        )
    return header, rows


def read_summaries(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the per-sample summaries of one log: from its zip when it is a finished
    ``.eval`` log, else through Inspect's reader."""
    got = fast_summaries(path)
    return got if got is not None else api_summaries(path)
