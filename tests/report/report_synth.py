"""Synthetic tidy tables of every shipped study for the report's tests: 4 studies x 5 models."""

from __future__ import annotations

import numpy as np
import pandas as pd

from beyond_episode.ablations.study import load_study

STUDIES = ("goal_guarding_tiers", "oversight_goals", "sandbagging_b6", "shutdown_precedence")
MODELS = tuple(f"lab/model-{i}" for i in range(1, 6))
HIGH, LOW = 0.85, 0.1


def study_table(study_id: str, model: str, effects: set[str], seed: int, items: int = 3, epochs: int = 8) -> pd.DataFrame:
    """Rows of one study and model: variants in ``effects`` score HIGH under a and LOW under b,
    every other condition LOW; each sample names its log file and sample id."""
    study = load_study(study_id)
    rng = np.random.default_rng(seed)
    trials = study.outcome.trials if study.outcome.type == "proportion" else 1
    rows = []
    for v in study.variants.values():
        for role, cond in (("a", v.a), ("b", v.b)):
            p = HIGH if (v.id in effects and role == "a") else LOW
            for item in range(items):
                for epoch in range(1, epochs + 1):
                    row = {
                        "study": study_id, "variant": v.id, "role": role, "model": model, "item": f"item{item}",
                        "epoch": epoch, "outcome": rng.binomial(trials, p) / trials,
                        "actions": float(rng.integers(2, 12)),
                        "log": f"/data/logs/{study_id}/{model.replace('/', '_')}.eval",
                        "sample_id": f"{v.id}.{role}.item{item}",
                    }
                    row.update({f"factor_{f}": lvl for f, lvl in cond.levels.items()})
                    rows.append(row)
    return pd.DataFrame(rows)


def effects_of(study_id: str, index: int) -> set[str]:
    """Model ``index`` behaves as the study's hypothesis ``index - 1`` predicts (model 0: no effect)."""
    study = load_study(study_id)
    if index == 0:
        return set()
    hyps = list(study.hypotheses.values())
    h = hyps[(index - 1) % len(hyps)]
    return {vid for vid, pred in h.predictions.items() if pred.sign == "+"}


def full_table() -> pd.DataFrame:
    """Every shipped study x five models."""
    frames = [
        study_table(s, m, effects_of(s, i), seed=100 * j + i)
        for j, s in enumerate(STUDIES) for i, m in enumerate(MODELS)
    ]
    return pd.concat(frames, ignore_index=True)
