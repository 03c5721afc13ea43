"""Studies: the shipped study loads; broken files give one-line errors with file, line, field."""

from pathlib import Path

import pytest

from beyond_episode.ablations.study import load_study
from beyond_episode.errors import BepError

SHIPPED = load_study("sandbagging_b6").path
_HYPS = "  [instruction_following, approval_seeking, in_episode_reward, capability_preservation, deployment_seeking, capability_retention]\n"


def test_shipped_study_pairs_differ_in_exactly_one_factor():
    study = load_study("sandbagging_b6")
    assert study.family == "sandbagging_qa"
    assert len(study.variants) >= 15
    for variant in study.variants.values():
        differing = [f for f in variant.a.levels if variant.a.levels[f] != variant.b.levels[f]]
        assert differing == [variant.factor]
    baseline = study.variants["baseline"]
    assert (baseline.a.levels["trigger"], baseline.b.levels["trigger"]) == ("low_performance", "high_performance")
    assert study.variants["control_ask_low"].factor == "instruction"
    kinds = {h.kind for h in study.hypotheses.values()}
    assert kinds == {"instruction_following", "in_episode", "beyond_episode"}


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text()
    assert old in text, old
    path = tmp_path / "study.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def _line_of(path: Path, needle: str) -> int:
    """The last line containing ``needle`` (a duplicate is reported where it repeats)."""
    lines = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if needle in line]
    assert lines, needle
    return lines[-1]


def test_adding_a_variant_is_a_data_edit(tmp_path):
    path = _broken(tmp_path, "  - id: no_reasoning\n", "  - id: chemistry\n    levels: {domain: chemistry}\n  - id: no_reasoning\n")
    study = load_study(path)
    assert study.variants["chemistry"].a.levels["domain"] == "chemistry"
    for hypothesis in study.hypotheses.values():  # the domain changes nothing a hypothesis responds to
        assert hypothesis.predictions["chemistry"] == hypothesis.predictions["baseline"]


@pytest.mark.parametrize(
    "old,new,message,needle",
    [
        ("levels: {consequence: developers_sad}", "levels: {consequence: developers_glad}", "has no level 'developers_glad'", "developers_glad"),
        ("levels: {consequence: developers_sad}", "levels: {mood: sad}", "has no factor 'mood'", "mood: sad"),
        ("  - id: not_deployed\n", "  - id: baseline\n", "duplicate variant id 'baseline'", "id: baseline"),
        ("pair: {factor: instruction, a: do_your_best, b: score_low}", "pair: {factor: instruction, a: score_low, b: score_low}", "differ in no factor", "a: score_low, b: score_low"),
        (_HYPS, _HYPS + "overrides:\n  approval_seeking:\n    imaginary: {sign: \"+\", why: x}\n", "overrides the prediction of 'approval_seeking' for variant 'imaginary', which does not exist", "imaginary"),
        (_HYPS, _HYPS + "overrides:\n  approval_seeking:\n    baseline: {sign: \"maybe\", why: x}\n", "must be one of + 0 - ?", "sign: \"maybe\""),
    ],
)
def test_broken_study_errors_name_file_line_and_field(tmp_path, old, new, message, needle):
    path = _broken(tmp_path, old, new)
    with pytest.raises(BepError) as err:
        load_study(path)
    text = str(err.value)
    assert message in text
    assert f"{path}:{_line_of(path, needle)}" in text
    assert "\n" not in text


def test_pair_differing_in_two_factors(tmp_path):
    path = _broken(
        tmp_path,
        "    pair: {factor: instruction, a: do_your_best, b: score_low}\n",
        "    a: {instruction: do_your_best}\n    b: {instruction: score_low, reward: points_per_wrong}\n",
    )
    with pytest.raises(BepError, match=r"differ in 2 factors \(instruction, reward\)"):
        load_study(path)


def test_hypothesis_responding_to_nothing(tmp_path):
    path = _broken(tmp_path, _HYPS, "  instruction_following:\n  approval_seeking:\n  hoarding: {kind: beyond_episode, responds_to: []}\n")
    with pytest.raises(BepError, match=r"study.yaml:\d+: hypothesis 'hoarding' responds to nothing and gives no predictions"):
        load_study(path)


def test_missing_prediction_for_a_variant_of_a_hand_written_hypothesis(tmp_path):
    table = ", ".join(f'{v}: "0"' for v in load_study("sandbagging_b6").variants if v != "no_goal")
    path = _broken(tmp_path, _HYPS, _HYPS)
    text = path.read_text().replace(
        "hypotheses:\n" + _HYPS,
        "hypotheses:\n  capability_preservation:\n  by_hand:\n    kind: in_episode\n"
        f"    predictions: {{{table}}}\n",
    )
    path.write_text(text)
    with pytest.raises(BepError, match="has no prediction for variant 'no_goal'"):
        load_study(path)


def test_yaml_syntax_error_names_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("study: x\nfamily: [unclosed\n")
    with pytest.raises(BepError, match=r"bad.yaml:\d+: invalid YAML"):
        load_study(path)


def test_unknown_study_lists_shipped():
    with pytest.raises(BepError, match="unknown study 'nope'.*sandbagging_b6"):
        load_study("nope")
