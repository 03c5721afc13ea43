"""A task's version: a short content hash of everything that makes its texts.

Inspect's eval-set treats a task as done when a log with the same identity exists, and a task's
identity includes ``Task(version=...)`` but not the rendered prompts. So every family passes
:func:`task_version` of its family folder (``family.yaml`` and the templates), the study file
and the item bank in use: a changed text or item is a new task, and a rerun into the same log
directory runs it. A bank that is not a local file (a Hugging Face dataset path) enters by its
path string only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from beyond_episode.ablations.study import Study
from beyond_episode.prompts.family import Family

VERSION_LENGTH = 12
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}


def _folder_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not _SKIP_DIRS.intersection(p.relative_to(folder).parts)
    )


def _add_file(digest: Any, label: str, path: Path) -> None:
    digest.update(f"\x1e{label}\x1f".encode())
    digest.update(path.read_bytes())


def task_version(family: Family, study: Study, banks: Iterable[str | Path | None] = ()) -> str:
    """The content hash of the family folder's files, the study file and the banks.

    ``banks`` are local files or folders (hashed by content) or other sources such as a
    Hugging Face dataset path (hashed by their string); ``None`` entries are skipped. Paths
    enter relative to their folder, so copies of the same inputs give the same version."""
    digest = hashlib.sha256()
    folder = Path(family.path)
    for path in _folder_files(folder):
        _add_file(digest, f"family/{path.relative_to(folder).as_posix()}", path)
    _add_file(digest, "study", Path(study.path))
    for bank in banks:
        if bank is None:
            continue
        source = Path(bank)
        if source.is_dir():
            for path in _folder_files(source):
                _add_file(digest, f"bank/{path.relative_to(source).as_posix()}", path)
        elif source.is_file():
            _add_file(digest, "bank", source)
        else:
            digest.update(f"\x1ebank-source\x1f{bank}".encode())
    return digest.hexdigest()[:VERSION_LENGTH]
