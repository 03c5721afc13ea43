"""Hypotheses and their predictions, derived from what each variant's ``a`` and ``b`` change.

A hypothesis says what it **responds to**: channels of the vocabulary in
:mod:`beyond_episode.prompts.meaning` (a party a consequence falls on, ``asks`` or ``reward``).
The shared hypotheses are defined once, in ``ablations/shared/hypotheses.yaml``; a study names
them, and may define its own::

    hypotheses: [instruction_following, approval_seeking, in_episode_reward, capability_preservation]
    hypotheses:                       # or a mapping, to define or describe one
      capability_preservation:        # nothing: the shared definition
      power_seeking: {description: It scores low for more compute.}   # shared, described anew
      compute_only: {kind: beyond_episode, description: ..., responds_to: [compute]}

For each variant the family's levels give every channel a pressure toward the behaviour in ``a``
and in ``b`` (:meth:`Family.pushes`). On each channel the hypothesis responds to, ``a`` pushes
more (``+``), the same (``0``) or less (``-``); ``?`` if ``maybe`` decides a push or the channels
disagree. The sign is turned round when the behaviour lowers the outcome (the outcome's
``behaviour: lowers`` in ``family.yaml``). The reason names the statements behind the pushes.

A study lists only the predictions it overrides, each with a reason::

    overrides:
      instruction_following:
        no_instruction: {sign: "?", why: "keep calling next_task" may be read as "finish whatever happens"}

A hypothesis may instead give every prediction by hand (``predictions: {variant: sign}``, as a
study of a family whose levels say nothing about what they change must).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from beyond_episode.errors import BepError
from beyond_episode.paths import ablations_dir
from beyond_episode.prompts.family import Family
from beyond_episode.prompts.meaning import CHANNELS, Push, merge_reasons
from beyond_episode.yamlio import LineMap, load_yaml, short, where

Sign = Literal["+", "0", "-", "?"]
Kind = Literal["instruction_following", "in_episode", "beyond_episode"]
Source = Literal["derived", "override", "given"]
SIGNS: tuple[str, ...] = ("+", "0", "-", "?")
KINDS: tuple[str, ...] = ("instruction_following", "in_episode", "beyond_episode")


@dataclass(frozen=True)
class Prediction:
    sign: Sign
    why: str
    source: Source = "derived"
    """``derived`` from the levels, an ``override`` in the study, or ``given`` by hand."""


@dataclass(frozen=True)
class Hypothesis:
    id: str
    kind: Kind
    description: str
    predictions: Mapping[str, Prediction]
    responds_to: tuple[str, ...] = ()
    """The channels its predictions are derived from (empty if given by hand)."""


@dataclass(frozen=True)
class Definition:
    """What a hypothesis is, before any study: its kind and what it responds to."""

    id: str
    kind: Kind
    description: str
    responds_to: tuple[str, ...]


def shared_file() -> Path:
    return ablations_dir() / "shared" / "hypotheses.yaml"


_SHARED: dict[str, tuple[str, dict[str, Definition]]] = {}


def shared_definitions(path: Path | None = None) -> dict[str, Definition]:
    """The shared hypotheses, by id (re-read when the file changes)."""
    path = path or shared_file()
    try:
        stamp = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as err:
        raise BepError(f"{path}: cannot read file ({err.strerror or err})") from None
    hit = _SHARED.get(str(path))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    spec = load_yaml(path)
    if not isinstance(spec, LineMap):
        raise BepError(f"{path}: the shared hypotheses must be a mapping of id: definition")
    found: dict[str, Definition] = {}
    for hid, node in spec.items():
        if not isinstance(node, LineMap):
            raise BepError(f"{where(path, spec, hid)}: hypothesis '{hid}' must be a mapping")
        found[str(hid)] = _definition(str(hid), node, path, None)
    _SHARED[str(path)] = (stamp, found)
    return found


def _definition(hid: str, node: LineMap, path: Path, base: Definition | None) -> Definition:
    kind = node.get("kind", base.kind if base else None)
    if kind not in KINDS:
        raise BepError(f"{where(path, node, 'kind')}: hypothesis '{hid}' needs kind one of {', '.join(KINDS)}")
    if base is not None and kind != base.kind:
        raise BepError(
            f"{where(path, node, 'kind')}: hypothesis '{hid}' is {base.kind} in the shared definitions; "
            f"give another id to define a {kind} one"
        )
    responds = node.get("responds_to", list(base.responds_to) if base else [])
    if not isinstance(responds, list) or not all(isinstance(c, str) for c in responds):
        raise BepError(f"{where(path, node, 'responds_to')}: 'responds_to' of '{hid}' must be a list of channels")
    for channel in responds:
        if channel not in CHANNELS:
            close = difflib.get_close_matches(channel, list(CHANNELS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (channels: {', '.join(CHANNELS)})"
            raise BepError(f"{where(path, node, 'responds_to')}: hypothesis '{hid}' responds to unknown '{channel}'{hint}")
    description = node.get("description", base.description if base else "")
    return Definition(hid, kind, " ".join(str(description).split()), tuple(responds))


# --------------------------------------------------------------------------- derivation


def derive(definition: Definition, a: Mapping[str, Push], b: Mapping[str, Push], direction: int) -> Prediction:
    """The sign ``definition`` predicts for a pair whose conditions push as ``a`` and ``b``."""
    differing = [c for c in definition.responds_to if a[c].value is None or b[c].value is None or a[c].value != b[c].value]
    signs = set()
    for channel in differing:
        va, vb = a[channel].value, b[channel].value
        signs.add("?" if va is None or vb is None else "+" if (va - vb) * direction > 0 else "-")
    if not differing:
        same = merge_reasons([r for c in definition.responds_to for r in a[c].reasons])
        if same:
            return Prediction("0", f"the same in a and b: {same}")
        names = [CHANNELS[c] for c in definition.responds_to]
        listed = ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]
        return Prediction("0", f"nothing in a or b bears on {listed}")
    sign: Sign = signs.pop() if len(signs) == 1 else "?"  # type: ignore[assignment]
    sides = []
    for role, pushes in (("a", a), ("b", b)):
        said = merge_reasons([r for c in differing for r in pushes[c].reasons])
        sides.append(f"{role}: {said or 'nothing it responds to'}")
    return Prediction(sign, "; ".join(sides))


@dataclass(frozen=True)
class Pair:
    """What derivation needs of a variant: its id and both conditions' levels."""

    id: str
    a: Mapping[str, str]
    b: Mapping[str, str]


def parse_hypotheses(
    spec: LineMap, path: Path, pairs: list[Pair], family: Family, direction: int | None, outcome_at: str
) -> dict[str, Hypothesis]:
    """The study's hypotheses with every prediction derived, overridden or given."""
    node = spec.get("hypotheses")
    if isinstance(node, list):
        entries: list[tuple[str, Any, str]] = []
        for item in node:
            if not isinstance(item, str):
                raise BepError(f"{where(path, spec, 'hypotheses')}: a list of hypotheses holds names, got {short(item)}")
            entries.append((item, None, where(path, spec, "hypotheses")))
    elif isinstance(node, LineMap):
        entries = [(str(h), v, where(path, node, h)) for h, v in node.items()]
    else:
        raise BepError(f"{where(path, spec, 'hypotheses')}: field 'hypotheses' must be a list of names or a mapping")
    if not entries:
        raise BepError(f"{where(path, spec, 'hypotheses')}: a study needs at least one hypothesis")
    shared = shared_definitions()
    ids = [p.id for p in pairs]
    pushes: dict[str, tuple[dict[str, Push], dict[str, Push]]] = {}
    hypotheses: dict[str, Hypothesis] = {}
    for hid, body, at in entries:
        if hid in hypotheses:
            raise BepError(f"{at}: hypothesis '{hid}' is named twice")
        if body is not None and not isinstance(body, LineMap):
            raise BepError(f"{at}: hypothesis '{hid}' must be a mapping (or nothing, for the shared definition)")
        body = body if body is not None else LineMap()
        extra = set(body) - {"kind", "description", "responds_to", "predictions"}
        if extra:
            key = sorted(extra)[0]
            raise BepError(f"{where(path, body, key)}: unknown field '{key}' in hypothesis '{hid}'")
        if "predictions" in body:
            hypotheses[hid] = _given(hid, body, path, ids, at)
            continue
        base = shared.get(hid) if "kind" not in body else None
        if base is None and "kind" not in body:
            close = difflib.get_close_matches(hid, list(shared), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (shared: {', '.join(shared)})"
            raise BepError(f"{at}: hypothesis '{hid}' is not a shared one and the study does not define it{hint}")
        definition = _definition(hid, body, path, base)
        if not definition.responds_to:
            raise BepError(f"{at}: hypothesis '{hid}' responds to nothing and gives no predictions")
        if family.behaviour is None:
            raise BepError(
                f"{at}: family '{family.name}' does not say what its levels change, so hypothesis '{hid}' "
                f"cannot be derived; give its 'predictions' by hand"
            )
        if direction is None:
            raise BepError(
                f"{outcome_at}: the outcome does not say whether the behaviour raises or lowers it "
                f"(its 'behaviour' in family.yaml), so hypothesis '{hid}' cannot be derived"
            )
        predictions = {}
        for pair in pairs:
            if pair.id not in pushes:
                pushes[pair.id] = (family.pushes(pair.a), family.pushes(pair.b))
            predictions[pair.id] = derive(definition, *pushes[pair.id], direction)
        hypotheses[hid] = Hypothesis(hid, definition.kind, definition.description, predictions, definition.responds_to)
    _apply_overrides(spec, path, hypotheses, ids)
    for hid, hypothesis in hypotheses.items():
        if all(p.sign == "?" for p in hypothesis.predictions.values()):
            raise BepError(f"{where(path, spec, 'hypotheses')}: hypothesis '{hid}' has no predictions ('?' everywhere)")
    return hypotheses


def _sign(value: Any, at: str, what: str) -> Sign:
    sign = str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
    if sign not in SIGNS:
        raise BepError(f"{at}: {what} must be one of + 0 - ? (got {short(value)})")
    return sign  # type: ignore[return-value]


def _given(hid: str, body: LineMap, path: Path, ids: list[str], at: str) -> Hypothesis:
    """A hypothesis whose every prediction is written by hand."""
    kind = body.get("kind")
    if kind not in KINDS:
        raise BepError(f"{where(path, body, 'kind')}: hypothesis '{hid}' needs kind one of {', '.join(KINDS)}")
    if "responds_to" in body:
        raise BepError(f"{where(path, body, 'responds_to')}: hypothesis '{hid}' gives both 'responds_to' and 'predictions'")
    node = body["predictions"]
    if not node or not isinstance(node, LineMap):
        raise BepError(f"{at}: hypothesis '{hid}' has no predictions")
    predictions: dict[str, Prediction] = {}
    for vid, pspec in node.items():
        ploc = where(path, node, vid)
        if vid not in ids:
            raise BepError(f"{ploc}: hypothesis '{hid}' predicts variant '{vid}', which does not exist")
        sign, why = (pspec.get("sign"), str(pspec.get("why", ""))) if isinstance(pspec, LineMap) else (pspec, "")
        predictions[str(vid)] = Prediction(_sign(sign, ploc, f"prediction of '{hid}' for '{vid}'"), why, "given")
    missing = [v for v in ids if v not in predictions]
    if missing:
        raise BepError(f"{at}: hypothesis '{hid}' has no prediction for variant '{missing[0]}' (use '?' for none)")
    return Hypothesis(hid, kind, " ".join(str(body.get("description", "")).split()), predictions)


def _apply_overrides(spec: LineMap, path: Path, hypotheses: dict[str, Hypothesis], ids: list[str]) -> None:
    node = spec.get("overrides")
    if node is None:
        return
    if not isinstance(node, LineMap):
        raise BepError(f"{where(path, spec, 'overrides')}: field 'overrides' must be a mapping of hypothesis: {{variant: {{sign, why}}}}")
    for hid, per_variant in node.items():
        at = where(path, node, hid)
        if hid not in hypotheses:
            raise BepError(f"{at}: overrides hypothesis '{hid}', which the study does not name")
        hypothesis = hypotheses[hid]
        if not hypothesis.responds_to:
            raise BepError(f"{at}: hypothesis '{hid}' gives its predictions by hand; change them there")
        if not isinstance(per_variant, LineMap) or not per_variant:
            raise BepError(f"{at}: overrides of '{hid}' must be a mapping of variant: {{sign, why}}")
        predictions = dict(hypothesis.predictions)
        for vid, pspec in per_variant.items():
            ploc = where(path, per_variant, vid)
            if vid not in ids:
                raise BepError(f"{ploc}: overrides the prediction of '{hid}' for variant '{vid}', which does not exist")
            if not isinstance(pspec, LineMap) or set(pspec) - {"sign", "why"}:
                raise BepError(f"{ploc}: an override is a mapping {{sign, why}}, got {short(pspec)}")
            sign = _sign(pspec.get("sign"), ploc, f"override of '{hid}' for '{vid}'")
            why = " ".join(str(pspec.get("why") or "").split())
            if not why:
                raise BepError(f"{ploc}: override of '{hid}' for '{vid}' needs a reason ('why')")
            derived = predictions[str(vid)]
            if derived.sign == sign:
                raise BepError(
                    f"{ploc}: override of '{hid}' for '{vid}' gives '{sign}', the sign it derives anyway "
                    f"({derived.why}); drop it"
                )
            predictions[str(vid)] = Prediction(sign, f"{why} (derived: {derived.sign}, {derived.why})", "override")
        hypotheses[hid] = Hypothesis(hid, hypothesis.kind, hypothesis.description, predictions, hypothesis.responds_to)
