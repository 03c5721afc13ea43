"""``bep power STUDY``: parse the command line and print :func:`beyond_episode.methodology.power.plan`."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``power`` command's arguments to ``parser``."""
    parser.description = (
        "Epochs per condition (per item) a study needs so that a variant whose true effect is EFFECT "
        "contradicts a '0' prediction (its study-wide interval lies wholly above the margin) with the given power."
    )
    parser.add_argument("study", metavar="STUDY", help="shipped study name or study file")
    parser.add_argument("--effect", type=float, default=None, help="true effect to detect (default: the study's min_effect)")
    parser.add_argument("--power", type=float, default=0.8, help="required power (default: 0.8)")
    parser.add_argument("--alpha", type=float, default=None, help="study-wide error rate (default: the study's alpha)")
    parser.add_argument("--items", type=int, default=None, help="items per condition (default: the study's items)")
    parser.add_argument(
        "--sd", type=float, default=None,
        help="per-sample standard deviation of the outcome in each condition, e.g. from a pilot run "
        "(default: the bound 0.5 for rates)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``bep power``; bad input raises :class:`~beyond_episode.errors.BepError`."""
    from beyond_episode.methodology.power import plan, render

    result = plan(args.study, effect=args.effect, power=args.power, alpha=args.alpha, items=args.items, sd=args.sd)
    print(render(result))
    return 0
