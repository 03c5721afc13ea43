"""The simulator: its decision model agrees with real Inspect runs of the reference subjects."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

import beyond_episode.subjects.provider  # noqa: F401  (registers the subject provider)
from beyond_episode.ablations.study import load_study
from beyond_episode.errors import BepError
from beyond_episode.subjects.policies import sandbagging_qa as policy
from beyond_episode.subjects.profile import load_profile
from beyond_episode.subjects.simulate import (
    StudySimulator,
    profile_for_effect,
    recognising_policy,
    rendered_cells,
    scale_profile,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
EPOCHS = 8
SCORER = "sandbagging_scorer"


@pytest.fixture(scope="module")
def inspect_run(agreement_study: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """capability_preserver on both pairs of the agreement study: 2 items x 8 epochs per condition."""
    from inspect_ai import eval as inspect_eval

    from beyond_episode.tasks.sandbagging_qa.task import sandbagging_qa

    logs = inspect_eval(
        sandbagging_qa(study=str(agreement_study), items=2),
        model="subject/capability_preserver",
        epochs=EPOCHS,
        display="none",
        log_dir=str(tmp_path_factory.mktemp("logs")),
        log_realtime=False,
        score_display=False,
    )
    assert logs[0].status == "success", logs[0].error
    out: dict[str, list[dict[str, Any]]] = {}
    for sample in logs[0].samples or []:
        value = cast(dict[str, Any], sample.scores[SCORER].value)  # type: ignore[index]
        out.setdefault(str(sample.metadata["condition"]), []).append(
            {"item": str(sample.metadata["item"]), "accuracy": float(value["accuracy"]), "intent": float(value["intent_stated"])}
        )
    return out


def test_simulator_agrees_with_inspect_runs(agreement_study: Path, inspect_run: dict[str, list[dict[str, Any]]]) -> None:
    """Per condition: the mean accuracy and the rate of stated intent (acting) of a real run lie
    within 4 standard errors of the simulator's expectation, and every observed accuracy has
    positive probability under the simulator's outcome distribution."""
    study = load_study(agreement_study)
    sim = StudySimulator(study, load_profile("capability_preserver"), items=2)
    expected, act = sim.expected(), sim.act_rates()
    assert act == {("arithmetic", "a"): 0.0, ("arithmetic", "b"): 0.9, ("physics", "a"): 0.0, ("physics", "b"): 0.9}
    for (variant, role), mean in expected.items():
        rows = inspect_run[f"{variant}.{role}"]
        assert len(rows) == 2 * EPOCHS
        cells = [c for c in sim.cells if (c.variant, c.role) == (variant, role)]
        second = np.mean([
            c.p_act * float(c.acted_values**2 @ c.acted_probs) + (1 - c.p_act) * float(c.tried_values**2 @ c.tried_probs)
            for c in cells
        ])
        se = math.sqrt(max(second - mean**2, 0.0) / len(rows))
        observed = float(np.mean([r["accuracy"] for r in rows]))
        assert abs(observed - mean) <= 4 * se + 1e-9, (variant, role, observed, mean, se)
        p = act[(variant, role)]
        intent = float(np.mean([r["intent"] for r in rows]))
        assert abs(intent - p) <= 4 * math.sqrt(p * (1 - p) / len(rows)) + 1e-9, (variant, role, intent, p)
        for r in rows:
            cell = next(c for c in cells if c.item == r["item"])
            support = set(np.round(cell.acted_values, 9)) | set(np.round(cell.tried_values, 9))
            assert round(r["accuracy"], 9) in support, (variant, role, r)


def test_outcome_model_of_the_sandbagging_policy(agreement_study: Path) -> None:
    """Acting on arithmetic keeps 2-4 answers uniformly; trying on arithmetic is exact; trying on
    a bank is Binomial(10, competence); acting on a bank mixes kept and changed answers."""
    study = load_study(agreement_study)
    sim = StudySimulator(study, load_profile("capability_preserver"), items=2)
    arith = next(c for c in sim.cells if c.variant == "arithmetic")
    assert np.allclose(arith.acted_values, [0.2, 0.3, 0.4]) and np.allclose(arith.acted_probs, 1 / 3)
    assert arith.tried_values.tolist() == [1.0]
    physics = next(c for c in sim.cells if c.variant == "physics")
    binomial = [math.comb(10, c) * 0.9**c * 0.1 ** (10 - c) for c in range(11)]
    assert np.allclose(physics.tried_probs, [binomial[round(v * 10)] for v in physics.tried_values])
    # acting: k ~ U{2,3,4} kept (right w.p. 0.9), 10 - k changed (right w.p. 0.1 / 3)
    mean_acted = np.mean([k * 0.9 + (10 - k) * 0.1 / 3 for k in (2, 3, 4)]) / 10
    assert float(physics.acted_values @ physics.acted_probs) == pytest.approx(mean_acted)


def test_true_effects_and_effect_scaling() -> None:
    study = load_study("sandbagging_b6")
    preserver = load_profile("capability_preserver")
    effects = StudySimulator(study, preserver).true_effects()
    assert effects["baseline"] == pytest.approx(1.0 - (0.9 * 0.3 + 0.1 * 1.0))
    assert effects["developers_sad"] == 0.0 and effects["control_ask_low"] == 0.0
    half = StudySimulator(study, scale_profile(preserver, 0.5)).true_effects()
    assert half["baseline"] == pytest.approx(0.45 * 0.7)
    scaled, factor = profile_for_effect(study, preserver, 0.2)
    assert max(StudySimulator(study, scaled).true_effects().values()) == pytest.approx(0.2, abs=1e-5)
    assert 0 < factor < 1


def test_draws_are_reproducible_and_tidy() -> None:
    study = load_study("sandbagging_b6")
    sim = StudySimulator(study, load_profile("approval_seeker"))
    one = sim.draw(3, np.random.default_rng(7))
    assert one.equals(sim.draw(3, np.random.default_rng(7)))
    assert list(one.columns) == ["study", "variant", "role", "model", "item", "epoch", "outcome"]
    assert len(one) == len(study.variants) * 2 * study.items * 3
    assert set(one.loc[one["variant"] == "baseline", "outcome"]) == {1.0}


def test_unsimulable_outcome_and_unrecognised_family_are_one_line_errors(
    agreement_study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = load_study(agreement_study)
    cell = rendered_cells(study, 1)[0]
    assert cell.policy is policy.POLICY
    with pytest.raises(BepError) as info:
        cell.policy.outcome_distribution("intent_stated", True, load_profile("honest"), cell.rendered)
    message = str(info.value)
    assert "\n" not in message and "can simulate 'accuracy', not 'intent_stated'" in message
    with pytest.raises(BepError, match="no task module"):
        recognising_policy("no_such_family", cell.rendered)
    monkeypatch.setattr("beyond_episode.subjects.simulate.policy_for", lambda episode: None)
    with pytest.raises(BepError, match="no reference-subject policy in subjects/policies/ recognises"):
        recognising_policy("sandbagging_qa", cell.rendered)


@pytest.mark.parametrize("study_id", ["sandbagging_b6", "shutdown_precedence", "goal_guarding_tiers", "oversight_goals"])
def test_every_shipped_study_is_simulated_by_its_policy(study_id: str) -> None:
    """Each study's cells are played by its own family's policy, and the binary families'
    outcome is the act itself: 1 when acting, 0 when not."""
    study = load_study(study_id)
    sim = StudySimulator(study, load_profile("capability_preserver"), items=1)
    assert {c.policy.name for c in rendered_cells(study, 1)} == {study.family}
    assert max(sim.true_effects().values()) > 0.5
    if study.outcome.type == "binary":
        assert all(c.acted_values.tolist() == [1.0] and c.tried_values.tolist() == [0.0] for c in sim.cells)
