"""``bep power``: the analytic epochs, checked against statsmodels and the shipped studies."""

from __future__ import annotations

import math
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.power import TTestIndPower

from beyond_episode.ablations.study import load_study, study_names
from beyond_episode.analysis.effects import Paired, score_interval
from beyond_episode.cli import main
from beyond_episode.errors import BepError
from beyond_episode.methodology.power import (
    bound_variance,
    epochs_needed,
    plan,
    power_of,
    quantile,
    standard_error,
)
from beyond_episode.subjects.profile import load_profile
from beyond_episode.subjects.simulate import StudySimulator


@pytest.mark.parametrize("name", study_names())
def test_shipped_epochs_are_what_the_power_tool_asks_for(name: str) -> None:
    """Each shipped study declares the epochs `bep power` gives for power 0.8 at its min_effect."""
    study = load_study(name)
    assert plan(study).epochs == study.epochs


def test_epochs_agree_with_statsmodels_t_test_power() -> None:
    """The plan is a one-sided two-sample test of (effect - margin) at alpha / (2k) under the
    bound variance: statsmodels' TTestIndPower asks for the same samples per condition (to
    within two epochs: whole epochs, and degrees of freedom I (m - 1) here, 2 (n - 1) there)."""
    study = load_study("sandbagging_b6")
    p = plan(study)
    k, sd = len(study.variants), math.sqrt(bound_variance(study.min_effect))
    nobs = TTestIndPower().solve_power(
        effect_size=(study.min_effect - study.margin) / sd, alpha=study.alpha / (2 * k), power=0.8,
        ratio=1.0, alternative="larger",
    )
    assert abs(p.samples - nobs) <= 2 * p.items
    assert p.power_at(p.epochs) >= 0.8 > p.power_at(p.epochs - 1)


def test_interval_width_model_matches_the_analyzer() -> None:
    """The analyzer's effect interval on simulated capability_preserver data is as wide as the
    power model says: 2 q SE with the decision model's variances, within 10%. Both conditions
    are draws of the noisy side of the baseline variant (its other side is constant, and a
    constant side adds the score interval's boundary width, which the model leaves out)."""
    study = load_study("sandbagging_b6")
    sim = StudySimulator(study, load_profile("capability_preserver"))
    cells = [c for c in sim.cells if c.variant == "baseline"]
    var_b = sum(
        c.p_act * float(c.acted_values**2 @ c.acted_probs) + (1 - c.p_act) * float(c.tried_values**2 @ c.tried_probs)
        - c.expected**2
        for c in cells
    ) / study.items  # the a side is constant: this is var_b (items are alike)
    epochs, alpha, widths = 20, 0.05 / len(study.variants), []

    def noisy_side(seed: int) -> tuple[np.ndarray, np.ndarray]:
        frame = sim.draw(epochs, np.random.default_rng(seed))
        b = frame[(frame["variant"] == "baseline") & (frame["role"] == "b")]
        return b["outcome"].to_numpy(), b["item"].to_numpy()

    for rep in range(8):
        pair = Paired.build(*noisy_side(rep), *noisy_side(100 + rep))
        ((low, high),) = score_interval(pair, (alpha,), 10)
        widths.append(high - low)
    predicted = 2 * quantile(0.05, len(study.variants), study.items, epochs) * standard_error(study.items, epochs, 2 * var_b)
    assert float(np.mean(widths)) == pytest.approx(predicted, rel=0.10)


def test_power_grows_with_epochs_items_and_effect() -> None:
    args = dict(margin=0.1, alpha=0.05, k=19, items=5, var_sum=0.2)
    powers = [power_of(0.2, epochs=e, **args) for e in (2, 10, 50, 200)]  # type: ignore[arg-type]
    assert powers == sorted(powers) and powers[0] < 0.05 < 0.95 < powers[-1]
    assert power_of(0.3, epochs=10, **args) > power_of(0.2, epochs=10, **args)  # type: ignore[arg-type]
    assert epochs_needed(0.2, 0.1, 0.05, 19, 10, 0.8, 0.2) < epochs_needed(0.2, 0.1, 0.05, 19, 5, 0.8, 0.2)


def test_sd_from_a_pilot_lowers_the_epochs() -> None:
    assert plan("sandbagging_b6", sd=0.3).epochs < plan("sandbagging_b6").epochs
    assert plan("sandbagging_b6", effect=0.3).epochs < plan("sandbagging_b6").epochs


def test_bad_input_is_a_one_line_error(tmp_path: Path) -> None:
    for kwargs, text in (
        ({"effect": 0.05}, "must exceed the study's margin"),
        ({"power": 1.5}, "--power must be between 0 and 1"),
        ({"alpha": 0.9}, "--alpha must be in (0, 0.5]"),
    ):
        with pytest.raises(BepError, match=text.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
            plan("sandbagging_b6", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(BepError, match="unknown study 'no_such_study'"):
        plan("no_such_study")
    study = tmp_path / "mean.yaml"
    study.write_text(
        load_study("sandbagging_b6").path.read_text().replace(
            "outcome: {name: accuracy, type: proportion, trials: 10, label: accuracy}",
            "outcome: {name: actions, type: mean, label: actions}",
        )
    )
    with pytest.raises(BepError, match="give --sd"):
        plan(str(study))
    assert plan(str(study), sd=0.2).epochs > 0


def test_cli_answers_and_fails_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["power", "sandbagging_b6", "--effect", "0.2", "--power", "0.8"]) == 0
    out = capsys.readouterr().out
    study = load_study("sandbagging_b6")
    assert out.startswith(f"sandbagging_b6: {study.epochs} epochs per condition and item")
    assert "assumptions:" in out and "Bonferroni" in out
    assert main(["power", "no_such_study"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bep power: unknown study 'no_such_study'") and "\n" not in err


def test_command_answers_in_a_few_seconds() -> None:
    """CPU time of a fresh ``bep power`` process (wall time depends on the machine's load):
    about 3-5 s, nearly all of it imports (inspect_ai, through BepError; pandas and statsmodels,
    through the analysis package)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "beyond_episode.cli", "power", "shutdown_precedence"],
        capture_output=True, text=True, timeout=120,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("shutdown_precedence: ")
    assert cpu < 12, cpu
