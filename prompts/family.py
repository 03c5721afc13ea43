"""A prompt-template family: the names the rest of the suite imports, in one place.

* :mod:`beyond_episode.prompts.loading`: find, load and validate ``family.yaml``;
* :mod:`beyond_episode.prompts.rendering`: the loaded family and its strict, sandboxed rendering;
* :mod:`beyond_episode.prompts.task_spec`: what the family's task needs (tools, limits, bank).
"""

from __future__ import annotations

from beyond_episode.prompts.loading import (
    family_folder,
    family_names,
    folder_digest,
    is_path_ref,
    load_family,
    validate_family,
)
from beyond_episode.prompts.rendering import (
    MAX_COPIES,
    MAX_TRIALS,
    OUTCOME_TYPES,
    TEMPLATE_ROLES,
    DeclaredOutcome,
    Factor,
    Family,
    Level,
    OutcomeType,
    Rendered,
)
from beyond_episode.prompts.task_spec import BankSpec, Limit, TaskSpec, ToolSpec

__all__ = [
    "MAX_COPIES", "MAX_TRIALS", "OUTCOME_TYPES", "TEMPLATE_ROLES", "BankSpec", "DeclaredOutcome",
    "Factor", "Family", "Level", "Limit", "OutcomeType", "Rendered", "TaskSpec", "ToolSpec",
    "family_folder", "family_names", "folder_digest", "is_path_ref", "load_family", "validate_family",
]
