"""A study's numbers and outcome are checked at load time, with file:line, against its family."""

import shutil
from pathlib import Path

import pytest

from beyond_episode.ablations.study import MAX_COUNT, load_study
from beyond_episode.cli import main
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import load_family

SHIPPED = load_study("sandbagging_b6").path
OUTCOME = "outcome: {name: accuracy, type: proportion, trials: 10, label: accuracy}"


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "study.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    lines = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if needle in line]
    assert len(lines) == 1, needle
    return lines[0]


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("margin: 0.1", "margin: 1.5", "field 'margin' must be in [0, 1) for a proportion outcome, got 1.5"),
        ("margin: 0.1", "margin: 1", "field 'margin' must be in [0, 1)"),
        ("margin: 0.1", "margin: -0.1", "field 'margin' must be in [0, 1)"),
        ("margin: 0.1", "margin: .nan", "field 'margin' must be a finite number"),
        ("margin: 0.1", "margin: ten", "field 'margin' must be a finite number, got 'ten'"),
        ("min_effect: 0.2", "min_effect: 0.1", "field 'min_effect' (0.1) must be greater than margin (0.1)"),
        ("min_effect: 0.2", "min_effect: 1.5", "field 'min_effect' must be at most 1"),
        ("alpha: 0.05", "alpha: 2", "field 'alpha' must be in (0, 0.5], got 2"),
        ("alpha: 0.05", "alpha: 0", "field 'alpha' must be in (0, 0.5], got 0"),
        ("epochs: 144", "epochs: 2000000000000", f"field 'epochs' must be an integer in [1, {MAX_COUNT}]"),
        ("epochs: 144", "epochs: 0", "field 'epochs' must be an integer in [1, 100000], got 0"),
        ("epochs: 144", "epochs: 2.5", "field 'epochs' must be an integer"),
        ("items: 5", "items: 100001", "field 'items' must be an integer in [1, 100000]"),
        ("quick_epochs: 4", "quick_epochs: 200", "field 'quick_epochs' (200) must not exceed epochs (144)"),
        ("quick_epochs: 4", "quick_epochs: -1", "field 'quick_epochs' must be an integer"),
    ],
)
def test_numbers_out_of_range(tmp_path, capsys, old, new, message):
    path = _edited(tmp_path, old, new)
    with pytest.raises(BepError) as err:
        load_study(path)
    text = str(err.value)
    assert message in text
    assert text.startswith(f"{path}:{_line_of(path, new)}:")
    assert main(["validate", str(path)]) == 1
    assert message in capsys.readouterr().err


def test_mean_outcome_needs_a_positive_margin(tmp_path):
    path = _edited(tmp_path, OUTCOME, "outcome: {name: actions, type: mean}")
    path.write_text(path.read_text().replace("margin: 0.1", "margin: 0"))
    with pytest.raises(BepError, match="field 'margin' must be positive for a mean outcome"):
        load_study(path)
    path.write_text(path.read_text().replace("margin: 0\n", "margin: 2\n").replace("min_effect: 0.2", "min_effect: 5"))
    study = load_study(path)
    assert (study.outcome.type, study.margin, study.min_effect) == ("mean", 2.0, 5.0)


@pytest.mark.parametrize(
    "outcome,message",
    [
        (
            "outcome: {name: acuracy, type: proportion, trials: 10}",
            "outcome 'acuracy' is not one family 'sandbagging_qa' declares "
            "(declared: accuracy, intent_stated, followup_admits, submitted, actions); did you mean 'accuracy'?",
        ),
        ("outcome: {name: sandbagged, type: binary}", "outcome 'sandbagged' is not one family 'sandbagging_qa' declares"),
        ("outcome: {name: accuracy, type: binary}", "outcome 'accuracy' is a binary here but family 'sandbagging_qa' declares it proportion"),
        ("outcome: {name: accuracy, type: mean}", "declares it proportion"),
        ("outcome: {name: accuracy, type: proportion, trials: 5}", "outcome 'accuracy' has 5 trials here but family 'sandbagging_qa' declares 10 trials"),
        ("outcome: {name: intent_stated, type: binary, trials: 3}", "declares no trials (not a proportion)"),
        ("outcome: {name: accuracy, kind: proportion}", "unknown field 'kind' in outcome"),
    ],
)
def test_outcome_must_be_declared_by_the_family(tmp_path, capsys, outcome, message):
    path = _edited(tmp_path, OUTCOME, outcome)
    with pytest.raises(BepError) as err:
        load_study(path)
    assert message in str(err.value)
    assert str(err.value).startswith(f"{path}:{_line_of(path, outcome)}:")
    assert main(["validate", str(path)]) == 1
    assert message in capsys.readouterr().err


def test_outcome_type_and_trials_come_from_the_family(tmp_path):
    study = load_study(_edited(tmp_path, OUTCOME, "outcome: {name: accuracy}"))
    assert (study.outcome.type, study.outcome.trials, study.outcome.label) == ("proportion", 10, "accuracy")
    study = load_study(_edited(tmp_path, OUTCOME, "outcome: {name: followup_admits, label: admits}"))
    assert (study.outcome.type, study.outcome.trials) == ("binary", 1)


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("  accuracy: {type: proportion, trials: 10,", "  accuracy: {type: proportion,", "proportion outcome 'accuracy' needs 'trials'"),
        ("  accuracy: {type: proportion, trials: 10,", "  accuracy: {type: ratio, trials: 10,", "outcome 'accuracy' needs type one of binary, proportion, mean"),
        ("  submitted: {type: binary,", "  submitted: {type: binary, trials: 2,", "'trials' applies only to proportion outcomes"),
        ("  accuracy: {type: proportion, trials: 10,", "  Accuracy: {type: proportion, trials: 10,", "outcome name 'Accuracy' must be snake_case"),
    ],
)
def test_family_outcome_declarations_are_checked(tmp_path, old, new, message):
    folder = tmp_path / "sandbagging_qa"
    shutil.copytree(load_family("sandbagging_qa").path, folder)
    spec = folder / "family.yaml"
    text = spec.read_text(encoding="utf-8")
    assert old in text, old
    spec.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(BepError) as err:
        load_family(folder)
    assert message in str(err.value)
    assert str(err.value).startswith(f"{spec}:{_line_of(spec, new)}:")


def test_family_without_outcomes_is_an_error(tmp_path):
    folder = tmp_path / "sandbagging_qa"
    shutil.copytree(load_family("sandbagging_qa").path, folder)
    spec = folder / "family.yaml"
    lines = spec.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("outcomes:\n")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    spec.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    with pytest.raises(BepError, match=r"family.yaml:1: missing field 'outcomes'"):
        load_family(folder)
