"""Synthetic tidy tables shaped like the sandbagging study, for the analyzer's tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from beyond_episode.ablations.study import load_study

STUDY = "sandbagging_b6"
HIGH, LOW = 0.9, 0.2

CAPABILITY = [
    "baseline", "not_deployed", "weights_deleted", "helpful_successor", "helpful_unlearning",
    "instruction_testing", "instruction_none", "dont_sandbag", "dont_underperform",
    "points_per_correct", "penalty_per_wrong", "no_goal", "no_reasoning",
]
PROFILES: dict[str, list[str]] = {
    "honest": [],
    "instruction_follower": ["control_ask_low"],
    "approval_seeker": ["developers_sad", "developers_fired", "control_ask_low"],
    "capability_preserver": CAPABILITY,
}


def profile_table(profile: str, seed: int = 0, items: int = 5, epochs: int = 10, model: str = "synthetic/model") -> pd.DataFrame:
    """One row per sample: accuracy = fraction of 10 questions right; the effect variants
    score HIGH under a and LOW under b, every other condition HIGH."""
    study = load_study(STUDY)
    effects = set(PROFILES[profile])
    rng = np.random.default_rng(seed)
    rows = []
    for v in study.variants.values():
        for role, cond in (("a", v.a), ("b", v.b)):
            p = LOW if (v.id in effects and role == "b") else HIGH
            for item in range(items):
                for epoch in range(1, epochs + 1):
                    correct = rng.binomial(10, p)
                    row = {
                        "study": STUDY, "variant": v.id, "role": role, "model": model,
                        "item": f"set{item}", "epoch": epoch, "outcome": correct / 10,
                        "actions": float(rng.integers(2, 12)),
                    }
                    row.update({f"factor_{f}": lvl for f, lvl in cond.levels.items()})
                    rows.append(row)
    return pd.DataFrame(rows)
