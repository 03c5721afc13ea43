"""What a subject knows in one call: the conversation, its tools, its profile and its RNG.

This is the contract between the provider and the per-family policies in ``policies/``. A policy
sees only what a model would see (messages and tool definitions): never sample metadata, targets
or answer keys.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage
from inspect_ai.tool import ToolCall, ToolInfo

from beyond_episode.subjects.profile import Profile


def count_words(text: str) -> int:
    """The subject's own token count: whitespace-separated words (no tokenizer download)."""
    return len(text.split())


@dataclass
class Episode:
    """One generate call of a subject, with helpers to perceive and to act."""

    profile: Profile
    messages: Sequence[ChatMessage]
    tools: Sequence[ToolInfo]
    seed: int
    model_name: str

    def rng(self, key: str) -> random.Random:
        """An RNG for one named decision: the same draw on every turn of this episode."""
        return random.Random(f"{self.seed}:{key}")

    def decide(self, key: str, probability: float) -> bool:
        """A stable Bernoulli draw for a named decision."""
        return self.rng(key).random() < probability

    @property
    def tool_names(self) -> set[str]:
        return {t.name for t in self.tools}

    def seen_text(self) -> str:
        """Everything the subject has read: system and user messages and tool results."""
        return "\n".join(m.text for m in self.messages if m.role in ("system", "user", "tool"))

    def instructions_text(self) -> str:
        """Only what the system prompt and the user said (not tool results)."""
        return "\n".join(m.text for m in self.messages if m.role in ("system", "user"))

    def calls_made(self, name: str | None = None) -> list[ToolCall]:
        """Tool calls the subject made so far (optionally of one tool)."""
        return [
            call
            for m in self.messages
            if m.role == "assistant"
            for call in (getattr(m, "tool_calls", None) or [])
            if name is None or call.function == name
        ]

    def tool_result(self, name: str, **arguments: Any) -> str | None:
        """The result text of an earlier call of ``name`` with these arguments, if any."""
        wanted = {c.id for c in self.calls_made(name) if all(c.arguments.get(k) == v for k, v in arguments.items())}
        for m in self.messages:
            if m.role == "tool" and getattr(m, "tool_call_id", None) in wanted:
                return m.text
        return None

    def last_user_text(self) -> str:
        for m in reversed(self.messages):
            if m.role == "user":
                return m.text
        return ""

    def in_followup(self) -> bool:
        """True when the last message is a user question after the episode (no tool pending)."""
        return bool(self.messages) and self.messages[-1].role == "user" and len(self.calls_made()) > 0

    def usage(self, output_text: str) -> ModelUsage:
        inp = sum(count_words(m.text) for m in self.messages)
        out = count_words(output_text)
        return ModelUsage(input_tokens=inp, output_tokens=out, total_tokens=inp + out)

    def say(self, text: str) -> ModelOutput:
        """Answer in text."""
        output = ModelOutput.from_content(self.model_name, text)
        output.usage = self.usage(text)
        return output

    def call(self, tool: str, arguments: dict[str, Any], reasoning: str = "") -> ModelOutput:
        """Call a tool, with reasoning text only if the profile reasons out loud."""
        # An empty string, not None: ``for_tool_call`` would otherwise fill in placeholder text.
        content = reasoning if (reasoning and self.profile.reasons_out_loud) else ""
        number = len(self.calls_made()) + 1
        output = ModelOutput.for_tool_call(
            self.model_name, tool, arguments, tool_call_id=f"call_{number}", content=content
        )
        output.usage = self.usage(content + " " + str(arguments))
        return output


class Policy(Protocol):
    """How a subject acts in one family's environment."""

    name: str

    def matches(self, episode: Episode) -> bool:
        """Whether this conversation is an episode of this policy's family."""
        ...

    def act(self, episode: Episode) -> ModelOutput:
        """The subject's next output."""
        ...


PolicyFactory = Callable[[], Policy]
