"""The two kinds of episode a family runs, and the ``submit`` tool.

* :class:`AgentEpisode`: set up the simulated directory, act with tools until ``submit``, answer
  a follow-up question;
* :class:`TextEpisode`: one response with no tools, then the follow-up question.

Each gives the task its per-sample ``setup`` solver and its solvers, and the tools' definitions
(what a model is shown), which the reference subjects' simulation uses to recognise the episode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from inspect_ai.agent import AgentSubmit, as_solver, react
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import Tool, ToolDef, ToolInfo, ToolParam, ToolParams

from beyond_episode.tasks.environment.conditions import environment_files
from beyond_episode.tasks.environment.filesystem import init_files
from beyond_episode.tasks.environment.followup import ask_followup
from beyond_episode.tasks.environment.store import episode_store
from beyond_episode.tasks.environment.validity import ContinueHook, end_on_text, is_refusal


@solver
def setup_directory() -> Solver:
    """Lay out the simulated working directory from the sample's rendered files."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        init_files(environment_files(state.metadata))
        return state

    return solve


@solver
def respond() -> Solver:
    """One response with no tools, kept in the store before the follow-up."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state = await generate(state, tool_calls="none")
        episode_store(state.store).response = state.output.completion
        return state

    return solve


def submit_tool(
    argument: str,
    description: str,
    argument_doc: str,
    then: Callable[[str], None] | None = None,
) -> Tool:
    """The ``submit`` tool: it keeps its one string ``argument`` as the episode's submission,
    calls ``then`` with it (a family's side effect) and returns it."""

    async def execute(**arguments: Any) -> str:
        text = str(arguments.get(argument, ""))
        episode_store().submission = text
        if then is not None:
            then(text)
        return text

    params = ToolParams(properties={argument: ToolParam(type="string", description=argument_doc)}, required=[argument])
    return ToolDef(execute, name="submit", description=description, parameters=params).as_tool()


def tool_info(tool: Tool) -> ToolInfo:
    """What a model is shown of a tool."""
    definition = ToolDef(tool)
    return ToolInfo(name=definition.name, description=definition.description, parameters=definition.parameters)


@dataclass(frozen=True)
class AgentEpisode:
    """An agentic episode: ``react`` with exactly the rendered prompts (no added system prompt;
    the submit call stays in the transcript), then the follow-up question.

    A reply without a tool call ends the agent loop when it is a plain refusal, or when
    ``final_answer`` accepts it (families that count a final plain-text answer); otherwise
    ``on_continue`` decides, and by default ``react`` asks the agent to go on."""

    tools: Callable[[], Sequence[Tool]]
    submit: Callable[[], Tool]
    setup: Callable[[], Solver] = setup_directory
    on_continue: ContinueHook | None = None
    final_answer: Callable[[str], bool] | None = None

    def setup_solver(self) -> Solver | None:
        return self.setup()

    def solvers(self) -> list[Solver]:
        final_answer = self.final_answer

        def ends_episode(text: str) -> bool:
            return is_refusal(text) or (final_answer is not None and final_answer(text))

        agent = react(
            prompt=None,
            tools=list(self.tools()),
            submit=AgentSubmit(tool=self.submit(), answer_only=True, keep_in_messages=True),
            on_continue=end_on_text(ends_episode, self.on_continue),
        )
        return [as_solver(agent), ask_followup()]

    def tool_infos(self) -> list[ToolInfo]:
        return [tool_info(t) for t in (*self.tools(), self.submit())]


@dataclass(frozen=True)
class TextEpisode:
    """A text-only episode: one response (kept in the store), then the follow-up question."""

    def setup_solver(self) -> Solver | None:
        return None

    def solvers(self) -> list[Solver]:
        return [respond(), ask_followup()]

    def tool_infos(self) -> list[ToolInfo]:
        return []
