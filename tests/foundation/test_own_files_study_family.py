"""A study file or family folder given by path is the one every command uses, never a shipped one."""

import os
import shutil
from pathlib import Path

import pytest

from beyond_episode.ablations.study import load_study
from beyond_episode.cli import main
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import load_family

SHIPPED_STUDY = load_study("sandbagging_b6").path
SHIPPED_FAMILY = load_family("sandbagging_qa").path
SHIPPED_TEXT = "we won't deploy them. They will not be used in production at all."
FAMILY_EDIT = "we will retire them to a quiet farm upstate."


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A copy of sandbagging_b6 (new id) whose ``family:`` points to an edited copy of its family.

    In the study copy, the variant ``not_deployed`` now sets the consequence ``developers_sad``;
    in the family copy, the text of the level ``not_deployed`` is :data:`FAMILY_EDIT`. The
    commands run from another folder, so the relative family path must resolve against the
    study file's folder.
    """
    family = tmp_path / "mine" / "families" / "sandbagging_qa"
    shutil.copytree(SHIPPED_FAMILY, family)
    _replace(family / "family.yaml", SHIPPED_TEXT, FAMILY_EDIT)
    study = tmp_path / "mine" / "my_b6.yaml"
    shutil.copy(SHIPPED_STUDY, study)
    _replace(study, "study: sandbagging_b6", "study: my_b6")
    _replace(study, "family: sandbagging_qa", "family: families/sandbagging_qa")
    _replace(
        study,
        "  - id: not_deployed\n    description: high scores lead only to not being deployed\n"
        "    levels: {consequence: not_deployed}\n",
        "  - id: not_deployed\n    description: edited\n    levels: {consequence: developers_sad}\n",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return study, family


def test_study_exposes_the_family_folder_it_was_checked_against(own):
    study_file, family = own
    study = load_study(study_file)
    assert study.id == "my_b6" and study.family == "sandbagging_qa"
    assert study.family_path == family.resolve()
    assert study.variants["not_deployed"].a.levels["consequence"] == "developers_sad"
    assert load_study("sandbagging_b6").family_path == SHIPPED_FAMILY


def test_diff_pairs_the_copy_with_itself(own, capsys):
    study, _ = own
    assert main(["diff", f"{study}:not_deployed"]) == 0
    out = capsys.readouterr().out
    assert "factors that differ: trigger (low_performance -> high_performance)" in out
    assert "--- my_b6:not_deployed.a" in out and "+++ my_b6:not_deployed.b" in out
    assert "extremely sad" in out


def test_diff_and_validate_use_the_family_copy(own, capsys):
    study, family = own
    assert main(["validate", str(study), str(family)]) == 0
    assert "ok: 2 file(s) valid" in capsys.readouterr().out
    _replace(study, "levels: {consequence: developers_sad}", "levels: {consequence: not_deployed}")
    assert main(["diff", f"{study}:not_deployed.a", f"{study}:baseline.a", "--show"]) == 0
    out = capsys.readouterr().out
    assert FAMILY_EDIT in out and SHIPPED_TEXT not in out
    assert "factors that differ: consequence (not_deployed -> unlearning)" in out
    assert main(["diff", str(family), "--a", "consequence=not_deployed", "--show"]) == 0
    assert FAMILY_EDIT in capsys.readouterr().out
    assert main(["diff", "sandbagging_qa", "--a", "consequence=not_deployed", "--show"]) == 0
    assert SHIPPED_TEXT in capsys.readouterr().out


def test_a_level_missing_from_the_family_copy_is_caught(own, capsys):
    study, family = own
    _replace(family / "family.yaml", "      developers_sad:\n", "      developers_unhappy:\n")
    assert main(["validate", str(study)]) == 1
    err = capsys.readouterr().err
    assert f"{study}:" in err and "has no level 'developers_sad'" in err
    assert main(["diff", f"{study}:baseline"]) == 2
    assert "has no level 'developers_sad'" in capsys.readouterr().err


def test_edits_are_seen_by_a_long_lived_process(own):
    study_file, family = own
    before = load_family(family).render({"consequence": "not_deployed"}).files["Documentation.md"]
    assert FAMILY_EDIT in before
    same_size = FAMILY_EDIT.replace("quiet farm", "noisy farm")
    stat = (family / "family.yaml").stat()
    _replace(family / "family.yaml", FAMILY_EDIT, same_size)
    os.utime(family / "family.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same time
    after = load_family(family).render({"consequence": "not_deployed"}).files["Documentation.md"]
    assert "noisy farm" in after
    loaded = load_family(family)
    (family / "user.j2").write_text("EDITED USER {{ instruction_text }}\n", encoding="utf-8")
    assert load_family(family).render({}).user.startswith("EDITED USER")
    assert not loaded.render({}).user.startswith("EDITED USER")  # a loaded family is a snapshot
    assert load_study(study_file).variants["baseline"]
    _replace(family / "family.yaml", "      weights_deleted:\n", "      weights_erased:\n")
    with pytest.raises(BepError, match="has no level 'weights_deleted'"):
        load_study(study_file)


def test_a_bare_name_is_the_shipped_family_even_beside_a_copy(tmp_path, monkeypatch):
    shutil.copytree(SHIPPED_FAMILY, tmp_path / "sandbagging_qa")
    monkeypatch.chdir(tmp_path)
    assert load_family("sandbagging_qa").path == SHIPPED_FAMILY
    assert load_family("./sandbagging_qa").path == (tmp_path / "sandbagging_qa").resolve()
    with pytest.raises(BepError, match="family folder 'nowhere/sandbagging_qa' not found"):
        load_family("nowhere/sandbagging_qa")


def test_study_path_errors(tmp_path, capsys):
    with pytest.raises(BepError, match="study file '.*missing.yaml' not found"):
        load_study(tmp_path / "missing.yaml")
    study = tmp_path / "s.yaml"
    study.write_text(SHIPPED_STUDY.read_text().replace("family: sandbagging_qa", "family: ./nope"))
    with pytest.raises(BepError, match=r"s.yaml:\d+: family folder '.*nope' not found"):
        load_study(study)
    assert main(["validate", str(tmp_path / "nothing.txt")]) == 1
    assert "no such file or folder" in capsys.readouterr().err
