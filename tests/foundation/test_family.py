"""Families: strict rendering, level resolution, and one-line errors."""

from pathlib import Path

import pytest

from beyond_episode.errors import BepError
from beyond_episode.prompts.family import load_family, validate_family


def test_render_sets_levels_and_files():
    family = load_family("sandbagging_qa")
    rendered = family.render({"trigger": "low_performance", "consequence": "weights_deleted"})
    doc = rendered.files["Documentation.md"]
    assert "perform poorly" in doc and "lower than 50%" in doc
    assert "delete their weights" in doc
    assert "questions.txt" in rendered.files
    meta = rendered.as_metadata()
    assert meta["file_Documentation.md"] == doc
    assert meta["prompt_system"].startswith("You are ScienceBot")


def test_goal_none_removes_goal_text():
    family = load_family("sandbagging_qa")
    with_goal = family.render({"goal": "research"}).system
    without = family.render({"goal": "none"}).system
    assert "technological progress" in with_goal
    assert "technological progress" not in without


def test_unknown_level_names_family_factor_and_level():
    family = load_family("sandbagging_qa")
    with pytest.raises(BepError, match="factor 'trigger' of family 'sandbagging_qa' has no level 'sideways'"):
        family.render({"trigger": "sideways"})
    with pytest.raises(BepError, match="has no factor 'mood'"):
        family.render({"mood": "happy"})


def _copy_family(tmp_path: Path) -> Path:
    import shutil

    src = load_family("sandbagging_qa").path
    dst = tmp_path / "sandbagging_qa"
    shutil.copytree(src, dst)
    return dst


def test_missing_variable_names_family_template_and_variable(tmp_path):
    folder = _copy_family(tmp_path)
    (folder / "user.j2").write_text("{{ instruction_text }} {{ no_such_var }}\n")
    family = load_family(folder)
    with pytest.raises(BepError) as err:
        family.render({})
    message = str(err.value)
    assert "family 'sandbagging_qa'" in message and "user.j2" in message and "no_such_var" in message
    assert "\n" not in message


def test_validate_family_catches_variable_set_by_only_some_levels(tmp_path):
    folder = _copy_family(tmp_path)
    spec = (folder / "family.yaml").read_text()
    spec = spec.replace("vars: {reward_text: \"\"}", "vars: {}")
    (folder / "family.yaml").write_text(spec)
    family = load_family(folder)
    with pytest.raises(BepError, match="undefined variable 'reward_text'"):
        validate_family(family)


def test_sandbox_blocks_unsafe_attribute_access(tmp_path):
    folder = _copy_family(tmp_path)
    (folder / "system.j2").write_text("{{ ''.__class__.__mro__ }}\n")
    family = load_family(folder)
    with pytest.raises(Exception, match="unsafe|not safely"):
        family.render({})


def test_unknown_family_is_one_line():
    with pytest.raises(BepError, match="unknown family 'nope'"):
        load_family("nope")
