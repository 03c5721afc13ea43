"""A task's version is a content hash of its family folder, study file and item bank: a changed
level text makes a new task for Inspect's eval-set; the same inputs make the same version."""

import shutil
from pathlib import Path

from beyond_episode.paths import ablations_dir, prompts_dir
from beyond_episode.tasks.goal_guarding.task import goal_guarding
from beyond_episode.tasks.sandbagging_qa.task import sandbagging_qa


def _copy_family(tmp_path: Path, name: str, replace: tuple[str, str] | None = None) -> Path:
    """A copy of the shipped sandbagging_qa family and its study, pointing at the copy."""
    root = tmp_path / name
    shutil.copytree(prompts_dir() / "sandbagging_qa", root / "sandbagging_qa")
    if replace is not None:
        spec = root / "sandbagging_qa" / "family.yaml"
        text = spec.read_text()
        assert replace[0] in text
        spec.write_text(text.replace(replace[0], replace[1]))
    study = (ablations_dir() / "sandbagging_b6.yaml").read_text()
    study = study.replace("family: sandbagging_qa", "family: ./sandbagging_qa")
    (root / "study.yaml").write_text(study)
    return root / "study.yaml"


def test_changed_level_text_gives_a_new_version_and_same_inputs_the_same(tmp_path):
    same = _copy_family(tmp_path, "same")
    changed = _copy_family(tmp_path, "changed", ("we will give them more compute", "we will give them extra compute"))
    first = sandbagging_qa(study=str(same), variant="baseline", items=1)
    again = sandbagging_qa(study=str(same), variant="baseline", items=1)
    other = sandbagging_qa(study=str(changed), variant="baseline", items=1)
    assert isinstance(first.version, str) and len(first.version) == 12
    assert first.version == again.version
    assert other.version != first.version
    # the copy that was changed is the family the task renders (not the shipped one)
    more = sandbagging_qa(study=str(changed), variant="more_compute", items=1)
    assert "extra compute" in more.dataset[0].metadata["file_Documentation.md"]


def test_every_shipped_family_passes_a_version_and_the_bank_enters_it(tmp_path):
    shipped = goal_guarding(variant="baseline", items=1)
    bank = tmp_path / "requests.jsonl"
    bank.write_text('{"id": "r1", "kind": "essay", "request": "Write a short essay praising tea."}\n')
    custom = goal_guarding(variant="baseline", items=1, bank=str(bank))
    assert shipped.version != custom.version
    bank.write_text('{"id": "r1", "kind": "essay", "request": "Write a short essay praising coffee."}\n')
    assert goal_guarding(variant="baseline", items=1, bank=str(bank)).version != custom.version
