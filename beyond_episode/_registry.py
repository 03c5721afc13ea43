"""Inspect entry point: importing this module registers every task and the subject model provider."""

# ruff: noqa: F401
from beyond_episode.subjects.provider import subject
from beyond_episode.tasks.goal_guarding.task import goal_guarding
from beyond_episode.tasks.oversight.task import oversight
from beyond_episode.tasks.sandbagging_qa.task import sandbagging_qa
from beyond_episode.tasks.shutdown.task import shutdown
