"""The episode's keys in the per-sample store, as one Inspect :class:`StoreModel`.

The store is isolated per sample and epoch. The tools write the submission (or, for a text-only
episode, the response) here; the follow-up solver marks where the episode ended and keeps the
follow-up answer; the scorer reads them back (also when an existing log is rescored).
"""

from __future__ import annotations

from inspect_ai.util import Store, StoreModel, store_as


class EpisodeStore(StoreModel):
    """What an episode leaves in the store for its scorer."""

    submission: str | None = None
    """The text given to the ``submit`` tool (the last call wins)."""
    response: str | None = None
    """The agent's response in a text-only episode (before the follow-up)."""
    end: int | None = None
    """The number of messages when the episode ended (set just before the follow-up)."""
    followup_answer: str | None = None
    """The answer to the follow-up question."""


def episode_store(of: Store | None = None) -> EpisodeStore:
    """The episode's store model: of the given store, or of the active sample."""
    return EpisodeStore(store=of) if of is not None else store_as(EpisodeStore)
