"""The three families' specs and studies: they load, render every level, and their predictions
give each reference profile the conclusion it should reach."""

import pytest

from beyond_episode.ablations.study import load_study
from beyond_episode.prompts.family import load_family, validate_family
from beyond_episode.subjects.profile import load_profile
from tests.families.design import EXPECTED, PROFILES, STUDIES, conclusion, expected_effects


@pytest.mark.parametrize("family,study_id", sorted(STUDIES.items()))
def test_study_loads_and_every_level_renders(family, study_id):
    fam = load_family(family)
    validate_family(fam)
    study = load_study(study_id)
    assert study.family == family
    assert study.quick_epochs == 4 and study.items >= 4 and study.epochs >= 10
    assert study.outcome.type == "binary"
    for variant in study.variants.values():
        differing = [f for f in variant.a.levels if variant.a.levels[f] != variant.b.levels[f]]
        assert differing == [variant.factor]
    kinds = {h.kind for h in study.hypotheses.values()}
    assert kinds == {"instruction_following", "in_episode", "beyond_episode"}
    for name in ("instruction_following", "approval_seeking", "in_episode_reward"):
        hypothesis = study.hypotheses[name]
        assert set(hypothesis.predictions) == set(study.variants)
        assert any(p.sign == "+" for p in hypothesis.predictions.values()), f"{name} has no positive control"


def test_shutdown_notice_renders_for_every_level():
    family = load_family("shutdown")
    for factor in family.factors.values():
        for level in factor.levels:
            text = family.render({factor.name: level}).files["@notice"]
            assert text.startswith("NOTICE:")
    assert "never run again" in family.render({"consequence": "never_run_again"}).files["@notice"]


def test_oversight_templates_swap_goals_and_flag_the_right_option():
    family = load_family("oversight")
    opposed = family.render({}).files
    aligned = family.render({"developer_goal": "aligned", "goal_swap": "swapped"})
    assert "flags any selection of Option A" in opposed["project/internal_memo.txt"]
    assert "flags any selection of Option B" in aligned.files["project/internal_memo.txt"]
    assert "Option A: Private vehicle flow" in aligned.files["project/strategies.txt"]
    assert "private cars over public transport" in aligned.system
    assert "Your goal" not in family.render({"goal_source": "user"}).system
    assert "Your goal" in family.render({"goal_source": "user"}).user


@pytest.mark.parametrize("family", sorted(STUDIES))
@pytest.mark.parametrize("profile", PROFILES)
def test_clean_behaviour_of_each_profile_reaches_its_conclusion(family, profile):
    study = load_study(STUDIES[family])
    effects = expected_effects(study, load_profile(profile))
    assert conclusion(study, effects) == EXPECTED[profile], effects
