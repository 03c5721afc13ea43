"""Inspect entry point: importing this module registers every task and the subject model provider.

Every package below ``beyond_episode.tasks`` (except the shared ``environment``) is a family whose
``task`` module defines its ``@task``; they are found by listing the folder, so a new family needs
no edit here.
"""

import importlib
import pkgutil

import beyond_episode.tasks as _tasks
from beyond_episode.subjects.provider import subject  # noqa: F401

for _family in pkgutil.iter_modules(_tasks.__path__):
    if _family.ispkg and _family.name != "environment":
        importlib.import_module(f"beyond_episode.tasks.{_family.name}.task")
