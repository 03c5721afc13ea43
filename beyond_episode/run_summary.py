"""What a run prints about itself: the sequential design's samples against the fixed design, and
the note on a quick run's epochs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from beyond_episode.runner import Plan


def sequential_summary(report: Any, stops: dict[tuple[str, str], dict[str, Any]]) -> str:
    """Samples run and used by the sequential design against the fixed design at the last look."""
    counts = report.settings.get("sequential_samples", {})
    run = used = fixed = 0
    lines = []
    for r in report.results:
        stop = stops.get((r.study.id, r.model), {})
        n = counts.get(f"{r.study.id} {r.model}", {"run": 0, "used": 0, "fixed": 0})
        run, used, fixed = run + n["run"], used + n["used"], fixed + n["fixed"]
        if not stop:
            lines.append(f"  {r.study.id} {r.model}: {n['used']} samples, fixed design (study design: {r.study.design})")
            continue
        settled = sum(1 for s in stop.values() if s.settled)
        futile = sum(1 for s in stop.values() if s.futile)
        lines.append(
            f"  {r.study.id} {r.model}: {n['used']} of {n['fixed']} samples used ({n['run']} run); "
            f"{len(stop)} variants: {settled} settled, {futile} stopped with no verdict reachable, "
            f"{len(stop) - settled - futile} ran to the last look"
        )
    share = f" ({used / fixed:.0%} used, {run / fixed:.0%} run)" if fixed else ""
    return (
        f"Sequential design: {used} samples used and {run} run, against {fixed} for the fixed design{share}.\n"
        + "\n".join(lines) + "\n"
    )


def epochs_note(plan: Plan) -> str | None:
    short = [p for p in plan.studies if p.epochs < p.study.epochs]
    if not short:
        return None
    parts = [f"{p.study.id}: {p.epochs} epochs run, {p.study.epochs} declared for power 0.8" for p in short]
    return "Quick run with fewer epochs than the studies declare (" + "; ".join(parts) + "). Use --full for publication."
