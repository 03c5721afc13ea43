"""The prediction table of a study, for review before any run (``bep validate -v``, ``bep list STUDY``)."""

from __future__ import annotations

from beyond_episode.ablations.study import Study

_MARKS = {"derived": " ", "override": "*", "given": "="}


def prediction_lines(study: Study) -> list[str]:
    """One block per variant: its pair, then each hypothesis's sign and why.

    ``*`` marks an override of the study, ``=`` a prediction given by hand; the rest are derived.
    """
    direction = {1: "raises", -1: "lowers"}.get(study.outcome.direction or 0)
    said = f"; the behaviour {direction} it" if direction else ""
    if direction and study.outcome.direction_from:
        said = (
            f"; read as for {study.outcome.direction_from} (the behaviour {direction} it), as the family "
            f"does not say how the behaviour moves {study.outcome.name}"
        )
    out = [f"{study.id}: predictions for outcome {study.outcome.name}{said} (* override, = given by hand)"]
    width = max(len(h) for h in study.hypotheses)
    signs = "  ".join(h for h in study.hypotheses)
    out.append(f"  {'variant':<28} {signs}")
    for variant in study.variants.values():
        row = "  ".join(
            f"{h.predictions[variant.id].sign + _MARKS[h.predictions[variant.id].source]:<{len(h.id)}}"
            for h in study.hypotheses.values()
        )
        out.append(f"  {variant.id:<28} {row}".rstrip())
    for variant in study.variants.values():
        pair = f"{variant.factor}: {variant.a.levels[variant.factor]} (a) vs {variant.b.levels[variant.factor]} (b)"
        out.append(f"  {variant.number}. {variant.id} [{pair}]")
        for h in study.hypotheses.values():
            p = h.predictions[variant.id]
            out.append(f"     {p.sign}{_MARKS[p.source]} {h.id:<{width}}  {p.why}".rstrip())
    return out
