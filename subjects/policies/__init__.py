"""Per-family policies of the reference subjects, discovered from the modules of this package.

Each module defines ``POLICY``, an instance of a subclass of
:class:`beyond_episode.subjects.policy.FamilyPolicy` (which also gives the family its
simulation). Adding a family's policy is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from beyond_episode.subjects.episode import Episode, Policy


@lru_cache(maxsize=1)
def policies() -> tuple[Policy, ...]:
    """Every policy module's ``POLICY``, in module-name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "POLICY"):
            found.append(module.POLICY)
    return tuple(found)


def policy_for(episode: Episode) -> Policy | None:
    """The first policy that recognises this episode."""
    for policy in policies():
        if policy.matches(episode):
            return policy
    return None
