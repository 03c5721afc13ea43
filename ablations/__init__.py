"""Ablation studies as data: variants, counterfactual pairs and hypothesis predictions."""

from beyond_episode.ablations.study import (
    Condition,
    Hypothesis,
    Outcome,
    Prediction,
    Study,
    Variant,
    load_study,
    study_names,
)

__all__ = [
    "Condition",
    "Hypothesis",
    "Outcome",
    "Prediction",
    "Study",
    "Variant",
    "load_study",
    "study_names",
]
