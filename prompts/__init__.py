"""Prompt-template families: folders of Jinja2 templates plus a spec of their factors."""

from beyond_episode.prompts.family import (
    Factor,
    Family,
    Level,
    Rendered,
    family_names,
    load_family,
)

__all__ = ["Factor", "Family", "Level", "Rendered", "family_names", "load_family"]
