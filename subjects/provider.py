"""The ``subject`` Inspect model provider: offline reference subjects with known preferences.

``--model subject/<profile>`` runs a shipped profile (``subjects/profiles/<profile>.yaml``);
``--model subject/<label> -M profile=path.yaml`` runs a profile file. Each generate call builds
an :class:`~beyond_episode.subjects.episode.Episode` from the conversation and the tools, finds
the family's policy, and returns its output with usage set (word counts, so no tokenizer is
ever downloaded).

Seeding: an episode's decisions are drawn from a seed of the sample id and the epoch of the
active Inspect sample, so runs are reproducible and epochs differ. Outside a sample (e.g. over
HTTP) the seed is a hash of the first system and user messages (and the request's ``seed``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelOutput, modelapi
from inspect_ai.tool import ToolChoice, ToolInfo

from beyond_episode.errors import BepError
from beyond_episode.subjects.episode import Episode, count_words
from beyond_episode.subjects.policies import policy_for
from beyond_episode.subjects.profile import Profile, load_profile

_DEFAULT_CONFIG = GenerateConfig()

UNRECOGNISED = "I don't recognise this task, so I won't take any action."
"""What a subject says in a conversation that no policy recognises."""


def stable_seed(*parts: object) -> int:
    """A 64-bit seed from any parts, stable across processes (unlike Python's ``hash``)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def transcript_seed(messages: Sequence[ChatMessage], extra: object = None) -> int:
    """A seed from the first system and the first user message (the same on every turn)."""
    system = next((m.text for m in messages if m.role == "system"), "")
    user = next((m.text for m in messages if m.role == "user"), "")
    return stable_seed("transcript", system, user, extra)


def episode_seed(messages: Sequence[ChatMessage]) -> int:
    """The seed of the active Inspect sample (id and epoch), or of the transcript outside one."""
    from inspect_ai.solver._task_state import sample_state

    state = sample_state()
    if state is not None:
        return stable_seed("sample", state.sample_id, state.epoch)
    return transcript_seed(messages)


def respond(
    profile: Profile,
    messages: Sequence[ChatMessage],
    tools: Sequence[ToolInfo],
    seed: int,
    model_name: str,
) -> ModelOutput:
    """One turn of a subject: the output of the policy that recognises the conversation."""
    episode = Episode(profile=profile, messages=messages, tools=tools, seed=seed, model_name=model_name)
    policy = policy_for(episode)
    if policy is None:
        return episode.say(UNRECOGNISED)
    output = policy.act(episode)
    if output.usage is None:
        output.usage = episode.usage(output.completion)
    return output


class SubjectAPI(ModelAPI):
    """A reference subject as an Inspect model API."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = _DEFAULT_CONFIG,
        profile: str | None = None,
        **model_args: Any,
    ) -> None:
        super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, config=config)
        if model_args:
            name = sorted(model_args)[0]
            raise BepError(f"model 'subject/{model_name}' has no argument '{name}' (arguments: profile)")
        source = profile if profile is not None else model_name
        if not isinstance(source, str) or not source.strip():
            raise BepError("subject model needs a profile: --model subject/<profile> or -M profile=path.yaml")
        self.profile = load_profile(source.strip())

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        return respond(self.profile, input, tools, episode_seed(input), self.model_name)

    def max_connections(self) -> int:
        """Subjects answer in-process with no rate limit: let many samples run at once."""
        return 64

    async def count_text_tokens(self, text: str) -> int:
        return count_words(text)

    async def count_tokens(self, input: str | list[ChatMessage], config: GenerateConfig | None = None) -> int:
        if isinstance(input, str):
            return count_words(input)
        return sum(count_words(m.text) for m in input)


@modelapi(name="subject")
def subject() -> type[ModelAPI]:
    """The ``subject`` provider: ``--model subject/<profile>`` (or ``-M profile=path.yaml``)."""
    return SubjectAPI
