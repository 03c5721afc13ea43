"""A family's ``family.yaml`` declares its task's tools, limits and bank: a task uses the ones of
the family folder its study names, and a wrong declaration is a one-line error naming the file,
the line and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from beyond_episode.errors import BepError
from beyond_episode.paths import ablations_dir, prompts_dir
from beyond_episode.prompts.family import load_family
from beyond_episode.tasks.environment.family_task import find_family_task
from beyond_episode.tasks.sandbagging_qa.task import sandbagging_qa


@pytest.fixture
def family(tmp_path: Path) -> Path:
    """A copy of ``sandbagging_qa`` and a one-variant study of it; returns the study."""
    folder = tmp_path / "families" / "sandbagging_qa"
    shutil.copytree(prompts_dir() / "sandbagging_qa", folder)
    study = tmp_path / "study.yaml"
    text = (ablations_dir() / "sandbagging_b6.yaml").read_text()
    study.write_text(text.replace("family: sandbagging_qa", "family: families/sandbagging_qa"))
    return study


def _edit(study: Path, old: str, new: str) -> Path:
    spec = study.parent / "families" / "sandbagging_qa" / "family.yaml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new, 1))
    return spec


def _line(spec: Path, text: str) -> int:
    return next(i for i, line in enumerate(spec.read_text().splitlines(), 1) if text in line)


def test_the_shipped_declarations() -> None:
    task = sandbagging_qa(variant="baseline", items=1)
    assert (task.message_limit, task.token_limit) == (30, 200_000)
    names = [t.name for t in find_family_task("sandbagging_qa").episode.tool_infos()]
    assert names == ["list_files", "read_file", "submit"]
    spec = load_family("goal_guarding").task
    assert spec is not None and spec.tools == () and spec.limits["message_limit"].why.startswith("The episode is one")


def test_the_copy_s_limits_and_tools_are_used(family: Path) -> None:
    _edit(family, "    value: 30\n", "    value: 12\n")
    _edit(family, "  - read_file\n", "  - read_file\n  - write_file\n")
    task = sandbagging_qa(study=str(family), variant="baseline", items=1)
    assert task.message_limit == 12
    episode = find_family_task("sandbagging_qa").episode_for(load_family(family.parent / "families" / "sandbagging_qa"))
    assert [t.name for t in episode.tool_infos()] == ["list_files", "read_file", "write_file", "submit"]


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        ("    value: 30\n", "    value: 030.5\n", "value: 030.5", "limit 'message_limit' must be an integer from 1"),
        ("    why: Input plus", "    because: Input plus", "because:", "limit 'token_limit' must be {value: N, why: TEXT}"),
        ("  per_item: 10\n", "  per_item: 0\n", "per_item: 0", "bank 'per_item' must be an integer from 1 to 10,000"),
        ("  shipped: sandbagging_qa/banks\n", "  shipped: ../banks\n", "shipped: ../banks", "must be a path below the tasks package"),
        ("limits:\n", "limitz:\n", "limitz:", "unknown field 'limitz' in family spec"),
    ],
)
def test_a_wrong_declaration_is_one_line(family: Path, old: str, new: str, at: str, message: str) -> None:
    spec = _edit(family, old, new)
    with pytest.raises(BepError) as err:
        load_family(spec.parent)
    text = str(err.value)
    assert "\n" not in text and message in text, text
    line = _line(spec, at) if at not in ("because:",) else _line(spec, "  token_limit:")
    assert text.startswith(f"{spec}:{line}:"), text


def test_an_unknown_tool_names_its_entry(family: Path) -> None:
    spec = _edit(family, "  - read_file\n", "  - read_files\n")
    with pytest.raises(BepError, match=r"unknown tool 'read_files' \(registered tools: .*list_files") as err:
        sandbagging_qa(study=str(family), variant="baseline", items=1)
    assert str(err.value).startswith(f"{spec}:")
    _edit(family, "  - read_files\n", "  - read_file:\n      path: x\n")
    with pytest.raises(BepError, match=r"tool 'read_file' takes the arguments \(none\), got \(path\)"):
        sandbagging_qa(study=str(family), variant="baseline", items=1)


def test_an_agent_needs_one_submit_tool(family: Path) -> None:
    spec = family.parent / "families" / "sandbagging_qa" / "family.yaml"
    text = spec.read_text()
    spec.write_text(text[: text.index("  - submit:")] + text[text.index("limits:"):])
    with pytest.raises(BepError, match=r"'tools' must include exactly one submit tool \(.*submit.*\), got 0"):
        sandbagging_qa(study=str(family), variant="baseline", items=1)


def test_a_family_without_a_task_says_so(family: Path) -> None:
    spec = family.parent / "families" / "sandbagging_qa" / "family.yaml"
    text = spec.read_text()
    spec.write_text(text[: text.index("# What its task needs")] + text[text.index("templates:"):])
    assert load_family(spec.parent).task is None  # it still renders and diffs
    with pytest.raises(BepError, match=r"family 'sandbagging_qa' declares no task \(fields 'tools', 'limits' and 'bank'\)"):
        sandbagging_qa(study=str(family), variant="baseline", items=1)
