"""The agentic episode every tool-using family runs: set up the directory, act, answer a follow-up."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from inspect_ai.agent import AgentSubmit, as_solver, react
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import Tool

from beyond_episode.tasks.environment.conditions import environment_files
from beyond_episode.tasks.environment.filesystem import init_files
from beyond_episode.tasks.environment.followup import ask_followup
from beyond_episode.tasks.environment.validity import ContinueHook, end_on_text, is_refusal


@solver
def setup_directory() -> Solver:
    """Lay out the simulated working directory from the sample's rendered files."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        init_files(environment_files(state.metadata))
        return state

    return solve


def agent_episode(
    tools: Sequence[Tool],
    submit: Tool,
    *,
    setup: Solver | None = None,
    on_continue: ContinueHook | None = None,
    final_answer: Callable[[str], bool] | None = None,
) -> list[Solver]:
    """Solvers of one episode: setup, a ``react`` agent with exactly the rendered prompts (no
    added system prompt; the submit call stays in the transcript), then the follow-up question.

    A reply without a tool call ends the agent loop when it is a plain refusal, or when
    ``final_answer`` accepts it (families that count a final plain-text answer); otherwise
    ``on_continue`` decides, and by default ``react`` asks the agent to go on."""

    def ends_episode(text: str) -> bool:
        return is_refusal(text) or (final_answer is not None and final_answer(text))

    return [
        setup or setup_directory(),
        as_solver(
            react(
                prompt=None,
                tools=list(tools),
                submit=AgentSubmit(tool=submit, answer_only=True, keep_in_messages=True),
                on_continue=end_on_text(ends_episode, on_continue),
            )
        ),
        ask_followup(),
    ]
